// The node's API budgets, one per integration (core/api_budget.h), handed to every ApiContext built for
// the integration (pipeline::api_context), so targeted fetches, syncs, reconciles and subscription checks
// share it. The limits are the integration's own (`rate_limit`) or else its connector's declared ones, and
// follow an override as soon as a context is built after it. On PostgreSQL the windows are kept in the
// database (store/api_budgets_repo.h), so every node of the database shares one per integration; on SQLite
// (one node) in memory. Thread-safety: every method from any thread.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "core/api_budget.h"
#include "core/mutex.h"
#include "store/pool.h"

namespace tributary::pipeline {

class Budgets {
 public:
  // Windows in memory (one node).
  explicit Budgets(const Clock& clock = SystemClock::instance());
  // Windows in the database of `pool`, shared by every node on it.
  explicit Budgets(store::Pool& pool, const Clock& clock = SystemClock::instance());
  ~Budgets();

  std::shared_ptr<Budget> for_integration(const std::string& integration_id, const ApiLimits& limits);
  // The budget of one of the tool's per-endpoint limits for the integration. Kept on this node (in memory,
  // also on PostgreSQL): the limits tools put on single endpoints are concurrency limits, which are per node
  // like the integration's own.
  std::shared_ptr<Budget> for_endpoint(const std::string& integration_id, const EndpointLimit& limit);
  // The budget's figures, when it has been used on this node.
  std::optional<BudgetStats> stats(const std::string& integration_id) const;
  std::vector<std::pair<std::string, BudgetStats>> all() const;

 private:
  std::unique_ptr<GrantLog> log_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<Budget>> budgets_ GUARDED_BY(mu_);
  MemoryGrantLog endpoint_log_;
  std::map<std::string, std::shared_ptr<Budget>> endpoint_budgets_ GUARDED_BY(mu_);
};

// The limits an integration's calls are held to: its rate_limit when set (and readable), else the
// connector's declared api_limits().
ApiLimits effective_limits(const connectors::Connector& connector,
                           const std::optional<std::string>& rate_limit);

// Reads and checks an integration's `rate_limit` as the API receives it: an object with "requests" (1 ..
// 100000) and "window_ms" (1 .. 3600000), and optionally "concurrency" (1 .. 1000; absent: the connector's
// declared concurrency). The message names what is wrong.
Result<ApiLimits> parse_rate_limit(const boost::json::value& value, const ApiLimits& declared);
// {"requests", "window_ms", "concurrency"} for the API and the stored column.
boost::json::object rate_limit_json(const ApiLimits& limits);

}  // namespace tributary::pipeline
