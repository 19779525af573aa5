#include "core/secret_box.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "core/crypto.h"

namespace tributary {
namespace {

// Versioned, so that a later key check scheme can be told apart from this one.
constexpr std::string_view kCheckLabel = "tributary master key check v1";
// The mark in front of a value bound to its place, and the associated data that binds it. A value sealed
// before places existed starts with its random nonce instead; one in 2^32 of them starts with the mark, and
// open_unbound() still opens those.
constexpr std::string_view kBoundMark = "TBv2";

// Each part with its length in front, so no two places share their associated data.
std::string associated_data(const SecretBox::Place& place) {
  std::string out = "tributary sealed value v2";
  for (std::string_view part : {place.table, place.column, place.row}) {
    out += ' ';
    out += std::to_string(part.size());
    out += ':';
    out += part;
  }
  return out;
}

constexpr std::string_view kPreviousColumn = "previous_secret";

struct Entry {
  std::string secret;
  std::int64_t until = 0;
};

// The entries of an opened retired value: a JSON list, or (sealed before lists) one secret until `until`.
// Secrets are whsec_… or tool-chosen text, which never starts with '['; a list that does not parse is damage.
std::optional<std::vector<Entry>> parse_retired(const std::string& plain, std::optional<std::int64_t> until) {
  if (plain.empty() || plain.front() != '[') return std::vector<Entry>{{plain, until.value_or(0)}};
  boost::system::error_code ec;
  auto value = boost::json::parse(plain, ec);
  if (ec || !value.is_array()) return std::nullopt;
  std::vector<Entry> out;
  for (const auto& item : value.as_array()) {
    const auto* o = item.if_object();
    const auto* secret = o ? o->if_contains("secret") : nullptr;
    const auto* end = o ? o->if_contains("until") : nullptr;
    if (secret == nullptr || !secret->is_string() || end == nullptr || !end->is_int64()) return std::nullopt;
    out.push_back(Entry{std::string(secret->get_string()), end->get_int64()});
  }
  return out;
}

}  // namespace

std::optional<SecretBox::Retired> SecretBox::retire(std::string_view table, std::string_view row,
                                                    const std::optional<std::string>& current,
                                                    const std::optional<std::string>& retired,
                                                    std::optional<std::int64_t> until, std::int64_t now,
                                                    std::int64_t overlap) const {
  std::vector<Entry> keep;
  if (current) {
    if (auto plain = open(*current, secret_of(table, row)))
      keep.push_back(Entry{std::move(*plain), now + overlap});
  }
  const Place previous{table, kPreviousColumn, row};
  if (retired) {
    auto plain = open(*retired, previous);
    auto entries = plain ? parse_retired(*plain, until) : std::nullopt;
    for (auto& e : entries.value_or(std::vector<Entry>{}))
      if (e.until > now) keep.push_back(std::move(e));
  }
  if (keep.empty()) return std::nullopt;
  boost::json::array list;
  std::int64_t latest = 0;
  for (const auto& e : keep) {
    list.push_back(boost::json::object{{"secret", e.secret}, {"until", e.until}});
    latest = std::max(latest, e.until);
  }
  return Retired{seal(boost::json::serialize(list), previous), latest};
}

std::optional<std::vector<std::string>> SecretBox::retired_in_force(std::string_view table,
                                                                    std::string_view row,
                                                                    const std::optional<std::string>& retired,
                                                                    std::optional<std::int64_t> until,
                                                                    std::int64_t now) const {
  std::vector<std::string> out;
  if (!retired || !until || *until <= now) return out;
  auto plain = open(*retired, Place{table, kPreviousColumn, row});
  if (!plain) return std::nullopt;
  auto entries = parse_retired(*plain, until);
  if (!entries) return std::nullopt;
  for (auto& e : *entries)
    if (e.until > now) out.push_back(std::move(e.secret));
  return out;
}

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

std::string SecretBox::seal(std::string_view plaintext, const Place& place) const {
  return std::string(kBoundMark) + crypto::seal(key_, plaintext, associated_data(place));
}

std::optional<std::string> SecretBox::open(std::string_view sealed, const Place& place) const {
  if (!is_bound(sealed)) return std::nullopt;
  return crypto::open(key_, sealed.substr(kBoundMark.size()), associated_data(place));
}

bool SecretBox::is_bound(std::string_view sealed) {
  return sealed.starts_with(kBoundMark);
}

std::optional<std::string> SecretBox::open_unbound(std::string_view sealed) const {
  return crypto::open(key_, sealed);
}

}  // namespace tributary
