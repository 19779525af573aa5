// The simulated Workable (ATS with HR: SPI v3, webhooks subscribed through the API): candidates, jobs,
// employees and time-off requests, the subscriptions API and the signed resource pushes it sends.
//
// Auth: every /spi/v3 route needs `Authorization: Bearer <token>` (any non-empty token: an account token);
// otherwise 401 {"error": "Not authorized"}. Errors are Workable's {"error": "<message>"}.
//
// Subscriptions (https://workable.readme.io/reference/webhook-subscriptions-candidates-employees):
// POST /spi/v3/subscriptions {target, event, args?} → 201 {"id" (integer), "target", "event", "valid_until",
// "created_at", "stage_slug", "job_shortcode"}; one event per subscription; 400 for a missing target or
// event, 422 for an unknown event, a non-http(s) target, args without job_shortcode and stage_slug, or args
// filtering a non-candidate event (args only filter candidate events: {account_id?, job_shortcode,
// stage_slug}, "" = all), 409 when the target URL is already subscribed
// (https://workable.readme.io/reference/webhook-subscriptions). GET /spi/v3/subscriptions →
// {"subscriptions": [...]}; DELETE /spi/v3/subscriptions/{id} → 200 {} (404 unknown). After POST
// /_sim/permissions
// {"webhooks": false} these answer 403 {"error": "Forbidden"} (the token lacks the scope); subscriptions that
// exist keep firing.
//
// Deliveries: POST to the target with {"id": <resource id>, "resource_type", "event_type", "fired_at",
// "data": <the resource as it is when sent>} (https://workable.readme.io/reference/employee-events),
// `X-Workable-Signature` = hex HMAC-SHA256(key, raw body) where the key is the account token that created the
// subscription (https://workable.readme.io/reference/webhooks). Workable wants 200; any other answer (4xx
// included) or none is replayed (the shared WebhookSender counts every 2xx as delivered). The schedule is
// undocumented: we retry after 1, 5, 15, 60 and 240 min (scaled) with the same body.
//   ats_candidates create → candidate_created; update of `stage` → candidate_moved (resource_type
//     "candidate"; args filter on job_shortcode and stage_slug); delete → nothing (no such subscribable
//     event; subscribing to candidate_deleted answers 422).
//   hris_employees create → employee_created; update → employee_updated (resource_type "employee").
//   hris_absences create / update / delete → timeoff_updated: resource_type "employee", id = the employee,
//     data = {"id": employee id, "timeoff_request": <the request>} (our reading: the docs list the resource
//     of timeoff_updated as Employee without an example).
//   ats_jobs fire nothing (Workable has no job events).
//
// Records: GET /spi/v3/candidates and /spi/v3/jobs (limit ≤ 100, default 50; since_id, created_after,
// updated_after; candidates also email, shortcode, stage; jobs also state) → {"candidates"|"jobs": [...],
// "paging": {"next": absolute URL}} with `paging` absent on the last page; GET /spi/v3/candidates/{id} →
// {"candidate": {...}}; GET /spi/v3/jobs/{shortcode} → the job object. GET /spi/v3/employees (limit default
// 10, offset) → {"totalCount", "employees"}; GET /spi/v3/employees/{id} → the employee. GET
// /spi/v3/timeoff/requests (from_date required; employee_id required, as for every account token; to_date,
// states) → {"requests"}: requests overlapping [from_date, to_date], without the employee id (as Workable
// renders them).
//
// Control API keys: ats_candidates first_name, last_name, email, phone, headline, job_id|job_remote_id (a
// shortcode), stage, disqualified; ats_jobs name, status (OPEN|CLOSED|DRAFT|ARCHIVED → published, closed,
// draft, archived), department, code (no publish/unpublish: Workable has no job events); hris_employees
// first_name, last_name, work_email, personal_email, job_title, department, start_date, employee_number;
// hris_absences employee_id|employee_remote_id (required on create), start_date, end_date, status
// (REQUESTED|APPROVED|DECLINED|CANCELLED), type_name.
//
// Remote ids are lower-case hex strings from one counter (candidates, employees, requests never share one);
// job shortcodes are upper-case hex. Thread-safety: every hook and route locks mu_; webhooks are sent after
// the lock is released.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::workable {

std::unique_ptr<Simulator> make_workable_simulator(SimOptions options);
// The delivery retry schedule described above (unscaled).
std::shared_ptr<const RetrySchedule> retry_schedule();
// Workable's error body {"error": message}.
http::Response workable_error(int status, std::string_view message);

class WorkableSimulator final : public SimulatorBase {
 public:
  explicit WorkableSimulator(SimOptions options);
  ~WorkableSimulator() override;

 protected:
  Result<boost::json::object> sim_create(std::string_view model, const boost::json::object& fields) override;
  Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                         const boost::json::object& fields) override;
  Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) override;
  Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) override;
  boost::json::array sim_list(std::string_view model) override;
  boost::json::array sim_subscriptions() override;

 private:
  struct Subscription {
    std::int64_t id = 0;
    std::string target;
    std::string event;
    boost::json::object args;
    std::string key;  // the account token that created it: the signing key
    Millis created_at = 0;
  };
  struct Pending {
    std::string event;
    std::string resource_type;
    std::string id;
    boost::json::object data;
  };

  // Caller holds mu_.
  std::string next_id() REQUIRES(mu_);
  RecordStore* store_for(std::string_view model) REQUIRES(mu_);
  Result<boost::json::object> apply_candidate(StoredRecord& rec, const boost::json::object& fields,
                                              bool* moved) REQUIRES(mu_);
  Result<boost::json::object> apply_job(StoredRecord& rec, const boost::json::object& fields) REQUIRES(mu_);
  Result<boost::json::object> apply_employee(StoredRecord& rec, const boost::json::object& fields)
      REQUIRES(mu_);
  Result<boost::json::object> apply_request(StoredRecord& rec, const boost::json::object& fields)
      REQUIRES(mu_);
  // sim_create per model; all but a job add the webhook the creation causes to `out`.
  Result<boost::json::object> create_job(const std::string& id, Millis now, const boost::json::object& fields)
      REQUIRES(mu_);
  Status create_candidate(const std::string& id, Millis now, const boost::json::object& fields,
                          std::vector<Pending>& out) REQUIRES(mu_);
  Status create_employee(const std::string& id, Millis now, const boost::json::object& fields,
                         std::vector<Pending>& out) REQUIRES(mu_);
  Status create_request(const std::string& id, Millis now, const boost::json::object& fields,
                        std::vector<Pending>& out) REQUIRES(mu_);
  Pending timeoff_event(const StoredRecord& request) const REQUIRES(mu_);
  boost::json::object subscription_json(const Subscription& s) const REQUIRES(mu_);

  void fire(std::vector<Pending> events) EXCLUDES(mu_);

  void add_subscription_routes();
  http::Response create_subscription(const http::Request& req);
  // The record reads (workable_records.cc): the ATS side (candidates, jobs), then the HRIS side.
  void add_record_routes();
  // Unchecked: binds each route to a store by reference without reading it (the handler reads it under
  // mu_), which the analysis counts as an access.
  void add_ats_record_routes() NO_THREAD_SAFETY_ANALYSIS;
  void add_hris_record_routes();
  http::Response list_records(const http::Request& req, const RecordStore& store, const std::string& key,
                              const std::string& path);
  http::Response list_employees(const http::Request& req);
  http::Response list_timeoff_requests(const http::Request& req);

  mutable Mutex mu_;
  std::uint64_t next_id_ GUARDED_BY(mu_) = 0x3a1c0;
  std::int64_t next_subscription_id_ GUARDED_BY(mu_) = 1;
  RecordStore candidates_ GUARDED_BY(mu_);
  RecordStore jobs_ GUARDED_BY(mu_);  // keyed by shortcode
  RecordStore employees_ GUARDED_BY(mu_);
  RecordStore requests_ GUARDED_BY(mu_);  // data carries a private "_employee_id"
  std::vector<Subscription> subscriptions_ GUARDED_BY(mu_);
};

// A stored time-off request as the API renders it (without the private employee id).
boost::json::object public_request(const boost::json::object& data);

}  // namespace tributary::sim::workable
