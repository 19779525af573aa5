// Sends a simulated tool's webhooks: asynchronously (the control API answers first, the webhook follows
// within milliseconds), through a CurlClient, retrying on the tool's schedule (scaled, see retry_schedule.h),
// and recording every attempt in the DeliveryLog and the log (spdlog info). Thread-safety: send()/send_once()
// from any thread after start(); start()/stop() from the owner. Completion callbacks run on the HTTP client's
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "core/log.h"
#include "core/mutex.h"
#include "core/result.h"
#include "sim/common/delivery_log.h"
#include "sim/common/retry_schedule.h"

namespace tributary::http {
class HttpClient;
struct ClientResponse;
}  // namespace tributary::http

namespace tributary::sim {

struct OutboundWebhook {
  std::string url;
  std::string event;        // for the log: "new_candidate_application", "person.created", "ping", …
  std::string delivery_id;  // the same across retries of one event
  HeaderList headers;
  std::string body;
};

class WebhookSender {
 public:
  WebhookSender(std::string tool, DeliveryLog& log, double retry_scale);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  Status start();
  // Cancels waiting retries; requests in flight complete with an error and are not retried. Idempotent.
  void stop();

  void send(OutboundWebhook webhook, std::shared_ptr<const RetrySchedule> schedule);
  // One attempt, never retried (a ping on save); `done` runs on the client's thread with the outcome.
  void send_once(OutboundWebhook webhook, std::chrono::milliseconds timeout,
                 std::function<void(const http::ClientResponse&)> done);

  // Deliveries not finished yet (in flight or waiting for a retry).
  std::size_t pending() const { return pending_.load(); }
  double retry_scale() const { return retry_scale_; }

 private:
  struct Job;
  void attempt(std::shared_ptr<Job> job);
  void on_result(const std::shared_ptr<Job>& job, Millis sent_at, const http::ClientResponse& response);
  void schedule(std::chrono::milliseconds delay, std::function<void()> task);
  void timer_loop();

  const std::string tool_;
  DeliveryLog& log_;
  const double retry_scale_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> stopping_{false};

  Mutex client_mu_;
  std::unique_ptr<http::HttpClient> client_ GUARDED_BY(client_mu_);

  Mutex timer_mu_;
  std::condition_variable timer_cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timers_ GUARDED_BY(timer_mu_);
  std::mt19937_64 rng_ GUARDED_BY(timer_mu_);
  bool timer_stop_ GUARDED_BY(timer_mu_) = false;
  std::thread timer_thread_;
};

}  // namespace tributary::sim
