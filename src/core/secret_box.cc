#include "core/secret_box.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto.h"

namespace tributary {
namespace {

// Versioned, so that a later key check scheme can be told apart from this one.
constexpr std::string_view kCheckLabel = "tributary master key check v1";

}  // namespace

Result<SecretBox> SecretBox::from_base64(std::string_view text, const std::string& what) {
  auto key = crypto::base64_decode(text);
  if (!key || key->size() != 32) {
    return make_error(ErrorKind::kInvalidArgument, what + ": expected base64 of exactly 32 bytes");
  }
  return SecretBox(*key);
}

Result<SecretBox> SecretBox::read_key_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorKind::kNotFound, "cannot read master key file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return from_base64(text, "master key file " + path);
}

Result<SecretBox> SecretBox::create_key_file(const std::string& path) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::string key = crypto::random_bytes(32);
  // O_EXCL: never overwrites a key, whoever created it meanwhile. Mode 0600 whatever the umask allows.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorKind::kInternal,
                      "cannot create master key file " + path + ": " + std::strerror(errno));
  }
  std::string text = crypto::base64_encode(key) + "\n";
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(path, ec);
    return make_error(ErrorKind::kInternal, "cannot write master key file " + path);
  }
  return SecretBox(key);
}

std::string SecretBox::check_value() const {
  return crypto::hex_encode(crypto::hmac_sha256(key_, kCheckLabel));
}

std::string SecretBox::seal(std::string_view plaintext) const {
  return crypto::seal(key_, plaintext);
}

std::optional<std::string> SecretBox::open(std::string_view sealed) const {
  return crypto::open(key_, sealed);
}

}  // namespace tributary
