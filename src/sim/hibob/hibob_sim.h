// The simulated HiBob (HRIS, webhooks v2 configured by the customer in Bob's UI): employees, time-off
// requests, webhooks created "in the UI" through POST /_sim/webhooks, and the people / time-off API.
//
// Webhooks (what the customer does in Settings › Integrations › Webhooks): POST /_sim/webhooks {url,
// event_types?} stores the webhook with a secret Bob generates, and validates the connection the way Bob
// does (https://apidocs.hibob.com/docs/working-with-webhooks): it POSTs the text "Ping test"; when that does
// not get a 2xx it POSTs {"text":"Ping test"}; the webhook is active only when one of them got a 2xx. The
// answer comes after the ping: {"id", "secret", "active", "ping_status"}. Pings are signed like events.
// `event_types` defaults to every event below. POST /_sim/permissions {"webhooks": false} suppresses every
// event delivery (pings still go out) until it is set back to true.
//
// Events (v2, https://apidocs.hibob.com/reference/time-off-events-v2): {"companyId", "type", "triggeredBy",
// "triggeredAt" ("2024-10-03T09:29:00.831502", no zone), "version": "v2", "data"}, only to active webhooks
// whose event types include the type:
//   hris_employees create → employee.created {employeeId}; update → employee.updated {employeeId,
//     fieldUpdates: [{"fieldId": "root.firstName"}, …]} (field ids of what changed; the entry shape is our
//     reading); delete → employee.deleted {employeeId}.
//   hris_absences create → timeoff.request.requested (then timeoff.request.approved when created APPROVED,
//     as Bob does for auto-approved requests); a status change → timeoff.request.approved | declined |
//     cancelled; a date or type change → timeoff.request.updated; delete → timeoff.request.deleted. Data:
//     {timeoffRequestId (number), employeeId, getApi (absolute URL of the request)}.
// Header `Bob-Signature` = base64(HMAC-SHA512(secret, raw body)). Any answer but a 2xx, or none, is retried
// after 1, 5, 30 min, 2, 12, 24 and 24 h (scaled): Bob documents "retries for up to 3 days"; the spacing is
// our reading. Timeout 10 s.
//
// API (HTTP Basic service_user_id:token, any non-empty pair; 401 {"error": …} otherwise):
//   POST /v1/people/search {fields?: ["root.id", "work.title", …], filters?: [{fieldPath: "root.id" |
//     "root.email", operator: "equals", values: [...]}], showInactive?: false} → {"employees": [...]},
//     unpaginated; inactive employees only with showInactive.
//   POST /v1/people/{id} {fields?} → the employee; 404 unknown.
//   Employees: {id, firstName, surname, displayName, email, companyId, work: {title, department, startDate,
//     site}, internal: {status: "Active"|"Inactive", lifecycleStatus}, creationDate}; `fields` keeps only the
//     named paths ("root.x" is the top-level x) plus id.
//   GET /v1/timeoff/requests/changes?since=ISO[&to=ISO][&includePending=true] (since required; at most 6
//     months back without `to`; `to` after `since`, at most 6 months later) → {"changes": [{changeType
//     ("Created" for a new snapshot, "Deleted" when declined, cancelled or deleted), employeeId,
//     employeeDisplayName, employeeEmail, requestId, policyTypeDisplayName, type: "days", startDate,
//     startPortion, endDate, endPortion}]} (only keys of HiBob's schema); pending submissions only with
//     includePending.
//   GET /v1/timeoff/employees/{employeeId}/requests/{requestId} → {requestId, employeeId,
//   policyTypeDisplayName,
//     type, requestRangeType, startDate, startDatePortion, endDate, endDatePortion, status ("pending" |
//     "approved" | "declined" | "canceled"), description, createdOn}; 404 unknown or another employee's.
//
// Control API keys: hris_employees first_name, last_name, work_email, job_title, department, start_date,
// status (ACTIVE|INACTIVE); hris_absences employee_id|employee_remote_id (required on create), start_date,
// end_date, status (REQUESTED|APPROVED|DECLINED|CANCELLED), type_name, note.
//
// Remote ids: employees are 19-digit numeric strings, time-off requests integers from 24587001 (as strings in
// the control API). Thread-safety: every hook and route locks mu_; webhooks are sent after the lock is
// released.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::hibob {

std::unique_ptr<Simulator> make_hibob_simulator(SimOptions options);
// The delivery retry schedule described above (unscaled).
std::shared_ptr<const RetrySchedule> retry_schedule();
// Bob-Signature for a body: base64(HMAC-SHA512(secret, body)).
std::string signature(std::string_view secret, std::string_view body);

class HiBobSimulator final : public SimulatorBase {
 public:
  explicit HiBobSimulator(SimOptions options);
  ~HiBobSimulator() override;

 protected:
  Result<boost::json::object> sim_create(std::string_view model, const boost::json::object& fields) override;
  Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                         const boost::json::object& fields) override;
  Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) override;
  Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) override;
  boost::json::array sim_list(std::string_view model) override;
  boost::json::array sim_subscriptions() override;
  void sim_register_webhook(const boost::json::object& body,
                            std::function<void(Result<boost::json::object>)> done) override;

 private:
  struct Hook {
    std::string id;
    std::string url;
    std::string secret;
    std::vector<std::string> event_types;
    bool active = false;
    Millis created_at = 0;
  };
  struct Pending {
    std::string type;
    boost::json::object data;
  };

  // Caller holds mu_.
  // sim_create per model: the new record's id; the webhooks the creation causes go to `out`.
  Result<std::string> create_employee(Millis now, const boost::json::object& fields,
                                      std::vector<Pending>& out) REQUIRES(mu_);
  Result<std::string> create_request(Millis now, const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<std::vector<std::string>> apply_employee(StoredRecord& rec, const boost::json::object& fields)
      REQUIRES(mu_);
  Result<std::vector<std::string>> apply_request(StoredRecord& rec, const boost::json::object& fields)
      REQUIRES(mu_);
  Pending timeoff_event(std::string type, const StoredRecord& request) const REQUIRES(mu_);
  void log_change(std::string_view change_type, const StoredRecord& request) REQUIRES(mu_);

  void ping(const Hook& hook, bool json_form, std::function<void(Result<boost::json::object>)> done);
  void fire(std::vector<Pending> events) EXCLUDES(mu_);
  // The public API (hibob_api.cc): people, then time off.
  void add_api_routes();
  void add_people_routes();
  void add_timeoff_routes();
  http::Response search_people(const http::Request& req);
  http::Response list_timeoff_changes(const http::Request& req);

  mutable Mutex mu_;
  std::uint64_t next_employee_id_ GUARDED_BY(mu_) = 3332883804594370001ULL;
  std::int64_t next_request_id_ GUARDED_BY(mu_) = 24587001;
  std::int64_t next_hook_id_ GUARDED_BY(mu_) = 1;
  RecordStore employees_ GUARDED_BY(mu_);
  RecordStore requests_ GUARDED_BY(mu_);
  // One entry of the time-off change log: what GET /v1/timeoff/requests/changes answers (only the keys of
  // HiBob's schema), and what the simulator filters it by, kept beside it.
  struct TimeOffChange {
    Millis at = 0;
    bool pending = false;  // a submission not yet approved: listed only with includePending
    boost::json::object entry;
  };
  std::vector<TimeOffChange> changes_ GUARDED_BY(mu_);  // bounded
  std::vector<Hook> hooks_ GUARDED_BY(mu_);
};

}  // namespace tributary::sim::hibob
