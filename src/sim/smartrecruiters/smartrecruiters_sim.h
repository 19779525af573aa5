// The simulated SmartRecruiters (ATS, webhooks subscribed through the Webhook Subscriptions API with an
// activation handshake): candidates (optionally with an application to a job), jobs with one job ad each,
// the subscriptions API and the webhooks SmartRecruiters sends. Written from shared/vendors.md and
// SmartRecruiters' documentation
// (https://developers.smartrecruiters.com/docs/activating-webhook-subscriptions,
// https://developers.smartrecruiters.com/reference/subscriptionsgeneratesecretkey-1,
// …/reference/subscriptionsactivate-1, and the help centre's "Use of Webhook Subscription API"),
// independently of the connector.
//
// Auth: header X-SmartToken (any non-empty value); missing → 401 {"errors": [{"code": "UNAUTHORIZED",
// "message"}]}. Errors are {"errors": [{"code", "message"}]}.
//
// Subscriptions (under /webhooks-api/v201907): POST /subscriptions {callbackUrl, events: [one name],
// alertingEmailAddress?, callbackAuthentication?} → 201 {id, callbackUrl, events: [{name, version}], status:
// "inactive"}; 422 for a bad URL, an unknown event or more than one event (the help centre: one event per
// subscription). GET /subscriptions → {content}; GET/DELETE /subscriptions/{id} (204; 404 unknown).
// PUT /subscriptions/{id}/activation POSTs to the callback URL with X-Hook-Secret and expects a 200 echoing
// it within 20 s: then 204 and the subscription is active; otherwise 424 (409 when already active).
// POST /subscriptions/{id}/secret-key → 201 {"secretKey"} (a new key retires the previous ones 24 h later; at
// most 16 live keys, then 409); GET …/secret-key → 200 {"secretKey": the newest} (404 when none). After
// POST /_sim/permissions {"webhooks": false} every subscriptions call answers 403
// NO_PERMISSION_TO_MANAGE_WEBHOOKS; active subscriptions keep receiving.
//
// Deliveries (active subscriptions for the event only): ats_candidates create → candidate.created {"id"} and,
// with job_remote_id, application.created {"job_id", "candidate_id"}; update → candidate.updated; delete →
// candidate.deleted. ats_jobs create → job.created {"id"} and job.ad.created {"job_id", "job_ad_id"}; a title
// change → job.updated; a status change → job.status.updated; publish / unpublish → job.ad.postings.updated
// {"job_id", "job_ad_id"}. Headers: content-type, event-name, event-version ("v201910"), event-id (same
// across retries), link ("<URL of the resource>; rel=self"), smartrecruiters-timestamp (unix seconds of the
// first attempt; kept on retries) and, when the subscription has keys, smartrecruiters-signature "v1=<hex>"
// per live key joined by ';', hex HMAC-SHA256(key, timestamp.body.event-id.event-name.event-version.link).
// Retries any non-2xx or no answer within 5 s, after 1, 5, 15, 30 min, 1, 2, 4, 8, 16 and 24 h (scaled; the
// documented range is "1 min … 24 h", the steps are our reading): 11 attempts at most.
//
// Records: GET /candidates, /jobs ({limit 1..100, default 10; pageId = the previous nextPageId; jobs also
// updatedAfter (ISO-8601)} → {totalFound, content, nextPageId (absent on the last page)}), GET
// /candidates/{id}, /jobs/{id}; 404 {"errors": [{"code": "NOT_FOUND"}]} for unknown ids. Job status maps OPEN
// → SOURCING, CLOSED → FILLED, DRAFT → CREATED, ARCHIVED → CANCELLED; postingStatus PUBLIC / NOT_PUBLISHED.
//
// Remote ids are UUIDs. Thread-safety: every hook and route locks mu_; webhooks are sent after the lock is
// released.
#pragma once

#include <string>
#include <vector>

#include "core/mutex.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::smartrecruiters {

inline constexpr std::string_view kEventVersion = "v201910";

std::unique_ptr<Simulator> make_smartrecruiters_simulator(SimOptions options);
// The delivery retry schedule described above (unscaled).
std::shared_ptr<const RetrySchedule> retry_schedule();
// The smartrecruiters-signature value for these keys: "v1=<hex>;v1=<hex>…" over the documented message.
std::string signature_header(const std::vector<std::string>& keys, std::string_view timestamp,
                             std::string_view body, std::string_view event_id, std::string_view event_name,
                             std::string_view event_version, std::string_view link);

class SmartRecruitersSimulator final : public SimulatorBase {
 public:
  explicit SmartRecruitersSimulator(SimOptions options);
  ~SmartRecruitersSimulator() override;

 protected:
  Result<boost::json::object> sim_create(std::string_view model, const boost::json::object& fields) override;
  Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                         const boost::json::object& fields) override;
  Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) override;
  Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) override;
  boost::json::array sim_list(std::string_view model) override;
  Result<boost::json::object> sim_publish(std::string_view remote_id, bool live) override;
  boost::json::array sim_subscriptions() override;

 private:
  struct SecretKey {
    std::string key;
    Millis created_at = 0;
    Millis retires_at = 0;  // 0 while it is the newest key
  };
  struct Subscription {
    std::string id;
    std::string callback_url;
    std::string event;
    std::string status = "inactive";
    boost::json::value alerting_email;
    boost::json::value callback_authentication;
    std::vector<SecretKey> keys;
    bool activating = false;
  };
  struct Pending {
    std::string event;
    boost::json::object body;
    std::string link;  // the resource URL (without the "<…>; rel=self" dressing)
  };

  // Caller holds mu_.
  Result<boost::json::object> create_candidate(const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<boost::json::object> update_candidate(std::string_view id, const boost::json::object& fields,
                                               std::vector<Pending>& out, bool announce) REQUIRES(mu_);
  Result<boost::json::object> create_job(const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<boost::json::object> update_job(std::string_view id, const boost::json::object& fields,
                                         std::vector<Pending>& out, bool announce) REQUIRES(mu_);
  Subscription* find_subscription(std::string_view id) REQUIRES(mu_);
  boost::json::object subscription_json(const Subscription& s) const REQUIRES(mu_);
  static std::vector<std::string> live_keys(const Subscription& s, Millis now);

  void fire(std::vector<Pending> events) EXCLUDES(mu_);

  // Subscriptions API and record reads (smartrecruiters_api.cc), one handler per route.
  void add_subscription_routes();
  // Unchecked: binds each route to a store by reference without reading it (the handler reads it under
  // mu_), which the analysis counts as an access.
  void add_record_routes() NO_THREAD_SAFETY_ANALYSIS;
  bool authorized(const http::Request& request) const;
  http::Response create_subscription(const http::Request& req);
  http::Response list_subscriptions(const http::Request& req);
  http::Response get_subscription(const http::Request& req, std::string_view id);
  http::Response delete_subscription(const http::Request& req, std::string_view id);
  // Answers when the handshake with the callback URL completes (finish_activation).
  void activate_subscription(const http::Request& req, std::string id, http::Responder respond);
  void finish_activation(const std::string& id, const std::string& hook_secret, const http::ClientResponse& r,
                         const http::Responder& respond);
  http::Response create_secret_key(const http::Request& req, std::string_view id);
  http::Response get_secret_key(const http::Request& req, std::string_view id);
  http::Response list_records(const http::Request& req, const RecordStore& store, bool job);
  http::Response get_record(const http::Request& req, const RecordStore& store, const std::string& noun,
                            std::string_view id);

  mutable Mutex mu_;
  RecordStore candidates_ GUARDED_BY(mu_);
  RecordStore jobs_ GUARDED_BY(mu_);
  std::vector<Subscription> subscriptions_ GUARDED_BY(mu_);
};

}  // namespace tributary::sim::smartrecruiters
