// The simulated Teamtailor (ATS, manual company webhooks, JSON:API records), written from shared/vendors.md
// and Teamtailor's public documentation (https://partner.teamtailor.com/company_webhooks,
// https://docs.teamtailor.com), independently of connectors/teamtailor.
//
// Company webhooks (what the end customer does in Settings › Integrations › Webhooks): POST /_sim/webhooks
// {url, event_types?, name?, signature_version? (1|2, default 2)} stores the webhook; Teamtailor GENERATES
// the signature key and shows it once: the answer is {"id", "secret", "signature_version", "event_types"}. No
// request is sent on creation (Teamtailor's "test" button is optional). event_types defaults to every event.
// POST /_sim/permissions {"webhooks": false} is the webhooks feature being switched off for the company:
// nothing is delivered until it is set back to true.
//
// Events (only to webhooks whose event_types include them):
//   ats_candidates create → candidate.create, and job_application.create when job_remote_id is given
//                  update → candidate.update;   delete → candidate.destroy (and job_application.destroy)
//   ats_jobs       create → job.create;         update → job.update;   delete → job.destroy
//                  publish → job.update with status "open"; unpublish → job.update with status "archived"
//                  (only when the status changes)
// Body: {"payload":{"event_name","data":{"id","type","attributes":{…kebab-case}}},"signature":"<base64>"},
// the signature also in the TT-Signature header:
//   v1: base64(hex HMAC-SHA256(key, payload.data.id))
//   v2: base64("t=<unix seconds>,v2=" + hex HMAC-SHA256(key, "<t>." + <payload JSON>))
// where <payload JSON> is exactly the bytes of the "payload" member as they appear in the body (compact,
// the key order shown above). Teamtailor does not retry: one attempt per event and webhook.
//
// Records API (Authorization: Token token=<key> and X-Api-Version required; 401 / 406 in JSON:API error shape
// {"errors":[{"status","title","detail"}]}): GET /v1/candidates, /v1/jobs, /v1/job-applications with
// page[size] (1..30, default 10; 400 outside) and page[number] (from 1), filter[updated-at][from] (ISO
// date-time), filter[email] (candidates), filter[status] (jobs) → {"data":[…],"meta":{"record-count",
// "page-count"},"links":{"first","last","prev"?,"next"?}} (absolute URLs, brackets percent-encoded as Rails
// writes them; "next" absent on the last page); GET /v1/candidates/{id}, /v1/jobs/{id},
// /v1/job-applications/{id} → {"data":{…}}; unknown id → 404. Media type application/vnd.api+json.
//
// Remote ids are integers (rendered as strings, as JSON:API does) from one counter starting at 31000001, so
// candidates, jobs and applications never share an id. Thread-safety: every hook and route locks mu_;
// webhooks are sent after the lock is released.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/mutex.h"
#include "sim/common/record_store.h"
#include "sim/common/sim_base.h"

namespace tributary::sim::teamtailor {

std::unique_ptr<Simulator> make_teamtailor_simulator(SimOptions options);
// Teamtailor's delivery schedule: a single attempt, never retried.
std::shared_ptr<const RetrySchedule> retry_schedule();

// The signature value (as in the body's "signature" and the TT-Signature header).
std::string signature_v1(std::string_view key, std::string_view id);
std::string signature_v2(std::string_view key, std::int64_t unix_seconds, std::string_view payload_json);

class TeamtailorSimulator final : public SimulatorBase {
 public:
  explicit TeamtailorSimulator(SimOptions options);
  ~TeamtailorSimulator() override;

 protected:
  Result<boost::json::object> sim_create(std::string_view model, const boost::json::object& fields) override;
  Result<boost::json::object> sim_update(std::string_view model, std::string_view remote_id,
                                         const boost::json::object& fields) override;
  Result<boost::json::object> sim_delete(std::string_view model, std::string_view remote_id) override;
  Result<boost::json::value> sim_get(std::string_view model, std::string_view remote_id) override;
  boost::json::array sim_list(std::string_view model) override;
  Result<boost::json::object> sim_publish(std::string_view remote_id, bool live) override;
  boost::json::array sim_subscriptions() override;
  void sim_register_webhook(const boost::json::object& body,
                            std::function<void(Result<boost::json::object>)> done) override;

 private:
  struct Hook {
    std::string id;
    std::string name;
    std::string url;
    std::string key;
    std::vector<std::string> event_types;
    int signature_version = 2;
    Millis created_at = 0;
  };
  // An event ready to send once the state lock is released: data = {"id","type","attributes"}.
  struct Pending {
    std::string event_name;
    boost::json::object data;
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
  Status apply_candidate_fields(boost::json::object& attributes, const boost::json::object& fields)
      REQUIRES(mu_);
  Status apply_job_fields(boost::json::object& attributes, const boost::json::object& fields) REQUIRES(mu_);
  RecordStore* store_for(std::string_view model) REQUIRES(mu_);

  void fire(std::vector<Pending> events) EXCLUDES(mu_);

  // Records API (teamtailor_records.cc).
  void add_record_routes();

  mutable Mutex mu_;
  std::int64_t next_id_ GUARDED_BY(mu_) = 31000001;
  std::int64_t next_hook_id_ GUARDED_BY(mu_) = 501;
  RecordStore candidates_ GUARDED_BY(mu_);  // {"id","type","attributes","relationships"}
  RecordStore jobs_ GUARDED_BY(mu_);
  RecordStore applications_ GUARDED_BY(mu_);
  std::vector<Hook> hooks_ GUARDED_BY(mu_);
};

}  // namespace tributary::sim::teamtailor
