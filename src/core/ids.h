// Identifiers. Every id is a prefix plus random characters, so ids are unguessable and say what they name.
// Strong id types keep integration, endpoint and event ids from being mixed up between layers.
#pragma once

#include <compare>
#include <string>
#include <string_view>

namespace tributary {

template <typename Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string value) : value_(std::move(value)) {}
  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }
  auto operator<=>(const StrongId&) const = default;

 private:
  std::string value_;
};

using IntegrationId = StrongId<struct IntegrationIdTag>;
using SubscriptionId = StrongId<struct SubscriptionIdTag>;
using EndpointId = StrongId<struct EndpointIdTag>;
using EventId = StrongId<struct EventIdTag>;
using InboxId = StrongId<struct InboxIdTag>;

// "<prefix>_<8 characters of creation time><16 random alphanumerics>" — time-ordered and unguessable (≈95
// random bits) — or "<tool>:<22 random alphanumerics>" for integrations (Kombo's shape).
std::string new_id(std::string_view prefix);
std::string new_integration_id(std::string_view tool);

}  // namespace tributary
