// The reconciler makes each integration's subscriptions match its scope config: exactly the vendor event
// types that feed enabled models when upstream webhooks are on, none otherwise. API tools are subscribed and
// unsubscribed through the tool's API (a 403 becomes `missing_permission` with the message for the end
// customer; other failures `failed`, retried with backoff); manual tools get a subscription row with setup
// instructions and, where we choose it, a generated secret. Deleting an integration removes its remote
// subscriptions first. It runs when an integration is created, changed or deleted (notify), at start-up, and
// re-checks each integration every recheck_interval_ms (`reconcile.interval`, hourly by default).
// Thread-safety: start()/stop() from the owner; notify() from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "connectors/registry.h"
#include "core/mutex.h"
#include "core/secret_box.h"
#include "core/wakeup.h"
#include "http/client.h"
#include "pipeline/budgets.h"
#include "store/integrations_repo.h"
#include "store/pool.h"
#include "store/writer.h"

namespace tributary::subscriptions {

struct ReconcilerOptions {
  std::string public_url;  // base of ingress URLs
  std::chrono::milliseconds api_timeout{15000};
  // The node's API budgets, which every call to a tool takes its grant from (null: unlimited).
  pipeline::Budgets* budgets = nullptr;
  Millis recheck_interval_ms = 3600 * 1000;
  Millis retry_base_ms =
      60 * 1000;  // first retry of a failed subscription; doubles up to recheck_interval_ms
};

std::string ingress_url(const std::string& public_url, const std::string& tool, const std::string& token);

class Reconciler {
 public:
  Reconciler(store::Pool& pool, store::Writer& writer, const connectors::Registry& registry,
             const SecretBox& secrets, http::HttpClient& client, ReconcilerOptions options);
  ~Reconciler();

  void start();
  void stop();
  void notify() { wakeup_.notify(); }

  // Reconciles one integration now, on the caller's thread (API changes, "reconcile now", tests). Failed and
  // missing-permission subscriptions are retried at once, without waiting for their backoff: the operator
  // asked.
  Status reconcile(const std::string& integration_id);
  std::uint64_t runs() const { return runs_.load(); }

 private:
  void run();
  Status reconcile_row(const store::IntegrationRow& integration, bool retry_now);

  store::Pool& pool_;
  store::Writer& writer_;
  const connectors::Registry& registry_;
  const SecretBox& secrets_;
  http::HttpClient& client_;
  ReconcilerOptions options_;
  Wakeup wakeup_;
  std::thread thread_;
  Mutex reconcile_mu_;  // one reconcile at a time (thread and "reconcile now")
  std::atomic<std::uint64_t> runs_{0};
};

}  // namespace tributary::subscriptions
