#include "sim/teamtailor/teamtailor_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"

namespace tributary::sim::teamtailor {

namespace bj = boost::json;

namespace {

// Company webhook events (https://partner.teamtailor.com/company_webhooks, "Event Types").
constexpr std::array<std::string_view, 9> kKnownEvents = {"candidate.create",
                                                          "candidate.update",
                                                          "candidate.destroy",
                                                          "job.create",
                                                          "job.update",
                                                          "job.destroy",
                                                          "job_application.create",
                                                          "job_application.update",
                                                          "job_application.destroy"};

constexpr std::size_t kKeyLength = 40;
constexpr std::size_t kMaxUrl = 2048;

std::string iso(Millis ms) {
  // Teamtailor renders times with milliseconds and an offset: "2023-02-08T10:10:13.611+01:00" (UTC here).
  std::string t = format_iso8601(ms);
  if (t.size() >= 23) return t.substr(0, 23) + "+00:00";
  return t;
}

// Control-API status → Teamtailor's job status. Teamtailor has no "closed": a closed job is archived.
std::string job_status_of(std::string_view unified) {
  if (unified == "OPEN") return "open";
  if (unified == "DRAFT") return "draft";
  return "archived";
}

std::string human_status_of(std::string_view status) {
  if (status == "open") return "published";
  if (status == "draft") return "draft";
  return "archived";
}

bj::object webhook_data(const bj::object& record) {
  return bj::object{
      {"id", record.at("id")}, {"type", record.at("type")}, {"attributes", record.at("attributes")}};
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  // vendors.md: "No retries (failed deliveries are only logged)".
  static const auto schedule = make_retry_schedule({}, 0.0, std::chrono::milliseconds{10000},
                                                   [](const http::ClientResponse&) { return false; });
  return schedule;
}

std::string signature_v1(std::string_view key, std::string_view id) {
  return crypto::base64_encode(crypto::hex_encode(crypto::hmac_sha256(key, id)));
}

std::string signature_v2(std::string_view key, std::int64_t unix_seconds, std::string_view payload_json) {
  std::string t = std::to_string(unix_seconds);
  std::string message = t + "." + std::string(payload_json);
  return crypto::base64_encode("t=" + t + ",v2=" + crypto::hex_encode(crypto::hmac_sha256(key, message)));
}

std::unique_ptr<Simulator> make_teamtailor_simulator(SimOptions options) {
  return std::make_unique<TeamtailorSimulator>(std::move(options));
}

TeamtailorSimulator::TeamtailorSimulator(SimOptions options)
    : SimulatorBase("teamtailor", std::move(options), {"ats_candidates", "ats_jobs"}) {
  // No published number in what we hold: the connector's declared conservative 5 per second.
  set_api_limits(unpublished_tool_limits());
  add_record_routes();
}

TeamtailorSimulator::~TeamtailorSimulator() {
  stop();
}

std::string TeamtailorSimulator::next_id() {
  return std::to_string(next_id_++);
}

RecordStore* TeamtailorSimulator::store_for(std::string_view model) {
  return model == "ats_candidates" ? &candidates_ : &jobs_;
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> TeamtailorSimulator::sim_create(std::string_view model, const bj::object& fields) {
  return change_then_fire(
      this, &TeamtailorSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
        return model == "ats_candidates" ? create_candidate(fields, events) : create_job(fields, events);
      });
}

Result<bj::object> TeamtailorSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                                   const bj::object& fields) {
  return change_then_fire(this, &TeamtailorSimulator::fire, mu_,
                          [&](std::vector<Pending>& events) REQUIRES(mu_) {
                            return model == "ats_candidates" ? update_candidate(remote_id, fields, events)
                                                             : update_job(remote_id, fields, events);
                          });
}

Result<bj::object> TeamtailorSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  return change_then_fire(this, &TeamtailorSimulator::fire, mu_,
                          [&](std::vector<Pending>& events) REQUIRES(mu_) {
                            return model == "ats_candidates" ? delete_candidate(remote_id, events)
                                                             : delete_job(remote_id, events);
                          });
}

Result<bj::value> TeamtailorSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  return store_for(model)->data_of(remote_id);
}

bj::array TeamtailorSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return store_for(model)->all_data();
}

Result<bj::object> TeamtailorSimulator::sim_publish(std::string_view remote_id, bool live) {
  std::vector<Pending> events;
  bj::object reply;
  {
    MutexLock lock(mu_);
    auto* job = jobs_.find(remote_id);
    if (job == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(remote_id));
    bj::object& attributes = job->data["attributes"].as_object();
    std::string status = live ? "open" : "archived";
    bool changed = attributes.at("status").as_string() != status;
    if (changed) {
      Millis now = now_ms();
      attributes["status"] = status;
      attributes["human-status"] = human_status_of(status);
      attributes["updated-at"] = iso(now);
      job->updated_at = now;
      // Teamtailor has no publish event: the status change arrives as job.update.
      events.push_back({"job.update", webhook_data(job->data)});
    }
    reply = bj::object{{"remote_id", std::string(remote_id)}, {"status", status}, {"changed", changed}};
  }
  fire(std::move(events));
  return reply;
}

bj::array TeamtailorSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& h : hooks_) {
    // The key is shown once, at creation, as in Teamtailor's settings page.
    out.push_back(bj::object{{"id", h.id},
                             {"name", h.name},
                             {"url", h.url},
                             {"event_types", string_array(h.event_types)},
                             {"signature_version", h.signature_version},
                             {"active", true},
                             {"created_at", format_iso8601(h.created_at)}});
  }
  return out;
}

void TeamtailorSimulator::sim_register_webhook(const bj::object& body,
                                               std::function<void(Result<bj::object>)> done) {
  auto bad = [&](std::string m) { done(make_error(ErrorKind::kInvalidArgument, std::move(m))); };
  if (auto st = check_keys(body, "webhook", {"url", "event_types", "name", "signature_version"}); !st.ok())
    return done(st.error());
  const auto* url = body.if_contains("url");
  if (url == nullptr || !url->is_string() || url->get_string().size() > kMaxUrl ||
      !has_http_scheme(url->get_string()))
    return bad("'url' must be an http(s) URL");
  std::vector<std::string> events;
  if (const auto* types = body.if_contains("event_types"); types != nullptr && !types->is_null()) {
    if (!types->is_array()) return bad("'event_types' must be a list of Teamtailor webhook events");
    for (const auto& t : types->get_array()) {
      if (!t.is_string() || std::find(kKnownEvents.begin(), kKnownEvents.end(),
                                      std::string_view(t.get_string())) == kKnownEvents.end())
        return bad("unknown Teamtailor webhook event " + json::serialize(t));
      if (std::find(events.begin(), events.end(), t.get_string()) == events.end())
        events.emplace_back(t.get_string());
    }
  } else {
    events.assign(kKnownEvents.begin(), kKnownEvents.end());
  }
  int version = 2;
  if (const auto* v = body.if_contains("signature_version"); v != nullptr && !v->is_null()) {
    if (!v->is_int64() || (v->get_int64() != 1 && v->get_int64() != 2))
      return bad("'signature_version' must be 1 or 2");
    version = static_cast<int>(v->get_int64());
  }
  Hook hook;
  hook.url = std::string(url->get_string());
  if (const auto* n = body.if_contains("name"); n != nullptr && n->is_string())
    hook.name = std::string(n->get_string());
  hook.event_types = std::move(events);
  hook.signature_version = version;
  hook.key = crypto::random_token(kKeyLength);
  note_secret("webhook key", hook.key);
  hook.created_at = now_ms();
  bj::array types;
  for (const auto& e : hook.event_types)
    types.push_back(bj::value(e));
  bj::object answer{
      {"id", ""}, {"secret", hook.key}, {"signature_version", version}, {"event_types", std::move(types)}};
  {
    MutexLock lock(mu_);
    hook.id = std::to_string(next_hook_id_++);
    answer["id"] = hook.id;
    spdlog::info("sim teamtailor: webhook {} created for {} (signature v{})", hook.id, hook.url, version);
    hooks_.push_back(std::move(hook));
  }
  done(std::move(answer));
}

// ---------------------------------------------------------------------------------------------------------------
// Candidates

Status TeamtailorSimulator::apply_candidate_fields(bj::object& a, const bj::object& fields) {
  for (auto [key, attr] : {std::pair{"first_name", "first-name"}, std::pair{"last_name", "last-name"},
                           std::pair{"email", "email"}, std::pair{"phone", "phone"},
                           std::pair{"pitch", "pitch"}, std::pair{"linkedin_url", "linkedin-url"}}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) a[attr] = str_or_null(*v);
  }
  if (const auto* tags = fields.if_contains("tags")) {
    if (!tags->is_array() || !std::all_of(tags->get_array().begin(), tags->get_array().end(),
                                          [](const bj::value& t) { return t.is_string(); }))
      return make_error(ErrorKind::kInvalidArgument, "field 'tags' must be a list of strings");
    a["tags"] = tags->get_array();
  }
  return {};
}

Result<bj::object> TeamtailorSimulator::create_candidate(const bj::object& fields,
                                                         std::vector<Pending>& out) {
  if (auto st = check_keys(
          fields, "ats_candidates",
          {"first_name", "last_name", "email", "phone", "pitch", "linkedin_url", "tags", "job_remote_id"});
      !st.ok())
    return st.error();
  auto job_id = opt_id(fields, "job_remote_id");
  if (!job_id.ok()) return job_id.error();
  if (*job_id && jobs_.find(**job_id) == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "job_remote_id: no job " + **job_id);
  Millis now = now_ms();
  bj::object a{{"first-name", nullptr},  {"last-name", nullptr},  {"email", nullptr},
               {"phone", nullptr},       {"pitch", nullptr},      {"linkedin-url", nullptr},
               {"picture", nullptr},     {"connected", false},    {"internal", false},
               {"sourced", false},       {"unsubscribed", false}, {"tags", bj::array{}},
               {"created-at", iso(now)}, {"updated-at", iso(now)}};
  bj::object rest = fields;
  rest.erase("job_remote_id");
  if (auto st = apply_candidate_fields(a, rest); !st.ok()) return st.error();
  std::string id = next_id();
  bj::object candidate{{"id", id}, {"type", "candidates"}, {"attributes", std::move(a)}};
  const StoredRecord& rec = candidates_.put(id, std::move(candidate), now);
  out.push_back({"candidate.create", webhook_data(rec.data)});
  bj::object reply{{"remote_id", id}};
  if (*job_id) {
    std::string app_id = next_id();
    bj::object app{
        {"id", app_id},
        {"type", "job-applications"},
        {"attributes", bj::object{{"cover-letter", nullptr},
                                  {"created-at", iso(now)},
                                  {"updated-at", iso(now)},
                                  {"sourced", false},
                                  {"rejected-at", nullptr},
                                  {"changed-stage-at", iso(now)}}},
        {"relationships",
         bj::object{{"candidate", bj::object{{"data", bj::object{{"id", id}, {"type", "candidates"}}}}},
                    {"job", bj::object{{"data", bj::object{{"id", **job_id}, {"type", "jobs"}}}}}}}};
    const StoredRecord& app_rec = applications_.put(app_id, std::move(app), now);
    out.push_back({"job_application.create", webhook_data(app_rec.data)});
    reply["application_id"] = app_id;
  }
  return reply;
}

Result<bj::object> TeamtailorSimulator::update_candidate(std::string_view id, const bj::object& fields,
                                                         std::vector<Pending>& out) {
  auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  if (auto st = check_keys(fields, "ats_candidates",
                           {"first_name", "last_name", "email", "phone", "pitch", "linkedin_url", "tags"});
      !st.ok())
    return st.error();
  bj::object a = rec->data.at("attributes").as_object();
  if (auto st = apply_candidate_fields(a, fields); !st.ok()) return st.error();
  Millis now = now_ms();
  a["updated-at"] = iso(now);
  rec->data["attributes"] = std::move(a);
  rec->updated_at = now;
  out.push_back({"candidate.update", webhook_data(rec->data)});
  return bj::object{{"remote_id", std::string(id)}};
}

Result<bj::object> TeamtailorSimulator::delete_candidate(std::string_view id, std::vector<Pending>& out) {
  const auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  // A candidate's applications go with it.
  std::vector<std::string> app_ids;
  for (const auto* app : applications_.all())
    if (app->data.at("relationships").at("candidate").at("data").at("id").as_string() == id)
      app_ids.push_back(app->id);
  for (const auto& app_id : app_ids) {
    out.push_back({"job_application.destroy", webhook_data(applications_.find(app_id)->data)});
    applications_.erase(app_id);
  }
  out.push_back({"candidate.destroy", webhook_data(rec->data)});
  candidates_.erase(id);
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs

Status TeamtailorSimulator::apply_job_fields(bj::object& a, const bj::object& fields) {
  auto name = opt_string(fields, "name");
  if (!name.ok()) return name.error();
  if (*name) a["title"] = **name;
  auto description = opt_string(fields, "description");
  if (!description.ok()) return description.error();
  if (*description) a["body"] = **description;
  auto status = opt_enum(fields, "status", {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"});
  if (!status.ok()) return status.error();
  if (*status) {
    std::string s = job_status_of(**status);
    a["status"] = s;
    a["human-status"] = human_status_of(s);
  }
  auto remote = opt_enum(fields, "remote_status", {"NONE", "HYBRID", "TEMPORARY", "FULLY"});
  if (!remote.ok()) return remote.error();
  if (*remote) {
    std::string r = **remote;
    std::transform(r.begin(), r.end(), r.begin(), [](unsigned char c) { return std::tolower(c); });
    a["remote-status"] = r;
  }
  auto internal = opt_bool(fields, "internal");
  if (!internal.ok()) return internal.error();
  if (*internal) a["internal"] = **internal;
  return {};
}

Result<bj::object> TeamtailorSimulator::create_job(const bj::object& fields, std::vector<Pending>& out) {
  if (auto st =
          check_keys(fields, "ats_jobs", {"name", "status", "description", "remote_status", "internal"});
      !st.ok())
    return st.error();
  Millis now = now_ms();
  // The attributes of Teamtailor's documented job.update example.
  bj::object a{{"title", ""},
               {"body", ""},
               {"company-name", "Tributary Sim AB"},
               {"cover-letter-requirement", "cover_letter_optional"},
               {"created-at", iso(now)},
               {"employment-level", "none"},
               {"employment-type", "none"},
               {"human-status", "draft"},
               {"internal", false},
               {"remote-status", "none"},
               {"status", "draft"},
               {"tags", bj::array{}},
               {"updated-at", iso(now)}};
  if (auto st = apply_job_fields(a, fields); !st.ok()) return st.error();
  std::string id = next_id();
  bj::object job{{"id", id}, {"type", "jobs"}, {"attributes", std::move(a)}};
  const StoredRecord& rec = jobs_.put(id, std::move(job), now);
  out.push_back({"job.create", webhook_data(rec.data)});
  return bj::object{{"remote_id", id}};
}

Result<bj::object> TeamtailorSimulator::update_job(std::string_view id, const bj::object& fields,
                                                   std::vector<Pending>& out) {
  auto* rec = jobs_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(id));
  if (auto st =
          check_keys(fields, "ats_jobs", {"name", "status", "description", "remote_status", "internal"});
      !st.ok())
    return st.error();
  bj::object a = rec->data.at("attributes").as_object();
  if (auto st = apply_job_fields(a, fields); !st.ok()) return st.error();
  Millis now = now_ms();
  a["updated-at"] = iso(now);
  rec->data["attributes"] = std::move(a);
  rec->updated_at = now;
  out.push_back({"job.update", webhook_data(rec->data)});
  return bj::object{{"remote_id", std::string(id)}};
}

Result<bj::object> TeamtailorSimulator::delete_job(std::string_view id, std::vector<Pending>& out) {
  const auto* rec = jobs_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no job " + std::string(id));
  std::vector<std::string> app_ids;
  for (const auto* app : applications_.all())
    if (app->data.at("relationships").at("job").at("data").at("id").as_string() == id)
      app_ids.push_back(app->id);
  for (const auto& app_id : app_ids) {
    out.push_back({"job_application.destroy", webhook_data(applications_.find(app_id)->data)});
    applications_.erase(app_id);
  }
  out.push_back({"job.destroy", webhook_data(rec->data)});
  jobs_.erase(id);
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void TeamtailorSimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  struct Target {
    std::string url;
    std::string key;
    int version = 2;
  };
  std::vector<std::pair<Pending, std::vector<Target>>> plan;
  {
    MutexLock lock(mu_);
    if (!webhooks_permitted()) {
      spdlog::info("sim teamtailor: webhooks switched off; {} event(s) not delivered", events.size());
      return;
    }
    for (auto& e : events) {
      std::vector<Target> targets;
      for (const auto& h : hooks_) {
        if (std::find(h.event_types.begin(), h.event_types.end(), e.event_name) == h.event_types.end())
          continue;
        targets.push_back({h.url, h.key, h.signature_version});
      }
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  for (auto& [event, targets] : plan) {
    std::string id(event.data.at("id").as_string());
    std::string payload =
        json::serialize(bj::object{{"event_name", event.event_name}, {"data", std::move(event.data)}});
    std::int64_t t = now_ms() / 1000;
    for (const auto& target : targets) {
      std::string signature =
          target.version == 1 ? signature_v1(target.key, id) : signature_v2(target.key, t, payload);
      OutboundWebhook w;
      w.url = target.url;
      w.event = event.event_name;
      // Teamtailor documents no delivery id; ours only names the attempt in the delivery log.
      w.delivery_id = new_uuid();
      w.headers = {{"Content-Type", "application/json"}, {"TT-Signature", signature}};
      // The payload bytes are embedded verbatim, so they are exactly what v2 signed.
      w.body = "{\"payload\":" + payload + ",\"signature\":\"" + signature + "\"}";
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::teamtailor
