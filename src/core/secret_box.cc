#include "core/secret_box.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto.h"

namespace tributary {

Result<SecretBox> SecretBox::load(const std::string& master_key_base64, const std::string& key_file) {
  if (!master_key_base64.empty()) {
    auto key = crypto::base64_decode(master_key_base64);
    if (!key || key->size() != 32) {
      return make_error(ErrorKind::kInvalidArgument,
                        "config master_key: expected base64 of exactly 32 bytes");
    }
    return SecretBox(*key);
  }
  std::error_code ec;
  if (std::filesystem::exists(key_file, ec)) {
    std::ifstream in(key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
      text.pop_back();
    auto key = crypto::base64_decode(text);
    if (!key || key->size() != 32) {
      return make_error(ErrorKind::kInvalidArgument,
                        "master key file " + key_file + " is not base64 of 32 bytes");
    }
    return SecretBox(*key);
  }
  auto parent = std::filesystem::path(key_file).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::string key = crypto::random_bytes(32);
  int fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorKind::kInternal, "cannot create master key file " + key_file);
  std::string text = crypto::base64_encode(key) + "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return make_error(ErrorKind::kInternal, "cannot write master key file " + key_file);
  return SecretBox(key);
}

std::string SecretBox::seal(std::string_view plaintext) const {
  return crypto::seal(key_, plaintext);
}

std::optional<std::string> SecretBox::open(std::string_view sealed) const {
  return crypto::open(key_, sealed);
}

}  // namespace tributary
