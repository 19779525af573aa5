// The states the store keeps as text, as enums: the inbox outcome of an upstream request, the status of a
// downstream delivery and of an upstream subscription, the state of a sync. Each has one table of names (the
// text in the database and in the API), so the compiler catches a misspelt state and a reader of the table
// sees every value. Thread-safety: constant tables.
#pragma once

#include <array>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace tributary::store {

// What became of a request at the ingress: waiting for the processor (received), relayed (accepted), kept
// without relaying (ignored, duplicate, ping), or refused at the door (rejected).
enum class InboxOutcome { kReceived, kAccepted, kIgnored, kDuplicate, kPing, kRejected };
// A downstream delivery: due at next_attempt_at (pending), claimed until lease_until (sending), or done.
enum class DeliveryStatus { kPending, kSending, kSucceeded, kFailed };
// An upstream subscription: receiving (active), waiting for its first verified request or manual setup
// (pending), refused for want of a permission (missing_permission), failing (failed), or gone at the tool
// (disabled).
enum class SubscriptionStatus { kActive, kPending, kMissingPermission, kFailed, kDisabled };
// A sync: queued, running, or ended in one of four states (Kombo's names).
enum class SyncState { kQueued, kRunning, kSucceeded, kFailed, kPartiallyFailed, kAuthenticationFailed };

// The names of each enum's values, in declaration order.
template <class E>
struct StateNames;
template <>
struct StateNames<InboxOutcome> {
  static constexpr std::array<std::string_view, 6> kNames = {"received",  "accepted", "ignored",
                                                             "duplicate", "ping",     "rejected"};
};
template <>
struct StateNames<DeliveryStatus> {
  static constexpr std::array<std::string_view, 4> kNames = {"pending", "sending", "succeeded", "failed"};
};
template <>
struct StateNames<SubscriptionStatus> {
  static constexpr std::array<std::string_view, 5> kNames = {"active", "pending", "missing_permission",
                                                             "failed", "disabled"};
};
template <>
struct StateNames<SyncState> {
  static constexpr std::array<std::string_view, 6> kNames = {
      "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "PARTIALLY_FAILED", "AUTHENTICATION_FAILED"};
};

template <class E>
concept StoredState = requires {
  StateNames<E>::kNames;
};

template <StoredState E>
constexpr std::string_view to_string(E value) {
  const auto i = static_cast<std::size_t>(value);
  return i < StateNames<E>::kNames.size() ? StateNames<E>::kNames[i] : std::string_view("unknown");
}

template <StoredState E>
constexpr std::optional<E> parse_state(std::string_view text) {
  for (std::size_t i = 0; i < StateNames<E>::kNames.size(); ++i)
    if (StateNames<E>::kNames[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

// Every value of E, in declaration order.
template <StoredState E>
constexpr auto all_states() {
  std::array<E, StateNames<E>::kNames.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<E>(i);
  return out;
}

// "received, accepted, ...": the allowed values, for an error message.
template <StoredState E>
std::string allowed_states() {
  std::string out;
  for (std::string_view name : StateNames<E>::kNames) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

template <StoredState E>
std::ostream& operator<<(std::ostream& os, E value) {
  return os << to_string(value);
}

}  // namespace tributary::store
