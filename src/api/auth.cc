#include "api/auth.h"

#include "core/clock.h"
#include "core/crypto.h"
#include "store/api_keys_repo.h"

namespace tributary::api {

std::string hash_api_key(std::string_view key) {
  return crypto::hex_encode(crypto::sha256(key));
}

std::string new_api_key() {
  return "trib_" + crypto::random_token(40);
}

Authenticator::Authenticator(store::Pool& pool, std::string config_key)
    : pool_(pool), config_key_hash_(config_key.empty() ? "" : hash_api_key(config_key)) {}

Result<bool> Authenticator::check(const http::Request& request) {
  auto header = request.header("Authorization");
  if (!header || request.header_count("Authorization") != 1) return false;
  std::string_view value = *header;
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || !http::iequals(value.substr(0, kBearer.size()), kBearer))
    return false;
  std::string_view key = value.substr(kBearer.size());
  if (key.size() > 256) return false;
  std::string hash = hash_api_key(key);
  if (!config_key_hash_.empty() && crypto::constant_time_equal(hash, config_key_hash_)) return true;
  std::int64_t now = monotonic_us();
  {
    MutexLock lock(mu_);
    auto it = valid_until_us_.find(hash);
    if (it != valid_until_us_.end() && it->second > now) return true;
  }
  auto lease = pool_.acquire();
  if (!lease) return Error{ErrorKind::kUnavailable, lease.error().message};
  auto row = store::api_keys::find_active(**lease, hash);
  if (!row) return Error{ErrorKind::kUnavailable, row.error().message};
  if (!*row || !crypto::constant_time_equal((*row)->key_hash, hash)) return false;
  MutexLock lock(mu_);
  if (valid_until_us_.size() > 1000) valid_until_us_.clear();
  valid_until_us_[hash] = now + 10'000'000;  // a revoked key stops working within 10 s
  return true;
}

}  // namespace tributary::api
