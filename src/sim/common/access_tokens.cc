#include "sim/common/access_tokens.h"

#include <utility>

#include "core/crypto.h"
#include "http/message.h"
#include "sim/common/form.h"

namespace tributary::sim {

void AccessTokens::add(std::string token, Millis now, std::int64_t lifetime_seconds) {
  std::erase_if(expiry_, [now](const auto& kv) { return kv.second <= now; });
  expiry_[std::move(token)] = now + lifetime_seconds * 1000;
}

bool AccessTokens::accepts(const http::Request& request, Millis now) const {
  auto token = bearer_token(request);
  if (!token) return false;
  bool found = false;
  for (const auto& [known, expiry] : expiry_)
    if (crypto::constant_time_equal(known, *token) && expiry > now) found = true;
  return found;
}

}  // namespace tributary::sim
