#include "pipeline/budgets.h"

#include "core/json.h"
#include "store/api_budgets_repo.h"

namespace tributary::pipeline {
namespace bj = boost::json;
namespace {

// Grants counted in the database: one short transaction per grant on a pooled connection.
class DatabaseGrantLog final : public GrantLog {
 public:
  explicit DatabaseGrantLog(store::Pool& pool) : pool_(pool) {}
  Result<Millis> try_grant(const std::string& key, int requests, Millis window_ms, Millis now) override {
    auto lease = pool_.acquire();
    if (!lease) return lease.error();
    return store::api_budgets::try_grant(**lease, key, requests, window_ms, now);
  }
  Status pause(const std::string& key, Millis until) override {
    auto lease = pool_.acquire();
    if (!lease) return lease.error();
    return store::api_budgets::pause(**lease, key, until);
  }

 private:
  store::Pool& pool_;
};

std::optional<int> bounded(const bj::object& o, std::string_view key, std::int64_t max) {
  const bj::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64()) return std::nullopt;
  const std::int64_t n = v->get_int64();
  if (n < 1 || n > max) return std::nullopt;
  return static_cast<int>(n);
}

}  // namespace

Budgets::Budgets(const Clock& clock) : log_(std::make_unique<MemoryGrantLog>()), clock_(clock) {}
Budgets::Budgets(store::Pool& pool, const Clock& clock)
    : log_(std::make_unique<DatabaseGrantLog>(pool)), clock_(clock) {}
Budgets::~Budgets() = default;

std::shared_ptr<Budget> Budgets::for_integration(const std::string& integration_id, const ApiLimits& limits) {
  MutexLock lock(mu_);
  auto& budget = budgets_[integration_id];
  if (!budget) {
    budget = std::make_shared<Budget>(integration_id, limits, *log_, clock_);
    budget->set_jitter_guard(true);
  } else {
    budget->set_limits(limits);
  }
  return budget;
}

std::shared_ptr<Budget> Budgets::for_endpoint(const std::string& integration_id, const EndpointLimit& limit) {
  ApiLimits limits;
  limits.requests = limit.requests;
  limits.window_ms = limit.window_ms;
  limits.concurrency = limit.concurrency;
  const std::string key = integration_id + " " + limit.method + " " + limit.path;
  MutexLock lock(mu_);
  auto& budget = endpoint_budgets_[key];
  if (!budget) {
    budget = std::make_shared<Budget>(key, limits, endpoint_log_, clock_);
    budget->set_jitter_guard(true);
  } else {
    budget->set_limits(limits);
  }
  return budget;
}

std::optional<BudgetStats> Budgets::stats(const std::string& integration_id) const {
  std::shared_ptr<Budget> budget;
  {
    MutexLock lock(mu_);
    auto it = budgets_.find(integration_id);
    if (it == budgets_.end()) return std::nullopt;
    budget = it->second;
  }
  return budget->stats();
}

std::vector<std::pair<std::string, BudgetStats>> Budgets::all() const {
  std::vector<std::shared_ptr<Budget>> budgets;
  {
    MutexLock lock(mu_);
    for (const auto& [id, budget] : budgets_)
      budgets.push_back(budget);
  }
  std::vector<std::pair<std::string, BudgetStats>> out;
  for (const auto& budget : budgets)
    out.emplace_back(budget->key(), budget->stats());
  return out;
}

Result<ApiLimits> parse_rate_limit(const bj::value& value, const ApiLimits& declared) {
  if (!value.is_object())
    return make_error(ErrorKind::kInvalidArgument, "rate_limit must be an object or null");
  const bj::object& o = value.get_object();
  for (const auto& [k, v] : o) {
    if (k != "requests" && k != "window_ms" && k != "concurrency")
      return make_error(ErrorKind::kInvalidArgument, "rate_limit has an unknown field: " + std::string(k));
  }
  auto requests = bounded(o, "requests", 100000);
  if (!requests)
    return make_error(ErrorKind::kInvalidArgument, "rate_limit.requests must be an integer from 1 to 100000");
  auto window = bounded(o, "window_ms", 3600000);
  if (!window)
    return make_error(ErrorKind::kInvalidArgument,
                      "rate_limit.window_ms must be an integer from 1 to 3600000");
  ApiLimits limits = declared;
  limits.requests = *requests;
  limits.window_ms = *window;
  if (o.contains("concurrency")) {
    auto concurrency = bounded(o, "concurrency", 1000);
    if (!concurrency)
      return make_error(ErrorKind::kInvalidArgument,
                        "rate_limit.concurrency must be an integer from 1 to 1000");
    limits.concurrency = *concurrency;
  }
  return limits;
}

bj::object rate_limit_json(const ApiLimits& limits) {
  bj::object o;
  o["requests"] = limits.requests;
  o["window_ms"] = limits.window_ms;
  o["concurrency"] = limits.concurrency;
  return o;
}

ApiLimits effective_limits(const connectors::Connector& connector,
                           const std::optional<std::string>& rate_limit) {
  ApiLimits declared = connector.api_limits();
  if (!rate_limit) return declared;
  auto parsed = json::parse(*rate_limit);
  if (!parsed) return declared;
  auto limits = parse_rate_limit(*parsed, declared);
  return limits ? *limits : declared;
}

}  // namespace tributary::pipeline
