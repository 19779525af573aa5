#include "sim/common/delivery_log.h"

namespace tributary::sim {

void DeliveryLog::record(DeliveryAttempt attempt) {
  MutexLock lock(mu_);
  entries_.push_back(std::move(attempt));
  while (entries_.size() > kMaxEntries)
    entries_.pop_front();
}

boost::json::array DeliveryLog::to_json() const {
  MutexLock lock(mu_);
  boost::json::array out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) {
    boost::json::object o;
    o["url"] = e.url;
    o["event"] = e.event;
    o["delivery_id"] = e.delivery_id;
    o["status"] = e.status;
    o["attempt"] = e.attempt;
    o["at"] = format_iso8601(e.at);
    if (!e.error.empty()) o["error"] = e.error;
    out.push_back(std::move(o));
  }
  return out;
}

std::size_t DeliveryLog::size() const {
  MutexLock lock(mu_);
  return entries_.size();
}

}  // namespace tributary::sim
