#include "sim/common/webhook_sender.h"

#include <spdlog/spdlog.h>

#include "http/client.h"

namespace tributary::sim {

struct WebhookSender::Job {
  OutboundWebhook webhook;
  std::shared_ptr<const RetrySchedule> schedule;
  std::size_t attempt = 1;
  // Set for send_once: the single attempt's outcome goes here instead of the retry logic.
  std::function<void(const http::ClientResponse&)> once_done;
  std::chrono::milliseconds once_timeout{0};
};

WebhookSender::WebhookSender(std::string tool, DeliveryLog& log, double retry_scale)
    : tool_(std::move(tool)), log_(log), retry_scale_(retry_scale), rng_(std::random_device{}()) {}

WebhookSender::~WebhookSender() {
  stop();
}

Status WebhookSender::start() {
  MutexLock lock(client_mu_);
  if (client_) return {};
  http::CurlClientOptions options;
  options.user_agent = "Tributary-Sim/" + tool_;
  client_ = std::make_unique<http::CurlClient>(std::move(options));
  stopping_ = false;
  {
    MutexLock tlock(timer_mu_);
    timer_stop_ = false;
  }
  timer_thread_ = std::thread([this] { timer_loop(); });
  return {};
}

void WebhookSender::stop() {
  stopping_ = true;
  {
    MutexLock lock(timer_mu_);
    timer_stop_ = true;
    pending_ -= std::min(pending_.load(), timers_.size());
    timers_.clear();
  }
  timer_cv_.notify_all();
  if (timer_thread_.joinable()) timer_thread_.join();
  std::unique_ptr<http::HttpClient> client;
  {
    MutexLock lock(client_mu_);
    client = std::move(client_);
  }
  // Destroying the client completes what is in flight (error "client stopped"); on_result sees stopping_.
  client.reset();
}

void WebhookSender::send(OutboundWebhook webhook, std::shared_ptr<const RetrySchedule> schedule) {
  auto job = std::make_shared<Job>();
  job->webhook = std::move(webhook);
  job->schedule = std::move(schedule);
  ++pending_;
  attempt(std::move(job));
}

void WebhookSender::send_once(OutboundWebhook webhook, std::chrono::milliseconds timeout,
                              std::function<void(const http::ClientResponse&)> done) {
  auto job = std::make_shared<Job>();
  job->webhook = std::move(webhook);
  job->once_done = std::move(done);
  job->once_timeout = timeout;
  ++pending_;
  attempt(std::move(job));
}

void WebhookSender::attempt(std::shared_ptr<Job> job) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = job->webhook.url;
  request.headers = job->webhook.headers;
  request.body = job->webhook.body;
  request.timeout = job->once_done ? job->once_timeout : job->schedule->timeout;
  Millis sent_at = now_ms();
  {
    MutexLock lock(client_mu_);
    if (client_ && !stopping_) {
      client_->send(std::move(request), [this, job, sent_at](http::ClientResponse response) {
        on_result(job, sent_at, response);
      });
      return;
    }
  }
  http::ClientResponse stopped;
  stopped.error = "simulator stopped";
  on_result(job, sent_at, stopped);
}

void WebhookSender::on_result(const std::shared_ptr<Job>& job, Millis sent_at,
                              const http::ClientResponse& response) {
  const auto& w = job->webhook;
  log_.record(
      DeliveryAttempt{w.url, w.event, w.delivery_id, response.status, job->attempt, sent_at, response.error});
  bool ok = response.status >= 200 && response.status < 300;
  std::size_t max_attempts = job->once_done ? 1 : job->schedule->max_attempts();
  if (response.status != 0) {
    spdlog::info("sim {}: {} {} → {} to {} (attempt {}/{})", tool_, w.event, w.delivery_id, response.status,
                 w.url, job->attempt, max_attempts);
  } else {
    spdlog::info("sim {}: {} {} → no response ({}) from {} (attempt {}/{})", tool_, w.event, w.delivery_id,
                 response.error, w.url, job->attempt, max_attempts);
  }
  if (job->once_done) {
    --pending_;
    job->once_done(response);
    return;
  }
  if (ok || stopping_) {
    --pending_;
    return;
  }
  if (job->attempt >= max_attempts || !job->schedule->should_retry ||
      !job->schedule->should_retry(response)) {
    --pending_;
    spdlog::info("sim {}: giving up on {} {} to {} after {} attempt(s)", tool_, w.event, w.delivery_id, w.url,
                 job->attempt);
    return;
  }
  ++job->attempt;
  double unit = 0.0;
  {
    MutexLock lock(timer_mu_);
    unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  auto delay = job->schedule->delay_before(job->attempt, retry_scale_, unit);
  schedule(delay, [this, job] { attempt(job); });
}

void WebhookSender::schedule(std::chrono::milliseconds delay, std::function<void()> task) {
  {
    MutexLock lock(timer_mu_);
    if (timer_stop_) {
      --pending_;
      return;
    }
    timers_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
  }
  timer_cv_.notify_all();
}

// The lock is held throughout except while a task runs.
void WebhookSender::timer_loop() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(timer_mu_);
      while (!task) {
        if (timer_stop_) return;
        if (timers_.empty()) {
          lock.wait(timer_cv_, [this]() REQUIRES(timer_mu_) { return timer_stop_ || !timers_.empty(); });
          continue;
        }
        auto due = timers_.begin()->first;
        if (std::chrono::steady_clock::now() < due) {
          // Until the first timer is due, or stop() or an earlier timer comes first.
          lock.wait_until(timer_cv_, due, [&]() REQUIRES(timer_mu_) {
            return timer_stop_ || timers_.empty() || timers_.begin()->first < due;
          });
          continue;
        }
        task = std::move(timers_.begin()->second);
        timers_.erase(timers_.begin());
      }
    }
    task();
  }
}

}  // namespace tributary::sim
