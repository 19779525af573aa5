// Every webhook delivery attempt a simulator made, so tests (and people) can see what was sent, where, and
// what came back: GET /_sim/deliveries → [{url, event, delivery_id, status, attempt, at, error}]. Bounded:
// only the newest kMaxEntries attempts are kept. Thread-safety: all methods are safe from any thread.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <deque>
#include <string>

#include "core/clock.h"
#include "core/mutex.h"

namespace tributary::sim {

struct DeliveryAttempt {
  std::string url;
  std::string event;
  std::string delivery_id;  // the same for every attempt of one event
  int status = 0;           // 0 when no HTTP response arrived
  std::size_t attempt = 1;  // 1-based
  Millis at = 0;            // when the attempt was sent
  std::string error;        // transport error, empty on a response
};

class DeliveryLog {
 public:
  static constexpr std::size_t kMaxEntries = 10000;

  void record(DeliveryAttempt attempt);
  boost::json::array to_json() const;
  std::size_t size() const;

 private:
  mutable Mutex mu_;
  std::deque<DeliveryAttempt> entries_ GUARDED_BY(mu_);
};

}  // namespace tributary::sim
