// The simulated Ashby (ATS, webhooks subscribed through the API): candidates with one application each, jobs
// with one job posting each, the RPC-style API (every call is POST /<method> with a JSON body) and the
// webhooks Ashby sends. Written from shared/vendors.md and Ashby's developer documentation
// (https://developers.ashbyhq.com/docs/setting-up-webhooks, …/docs/authenticating-webhooks, …/docs/retries,
// …/docs/related-webhooks, …/docs/pagination-and-incremental-synchronization), independently of the
// connector.
//
// Auth: HTTP Basic with the API key as user name and a blank password (any non-empty key). A missing or
// malformed Authorization header → 401 {"success": false, "errors": ["unauthenticated"], "errorInfo": {…}}.
// Every other error is HTTP 200 with {"success": false, "errors": [code], "errorInfo": {"code", "message",
// "requestId"}}, as Ashby answers; only a body that is not JSON gets a 400.
//
// Webhooks API (permission apiKeysWrite): POST /webhook.create {webhookType, requestUrl, secretToken?} pings
// the URL ({"action": "ping", "webhookActionId", "data": {"webhookActionType": "ping", "webhookId"}}, signed
// when a secret is set) and answers after the ping: {"success": true, "results": {id, enabled, requestUrl,
// secretToken, webhookType}}; no answer or a status above 400 creates it disabled (enabled false), and a
// disabled webhook receives nothing. One webhookType per webhook; jobCreate and jobUpdate are payload types
// but not accepted by webhook.create (vendors.md). POST /webhook.delete {webhookId} → {"success": true,
// "results": {"webhookId"}}. POST /webhook.info {webhookId} (permission apiKeysRead) → the webhook as
// created, or success:false "not_found". With POST /_sim/permissions {"webhooks": false} all three answer
// success:false "missing_endpoint_permission"; existing webhooks keep firing.
//
// Events fired (to enabled webhooks of that type): ats_candidates create → applicationSubmit
// (data.application with candidate and job); delete → candidateDelete (data.candidate). Candidate field
// changes fire nothing (Ashby has no candidate-update webhook type). ats_jobs: a title change →
// jobPostingUpdate (data.jobPosting); publish → jobPostingPublish and jobPostingUpdate, unpublish (or
// closing, archiving, deleting a job whose posting is listed) → jobPostingUnpublish and jobPostingUpdate,
// each pair with the same webhookActionId. Body {"action", "webhookActionId", "data"}; header Ashby-Signature
// "sha256=<hex HMAC-SHA256(secretToken, body)>" when a secret is set. Retries on any non-2xx except 401, 403,
// 404, 405 and 410 (and on no answer), waiting (2^n − 1) × 10 s before retry n, 10 attempts at most
// (scaled), with the same webhookActionId.
//
// Records: candidate.list, application.list, job.list ({limit ≤ 100 (larger is clamped), cursor, syncToken}
// → {success, results, moreDataAvailable, nextCursor?, syncToken (last page)}; a syncToken returns records
// updated since the list that issued it; an unknown one → success:false "sync_token_expired");
// jobPosting.list (unpaginated, {listedOnly?}); candidate.info {id}, application.info {applicationId},
// job.info {id}, jobPosting.info {jobPostingId} → {success, results}; unknown ids → success:false
// "not_found". Ashby candidates carry one `name` (the control API's first and last names joined by a space).
//
// Control API extras: ats_candidates accepts job_remote_id (the job the application is for); the answer
// carries application_id. ats_jobs answers job_posting_id. Remote ids are UUIDs.
// Thread-safety: every hook and route locks mu_; webhooks are sent after the lock is released.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::ashby {

std::unique_ptr<Simulator> make_ashby_simulator(SimOptions options);
// The delivery retry schedule described above (unscaled).
std::shared_ptr<const RetrySchedule> retry_schedule();
// "sha256=" + hex HMAC-SHA256(secret, body): the Ashby-Signature header value.
std::string signature_header(std::string_view secret, std::string_view body);

class AshbySimulator final : public SimulatorBase {
 public:
  explicit AshbySimulator(SimOptions options);
  ~AshbySimulator() override;

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
  struct Webhook {
    std::string id;
    std::string type;
    std::string url;
    std::string secret;
    bool enabled = false;
  };
  // An event ready to send once the state lock is released; related events share action_id.
  struct Pending {
    std::string action;
    std::string action_id;
    boost::json::object data;
  };

  // Caller holds mu_.
  Result<boost::json::object> create_candidate(const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<boost::json::object> update_candidate(std::string_view id, const boost::json::object& fields)
      REQUIRES(mu_);
  Result<boost::json::object> delete_candidate(std::string_view id, std::vector<Pending>& out) REQUIRES(mu_);
  Result<boost::json::object> create_job(const boost::json::object& fields) REQUIRES(mu_);
  Result<boost::json::object> update_job(std::string_view id, const boost::json::object& fields,
                                         std::vector<Pending>& out) REQUIRES(mu_);
  Result<boost::json::object> delete_job(std::string_view id, std::vector<Pending>& out) REQUIRES(mu_);
  // Lists or unlists the job's posting; adds the Publish/Unpublish + Update pair when it changes.
  void set_listed(StoredRecord& job, bool listed, std::vector<Pending>& out) REQUIRES(mu_);
  boost::json::object candidate_summary(const boost::json::object& candidate) const REQUIRES(mu_);
  boost::json::object job_summary(std::string_view job_id) const REQUIRES(mu_);
  void refresh_applications(std::string_view candidate_id) REQUIRES(mu_);

  // Sends with no lock held.
  void fire(std::vector<Pending> events) EXCLUDES(mu_);

  // The RPC routes (ashby_api.cc): the webhooks API, then the record reads.
  void add_api_routes();
  void add_webhook_routes();
  // Unchecked: binds each route to a store by reference without reading it (the handler reads it under
  // mu_), which the analysis counts as an access.
  void add_record_routes() NO_THREAD_SAFETY_ANALYSIS;
  bool authorized(const http::Request& request) const;
  // Answers after the ping it sends to the new webhook's URL.
  void create_webhook(const http::Request& req, http::Responder respond);
  http::Response delete_webhook(const http::Request& req);
  http::Response webhook_info(const http::Request& req);
  // Caller holds mu_.
  std::vector<Webhook>::iterator find_webhook(std::string_view id) REQUIRES(mu_);
  // The webhook as webhook.create and webhook.info answer it.
  static boost::json::object webhook_json(const Webhook& w);
  http::Response list_records(const http::Request& req, const RecordStore& store);
  http::Response list_job_postings(const http::Request& req);
  http::Response job_posting_info(const http::Request& req);
  http::Response record_info(const http::Request& req, const std::string& id_key, const RecordStore& store);

  mutable Mutex mu_;
  RecordStore candidates_ GUARDED_BY(mu_);
  RecordStore applications_ GUARDED_BY(mu_);
  RecordStore jobs_ GUARDED_BY(mu_);
  RecordStore postings_ GUARDED_BY(mu_);
  std::map<std::string, std::pair<std::string, std::string>> names_
      GUARDED_BY(mu_);  // candidate → first/last
  std::vector<Webhook> webhooks_ GUARDED_BY(mu_);
  std::map<std::string, Millis> sync_tokens_ GUARDED_BY(mu_);  // token → issued at
};

}  // namespace tributary::sim::ashby
