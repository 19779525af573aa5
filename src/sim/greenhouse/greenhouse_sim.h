// The simulated Greenhouse (ATS, manual webhooks): candidates with their applications, jobs with one job post
// each, web hooks configured "in the UI" through POST /_sim/webhooks, and Harvest v3 for syncs.
//
// Web hooks (what the end customer does in Configure › Dev Center › Web Hooks): POST /_sim/webhooks
// {url, secret, event_types[], name?} stores the hook and pings it
// ({"action":"ping","payload":{"web_hook_id"}}, signed); the answer comes after the ping: {"id", "active"}. A
// failed ping (no 2xx) leaves the hook disabled
// ("active": false in GET /_sim/subscriptions), as Greenhouse does. POST /_sim/permissions {"webhooks":
// false} suppresses every event delivery (pings still go out) until it is set back to true.
//
// Events fired (only to active hooks whose event_types include the event):
//   ats_candidates create → new_candidate_application (payload.application with candidate and jobs)
//                  update → update_candidate (payload.candidate)
//                  delete → delete_candidate (payload.person with deleted_application_ids)
//   ats_jobs create → job_created (payload.job) and job_post_created (payload = the post, live false)
//            update → job_updated (payload.job); also job_post_updated when the post's title, content or
//                     location changed
//            publish / unpublish → job_post_updated with live true / false (only when live changes)
//            delete → job_post_deleted (payload.job_post) and job_deleted (payload.job)
// Headers: Content-Type application/json, Signature "sha256 <hex>", Greenhouse-Event-ID <uuid>. Retries any
// non-2xx or no answer at 1, 15, 60, 120, 240, 480 min (scaled, ±10% jitter): 7 attempts at most.
//
// Harvest v3: POST /token on the separate authorization host, auth_base_url() (HTTP Basic
// client_id:client_secret, form grant_type=client_credentials, sub) →
// {access_token, token_type, expires_in 3600}; GET /v3/candidates, /v3/applications, /v3/jobs, /v3/job_posts
// with Bearer, per_page (≤ 500, default 100), ids=1,2 and updated_at=gte|<ISO>; the next page only through
// Link: <…?cursor=…>; rel="next", whose cursor is the only query parameter.
//
// Remote ids are integers from one counter starting at 4000001 (candidates, applications, jobs and posts
// never share an id, so mixing them up fails). Thread-safety: every hook and route locks mu_; webhooks are
// sent after the lock is released.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "sim/common/access_tokens.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::greenhouse {

std::unique_ptr<Simulator> make_greenhouse_simulator(SimOptions options);
// The delivery retry schedule described above (unscaled).
std::shared_ptr<const RetrySchedule> retry_schedule();

class GreenhouseSimulator final : public SimulatorBase {
 public:
  explicit GreenhouseSimulator(SimOptions options);
  ~GreenhouseSimulator() override;

 protected:
  Result<boost::json::object> sim_create(std::string_view model, const boost::json::object& fields) override;
  Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                         const boost::json::object& fields) override;
  Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) override;
  Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) override;
  boost::json::array sim_list(std::string_view model) override;
  Result<boost::json::object> sim_publish(std::string_view remote_id, bool live) override;
  boost::json::array sim_subscriptions() override;
  http::Response fault_unauthorized() const override;
  http::Response fault_rate_limited(int retry_after_seconds) const override;
  void sim_register_webhook(const boost::json::object& body,
                            std::function<void(Result<boost::json::object>)> done) override;

 private:
  struct Hook {
    std::string id;
    std::string name;
    std::string url;
    std::string secret;
    std::vector<std::string> event_types;
    bool active = false;
    Millis created_at = 0;
  };
  // An event ready to send once the state lock is released.
  struct Pending {
    std::string action;
    boost::json::object payload;
  };

  // Caller holds mu_.
  std::string next_id() REQUIRES(mu_);
  Result<boost::json::object> create_candidate(const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<boost::json::object> update_candidate(std::string_view id, const boost::json::object& fields,
                                               std::vector<Pending>& out) REQUIRES(mu_);
  Result<boost::json::object> delete_candidate(std::string_view id, std::vector<Pending>& out) REQUIRES(mu_);
  Result<boost::json::object> create_job(const boost::json::object& fields, std::vector<Pending>& out)
      REQUIRES(mu_);
  Result<boost::json::object> update_job(std::string_view id, const boost::json::object& fields,
                                         std::vector<Pending>& out) REQUIRES(mu_);
  Result<boost::json::object> delete_job(std::string_view id, std::vector<Pending>& out) REQUIRES(mu_);
  Status apply_job_fields(boost::json::object& job, boost::json::object& post,
                          const boost::json::object& fields, bool* post_changed) REQUIRES(mu_);
  boost::json::array department_list(std::string_view name) REQUIRES(mu_);
  boost::json::array office_list(std::string_view name) REQUIRES(mu_);
  boost::json::object webhook_job(const StoredRecord& job) const REQUIRES(mu_);
  boost::json::object webhook_application(const StoredRecord& application) const REQUIRES(mu_);
  boost::json::object job_post_of(std::string_view job_id) const REQUIRES(mu_);

  // Sends with no lock held.
  void fire(std::vector<Pending> events) EXCLUDES(mu_);

  // Harvest v3 (greenhouse_harvest.cc).
  void add_harvest_routes();
  // Caller holds mu_.
  bool authorized(const http::Request& request) const REQUIRES(mu_);

  mutable Mutex mu_;
  std::int64_t next_id_ GUARDED_BY(mu_) = 4000001;
  std::int64_t next_hook_id_ GUARDED_BY(mu_) = 100001;
  RecordStore candidates_ GUARDED_BY(mu_);
  RecordStore applications_ GUARDED_BY(mu_);
  RecordStore jobs_ GUARDED_BY(mu_);
  RecordStore job_posts_ GUARDED_BY(mu_);
  std::map<std::string, std::int64_t> departments_ GUARDED_BY(mu_);  // name → id
  std::map<std::string, std::int64_t> offices_ GUARDED_BY(mu_);      // name → id
  std::vector<Hook> hooks_ GUARDED_BY(mu_);
  AccessTokens tokens_ GUARDED_BY(mu_);  // Harvest access token → expiry
};

}  // namespace tributary::sim::greenhouse
