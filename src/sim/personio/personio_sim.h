// The simulated Personio (HRIS, API v2, webhooks subscribed through the API): persons with one employment
// each, absence periods, the webhooks API and the dataless notifications it sends.
//
// Auth: POST /v2/auth/token (form grant_type=client_credentials, client_id, client_secret; any non-empty
// values) → {access_token, token_type "Bearer", expires_in 86400, scope}. Every other /v2 route needs that
// bearer token (401 otherwise). Webhooks API: POST /v2/webhooks {url, description?, enabled_events[], status?
// ("ENABLED"|"DISABLED", default DISABLED), auth_type? ("TOKEN" default |"NONE"), token?} → 201 {id (uuid),
// url, description, enabled_events, status, auth_type, token (generated when TOKEN and none given),
// created_at, updated_at}; 400 for a missing url or enabled_events, 422 for a bad url, an unknown event,
// status or auth_type, 409 for a url already subscribed. GET /v2/webhooks (list), GET/PATCH/DELETE
// /v2/webhooks/{id} (204 on delete, 404 unknown). After POST /_sim/permissions {"webhooks": false} these
// answer 403 ("missing scope personio:webhooks:write|read"); webhooks that already exist keep firing (the
// subscription still exists in Personio). Errors use Personio's v2 shape {"personio_trace_id", "timestamp",
// "errors": [{"title", "detail", "type"}]}.
//
// Deliveries (dataless): {"company_id", "event_name", "occurred_at", "payload": {"id"}} with the webhook's
// token verbatim in `Authorization` (auth_type TOKEN), only for ENABLED webhooks whose enabled_events include
// the event.
//   hris_employees create → person.created; update → person.updated only when first/last/preferred name,
//     gender, language, email or custom attributes change (job title, status, dates fire nothing); delete →
//     person.deleted.
//   hris_absences create → absence-period.created; update of the dates or half days →
//     absence-period.updated.timerange; of the status → absence-period.updated.status; delete →
//     absence-period.deleted.
// Retries on no answer or 5xx other than 501, up to 6 attempts, after 1 min, 5 min, 30 min, 2 h and 12 h
// (scaled; Personio documents only "up to 6 attempts over days": the spacing is our reading).
//
// Records API: GET /v2/persons (limit ≤ 50, default 10), /v2/persons/{id}, /v2/persons/{id}/employments,
// /v2/absence-periods (limit ≤ 100, default 10; no /{id}: one period is read through the `id` filter); lists
// are
// {"_data": [...], "_meta": {"links": {"self": {"href"}, "next": {"href": absolute URL}}}} with `next` absent
// on the last page; filters updated_at.gt (persons), updated_at.gte (absence periods), id, email, person.id.
//
// Remote ids: persons are integers from 1000001 (rendered as strings, as Personio v2 does); employments,
// absence periods and webhooks are UUIDs. Thread-safety: every hook and route locks mu_; webhooks are sent
// after the lock is released.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "sim/common/access_tokens.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::personio {

std::unique_ptr<Simulator> make_personio_simulator(SimOptions options);
// The delivery retry schedule described above (unscaled).
std::shared_ptr<const RetrySchedule> retry_schedule();

class PersonioSimulator final : public SimulatorBase {
 public:
  explicit PersonioSimulator(SimOptions options);
  ~PersonioSimulator() override;

 protected:
  Result<boost::json::object> sim_create(std::string_view model, const boost::json::object& fields) override;
  Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                         const boost::json::object& fields) override;
  Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) override;
  Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) override;
  boost::json::array sim_list(std::string_view model) override;
  boost::json::array sim_subscriptions() override;
  http::Response fault_unauthorized() const override;
  http::Response fault_rate_limited(int retry_after_seconds) const override;

 private:
  struct Webhook {
    std::string id;
    std::string url;
    std::string description;
    std::vector<std::string> enabled_events;
    std::string status = "DISABLED";
    std::string auth_type = "TOKEN";
    std::string token;
    Millis created_at = 0;
    Millis updated_at = 0;
  };
  struct Pending {
    std::string event_name;
    std::string id;
  };

  // Caller holds mu_.
  Result<boost::json::object> create_person(const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<boost::json::object> update_person(std::string_view id, const boost::json::object& fields,
                                            std::vector<Pending>& out, bool announce) REQUIRES(mu_);
  Result<boost::json::object> create_absence(const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<boost::json::object> update_absence(std::string_view id, const boost::json::object& fields,
                                             std::vector<Pending>& out, bool announce) REQUIRES(mu_);
  boost::json::object webhook_json(const Webhook& w, bool with_token) const REQUIRES(mu_);
  Status apply_webhook_fields(Webhook& w, const boost::json::object& body, bool creating) REQUIRES(mu_);
  Webhook* find_webhook(std::string_view id) REQUIRES(mu_);
  bool token_valid(const http::Request& request) const REQUIRES(mu_);
  // 401 / 403 when the request may not use the webhooks API; nullopt when it may.
  std::optional<http::Response> webhooks_gate(const http::Request& request, bool write) const REQUIRES(mu_);

  void fire(std::vector<Pending> events) EXCLUDES(mu_);

  void add_webhook_routes();
  http::Response create_webhook(const http::Request& req);
  http::Response update_webhook(const http::Request& req, std::string_view id);
  // The auth endpoint and the record reads (personio_records.cc): persons, then absence periods.
  void add_record_routes();
  void add_person_routes();
  void add_absence_routes();
  http::Response issue_token(const http::Request& req);
  // `updated_filter` is the one incremental filter the list at `path` supports.
  http::Response list_records(const http::Request& req, const RecordStore& store, std::size_t max_limit,
                              std::string_view path, std::string_view updated_filter);

  mutable Mutex mu_;
  std::int64_t next_person_id_ GUARDED_BY(mu_) = 1000001;
  RecordStore persons_ GUARDED_BY(mu_);
  RecordStore employments_ GUARDED_BY(mu_);
  RecordStore absences_ GUARDED_BY(mu_);
  std::vector<Webhook> webhooks_ GUARDED_BY(mu_);
  AccessTokens tokens_ GUARDED_BY(mu_);  // access token → expiry
};

// Personio's v2 error body: {"personio_trace_id", "timestamp", "errors": [{"title", "detail", "type",
// "_meta"}]}.
http::Response personio_error(int status, std::string_view title, std::string_view detail);

}  // namespace tributary::sim::personio
