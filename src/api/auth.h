// API-key authentication for the management and read APIs: `Authorization: Bearer <key>`. Keys are the one
// from configuration (`api_key`) and those created with `tributary keys create` (stored as SHA-256 hashes).
// Comparison is by hash in constant time; valid hashes are cached briefly so a request costs no query.
// Thread-safety: check() from any thread.
#pragma once

#include <map>
#include <string>

#include "core/mutex.h"
#include "http/message.h"
#include "store/pool.h"

namespace tributary::api {

class Authenticator {
 public:
  Authenticator(store::Pool& pool, std::string config_key);
  // true: a valid key; false: missing or invalid; an error (kUnavailable) when the stored keys cannot be read
  // now (the caller answers 503 rather than calling a valid key invalid).
  Result<bool> check(const http::Request& request);

 private:
  store::Pool& pool_;
  std::string config_key_hash_;  // empty when no key is configured
  Mutex mu_;
  std::map<std::string, std::int64_t> valid_until_us_ GUARDED_BY(mu_);  // key hash → cache expiry
};

std::string hash_api_key(std::string_view key);
std::string new_api_key();  // "trib_" + 40 random alphanumerics

}  // namespace tributary::api
