#include "app/master_key.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "app/node.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "store/settings_repo.h"

namespace tributary::app {
namespace {

constexpr std::string_view kWhereToSetIt =
    "set master_key (TRIBUTARY_MASTER_KEY) or master_key_file (TRIBUTARY_MASTER_KEY_FILE) to the key the "
    "database was set up with (on PostgreSQL: the key of the other nodes)";

Error key_mismatch(const std::string& source, const std::string& database, const std::string& why) {
  return Error{ErrorKind::kInvalidArgument,
               "master key mismatch: the key from " + source + " is not the key of database " + database +
                   " (" + why + "). " + std::string(kWhereToSetIt) +
                   ". With another key every stored credential and secret would be unreadable (deliveries "
                   "unsigned, every upstream webhook refused), so this node does not start."};
}

Error key_file_missing(const std::string& path, const std::string& database) {
  return Error{ErrorKind::kInvalidArgument,
               "master key file " + path + " does not exist, but database " + database +
                   " holds secrets sealed with a master key. Restore the file from its backup, or " +
                   std::string(kWhereToSetIt) +
                   ". A new key would leave every stored credential and secret unreadable, so none is "
                   "generated."};
}

SecretBox::Place place_of(const store::settings::SealedValue& v) {
  return SecretBox::Place{v.table, v.column, v.row_id};
}

// A sealed value opened where it is, or as sealed before values were bound to their place.
std::optional<std::string> opened(const SecretBox& box, const store::settings::SealedValue& v) {
  if (auto plain = box.open(v.value, place_of(v))) return plain;
  return box.open_unbound(v.value);
}

// A database that has no check value yet was set up before check values existed, or is new. The key must
// open what is sealed in it (nothing, when new); then its check value is stored. Of nodes storing one at
// once, the first wins and the others are held against it.
Status hold_against_database(store::Connection& conn, const SecretBox& box, std::optional<std::string> stored,
                             const std::string& source, const std::string& database) {
  const std::string mine = box.check_value();
  if (!stored) {
    auto sample = store::settings::sealed_values(conn, 3);
    if (!sample) return sample.error();
    bool opens = sample->empty();
    for (const auto& sealed : *sample)
      opens = opens || opened(box, sealed).has_value();
    if (!opens) return key_mismatch(source, database, "it opens none of the secrets stored there");
    auto in_force = store::settings::put_if_absent(conn, store::settings::kMasterKeyCheck, mine, now_ms());
    if (!in_force) return in_force.error();
    stored = *in_force;
  }
  if (!crypto::constant_time_equal(*stored, mine))
    return key_mismatch(source, database, "the database holds the check value of another key");
  return {};
}

}  // namespace

Result<int> bind_sealed_values(store::Connection& conn, const SecretBox& box) {
  auto values = store::settings::sealed_values(conn, std::nullopt);
  if (!values) return values.error();
  int bound = 0;
  int unreadable = 0;
  for (const auto& v : *values) {
    if (box.open(v.value, place_of(v))) continue;
    auto plain = box.open_unbound(v.value);
    if (!plain) {
      ++unreadable;
      continue;
    }
    auto replaced = store::settings::replace_sealed(conn, v, box.seal(*plain, place_of(v)));
    if (!replaced) return replaced.error();
    if (*replaced) ++bound;  // else another node bound it, or an API call replaced it, meanwhile
  }
  if (bound > 0) spdlog::info("master key: bound {} sealed values to where they are stored", bound);
  if (unreadable > 0) {
    spdlog::error(
        "master key: {} sealed values open neither where they are stored nor as sealed before; each is "
        "refused where it is used (a delivery fails, a webhook is refused), never used unsealed",
        unreadable);
  }
  return bound;
}

std::optional<std::string> key_file_warning(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return std::nullopt;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return "master key file " + path + " is accessible to other users (mode " + mode + "): chmod 600 " + path;
}

Result<SecretBox> open_master_key(const Config& config, store::Connection& conn,
                                  const std::string& database) {
  auto stored = store::settings::get(conn, store::settings::kMasterKeyCheck);
  if (!stored) return stored.error();
  if (!config.master_key.empty()) {
    auto box = SecretBox::from_base64(config.master_key, "config master_key");
    if (!box) return box.error();
    if (auto s = hold_against_database(conn, *box, *stored, "master_key (TRIBUTARY_MASTER_KEY)", database);
        !s)
      return s.error();
    return box;
  }
  const std::string path = default_master_key_file(config);
  const std::string source = "key file " + path;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (auto warning = key_file_warning(path)) spdlog::warn("{}", *warning);
    auto box = SecretBox::read_key_file(path);
    if (!box) return box.error();
    if (auto s = hold_against_database(conn, *box, *stored, source, database); !s) return s.error();
    return box;
  }
  // No key file: a new key only for a database that holds nothing sealed under an old one.
  if (*stored) return key_file_missing(path, database);
  auto sample = store::settings::sealed_values(conn, 1);
  if (!sample) return sample.error();
  if (!sample->empty()) return key_file_missing(path, database);
  auto box = SecretBox::create_key_file(path);
  if (!box) return box.error();
  if (auto s = hold_against_database(conn, *box, *stored, source, database); !s) {
    // Another node set the database up with its key at this very moment: this one's key is of no use.
    std::filesystem::remove(path, ec);
    return s.error();
  }
  spdlog::info("created master key file {}: back it up, the stored credentials and secrets need it", path);
  return box;
}

}  // namespace tributary::app
