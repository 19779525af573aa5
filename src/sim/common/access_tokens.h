// The OAuth access tokens a tool has issued from its token endpoint (client credentials), each with its
// expiry, and the check of "Authorization: Bearer <token>" against them. Secrets are compared in constant
// time. Thread-safety: none; the owning simulator guards it with its state mutex.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/clock.h"

namespace tributary::http {
struct Request;
}

namespace tributary::sim {

class AccessTokens {
 public:
  // Drops the expired tokens and records `token` as valid for `lifetime_seconds` from `now`.
  void add(std::string token, Millis now, std::int64_t lifetime_seconds);
  // Whether the request carries a Bearer token issued here that has not expired at `now`.
  bool accepts(const http::Request& request, Millis now) const;

 private:
  std::map<std::string, Millis> expiry_;  // token → expiry
};

}  // namespace tributary::sim
