#include "sim/greenhouse/greenhouse_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"
#include "sim/greenhouse/greenhouse_format.h"

namespace tributary::sim::greenhouse {

namespace bj = boost::json;

namespace {

// Web hook events a Greenhouse admin can pick (from Greenhouse's web hook documentation).
constexpr std::array<std::string_view, 27> kKnownEvents = {"new_candidate_application",
                                                           "new_prospect_application",
                                                           "update_candidate",
                                                           "delete_candidate",
                                                           "merge_candidate",
                                                           "candidate_stage_change",
                                                           "hire_candidate",
                                                           "reject_candidate",
                                                           "unreject_candidate",
                                                           "unhire_candidate",
                                                           "delete_application",
                                                           "update_application",
                                                           "prospect_created",
                                                           "job_created",
                                                           "job_updated",
                                                           "job_deleted",
                                                           "job_post_created",
                                                           "job_post_updated",
                                                           "job_post_deleted",
                                                           "job_interview_stage_deleted",
                                                           "offer_created",
                                                           "offer_updated",
                                                           "offer_deleted",
                                                           "interview_deleted",
                                                           "scorecard_deleted",
                                                           "department_deleted",
                                                           "office_deleted"};

constexpr std::chrono::milliseconds kPingTimeout{10000};

std::int64_t to_int(std::string_view id) {
  std::int64_t v = 0;
  for (char c : id)
    v = v * 10 + (c - '0');
  return v;
}

std::string iso(Millis ms) {
  // Greenhouse renders seconds: "2013-10-04T01:24:48Z".
  std::string t = format_iso8601(ms);
  return t.substr(0, 19) + "Z";
}

// Unified email/phone lists → Greenhouse's [{value, type}].
Result<bj::array> contact_list(const bj::value& v, std::string_view key, std::string_view value_key,
                               std::initializer_list<std::string_view> types, std::string_view default_type) {
  if (!v.is_array())
    return make_error(ErrorKind::kInvalidArgument, "field '" + std::string(key) + "' must be a list");
  bj::array out;
  for (const auto& item : v.get_array()) {
    const auto* obj = item.if_object();
    const bj::value* value = obj ? obj->if_contains(value_key) : nullptr;
    if (value == nullptr || !value->is_string())
      return make_error(ErrorKind::kInvalidArgument, "each entry of '" + std::string(key) +
                                                         "' needs a string '" + std::string(value_key) + "'");
    std::string type(default_type);
    if (const auto* t = obj->if_contains("type"); t != nullptr && t->is_string()) {
      std::string lower(t->get_string());
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (std::find(types.begin(), types.end(), lower) != types.end()) type = lower;
    }
    out.push_back(bj::object{{"value", value->get_string()}, {"type", type}});
  }
  return out;
}

// A new candidate with nothing set yet, applied through `app_id`.
bj::object new_candidate(const std::string& cand_id, const std::string& app_id, Millis now) {
  return bj::object{{"id", to_int(cand_id)},
                    {"first_name", nullptr},
                    {"last_name", nullptr},
                    {"company", nullptr},
                    {"title", nullptr},
                    {"created_at", iso(now)},
                    {"updated_at", iso(now)},
                    {"last_activity", iso(now)},
                    {"is_private", false},
                    {"can_email", true},
                    {"external_id", nullptr},
                    {"photo_url", nullptr},
                    {"url", "https://app.greenhouse.io/people/" + cand_id},
                    {"phone_numbers", bj::array{}},
                    {"email_addresses", bj::array{}},
                    {"addresses", bj::array{}},
                    {"website_addresses", bj::array{}},
                    {"social_media_addresses", bj::array{}},
                    {"recruiter", nullptr},
                    {"coordinator", nullptr},
                    {"attachments", bj::array{}},
                    {"tags", bj::array{}},
                    {"custom_fields", bj::object{}},
                    {"application_ids", bj::array{to_int(app_id)}}};
}

// A new candidate's application, for `job` when it applies to one.
bj::object new_application(const std::string& cand_id, const std::string& app_id, const StoredRecord* job,
                           const std::string& source, Millis now) {
  bj::array app_jobs;
  if (job != nullptr)
    app_jobs.push_back(bj::object{{"id", job->data.at("id")}, {"name", job->data.at("name")}});
  return bj::object{{"id", to_int(app_id)},
                    {"candidate_id", to_int(cand_id)},
                    {"prospect", false},
                    {"applied_at", iso(now)},
                    {"rejected_at", nullptr},
                    {"last_activity_at", iso(now)},
                    {"url", "https://app.greenhouse.io/people/" + cand_id + "?application_id=" + app_id},
                    {"location", nullptr},
                    {"source", bj::object{{"id", 27}, {"public_name", source}}},
                    {"credited_to", nullptr},
                    {"rejection_reason", nullptr},
                    {"rejection_details", nullptr},
                    {"jobs", std::move(app_jobs)},
                    {"job_post_id", job != nullptr ? job->data.at("job_post_id") : bj::value(nullptr)},
                    {"status", "active"},
                    {"current_stage", bj::object{{"id", 678901}, {"name", "Application Review"}}},
                    {"answers", bj::array{}},
                    {"custom_fields", bj::object{}}};
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  // Greenhouse retries anything but a 2xx, including no answer at all.
  static const auto schedule = make_retry_schedule(delays_in_minutes({1, 15, 60, 120, 240, 480}), 0.1,
                                                   std::chrono::milliseconds{10000}, retry_every_failure);
  return schedule;
}

std::unique_ptr<Simulator> make_greenhouse_simulator(SimOptions options) {
  return std::make_unique<GreenhouseSimulator>(std::move(options));
}

GreenhouseSimulator::GreenhouseSimulator(SimOptions options)
    : SimulatorBase("greenhouse", std::move(options), {"ats_candidates", "ats_jobs"}) {
  // developers.greenhouse.io/harvest.html: a rolling 10 s window whose cap each answer states in
  // X-RateLimit-Limit, with X-RateLimit-Remaining / -Reset (here the Unix time the window frees a request),
  // 429 with Retry-After when exceeded; the v1 documentation's 50 per 10 s, as the connector declares. The
  // authorization host (auth.greenhouse.io) publishes no limit and is not limited.
  ToolLimits limits;
  limits.overall.windows = {{50, 10'000}};
  limits.headers = LimitHeaders::kXRateLimit;
  set_api_limits(std::move(limits));
  add_harvest_routes();
}

GreenhouseSimulator::~GreenhouseSimulator() {
  stop();
}

std::string GreenhouseSimulator::next_id() {
  return std::to_string(next_id_++);
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> GreenhouseSimulator::sim_create(std::string_view model, const bj::object& fields) {
  return change_then_fire(
      this, &GreenhouseSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
        return model == "ats_candidates" ? create_candidate(fields, events) : create_job(fields, events);
      });
}

Result<bj::object> GreenhouseSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                                   const bj::object& fields) {
  return change_then_fire(this, &GreenhouseSimulator::fire, mu_,
                          [&](std::vector<Pending>& events) REQUIRES(mu_) {
                            return model == "ats_candidates" ? update_candidate(remote_id, fields, events)
                                                             : update_job(remote_id, fields, events);
                          });
}

Result<bj::object> GreenhouseSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  return change_then_fire(this, &GreenhouseSimulator::fire, mu_,
                          [&](std::vector<Pending>& events) REQUIRES(mu_) {
                            return model == "ats_candidates" ? delete_candidate(remote_id, events)
                                                             : delete_job(remote_id, events);
                          });
}

Result<bj::value> GreenhouseSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  if (model == "ats_candidates") {
    const auto* c = candidates_.find(remote_id);
    if (c == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(remote_id));
    bj::object out = c->data;
    bj::array apps;
    for (const auto& id : c->data.at("application_ids").as_array()) {
      if (const auto* a = applications_.find(std::to_string(id.as_int64()))) apps.push_back(a->data);
    }
    out["applications"] = std::move(apps);
    return bj::value(std::move(out));
  }
  const auto* j = jobs_.find(remote_id);
  if (j == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(remote_id));
  bj::object out = j->data;
  out["job_post"] = job_post_of(remote_id);
  return bj::value(std::move(out));
}

bj::array GreenhouseSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? candidates_ : jobs_).all_data();
}

Result<bj::object> GreenhouseSimulator::sim_publish(std::string_view remote_id, bool live) {
  std::vector<Pending> events;
  bj::object reply;
  {
    MutexLock lock(mu_);
    auto* job = jobs_.find(remote_id);
    if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(remote_id));
    std::string post_id = std::to_string(job->data.at("job_post_id").as_int64());
    auto* post = job_posts_.find(post_id);
    if (post == nullptr) return make_error(ErrorKind::kInternal, "job without a post");
    bool changed = post->data.at("live").as_bool() != live;
    if (changed) {
      Millis now = now_ms();
      post->data["live"] = live;
      post->data["updated_at"] = format_iso8601(now);
      if (live && post->data.at("first_published_at").is_null()) post->data["first_published_at"] = iso(now);
      post->updated_at = now;
      job->updated_at = now;
      job->data["updated_at"] = iso(now);
      // Greenhouse: job_post_updated "also fires when the live status of the job changes from on to off or
      // vice-versa". Publishing an already live post changes nothing and fires nothing.
      events.push_back({"job_post_updated", post->data});
    }
    reply = bj::object{{"remote_id", std::string(remote_id)},
                       {"job_post_id", post_id},
                       {"live", live},
                       {"changed", changed}};
  }
  fire(std::move(events));
  return reply;
}

bj::array GreenhouseSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& h : hooks_) {
    // The secret stays in the simulator, as it stays in Greenhouse's UI.
    out.push_back(bj::object{{"id", h.id},
                             {"name", h.name},
                             {"url", h.url},
                             {"event_types", string_array(h.event_types)},
                             {"active", h.active},
                             {"created_at", format_iso8601(h.created_at)}});
  }
  return out;
}

void GreenhouseSimulator::sim_register_webhook(const bj::object& body,
                                               std::function<void(Result<bj::object>)> done) {
  auto bad = [&](std::string m) { done(make_error(ErrorKind::kInvalidArgument, std::move(m))); };
  if (auto st = check_keys(body, "web hook", {"url", "secret", "event_types", "name"}); !st.ok())
    return done(st.error());
  const auto* url = body.if_contains("url");
  if (url == nullptr || !url->is_string() || !has_http_scheme(url->get_string()))
    return bad("'url' must be an http(s) URL");
  const auto* secret = body.if_contains("secret");
  if (secret == nullptr || !secret->is_string() || secret->get_string().empty())
    return bad("'secret' must be a non-empty string (Greenhouse's secret key)");
  const auto* types = body.if_contains("event_types");
  if (types == nullptr || !types->is_array() || types->get_array().empty())
    return bad("'event_types' must be a non-empty list of Greenhouse web hook events");
  std::vector<std::string> events;
  for (const auto& t : types->get_array()) {
    if (!t.is_string() || std::find(kKnownEvents.begin(), kKnownEvents.end(),
                                    std::string_view(t.get_string())) == kKnownEvents.end())
      return bad("unknown Greenhouse web hook event " + json::serialize(t));
    events.emplace_back(t.get_string());
  }
  std::string name;
  if (const auto* n = body.if_contains("name"); n != nullptr && n->is_string())
    name = std::string(n->get_string());

  Hook hook;
  {
    MutexLock lock(mu_);
    hook.id = std::to_string(next_hook_id_++);
    hook.name = name.empty() ? "Web hook " + hook.id : name;
    hook.url = std::string(url->get_string());
    hook.secret = std::string(secret->get_string());
    hook.event_types = std::move(events);
    hook.active = false;  // until the ping succeeds
    hook.created_at = now_ms();
    hooks_.push_back(hook);
  }

  // Greenhouse pings the URL when the hook is saved; a failed ping leaves the hook disabled. The payload is
  // our reading of Greenhouse's ping: {"action": "ping", "payload": {"web_hook_id": <id>}}.
  std::string body_bytes = to_wire_json(envelope("ping", bj::object{{"web_hook_id", to_int(hook.id)}}));
  OutboundWebhook ping;
  ping.url = hook.url;
  ping.event = "ping";
  ping.delivery_id = new_uuid();
  ping.headers = {{"Content-Type", "application/json"},
                  {"Signature", signature_header(hook.secret, body_bytes)},
                  {"Greenhouse-Event-ID", ping.delivery_id}};
  ping.body = std::move(body_bytes);
  std::string hook_id = hook.id;
  sender().send_once(std::move(ping), kPingTimeout,
                     [this, hook_id, done = std::move(done)](const http::ClientResponse& response) {
                       bool ok = response.status >= 200 && response.status < 300;
                       {
                         MutexLock lock(mu_);
                         for (auto& h : hooks_)
                           if (h.id == hook_id) h.active = ok;
                       }
                       if (!ok)
                         spdlog::info("sim greenhouse: ping of web hook {} failed; the hook is disabled",
                                      hook_id);
                       bj::object reply{{"id", hook_id}, {"active", ok}, {"ping_status", response.status}};
                       if (!ok && !response.error.empty()) reply["ping_error"] = response.error;
                       done(std::move(reply));
                     });
}

// ---------------------------------------------------------------------------------------------------------------
// Candidates

Result<bj::object> GreenhouseSimulator::create_candidate(const bj::object& fields,
                                                         std::vector<Pending>& out) {
  if (auto st = check_keys(fields, "ats_candidates",
                           {"first_name", "last_name", "email", "email_addresses", "phone", "phone_numbers",
                            "company", "title", "job_id", "job_remote_id", "source", "tags", "confidential"});
      !st.ok())
    return st.error();
  auto job_id = opt_id(fields, fields.contains("job_remote_id") ? "job_remote_id" : "job_id");
  if (!job_id.ok()) return job_id.error();
  StoredRecord* job = nullptr;
  if (*job_id) {
    job = jobs_.find(**job_id);
    if (job == nullptr) return make_error(ErrorKind::kInvalidArgument, "no job " + **job_id + " to apply to");
  }
  auto source = opt_string(fields, "source");
  if (!source.ok()) return source.error();

  Millis now = now_ms();
  std::string cand_id = next_id();
  std::string app_id = next_id();
  candidates_.put(cand_id, new_candidate(cand_id, app_id, now), now);
  // Reuse the update path for the field mapping; it fires nothing for a record that is not yet announced.
  std::vector<Pending> ignored;
  if (auto r = update_candidate(
          cand_id,
          [&] {
            bj::object f = fields;
            f.erase("job_id");
            f.erase("job_remote_id");
            f.erase("source");
            return f;
          }(),
          ignored);
      !r.ok()) {
    candidates_.erase(cand_id);
    return r.error();
  }

  const StoredRecord& app_rec = applications_.put(
      app_id, new_application(cand_id, app_id, job, source->value_or("Jobs page"), now), now);
  out.push_back({"new_candidate_application", bj::object{{"application", webhook_application(app_rec)}}});
  return bj::object{{"remote_id", cand_id}, {"application_id", app_id}};
}

Result<bj::object> GreenhouseSimulator::update_candidate(std::string_view id, const bj::object& fields,
                                                         std::vector<Pending>& out) {
  auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  if (auto st = check_keys(fields, "ats_candidates",
                           {"first_name", "last_name", "email", "email_addresses", "phone", "phone_numbers",
                            "company", "title", "tags", "confidential"});
      !st.ok())
    return st.error();
  bj::object c = rec->data;
  for (std::string_view key : {"first_name", "last_name", "company", "title"}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) c[key] = str_or_null(*v);
  }
  auto email = opt_string(fields, "email");
  if (!email.ok()) return email.error();
  if (*email)
    c["email_addresses"] = email->value().empty()
                               ? bj::array{}
                               : bj::array{bj::object{{"value", **email}, {"type", "personal"}}};
  if (const auto* list = fields.if_contains("email_addresses")) {
    auto l =
        contact_list(*list, "email_addresses", "email_address", {"personal", "work", "other"}, "personal");
    if (!l.ok()) return l.error();
    c["email_addresses"] = std::move(*l);
  }
  auto phone = opt_string(fields, "phone");
  if (!phone.ok()) return phone.error();
  if (*phone)
    c["phone_numbers"] =
        phone->value().empty() ? bj::array{} : bj::array{bj::object{{"value", **phone}, {"type", "mobile"}}};
  if (const auto* list = fields.if_contains("phone_numbers")) {
    auto l = contact_list(*list, "phone_numbers", "phone_number",
                          {"home", "work", "mobile", "skype", "other"}, "mobile");
    if (!l.ok()) return l.error();
    c["phone_numbers"] = std::move(*l);
  }
  if (const auto* tags = fields.if_contains("tags")) {
    if (!tags->is_array() || !std::all_of(tags->get_array().begin(), tags->get_array().end(),
                                          [](const bj::value& t) { return t.is_string(); }))
      return make_error(ErrorKind::kInvalidArgument, "field 'tags' must be a list of strings");
    c["tags"] = tags->get_array();
  }
  auto confidential = opt_bool(fields, "confidential");
  if (!confidential.ok()) return confidential.error();
  if (*confidential) c["is_private"] = **confidential;

  Millis now = now_ms();
  c["updated_at"] = iso(now);
  c["last_activity"] = iso(now);
  rec->data = std::move(c);
  rec->updated_at = now;
  // Greenhouse: "occurs when a candidate or prospect's standard field or custom field is updated".
  out.push_back({"update_candidate", bj::object{{"candidate", rec->data}}});
  return bj::object{{"remote_id", std::string(id)}};
}

Result<bj::object> GreenhouseSimulator::delete_candidate(std::string_view id, std::vector<Pending>& out) {
  const auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  const bj::object& c = rec->data;
  bj::array app_ids = c.at("application_ids").as_array();
  // Greenhouse's delete_candidate: payload.person with the ids of the applications deleted with the
  // candidate.
  bj::object person{{"id", c.at("id")},
                    {"first_name", c.at("first_name")},
                    {"last_name", c.at("last_name")},
                    {"company", c.at("company")},
                    {"title", c.at("title")},
                    {"created_at", c.at("created_at")},
                    {"headline", nullptr},
                    {"is_private", c.at("is_private")},
                    {"recruiter_user_id", nullptr},
                    {"coordinator_user_id", nullptr},
                    {"can_email", c.at("can_email")},
                    {"deleted_application_ids", app_ids}};
  for (const auto& a : app_ids)
    applications_.erase(std::to_string(a.as_int64()));
  candidates_.erase(id);
  out.push_back({"delete_candidate", bj::object{{"person", std::move(person)}}});
  return bj::object{{"remote_id", std::string(id)}};
}

bj::object GreenhouseSimulator::webhook_application(const StoredRecord& application) const {
  bj::object a = application.data;
  std::string cand_id = std::to_string(a.at("candidate_id").as_int64());
  bj::array jobs;
  for (const auto& j : a.at("jobs").as_array()) {
    if (const auto* job = jobs_.find(std::to_string(j.at("id").as_int64())))
      jobs.push_back(webhook_job(*job));
  }
  a.erase("candidate_id");
  a.erase("job_post_id");
  a.erase("answers");
  if (const auto* cand = candidates_.find(cand_id)) {
    bj::object c = cand->data;
    c.erase("application_ids");
    c.erase("updated_at");
    c.erase("last_activity");
    a["candidate"] = std::move(c);
  }
  a["jobs"] = std::move(jobs);
  return a;
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs

bj::array GreenhouseSimulator::department_list(std::string_view name) {
  if (name.empty()) return {};
  auto [it, inserted] = departments_.try_emplace(std::string(name), 0);
  if (inserted) it->second = 14501 + static_cast<std::int64_t>(departments_.size());
  return bj::array{
      bj::object{{"id", it->second}, {"name", name}, {"parent_id", nullptr}, {"external_id", nullptr}}};
}

bj::array GreenhouseSimulator::office_list(std::string_view name) {
  if (name.empty()) return {};
  auto [it, inserted] = offices_.try_emplace(std::string(name), 0);
  if (inserted) it->second = 9099 + static_cast<std::int64_t>(offices_.size());
  return bj::array{
      bj::object{{"id", it->second}, {"name", name}, {"location", name}, {"external_id", nullptr}}};
}

Status GreenhouseSimulator::apply_job_fields(bj::object& job, bj::object& post, const bj::object& fields,
                                             bool* post_changed) {
  *post_changed = false;
  auto name = opt_string(fields, "name");
  if (!name.ok()) return name.error();
  if (*name) {
    job["name"] = str_or_null(*name);
    // The post's title follows the job's name in the simulator (one post per job).
    if (post.at("title") != job.at("name")) {
      post["title"] = job.at("name");
      *post_changed = true;
    }
  }
  auto status = opt_enum(fields, "status", {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"});
  if (!status.ok()) return status.error();
  if (*status) {
    std::string s = **status == "OPEN" ? "open" : **status == "DRAFT" ? "draft" : "closed";
    if (job.at("status").as_string() != s) {
      if (s == "closed") job["closed_at"] = iso(now_ms());
      if (s == "open") {
        job["closed_at"] = nullptr;
        if (job.at("opened_at").is_null()) job["opened_at"] = iso(now_ms());
      }
    }
    job["status"] = s;
  }
  auto description = opt_string(fields, "description");
  if (!description.ok()) return description.error();
  if (*description) {
    job["notes"] = str_or_null(*description);
    post["content"] = **description;
    *post_changed = true;
  }
  auto department = opt_string(fields, "department");
  if (!department.ok()) return department.error();
  if (*department) job["departments"] = department_list(**department);
  auto location = opt_string(fields, "location");
  if (!location.ok()) return location.error();
  if (*location) {
    job["offices"] = office_list(**location);
    post["location"] = str_or_null(*location);
    *post_changed = true;
  }
  auto code = opt_string(fields, "job_code");
  if (!code.ok()) return code.error();
  if (*code) job["requisition_id"] = str_or_null(*code);
  auto confidential = opt_bool(fields, "confidential");
  if (!confidential.ok()) return confidential.error();
  if (*confidential) job["confidential"] = **confidential;
  return {};
}

Result<bj::object> GreenhouseSimulator::create_job(const bj::object& fields, std::vector<Pending>& out) {
  if (auto st =
          check_keys(fields, "ats_jobs",
                     {"name", "status", "description", "department", "location", "job_code", "confidential"});
      !st.ok())
    return st.error();
  Millis now = now_ms();
  std::string job_id = next_id();
  std::string post_id = next_id();
  bj::object job{{"id", to_int(job_id)},
                 {"name", nullptr},
                 {"requisition_id", nullptr},
                 {"notes", nullptr},
                 {"confidential", false},
                 {"status", "open"},
                 {"created_at", iso(now)},
                 {"opened_at", iso(now)},
                 {"closed_at", nullptr},
                 {"updated_at", iso(now)},
                 {"is_template", false},
                 {"copied_from_id", nullptr},
                 {"job_post_id", to_int(post_id)},
                 {"departments", bj::array{}},
                 {"offices", bj::array{}},
                 {"hiring_team", bj::object{{"hiring_managers", bj::array{}},
                                            {"sourcers", bj::array{}},
                                            {"recruiters", bj::array{}},
                                            {"coordinators", bj::array{}}}},
                 {"custom_fields", bj::object{}}};
  bj::object post{{"id", to_int(post_id)},
                  {"title", nullptr},
                  {"location", nullptr},
                  {"content", ""},
                  {"internal_content", nullptr},
                  {"created_at", format_iso8601(now)},
                  {"updated_at", format_iso8601(now)},
                  {"first_published_at", nullptr},
                  {"job_id", to_int(job_id)},
                  {"external", true},
                  {"internal", false},
                  {"live", false},
                  {"questions", bj::array{}}};
  bool post_changed = false;
  if (auto st = apply_job_fields(job, post, fields, &post_changed); !st.ok()) return st.error();
  if (job.at("status").as_string() == "draft") job["opened_at"] = nullptr;
  const StoredRecord& job_rec = jobs_.put(job_id, std::move(job), now);
  const StoredRecord& post_rec = job_posts_.put(post_id, std::move(post), now);
  // job_created is not among the events feeding our unified events, but Greenhouse fires it; a new job's post
  // starts unpublished (live false).
  out.push_back({"job_created", bj::object{{"job", webhook_job(job_rec)}}});
  out.push_back({"job_post_created", post_rec.data});
  return bj::object{{"remote_id", job_id}, {"job_post_id", post_id}};
}

Result<bj::object> GreenhouseSimulator::update_job(std::string_view id, const bj::object& fields,
                                                   std::vector<Pending>& out) {
  auto* job = jobs_.find(id);
  if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(id));
  if (auto st =
          check_keys(fields, "ats_jobs",
                     {"name", "status", "description", "department", "location", "job_code", "confidential"});
      !st.ok())
    return st.error();
  std::string post_id = std::to_string(job->data.at("job_post_id").as_int64());
  auto* post = job_posts_.find(post_id);
  if (post == nullptr) return make_error(ErrorKind::kInternal, "job without a post");
  bj::object j = job->data;
  bj::object p = post->data;
  bool post_changed = false;
  if (auto st = apply_job_fields(j, p, fields, &post_changed); !st.ok()) return st.error();
  Millis now = now_ms();
  j["updated_at"] = iso(now);
  job->data = std::move(j);
  job->updated_at = now;
  out.push_back({"job_updated", bj::object{{"job", webhook_job(*job)}}});
  if (post_changed) {
    p["updated_at"] = format_iso8601(now);
    post->data = std::move(p);
    post->updated_at = now;
    out.push_back({"job_post_updated", post->data});
  }
  return bj::object{{"remote_id", std::string(id)}};
}

Result<bj::object> GreenhouseSimulator::delete_job(std::string_view id, std::vector<Pending>& out) {
  const auto* job = jobs_.find(id);
  if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(id));
  std::string post_id = std::to_string(job->data.at("job_post_id").as_int64());
  bj::object post = job_post_of(id);
  post["live"] = false;
  // Greenhouse documents that deleting a job does not fire job_post_deleted for its posts; the simulator
  // fires it anyway (after job_deleted) because our feed maps a job's disappearance to "unpublished" through
  // that event.
  out.push_back({"job_deleted", bj::object{{"job", bj::object{{"id", job->data.at("id")},
                                                              {"name", job->data.at("name")}}}}});
  if (!post.empty()) out.push_back({"job_post_deleted", bj::object{{"job_post", std::move(post)}}});
  job_posts_.erase(post_id);
  jobs_.erase(id);
  return bj::object{{"remote_id", std::string(id)}};
}

bj::object GreenhouseSimulator::job_post_of(std::string_view job_id) const {
  const auto* job = jobs_.find(job_id);
  if (job == nullptr) return {};
  const auto* post = job_posts_.find(std::to_string(job->data.at("job_post_id").as_int64()));
  return post == nullptr ? bj::object{} : post->data;
}

bj::object GreenhouseSimulator::webhook_job(const StoredRecord& job) const {
  bj::object j = job.data;
  j.erase("updated_at");
  j.erase("is_template");
  j.erase("copied_from_id");
  return j;
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void GreenhouseSimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  struct Target {
    std::string url;
    std::string secret;
  };
  std::vector<std::pair<Pending, std::vector<Target>>> plan;
  {
    MutexLock lock(mu_);
    if (!webhooks_permitted()) {
      spdlog::info("sim greenhouse: web hooks disabled by permission; {} event(s) not delivered",
                   events.size());
      return;
    }
    for (auto& e : events) {
      std::vector<Target> targets;
      for (const auto& h : hooks_) {
        if (!h.active) continue;
        if (std::find(h.event_types.begin(), h.event_types.end(), e.action) == h.event_types.end()) continue;
        targets.push_back({h.url, h.secret});
      }
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  for (auto& [event, targets] : plan) {
    std::string body = to_wire_json(envelope(event.action, std::move(event.payload)));
    for (const auto& t : targets) {
      OutboundWebhook w;
      w.url = t.url;
      w.event = event.action;
      // Greenhouse documents Greenhouse-Event-ID as "an unique id associated with this delivery". Our
      // reading: one id per event and hook, kept across the retries of that event, so a receiver can
      // recognise a redelivery.
      w.delivery_id = new_uuid();
      w.headers = {{"Content-Type", "application/json"},
                   {"Signature", signature_header(t.secret, body)},
                   {"Greenhouse-Event-ID", w.delivery_id}};
      w.body = body;
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::greenhouse
