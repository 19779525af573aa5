#include "sim/ashby/ashby_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"

namespace tributary::sim::ashby {

namespace bj = boost::json;

namespace {

std::string iso(Millis ms) {
  return format_iso8601(ms);
}

std::string ashby_status(std::string_view unified) {
  if (unified == "OPEN") return "Open";
  if (unified == "CLOSED") return "Closed";
  if (unified == "DRAFT") return "Draft";
  return "Archived";
}

std::string join_name(const std::string& first, const std::string& last) {
  if (first.empty()) return last;
  if (last.empty()) return first;
  return first + " " + last;
}

bj::value email_value(const std::string& email) {
  if (email.empty()) return nullptr;
  return bj::object{{"value", email}, {"type", "Personal"}, {"isPrimary", true}};
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  static const auto schedule = [] {
    // Ashby's retries page: retry n waits (2^n − 1) × 10 s; 10 attempts in all.
    std::vector<std::chrono::milliseconds> delays;
    for (int n = 1; n <= 9; ++n)
      delays.push_back(std::chrono::seconds{((1 << n) - 1) * 10});
    // 401, 403, 404, 405 and 410 mean "this endpoint will never take it": not retried.
    return make_retry_schedule(std::move(delays), 0.0, std::chrono::milliseconds{10000},
                               [](const http::ClientResponse& r) {
                                 return !(r.status == 401 || r.status == 403 || r.status == 404 ||
                                          r.status == 405 || r.status == 410);
                               });
  }();
  return schedule;
}

std::string signature_header(std::string_view secret, std::string_view body) {
  return "sha256=" + crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

std::unique_ptr<Simulator> make_ashby_simulator(SimOptions options) {
  return std::make_unique<AshbySimulator>(std::move(options));
}

AshbySimulator::AshbySimulator(SimOptions options)
    : SimulatorBase("ashby", std::move(options), {"ats_candidates", "ats_jobs"}) {
  // No published number (a per-key sliding window, 429 with Retry-After): the connector's declared
  // conservative 5 per second.
  set_api_limits(unpublished_tool_limits());
  add_api_routes();
}

AshbySimulator::~AshbySimulator() {
  stop();
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> AshbySimulator::sim_create(std::string_view model, const bj::object& fields) {
  return change_then_fire(this, &AshbySimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
    return model == "ats_candidates" ? create_candidate(fields, events) : create_job(fields);
  });
}

Result<bj::object> AshbySimulator::sim_update(std::string_view model, std::string_view remote_id,
                                              const bj::object& fields) {
  return change_then_fire(this, &AshbySimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
    return model == "ats_candidates" ? update_candidate(remote_id, fields)
                                     : update_job(remote_id, fields, events);
  });
}

Result<bj::object> AshbySimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  return change_then_fire(this, &AshbySimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
    return model == "ats_candidates" ? delete_candidate(remote_id, events) : delete_job(remote_id, events);
  });
}

Result<bj::value> AshbySimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  if (model == "ats_candidates") {
    const auto* c = candidates_.find(remote_id);
    if (c == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(remote_id));
    bj::object out = c->data;
    bj::array apps;
    for (const auto& id : c->data.at("applicationIds").as_array())
      if (const auto* a = applications_.find(id.as_string())) apps.push_back(a->data);
    out["applications"] = std::move(apps);
    return bj::value(std::move(out));
  }
  const auto* j = jobs_.find(remote_id);
  if (j == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(remote_id));
  bj::object out = j->data;
  if (const auto* p = postings_.find(j->data.at("jobPostingIds").at(0).as_string()))
    out["jobPosting"] = p->data;
  return bj::value(std::move(out));
}

bj::array AshbySimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? candidates_ : jobs_).all_data();
}

Result<bj::object> AshbySimulator::sim_publish(std::string_view remote_id, bool live) {
  std::vector<Pending> events;
  bj::object reply;
  {
    MutexLock lock(mu_);
    auto* job = jobs_.find(remote_id);
    if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(remote_id));
    if (live && job->data.at("status").as_string() != "Open")
      return make_error(ErrorKind::kInvalidArgument, "only an Open job's posting can be published in Ashby");
    set_listed(*job, live, events);
    reply = bj::object{{"remote_id", std::string(remote_id)},
                       {"job_posting_id", job->data.at("jobPostingIds").at(0)},
                       {"changed", !events.empty()}};
  }
  fire(std::move(events));
  return reply;
}

bj::array AshbySimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& w : webhooks_)
    out.push_back(
        bj::object{{"id", w.id}, {"webhookType", w.type}, {"requestUrl", w.url}, {"enabled", w.enabled}});
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Candidates and their applications

bj::object AshbySimulator::candidate_summary(const bj::object& c) const {
  return bj::object{{"id", c.at("id")},
                    {"name", c.at("name")},
                    {"primaryEmailAddress", c.at("primaryEmailAddress")},
                    {"primaryPhoneNumber", c.at("primaryPhoneNumber")}};
}

bj::object AshbySimulator::job_summary(std::string_view job_id) const {
  const auto* j = jobs_.find(job_id);
  if (j == nullptr) return {};
  return bj::object{{"id", j->data.at("id")},
                    {"title", j->data.at("title")},
                    {"locationId", j->data.at("locationId")},
                    {"departmentId", j->data.at("departmentId")}};
}

void AshbySimulator::refresh_applications(std::string_view candidate_id) {
  const auto* c = candidates_.find(candidate_id);
  if (c == nullptr) return;
  for (const auto& id : c->data.at("applicationIds").as_array()) {
    if (auto* a = applications_.find(id.as_string())) a->data["candidate"] = candidate_summary(c->data);
  }
}

Result<bj::object> AshbySimulator::create_candidate(const bj::object& fields, std::vector<Pending>& out) {
  if (auto st = check_keys(fields, "ats_candidates", {"first_name", "last_name", "email", "job_remote_id"});
      !st.ok())
    return st.error();
  auto job_id = opt_id(fields, "job_remote_id");
  if (!job_id.ok()) return job_id.error();
  if (*job_id && jobs_.find(**job_id) == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "no job " + **job_id + " for this application");
  Millis now = now_ms();
  std::string id = new_uuid();
  std::string app_id = new_uuid();
  bj::object c{{"id", id},
               {"createdAt", iso(now)},
               {"updatedAt", iso(now)},
               {"name", ""},
               {"primaryEmailAddress", nullptr},
               {"emailAddresses", bj::array{}},
               {"primaryPhoneNumber", nullptr},
               {"phoneNumbers", bj::array{}},
               {"socialLinks", bj::array{}},
               {"tags", bj::array{}},
               {"position", nullptr},
               {"company", nullptr},
               {"school", nullptr},
               {"applicationIds", bj::array{bj::value(app_id)}},
               {"resumeFileHandle", nullptr},
               {"fileHandles", bj::array{}},
               {"customFields", bj::array{}},
               {"profileUrl", "https://app.ashbyhq.com/candidates/" + id},
               {"source", nullptr},
               {"creditedToUser", nullptr},
               {"timezone", nullptr}};
  candidates_.put(id, std::move(c), now);
  names_[id] = {};
  if (auto r = update_candidate(id, fields); !r.ok()) {
    candidates_.erase(id);
    names_.erase(id);
    return r.error();
  }
  bj::value job = nullptr;
  if (*job_id) job = job_summary(**job_id);
  bj::object app{{"id", app_id},
                 {"createdAt", iso(now)},
                 {"updatedAt", iso(now)},
                 {"status", "Active"},
                 {"customFields", bj::array{}},
                 {"candidate", candidate_summary(candidates_.find(id)->data)},
                 {"currentInterviewStage", bj::object{{"id", "0b0c5c5e-9c3f-4a61-8d1e-6b1f4bb1a001"},
                                                      {"title", "Application Review"},
                                                      {"type", "PreInterviewScreen"},
                                                      {"orderInInterviewPlan", 0}}},
                 {"source", nullptr},
                 {"archiveReason", nullptr},
                 {"archivedAt", nullptr},
                 {"job", std::move(job)},
                 {"creditedToUser", nullptr},
                 {"hiringTeam", bj::array{}},
                 {"appliedViaJobPostingId", nullptr}};
  const StoredRecord& a = applications_.put(app_id, std::move(app), now);
  // Ashby: "Triggered when a candidate submits an application or when a candidate is manually added".
  out.push_back({"applicationSubmit", new_uuid(), bj::object{{"application", a.data}}});
  return bj::object{{"remote_id", id}, {"application_id", app_id}};
}

Result<bj::object> AshbySimulator::update_candidate(std::string_view id, const bj::object& fields) {
  auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  bj::object rest = fields;
  rest.erase("job_remote_id");
  if (auto st = check_keys(rest, "ats_candidates", {"first_name", "last_name", "email"}); !st.ok())
    return st.error();
  auto& [first, last] = names_[std::string(id)];
  auto f = opt_string(rest, "first_name");
  if (!f.ok()) return f.error();
  auto l = opt_string(rest, "last_name");
  if (!l.ok()) return l.error();
  auto email = opt_string(rest, "email");
  if (!email.ok()) return email.error();
  bj::object c = rec->data;
  if (*f) first = **f;
  if (*l) last = **l;
  c["name"] = join_name(first, last);
  if (*email) {
    c["primaryEmailAddress"] = email_value(**email);
    c["emailAddresses"] = email->value().empty() ? bj::array{} : bj::array{email_value(**email)};
  }
  if (c != rec->data) {
    Millis now = now_ms();
    c["updatedAt"] = iso(now);
    rec->data = std::move(c);
    rec->updated_at = now;
    refresh_applications(id);
  }
  // No webhook: Ashby has no candidate-update webhook type.
  return bj::object{{"remote_id", std::string(id)}, {"notified", false}};
}

Result<bj::object> AshbySimulator::delete_candidate(std::string_view id, std::vector<Pending>& out) {
  const auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  bj::object c = rec->data;
  for (const auto& a : c.at("applicationIds").as_array())
    applications_.erase(a.as_string());
  candidates_.erase(id);
  names_.erase(std::string(id));
  out.push_back({"candidateDelete", new_uuid(), bj::object{{"candidate", std::move(c)}}});
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs and their postings

Result<bj::object> AshbySimulator::create_job(const bj::object& fields) {
  if (auto st = check_keys(fields, "ats_jobs", {"name", "status"}); !st.ok()) return st.error();
  auto name = opt_string(fields, "name");
  if (!name.ok()) return name.error();
  auto status = opt_enum(fields, "status", {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"});
  if (!status.ok()) return status.error();
  Millis now = now_ms();
  std::string id = new_uuid();
  std::string posting_id = new_uuid();
  std::string s = *status ? ashby_status(**status) : "Open";
  std::string title = name->value_or("");
  bj::object job{{"id", id},
                 {"title", title},
                 {"confidential", false},
                 {"status", s},
                 {"employmentType", "FullTime"},
                 {"locationId", "7a2f0c1e-3d4b-4e5f-8a9b-0c1d2e3f4a01"},
                 {"departmentId", "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d01"},
                 {"defaultInterviewPlanId", "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e01"},
                 {"interviewPlanIds", bj::array{"1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e01"}},
                 {"customFields", bj::array{}},
                 {"jobPostingIds", bj::array{bj::value(posting_id)}},
                 {"customRequisitionId", nullptr},
                 {"hiringTeam", bj::array{}},
                 {"createdAt", iso(now)},
                 {"updatedAt", iso(now)},
                 {"openedAt", s == "Open" ? bj::value(iso(now)) : bj::value(nullptr)},
                 {"closedAt", s == "Closed" || s == "Archived" ? bj::value(iso(now)) : bj::value(nullptr)}};
  bj::object posting{{"id", posting_id},
                     {"title", title},
                     {"jobId", id},
                     {"departmentName", "Engineering"},
                     {"teamName", "Engineering"},
                     {"locationName", "Remote"},
                     {"locationIds", bj::object{{"primaryLocationId", job.at("locationId")},
                                                {"secondaryLocationIds", bj::array{}}}},
                     {"workplaceType", "Remote"},
                     {"employmentType", "FullTime"},
                     {"descriptionPlain", ""},
                     {"descriptionHtml", ""},
                     {"isListed", false},
                     {"publishedDate", nullptr},
                     {"applicationDeadline", nullptr},
                     {"externalLink", nullptr},
                     {"applyLink", "https://jobs.ashbyhq.com/example/" + posting_id + "/application"},
                     {"compensationTierSummary", nullptr},
                     {"shouldDisplayCompensationOnJobBoard", false},
                     {"updatedAt", iso(now)}};
  jobs_.put(id, std::move(job), now);
  postings_.put(posting_id, std::move(posting), now);
  // jobCreate exists as a payload but cannot be subscribed to through webhook.create: nothing is sent.
  return bj::object{{"remote_id", id}, {"job_posting_id", posting_id}};
}

void AshbySimulator::set_listed(StoredRecord& job, bool listed, std::vector<Pending>& out) {
  auto* posting = postings_.find(job.data.at("jobPostingIds").at(0).as_string());
  if (posting == nullptr || posting->data.at("isListed").as_bool() == listed) return;
  Millis now = now_ms();
  posting->data["isListed"] = listed;
  if (listed) posting->data["publishedDate"] = iso(now).substr(0, 10);
  posting->data["updatedAt"] = iso(now);
  posting->updated_at = now;
  // Ashby's related-webhooks page: publishing/unpublishing also fires jobPostingUpdate, with the same
  // webhookActionId so a receiver can tell they are one change.
  std::string action_id = new_uuid();
  out.push_back({listed ? "jobPostingPublish" : "jobPostingUnpublish", action_id,
                 bj::object{{"jobPosting", posting->data}}});
  out.push_back({"jobPostingUpdate", action_id, bj::object{{"jobPosting", posting->data}}});
}

Result<bj::object> AshbySimulator::update_job(std::string_view id, const bj::object& fields,
                                              std::vector<Pending>& out) {
  auto* job = jobs_.find(id);
  if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(id));
  if (auto st = check_keys(fields, "ats_jobs", {"name", "status"}); !st.ok()) return st.error();
  auto name = opt_string(fields, "name");
  if (!name.ok()) return name.error();
  auto status = opt_enum(fields, "status", {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"});
  if (!status.ok()) return status.error();
  Millis now = now_ms();
  bj::object j = job->data;
  if (*name) j["title"] = **name;
  if (*status) {
    std::string s = ashby_status(**status);
    if (s != j.at("status").as_string()) {
      if (s == "Open") j["openedAt"] = iso(now);
      if (s == "Closed" || s == "Archived") j["closedAt"] = iso(now);
    }
    j["status"] = s;
  }
  if (j == job->data) return bj::object{{"remote_id", std::string(id)}, {"notified", false}};
  j["updatedAt"] = iso(now);
  bool title_changed = j.at("title") != job->data.at("title");
  job->data = std::move(j);
  job->updated_at = now;
  for (const auto* a : applications_.all()) {
    if (a->data.at("job").is_object() && a->data.at("job").at("id").as_string() == id)
      applications_.find(a->id)->data["job"] = job_summary(id);
  }
  std::size_t before = out.size();
  if (title_changed) {
    if (auto* posting = postings_.find(job->data.at("jobPostingIds").at(0).as_string())) {
      posting->data["title"] = job->data.at("title");
      posting->data["updatedAt"] = iso(now);
      posting->updated_at = now;
      out.push_back({"jobPostingUpdate", new_uuid(), bj::object{{"jobPosting", posting->data}}});
    }
  }
  // A job that is no longer open takes its posting off the job board.
  std::string_view s = job->data.at("status").as_string();
  if (s != "Open") set_listed(*job, false, out);
  return bj::object{{"remote_id", std::string(id)}, {"notified", out.size() > before}};
}

Result<bj::object> AshbySimulator::delete_job(std::string_view id, std::vector<Pending>& out) {
  auto* job = jobs_.find(id);
  if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(id));
  set_listed(*job, false, out);
  postings_.erase(job->data.at("jobPostingIds").at(0).as_string());
  jobs_.erase(id);
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void AshbySimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  struct Target {
    std::string url;
    std::string secret;
  };
  std::vector<std::pair<Pending, std::vector<Target>>> plan;
  {
    MutexLock lock(mu_);
    for (auto& e : events) {
      std::vector<Target> targets;
      for (const auto& w : webhooks_)
        if (w.enabled && w.type == e.action) targets.push_back({w.url, w.secret});
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  for (auto& [event, targets] : plan) {
    std::string body = json::serialize(bj::object{
        {"action", event.action}, {"webhookActionId", event.action_id}, {"data", std::move(event.data)}});
    for (const auto& t : targets) {
      OutboundWebhook w;
      w.url = t.url;
      w.event = event.action;
      w.delivery_id = event.action_id;
      w.headers = {{"Content-Type", "application/json"}};
      if (!t.secret.empty()) w.headers.emplace_back("Ashby-Signature", signature_header(t.secret, body));
      w.body = body;
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::ashby
