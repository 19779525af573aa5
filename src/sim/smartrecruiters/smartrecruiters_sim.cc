#include "sim/smartrecruiters/smartrecruiters_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"

namespace tributary::sim::smartrecruiters {

namespace bj = boost::json;

namespace {

std::string iso(Millis ms) {
  return format_iso8601(ms);
}

std::string sr_status(std::string_view unified) {
  if (unified == "OPEN") return "SOURCING";
  if (unified == "CLOSED") return "FILLED";
  if (unified == "DRAFT") return "CREATED";
  return "CANCELLED";
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  // SmartRecruiters expects the answer within 5 s.
  static const auto schedule =
      make_retry_schedule(delays_in_minutes({1, 5, 15, 30, 60, 120, 240, 480, 960, 1440}), 0.1,
                          std::chrono::milliseconds{5000}, retry_every_failure);
  return schedule;
}

std::string signature_header(const std::vector<std::string>& keys, std::string_view timestamp,
                             std::string_view body, std::string_view event_id, std::string_view event_name,
                             std::string_view event_version, std::string_view link) {
  std::string message;
  message.append(timestamp).append(".").append(body).append(".").append(event_id).append(".");
  message.append(event_name).append(".").append(event_version).append(".").append(link);
  std::string out;
  for (const auto& key : keys) {
    if (!out.empty()) out += ';';
    out += "v1=" + crypto::hex_encode(crypto::hmac_sha256(key, message));
  }
  return out;
}

std::unique_ptr<Simulator> make_smartrecruiters_simulator(SimOptions options) {
  return std::make_unique<SmartRecruitersSimulator>(std::move(options));
}

SmartRecruitersSimulator::SmartRecruitersSimulator(SimOptions options)
    : SimulatorBase("smartrecruiters", std::move(options), {"ats_candidates", "ats_jobs"}) {
  // developers.smartrecruiters.com/docs/rate-limiting: 10 requests per second and 8 at once for the endpoints
  // simulated here, and GET /candidates (the list) one at a time; 429 when exceeded, X-RateLimit-Limit /
  // -Remaining and X-RateLimit-Concurrent-Limit / -Remaining on answers. As the connector declares.
  ToolLimits limits;
  limits.overall.windows = {{10, 1000}};
  limits.overall.concurrency = 8;
  limits.endpoints.push_back(
      LimitRule{.method = "GET", .path = "/candidates", .exact = true, .concurrency = 1});
  limits.headers = LimitHeaders::kSmartRecruiters;
  set_api_limits(std::move(limits));
  add_subscription_routes();
  add_record_routes();
}

SmartRecruitersSimulator::~SmartRecruitersSimulator() {
  stop();
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> SmartRecruitersSimulator::sim_create(std::string_view model, const bj::object& fields) {
  return change_then_fire(
      this, &SmartRecruitersSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
        return model == "ats_candidates" ? create_candidate(fields, events) : create_job(fields, events);
      });
}

Result<bj::object> SmartRecruitersSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                                        const bj::object& fields) {
  return change_then_fire(
      this, &SmartRecruitersSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
        return model == "ats_candidates" ? update_candidate(remote_id, fields, events, true)
                                         : update_job(remote_id, fields, events, true);
      });
}

Result<bj::object> SmartRecruitersSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  std::vector<Pending> events;
  {
    MutexLock lock(mu_);
    if (model == "ats_candidates") {
      if (!candidates_.erase(remote_id))
        return make_error(ErrorKind::kNotFound, "no candidate " + std::string(remote_id));
      events.push_back({"candidate.deleted", bj::object{{"id", std::string(remote_id)}},
                        base_url() + "/candidates/" + std::string(remote_id)});
    } else if (!jobs_.erase(remote_id)) {
      // SmartRecruiters has no job deletion event: the job just disappears.
      return make_error(ErrorKind::kNotFound, "no job " + std::string(remote_id));
    }
  }
  fire(std::move(events));
  return bj::object{{"remote_id", std::string(remote_id)}};
}

Result<bj::value> SmartRecruitersSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? candidates_ : jobs_).data_of(remote_id);
}

bj::array SmartRecruitersSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? candidates_ : jobs_).all_data();
}

Result<bj::object> SmartRecruitersSimulator::sim_publish(std::string_view remote_id, bool live) {
  std::vector<Pending> events;
  bj::object reply;
  {
    MutexLock lock(mu_);
    auto* job = jobs_.find(remote_id);
    if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(remote_id));
    std::string posting = live ? "PUBLIC" : "NOT_PUBLISHED";
    bool changed = job->data.at("postingStatus").as_string() != posting;
    if (changed) {
      Millis now = now_ms();
      job->data["postingStatus"] = posting;
      job->data["updatedOn"] = iso(now);
      job->updated_at = now;
      std::string ad_id(job->data.at("jobAdId").as_string());
      events.push_back({"job.ad.postings.updated",
                        bj::object{{"job_id", std::string(remote_id)}, {"job_ad_id", ad_id}},
                        base_url() + "/jobs/" + std::string(remote_id) + "/jobads/" + ad_id});
    }
    reply = bj::object{
        {"remote_id", std::string(remote_id)}, {"job_ad_id", job->data.at("jobAdId")}, {"changed", changed}};
  }
  fire(std::move(events));
  return reply;
}

bj::array SmartRecruitersSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  Millis now = now_ms();
  for (const auto& s : subscriptions_) {
    bj::object o = subscription_json(s);
    o["liveKeys"] = live_keys(s, now).size();
    out.push_back(std::move(o));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Candidates

Result<bj::object> SmartRecruitersSimulator::create_candidate(const bj::object& fields,
                                                              std::vector<Pending>& out) {
  if (auto st = check_keys(fields, "ats_candidates", {"first_name", "last_name", "email", "job_remote_id"});
      !st.ok())
    return st.error();
  auto job_id = opt_id(fields, "job_remote_id");
  if (!job_id.ok()) return job_id.error();
  const StoredRecord* job = nullptr;
  if (*job_id) {
    job = jobs_.find(**job_id);
    if (job == nullptr) return make_error(ErrorKind::kInvalidArgument, "no job " + **job_id + " to apply to");
  }
  Millis now = now_ms();
  std::string id = new_uuid();
  bj::object c{{"id", id},
               {"internal", false},
               {"firstName", ""},
               {"lastName", ""},
               {"email", nullptr},
               {"phoneNumber", nullptr},
               {"location", bj::object{{"country", nullptr}, {"city", nullptr}}},
               {"web", bj::object{}},
               {"averageRating", 0},
               {"tags", bj::array{}},
               {"education", bj::array{}},
               {"experience", bj::array{}},
               {"createdOn", iso(now)},
               {"updatedOn", iso(now)},
               {"secondaryAssignments", bj::array{}},
               {"actions", bj::object{{"details", bj::object{{"url", base_url() + "/candidates/" + id}}}}}};
  if (job != nullptr)
    c["primaryAssignment"] =
        bj::object{{"job", bj::object{{"id", job->data.at("id")}, {"title", job->data.at("title")}}},
                   {"status", "NEW"},
                   {"subStatus", nullptr},
                   {"startsOn", nullptr}};
  candidates_.put(id, std::move(c), now);
  std::vector<Pending> ignored;
  bj::object rest = fields;
  rest.erase("job_remote_id");
  if (auto r = update_candidate(id, rest, ignored, false); !r.ok()) {
    candidates_.erase(id);
    return r.error();
  }
  out.push_back({"candidate.created", bj::object{{"id", id}}, base_url() + "/candidates/" + id});
  if (*job_id)
    out.push_back({"application.created", bj::object{{"job_id", **job_id}, {"candidate_id", id}},
                   base_url() + "/candidates/" + id + "/jobs/" + **job_id});
  return bj::object{{"remote_id", id}};
}

Result<bj::object> SmartRecruitersSimulator::update_candidate(std::string_view id, const bj::object& fields,
                                                              std::vector<Pending>& out, bool announce) {
  auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  if (auto st = check_keys(fields, "ats_candidates", {"first_name", "last_name", "email"}); !st.ok())
    return st.error();
  bj::object c = rec->data;
  for (auto [key, field] : {std::pair{"first_name", "firstName"}, std::pair{"last_name", "lastName"}}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) c[field] = **v;
  }
  auto email = opt_string(fields, "email");
  if (!email.ok()) return email.error();
  if (*email) c["email"] = email->value().empty() ? bj::value(nullptr) : bj::value(**email);
  if (c == rec->data) return bj::object{{"remote_id", std::string(id)}, {"notified", false}};
  Millis now = now_ms();
  c["updatedOn"] = iso(now);
  rec->data = std::move(c);
  rec->updated_at = now;
  if (announce)
    out.push_back({"candidate.updated", bj::object{{"id", std::string(id)}},
                   base_url() + "/candidates/" + std::string(id)});
  return bj::object{{"remote_id", std::string(id)}, {"notified", announce}};
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs

Result<bj::object> SmartRecruitersSimulator::create_job(const bj::object& fields, std::vector<Pending>& out) {
  if (auto st = check_keys(fields, "ats_jobs", {"name", "status"}); !st.ok()) return st.error();
  Millis now = now_ms();
  std::string id = new_uuid();
  std::string ad_id = new_uuid();
  bj::object j{{"id", id},
               {"title", ""},
               {"refNumber", "REF" + id.substr(0, 8)},
               {"createdOn", iso(now)},
               {"updatedOn", iso(now)},
               {"lastActivityOn", iso(now)},
               {"department", bj::object{{"id", "4d1a6c1e"}, {"label", "Engineering"}}},
               {"location", bj::object{{"country", "us"}, {"city", "Boston"}, {"remote", false}}},
               {"status", "CREATED"},
               {"postingStatus", "NOT_PUBLISHED"},
               {"jobAdId", ad_id},
               {"typeOfEmployment", bj::object{{"id", "permanent"}, {"label", "Full-time"}}},
               {"experienceLevel", bj::object{{"id", "mid_senior_level"}, {"label", "Mid-Senior Level"}}},
               {"actions", bj::object{{"details", bj::object{{"url", base_url() + "/jobs/" + id}}}}}};
  jobs_.put(id, std::move(j), now);
  std::vector<Pending> ignored;
  if (auto r = update_job(id, fields, ignored, false); !r.ok()) {
    jobs_.erase(id);
    return r.error();
  }
  out.push_back({"job.created", bj::object{{"id", id}}, base_url() + "/jobs/" + id});
  out.push_back({"job.ad.created", bj::object{{"job_id", id}, {"job_ad_id", ad_id}},
                 base_url() + "/jobs/" + id + "/jobads/" + ad_id});
  return bj::object{{"remote_id", id}, {"job_ad_id", ad_id}};
}

Result<bj::object> SmartRecruitersSimulator::update_job(std::string_view id, const bj::object& fields,
                                                        std::vector<Pending>& out, bool announce) {
  auto* rec = jobs_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(id));
  if (auto st = check_keys(fields, "ats_jobs", {"name", "status"}); !st.ok()) return st.error();
  auto name = opt_string(fields, "name");
  if (!name.ok()) return name.error();
  auto status = opt_enum(fields, "status", {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"});
  if (!status.ok()) return status.error();
  bj::object j = rec->data;
  if (*name) j["title"] = **name;
  if (*status) j["status"] = sr_status(**status);
  if (j == rec->data) return bj::object{{"remote_id", std::string(id)}, {"notified", false}};
  bool title_changed = j.at("title") != rec->data.at("title");
  bool status_changed = j.at("status") != rec->data.at("status");
  Millis now = now_ms();
  j["updatedOn"] = iso(now);
  j["lastActivityOn"] = iso(now);
  rec->data = std::move(j);
  rec->updated_at = now;
  std::string link = base_url() + "/jobs/" + std::string(id);
  if (announce && title_changed) out.push_back({"job.updated", bj::object{{"id", std::string(id)}}, link});
  if (announce && status_changed)
    out.push_back({"job.status.updated", bj::object{{"id", std::string(id)}}, link});
  return bj::object{{"remote_id", std::string(id)}, {"notified", announce}};
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

std::vector<std::string> SmartRecruitersSimulator::live_keys(const Subscription& s, Millis now) {
  std::vector<std::string> out;
  for (const auto& k : s.keys)
    if (k.retires_at == 0 || k.retires_at > now) out.push_back(k.key);
  return out;
}

void SmartRecruitersSimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  struct Target {
    std::string url;
    std::vector<std::string> keys;
  };
  std::vector<std::pair<Pending, std::vector<Target>>> plan;
  {
    MutexLock lock(mu_);
    Millis now = now_ms();
    for (auto& e : events) {
      std::vector<Target> targets;
      for (const auto& s : subscriptions_)
        if (s.status == "active" && s.event == e.event)
          targets.push_back({s.callback_url, live_keys(s, now)});
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  for (auto& [event, targets] : plan) {
    std::string body = json::serialize(event.body);
    std::string link = "<" + event.link + ">; rel=self";
    for (const auto& t : targets) {
      std::string event_id = new_uuid();
      std::string timestamp = std::to_string(now_ms() / 1000);
      OutboundWebhook w;
      w.url = t.url;
      w.event = event.event;
      w.delivery_id = event_id;
      w.headers = {{"Content-Type", "application/json"},
                   {"event-name", event.event},
                   {"event-version", std::string(kEventVersion)},
                   {"event-id", event_id},
                   {"link", link},
                   {"smartrecruiters-timestamp", timestamp}};
      if (!t.keys.empty())
        w.headers.emplace_back(
            "smartrecruiters-signature",
            signature_header(t.keys, timestamp, body, event_id, event.event, kEventVersion, link));
      w.body = body;
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::smartrecruiters
