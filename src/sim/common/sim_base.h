// Plumbing shared by every simulated tool: the HTTP server and router, the control API (/_sim/...) described
// in sim/simulator.h, the webhook sender and its delivery log. A tool derives from SimulatorBase, adds its
// vendor routes to router() in its constructor and implements the control hooks below.
//
// Control API answers: 200 {"remote_id": …} (plus tool-specific ids) for record changes; 404 for an unknown
// record, an unknown model or a model the tool does not cover; 400 with a reason for a bad body. Errors use
// the API's error envelope (http::error_response). Extra endpoints beyond simulator.h: GET /_sim/deliveries
// (every delivery attempt), GET /_sim/sender ({"pending": N}: webhooks queued by a change and not finished
// yet, in flight or waiting for a retry; a change's webhooks are counted before its control call answers),
// GET /_sim/{model} and GET /_sim/{model}/{remote_id} (the stored vendor representation), GET
// /_sim/permissions, and faults on every vendor route (every path outside /_sim): POST /_sim/faults
// {"unauthorized": bool, "rate_limit": {"count": N, "retry_after_seconds": S}} makes vendor requests answer
// 401 while `unauthorized` is set, and the next N of them 429 with `Retry-After: S` (unauthorized wins);
// {"window": {"requests": N, "window_ms": W}} answers a vendor request 429 (Retry-After: the seconds until
// one fits) when N requests already arrived in the last W ms (a sliding window, as a tool enforcing its API
// limit), and counts the most requests seen in any such window ("max_seen"), the requests refused
// ("rejected") and all of them ("total"); {"hold": "/path/prefix"} holds every vendor request whose path
// starts with the prefix unanswered until a later POST /_sim/faults no longer holds it (a gate: tests use it
// to have several clients inside the tool at once). GET /_sim/faults shows what is set, the window's counts
// (a new POST starts them again), "held" (requests held now) and "held_total" (requests held since start).
// The tool's API limits (sim/common/api_limits.h) apply to every vendor request on the API host, from start,
// after the faults: POST /_sim/limits {"requests": N, "window_ms": W, "concurrency": C} replaces them with
// one overall limit, {"enforce": false} switches them off, {"enforce": true} restores the documented ones
// (400 for anything else); GET /_sim/limits shows them, the requests counted ("total"), refused ("rejected")
// and in the tool now ("in_flight"; a POST starts the counts again). GET /_sim/secrets lists every secret the
// tool has issued ([{kind, value}]: signing secrets it chose, access tokens), for tests that search a node's
// logs and database for secrets in clear text. A tool shapes the error bodies through fault_unauthorized() /
// fault_rate_limited(). Thread-safety: start()/stop() from the owner; the hooks are called on server threads
// with no lock held and must guard the tool's state themselves.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/result.h"
#include "http/message.h"
#include "http/router.h"
#include "sim/common/api_limits.h"
#include "sim/common/delivery_log.h"
#include "sim/common/webhook_sender.h"
#include "sim/simulator.h"

namespace tributary::http {
class Server;
}

namespace tributary::sim {

// The unified models a simulator can cover.
inline constexpr std::string_view kUnifiedModels[] = {"hris_employees", "hris_absences", "ats_candidates",
                                                      "ats_jobs"};

http::Response error_reply(const Error& error);
http::Response json_reply(int status, const boost::json::value& body);
// Parses a request body that must be a JSON object; the error says why not (400).
Result<boost::json::object> parse_object_body(std::string_view body);

// The shape of every control-API record change: runs `change(events)` with `mu` held, collecting the webhooks
// the change causes, then, only when it succeeded, passes them to the tool's `fire` with the lock released
// (sending must not hold the tool's lock). `change` returns Result<boost::json::object>, the control answer;
// a lambda is declared `REQUIRES(mu_)`, the tool's mutex that is passed here as `mu`.
template <typename Sim, typename Event, typename Change>
Result<boost::json::object> change_then_fire(Sim* sim, void (Sim::*fire)(std::vector<Event>), Mutex& mu,
                                             Change&& change) {
  std::vector<Event> events;
  // Unchecked: the analysis cannot tell that `mu` is the member the change's REQUIRES names (it sees the
  // lambda's captured `this`, not the reference passed in), though `mu` is held here when `change` runs.
  Result<boost::json::object> r = [&]() NO_THREAD_SAFETY_ANALYSIS -> Result<boost::json::object> {
    MutexLock lock(mu);
    return change(events);
  }();
  if (r.ok()) (sim->*fire)(std::move(events));
  return r;
}

class SimulatorBase : public Simulator {
 public:
  ~SimulatorBase() override;
  Status start() override;
  std::uint16_t port() const override;
  void stop() override;
  std::string auth_base_url() const override;

 protected:
  SimulatorBase(std::string tool, SimOptions options, std::vector<std::string> models);

  virtual Result<boost::json::object> sim_create(std::string_view model,
                                                 const boost::json::object& fields) = 0;
  virtual Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                                 const boost::json::object& fields) = 0;
  virtual Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) = 0;
  virtual Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) = 0;
  virtual boost::json::array sim_list(std::string_view model) = 0;
  // ats_jobs publish/unpublish; the default answers 404.
  virtual Result<boost::json::object> sim_publish(std::string_view remote_id, bool live);
  virtual boost::json::array sim_subscriptions() = 0;
  // Manual tools: what the end customer does in the tool's UI. May answer later (after a ping); the default
  // answers 404 ("subscribes through its API").
  virtual void sim_register_webhook(const boost::json::object& body,
                                    std::function<void(Result<boost::json::object>)> done);

  // Error answers for the injected faults; the defaults are a generic JSON error. Called without any lock.
  virtual http::Response fault_unauthorized() const;
  virtual http::Response fault_rate_limited(int retry_after_seconds) const;

  http::Router& router() { return router_; }
  // The routes of the tool's separate authorization host; using it (in the constructor) makes start() open a
  // second listener for them, on an ephemeral port of the same address. Faults apply there too.
  http::Router& auth_router() {
    has_auth_host_ = true;
    return auth_router_;
  }
  WebhookSender& sender() { return *sender_; }
  DeliveryLog& deliveries() { return deliveries_; }
  const std::string& tool() const { return tool_; }
  // Whether the API key may manage webhooks (POST /_sim/permissions; granted at start). Tools answer their
  // webhook endpoints with their own "forbidden" error while it is withdrawn.
  bool webhooks_permitted() const { return webhooks_permission_.load(); }
  // "http://<Host header>" when the request names a plausible host, else base_url(): for absolute links.
  std::string public_base(const http::Request& request) const;
  // The API limits the tool documents, enforced on its API host (not on a separate authorization host) from
  // start; call in the constructor. Without a call: unpublished_tool_limits().
  void set_api_limits(ToolLimits limits) { limiter_.set_defaults(std::move(limits)); }
  // Records a secret the tool issued (shown by GET /_sim/secrets; the newest kMaxNotedSecrets are kept). May
  // be called with the tool's own mutex held.
  void note_secret(std::string kind, std::string value);

 private:
  void add_control_routes();
  std::unique_ptr<http::Server> listener(std::uint16_t port, int threads, http::Router& router);
  Status check_model(std::string_view model) const;
  // The injected fault for a vendor request, if one applies (a rate-limit fault is used up by it).
  std::optional<http::Response> take_fault(const http::Request& request);
  // Keeps a vendor request the hold fault applies to (true), to be dispatched to `router` on release.
  bool hold(http::Request& request, http::Responder& respond, http::Router& router);
  // Applies the API limits to a vendor request on the API host: answers it (true) when refused, else wraps
  // `respond` so that the answer carries the tool's rate-limit headers and the request counts as in the tool
  // until answered.
  bool limit(const http::Request& request, http::Responder& respond);
  // Dispatches the held requests the current hold no longer covers (all of them with `all`), or, with
  // `refuse`, answers them 503 (the simulator is stopping).
  void release_held(bool refuse);

  struct Faults {
    bool unauthorized = false;
    int rate_limit_count = 0;
    int retry_after_seconds = 0;
    int window_requests = 0;  // 0: no window enforced
    std::int64_t window_ms = 0;
    std::deque<std::int64_t> arrivals;  // monotonic ms of the requests inside the window
    int max_seen = 0;
    int rejected = 0;
    int total = 0;
    std::string hold_prefix;  // empty: nothing held
  };
  struct Held {
    http::Request request;
    http::Responder respond;
    http::Router* router = nullptr;
  };
  // The control API's handlers: POST and GET /_sim/{name}, then the routes of one record.
  void post_control(const std::string& name, const http::Request& req, http::Responder respond);
  http::Response set_permissions(const boost::json::object& body);
  http::Response set_faults(const boost::json::object& body);
  static boost::json::object faults_json(const Faults& faults, std::size_t held, std::uint64_t held_total);
  http::Response get_control(const std::string& name);
  void add_control_record_routes();

  struct IssuedSecret {
    std::string kind;
    std::string value;
  };
  static constexpr std::size_t kMaxNotedSecrets = 10000;

  std::atomic<bool> webhooks_permission_{true};
  Mutex secrets_mu_;
  std::deque<IssuedSecret> secrets_ GUARDED_BY(secrets_mu_);
  Mutex faults_mu_;
  Faults faults_ GUARDED_BY(faults_mu_);
  std::vector<Held> held_ GUARDED_BY(faults_mu_);
  std::uint64_t held_total_ GUARDED_BY(faults_mu_) = 0;

  const std::string tool_;
  const SimOptions options_;
  const std::vector<std::string> models_;
  DeliveryLog deliveries_;
  ApiLimiter limiter_;
  std::unique_ptr<WebhookSender> sender_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  bool has_auth_host_ = false;
  http::Router auth_router_;
  std::unique_ptr<http::Server> auth_server_;
};

}  // namespace tributary::sim
