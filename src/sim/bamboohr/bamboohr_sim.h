// The simulated BambooHR (HRIS; permissioned webhooks created through the API, beta): employees, time-off
// requests, the webhooks API and the signed pushes it sends.
//
// Auth: HTTP Basic with the API key as the user name and any password ("x"); a missing or malformed header
// answers 401 with `WWW-Authenticate: Basic realm="BambooHR"`. BambooHR reports errors in the
// `X-BambooHR-Error-Message` header; the body repeats it as {"error": message}.
//
// Webhooks API (https://documentation.bamboohr.com/docs/webhook-api-permissioned), under
// /api/gateway.php/{companyDomain}/v1 and, identically, under /api/v1 (trailing slash optional):
//   POST   /webhooks/  {name, url, format?: "json", monitorFields?: [alias…], postFields?: {alias: name},
//          events?: [...], frequency?, limit?} → 201 {id (a number), name, created, lastSent, monitorFields,
//          postFields, url, format, frequency, limit, events, privateKey}; `privateKey` is only in this
//          answer. 400 for a missing name or url, a non-http(s) url, an unknown field or event, event-based
//          and field-based events mixed, or no monitorFields where they are required (employee.updated,
//          field-based).
//   GET    /webhooks/ → {"webhooks": [{id, name, url}]}; GET /webhooks/{id} (without privateKey);
//   DELETE /webhooks/{id} → 200; 404 for unknown ids. GET /webhooks/monitor_fields → {"fields": [{id, name,
//   alias}]}. After POST /_sim/permissions {"webhooks": false} they answer 403 (the API user's access level
//   lacks webhooks); webhooks that exist keep firing.
//
// Deliveries: POST to the url with `X-BambooHR-Signature` = hex HMAC-SHA256(privateKey, rawBody +
// timestamp) and `X-BambooHR-Timestamp` = that timestamp (unix seconds). Two payloads
// (https://documentation.bamboohr.com/docs/event-based-webhooks, /docs/field-based-webhooks):
//   event-based (events employee.created|updated|deleted): one request per event {"type", "timestamp": ISO,
//     "data": {"companyId", "employeeId"[, "changedFields": [alias…]]}}; employee.updated fires only when a
//     monitored field changed (changedFields = those aliases), and a creation that sets monitored fields
//     fires employee.created then employee.updated.
//   field-based (no events, or employee_with_fields.*): {"employees": [{"action": "Created"|"Updated"|
//     "Deleted", "changedFields": [monitored aliases], "fields": {postFields name: value}, "id",
//     "timestamp"}]}; updates fire only when a monitored field changed.
// 4xx answers are final; 5xx and no answer are retried 5 times after 5, 10, 20, 40 and 80 min (scaled), with
// the same body and headers. Time off fires nothing (BambooHR has no time-off webhooks).
//
// Records (https://{companyDomain}.bamboohr.com), as BambooHR's OpenAPI document (BambooHR/bhr-api-python,
// specs/public.yaml) describes them: GET /api/v1/employees (`page[limit]` ≤ 2500, default 250; `page[after]`
// = meta.page.nextCursor; `fields` adds only the optional contact/job fields of list-employees and ignores
// every other name) → {"data": [{"employeeId", "firstName", "lastName", "preferredName", "photoUrl",
// "jobTitleName", "status", <optional fields>}], "meta": {"total", "page": {"limit", "nextCursor" (null on
// the last page), "prevCursor"}}, "_links": {"self", "next"?}}. GET /api/v1/employees/{id}?fields=… → {"id",
// <requested fields>} (without `fields` only the id); 404 unknown. GET /api/v1/employees/changed?since=<ISO>
// (required) → {"latest", "employees": {"<id>": {"id", "action": Inserted|Updated|Deleted, "lastChanged"}}}
// for every employee created, changed or deleted at or after `since`, unpaginated. GET
// /api/v1/time_off/requests?start=YYYY-MM-DD&end=YYYY-MM-DD (both required; employeeId, status, type
// optional) → a bare array of requests overlapping [start, end], unpaginated. GET /api/v1/employees/directory
// (bhr-api-python docs/EmployeesApi.md get_employees_directory, docs/JsonDirectoryEmployee.md) → {"fields":
// [{id, type, name}], "employees": [{<field id>: value}]}, current (Active) employees only unless
// onlyCurrent=false; 404 when empty. Every record read is served under the legacy gateway
// /api/gateway.php/{companyDomain}/v1 as well, which clients such as n8n's BambooHR node call.
//
// Control API keys: hris_employees first_name, last_name, preferred_name, work_email, personal_email,
// job_title, department, division, location, start_date, termination_date, employee_number, status
// (ACTIVE|INACTIVE); hris_absences employee_id|employee_remote_id (required on create), start_date, end_date,
// status (REQUESTED|APPROVED|DECLINED|CANCELLED → requested, approved, denied, canceled), type_name, note.
//
// Remote ids: employees are integers from 40001, requests from 9001 (both rendered as strings), webhooks
// numbers from 1. Thread-safety: every hook and route locks mu_; webhooks are sent after the lock is
// released.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::bamboohr {

std::unique_ptr<Simulator> make_bamboohr_simulator(SimOptions options);
// The delivery retry schedule described above (unscaled).
std::shared_ptr<const RetrySchedule> retry_schedule();
// An error the way BambooHR reports one: the status, X-BambooHR-Error-Message and {"error": message}.
http::Response bamboohr_error(int status, std::string_view message);

class BambooHrSimulator final : public SimulatorBase {
 public:
  explicit BambooHrSimulator(SimOptions options);
  ~BambooHrSimulator() override;

 protected:
  Result<boost::json::object> sim_create(std::string_view model, const boost::json::object& fields) override;
  Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                         const boost::json::object& fields) override;
  Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) override;
  Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) override;
  boost::json::array sim_list(std::string_view model) override;
  boost::json::array sim_subscriptions() override;

 private:
  struct Webhook {
    std::string id;
    std::string name;
    std::string url;
    std::string format = "json";
    std::vector<std::string> monitor_fields;
    boost::json::object post_fields;  // alias → the name it is posted under
    std::vector<std::string> events;  // event-based when non-empty
    boost::json::value frequency;
    boost::json::value limit;
    std::string private_key;
    Millis created_at = 0;
    Millis last_sent = 0;
  };
  struct Change {
    std::string action;  // "Created", "Updated", "Deleted"
    std::string employee_id;
    std::vector<std::string> changed;  // aliases
    boost::json::object employee;      // the record after the change (before it, for a delete)
  };

  // Caller holds mu_.
  // sim_create per model: the new record's id; a new employee adds its change to `out`.
  Result<std::string> create_employee(Millis now, const boost::json::object& fields, std::vector<Change>& out)
      REQUIRES(mu_);
  Result<std::string> create_request(Millis now, const boost::json::object& fields) REQUIRES(mu_);
  Result<std::vector<std::string>> apply_employee(StoredRecord& rec, const boost::json::object& fields)
      REQUIRES(mu_);
  Status apply_request(StoredRecord& rec, const boost::json::object& fields) REQUIRES(mu_);
  boost::json::object webhook_json(const Webhook& w, bool with_key) const REQUIRES(mu_);
  Webhook* find_webhook(std::string_view id) REQUIRES(mu_);
  // 401 / 403 for the webhooks API; nullopt when the request may use it.
  std::optional<http::Response> webhooks_gate(const http::Request& request) const REQUIRES(mu_);

  void fire(std::vector<Change> changes) EXCLUDES(mu_);

  void add_webhook_routes();
  void add_webhook_routes_at(const std::string& base);
  http::Response create_webhook(const http::Request& req);
  static Result<Webhook> webhook_from(const boost::json::object& body);
  // The record reads (bamboohr_records.cc), one handler per list.
  void add_record_routes();
  http::Response list_employees(const http::Request& req);
  http::Response list_changed_employees(const http::Request& req);
  http::Response list_time_off_requests(const http::Request& req);
  http::Response employee_directory(const http::Request& req);

  mutable Mutex mu_;
  std::int64_t next_employee_id_ GUARDED_BY(mu_) = 40001;
  std::int64_t next_request_id_ GUARDED_BY(mu_) = 9001;
  std::int64_t next_webhook_id_ GUARDED_BY(mu_) = 1;
  RecordStore employees_ GUARDED_BY(mu_);
  RecordStore requests_ GUARDED_BY(mu_);
  std::vector<Webhook> webhooks_ GUARDED_BY(mu_);
  std::map<std::string, Millis> deleted_employees_ GUARDED_BY(mu_);  // id → when, for /employees/changed
};

// True when the request carries well-formed Basic credentials with a non-empty user (the API key).
bool basic_auth_ok(const http::Request& request);

}  // namespace tributary::sim::bamboohr
