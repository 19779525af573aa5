#include "connectors/common/token_cache.h"

#include <algorithm>

#include "core/crypto.h"

namespace tributary::connectors::common {

std::string TokenCache::key_for(std::string_view integration_id, std::string_view token_url,
                                const std::vector<std::string_view>& credentials) {
  // Length-prefixed parts, so no two different lists of parts give the same input; hashed, so the map never
  // holds a credential in clear.
  std::string material;
  auto add = [&material](std::string_view part) {
    material += std::to_string(part.size());
    material += ':';
    material += part;
  };
  add(integration_id);
  add(token_url);
  for (auto c : credentials)
    add(c);
  return std::string(integration_id) + "/" + crypto::hex_encode(crypto::sha256(material));
}

std::optional<std::string> TokenCache::find(const std::string& key, Millis now) const {
  MutexLock lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.usable_until <= now) return std::nullopt;
  return it->second.token;
}

void TokenCache::store(const std::string& key, std::string token, Millis now,
                       std::optional<std::int64_t> lifetime_seconds) {
  const Millis lifetime = lifetime_seconds && *lifetime_seconds > 0
                              ? std::min<Millis>(*lifetime_seconds, 10LL * 365 * 86400) * 1000
                              : kUnstatedLifetimeMs;
  // A token living less than the margin is used for half its life.
  const Millis usable = lifetime > 2 * kRenewBeforeMs ? lifetime - kRenewBeforeMs : lifetime / 2;
  MutexLock lock(mu_);
  if (entries_.size() >= kMaxEntries) {
    std::erase_if(entries_, [now](const auto& kv) { return kv.second.usable_until <= now; });
    if (entries_.size() >= kMaxEntries) entries_.clear();
  }
  entries_[key] = Entry{std::move(token), now + usable};
}

void TokenCache::forget(const std::string& key, std::string_view token) {
  MutexLock lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && crypto::constant_time_equal(it->second.token, token)) entries_.erase(it);
}

}  // namespace tributary::connectors::common
