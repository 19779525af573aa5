// Access tokens a connector obtained from a tool's token endpoint (client credentials), kept until shortly
// before they expire so that each call to the tool does not first ask for a new one: Personio's token
// endpoint allows 150 requests a minute, and a token per call would cost a third of every fetch's API budget.
// An entry is keyed by the integration and a digest of the token endpoint and the credentials, so changed
// credentials (or another host) never reuse a token; the token itself is held in memory only, never logged.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"

namespace tributary::connectors::common {

class TokenCache {
 public:
  // A token is not handed out during the last minute of its life (a call may take that long), and one whose
  // lifetime the tool did not state is kept 5 minutes.
  static constexpr Millis kRenewBeforeMs = 60'000;
  static constexpr Millis kUnstatedLifetimeMs = 5 * 60'000;
  static constexpr std::size_t kMaxEntries = 10'000;

  static std::string key_for(std::string_view integration_id, std::string_view token_url,
                             const std::vector<std::string_view>& credentials);

  // The token for `key` when it is still good for at least kRenewBeforeMs at `now`.
  std::optional<std::string> find(const std::string& key, Millis now) const;
  // Keeps `token` for `key`, obtained at `now`, living `lifetime_seconds` (unset or not positive: unstated).
  void store(const std::string& key, std::string token, Millis now,
             std::optional<std::int64_t> lifetime_seconds);
  // Drops the entry for `key` if it still holds `token` (the tool refused it).
  void forget(const std::string& key, std::string_view token);

 private:
  struct Entry {
    std::string token;
    Millis usable_until = 0;
  };
  mutable Mutex mu_;
  std::map<std::string, Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace tributary::connectors::common
