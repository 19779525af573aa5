#include "sim/recruitee/recruitee_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"

namespace tributary::sim::recruitee {

namespace bj = boost::json;

namespace {

constexpr std::array<std::string_view, 8> kKnownEvents = {
    "candidate_created", "candidate_deleted", "candidate_moved",   "offer_created",
    "offer_updated",     "offer_published",   "offer_unpublished", "offer_deleted"};

constexpr std::int64_t kCompanyId = 61234;
constexpr std::string_view kCompanyName = "Tributary Sim B.V.";
constexpr std::chrono::milliseconds kTestTimeout{10000};
constexpr std::size_t kSecretLength = 32;
constexpr std::size_t kMaxUrl = 2048;

std::int64_t to_int(std::string_view id) {
  std::int64_t v = 0;
  for (char c : id)
    v = v * 10 + (c - '0');
  return v;
}

// Recruitee renders UTC times with seconds: "2024-03-01T10:20:30.000000Z" in some places and
// "2024-03-01T10:20:30Z" in others; the simulator uses the latter throughout.
std::string iso(Millis ms) {
  return format_iso8601(ms).substr(0, 19) + "Z";
}

std::string offer_status_of(std::string_view unified) {
  if (unified == "OPEN") return "published";
  if (unified == "CLOSED") return "closed";
  if (unified == "DRAFT") return "draft";
  return "archived";
}

std::string slug_of(std::string_view title) {
  std::string out;
  for (unsigned char c : title) {
    if (std::isalnum(c)) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out.empty() ? "offer" : out;
}

std::string full_name(const std::string& first, const std::string& last) {
  if (first.empty()) return last;
  if (last.empty()) return first;
  return first + " " + last;
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  // Any response other than 200, and no answer at all, is a failed delivery.
  static const auto schedule =
      make_retry_schedule(delays_in_minutes({5, 15, 30, 60, 120, 240, 480, 720, 1080}), 0.1,
                          std::chrono::milliseconds{10000}, retry_every_failure);
  return schedule;
}

std::string signature(std::string_view secret, std::string_view body) {
  return crypto::hex_encode(crypto::hmac_sha256(secret, body));
}

std::unique_ptr<Simulator> make_recruitee_simulator(SimOptions options) {
  return std::make_unique<RecruiteeSimulator>(std::move(options));
}

RecruiteeSimulator::RecruiteeSimulator(SimOptions options)
    : SimulatorBase("recruitee", std::move(options), {"ats_candidates", "ats_jobs"}) {
  // No published number: the connector's declared conservative 5 per second.
  set_api_limits(unpublished_tool_limits());
  add_record_routes();
}

RecruiteeSimulator::~RecruiteeSimulator() {
  stop();
}

std::string RecruiteeSimulator::next_id() {
  return std::to_string(next_id_++);
}

bj::object RecruiteeSimulator::company() const {
  return bj::object{{"id", kCompanyId}, {"name", kCompanyName}};
}

// A pipeline stage as webhook details show it: {"id", "name", "category"} [3rd]. Categories follow the
// stage's name for the usual stages; any other stage is an interview stage.
bj::object RecruiteeSimulator::stage(std::string_view name) {
  auto [it, inserted] = stage_ids_.try_emplace(std::string(name), 0);
  if (inserted) it->second = 44001 + static_cast<std::int64_t>(stage_ids_.size());
  std::string category = name == "Applied" ? "apply"
                         : name == "Hired" ? "hire"
                         : name == "Offer" ? "offer"
                                           : "interview";
  return bj::object{{"id", it->second}, {"name", name}, {"category", category}};
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> RecruiteeSimulator::sim_create(std::string_view model, const bj::object& fields) {
  return change_then_fire(
      this, &RecruiteeSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
        return model == "ats_candidates" ? create_candidate(fields, events) : create_offer(fields, events);
      });
}

Result<bj::object> RecruiteeSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                                  const bj::object& fields) {
  return change_then_fire(this, &RecruiteeSimulator::fire, mu_,
                          [&](std::vector<Pending>& events) REQUIRES(mu_) {
                            return model == "ats_candidates" ? update_candidate(remote_id, fields, events)
                                                             : update_offer(remote_id, fields, events);
                          });
}

Result<bj::object> RecruiteeSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  return change_then_fire(this, &RecruiteeSimulator::fire, mu_,
                          [&](std::vector<Pending>& events) REQUIRES(mu_) {
                            return model == "ats_candidates" ? delete_candidate(remote_id, events)
                                                             : delete_offer(remote_id, events);
                          });
}

Result<bj::value> RecruiteeSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? candidates_ : offers_).data_of(remote_id);
}

bj::array RecruiteeSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? candidates_ : offers_).all_data();
}

Result<bj::object> RecruiteeSimulator::sim_publish(std::string_view remote_id, bool live) {
  std::vector<Pending> events;
  bj::object reply;
  {
    MutexLock lock(mu_);
    auto* rec = offers_.find(remote_id);
    if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no offer " + std::string(remote_id));
    std::string status = live ? "published" : "internal";
    bool changed = rec->data.at("status").as_string() != status;
    if (changed) {
      Millis now = now_ms();
      rec->data["status"] = status;
      if (live) rec->data["published_at"] = iso(now);
      rec->data["updated_at"] = iso(now);
      rec->updated_at = now;
      events.push_back({live ? "offer_published" : "offer_unpublished", "",
                        bj::object{{"company", company()}, {"offer", rec->data}}});
    }
    reply = bj::object{{"remote_id", std::string(remote_id)}, {"status", status}, {"changed", changed}};
  }
  fire(std::move(events));
  return reply;
}

bj::array RecruiteeSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& h : hooks_) {
    // The secret stays in Recruitee's settings page.
    out.push_back(bj::object{{"id", h.id},
                             {"name", h.name},
                             {"url", h.url},
                             {"event_types", string_array(h.event_types)},
                             {"active", true},
                             {"created_at", format_iso8601(h.created_at)}});
  }
  return out;
}

void RecruiteeSimulator::sim_register_webhook(const bj::object& body,
                                              std::function<void(Result<bj::object>)> done) {
  auto bad = [&](std::string m) { done(make_error(ErrorKind::kInvalidArgument, std::move(m))); };
  if (auto st = check_keys(body, "webhook", {"url", "event_types", "name"}); !st.ok())
    return done(st.error());
  {
    MutexLock lock(mu_);
    if (!webhooks_permitted())
      return done(make_error(ErrorKind::kForbidden, "the member lacks the \"Manage webhooks\" ability"));
  }
  const auto* url = body.if_contains("url");
  if (url == nullptr || !url->is_string() || url->get_string().size() > kMaxUrl ||
      !has_http_scheme(url->get_string()))
    return bad("'url' must be an http(s) URL");
  std::vector<std::string> events;
  if (const auto* types = body.if_contains("event_types"); types != nullptr && !types->is_null()) {
    if (!types->is_array()) return bad("'event_types' must be a list of Recruitee webhook events");
    for (const auto& t : types->get_array()) {
      if (!t.is_string() || std::find(kKnownEvents.begin(), kKnownEvents.end(),
                                      std::string_view(t.get_string())) == kKnownEvents.end())
        return bad("unknown Recruitee webhook event " + json::serialize(t));
      if (std::find(events.begin(), events.end(), t.get_string()) == events.end())
        events.emplace_back(t.get_string());
    }
  } else {
    events.assign(kKnownEvents.begin(), kKnownEvents.end());
  }
  auto hook = std::make_shared<Hook>();
  hook->url = std::string(url->get_string());
  if (const auto* n = body.if_contains("name"); n != nullptr && n->is_string())
    hook->name = std::string(n->get_string());
  hook->event_types = std::move(events);

  // "Verify and create": the test request goes out first, unsigned, and only a 200 creates the webhook.
  OutboundWebhook test;
  test.url = hook->url;
  test.event = "test";
  test.delivery_id = new_uuid();
  test.headers = {{"Content-Type", "application/json"}, {"User-Agent", "Recruitee-Webhooks"}};
  test.body = R"({"test":true})";
  sender().send_once(std::move(test), kTestTimeout,
                     [this, hook, done = std::move(done)](const http::ClientResponse& response) {
                       if (response.status != 200) {
                         spdlog::info("sim recruitee: webhook for {} not created (test answered {})",
                                      hook->url, response.status);
                         done(bj::object{{"id", nullptr},
                                         {"secret", nullptr},
                                         {"test_ok", false},
                                         {"test_status", response.status},
                                         {"active", false}});
                         return;
                       }
                       hook->secret = crypto::random_token(kSecretLength);
                       note_secret("webhook secret", hook->secret);
                       hook->created_at = now_ms();
                       {
                         MutexLock lock(mu_);
                         hook->id = std::to_string(next_hook_id_++);
                         hooks_.push_back(*hook);
                       }
                       spdlog::info("sim recruitee: webhook {} created for {}", hook->id, hook->url);
                       done(bj::object{{"id", hook->id},
                                       {"secret", hook->secret},
                                       {"test_ok", true},
                                       {"test_status", response.status},
                                       {"active", true}});
                     });
}

// ---------------------------------------------------------------------------------------------------------------
// Candidates

Result<bj::object> RecruiteeSimulator::create_candidate(const bj::object& fields, std::vector<Pending>& out) {
  if (auto st = check_keys(fields, "ats_candidates",
                           {"first_name", "last_name", "email", "phone", "tags", "job_remote_id", "stage"});
      !st.ok())
    return st.error();
  auto job_id = opt_id(fields, "job_remote_id");
  if (!job_id.ok()) return job_id.error();
  if (*job_id && offers_.find(**job_id) == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "job_remote_id: no offer " + **job_id);
  Millis now = now_ms();
  std::string id = next_id();
  bj::object c{{"id", to_int(id)},           {"name", ""},
               {"emails", bj::array{}},      {"phones", bj::array{}},
               {"photo_thumb_url", nullptr}, {"source", "manual"},
               {"tags", bj::array{}},        {"placements", bj::array{}},
               {"created_at", iso(now)},     {"updated_at", iso(now)}};
  Names names;
  for (auto [key, target] : {std::pair{"first_name", &names.first}, std::pair{"last_name", &names.last}}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) *target = **v;
  }
  c["name"] = full_name(names.first, names.last);
  auto email = opt_string(fields, "email");
  if (!email.ok()) return email.error();
  if (*email && !(*email)->empty()) c["emails"] = bj::array{bj::value(**email)};
  auto phone = opt_string(fields, "phone");
  if (!phone.ok()) return phone.error();
  if (*phone && !(*phone)->empty()) c["phones"] = bj::array{bj::value(**phone)};
  if (const auto* tags = fields.if_contains("tags")) {
    if (!tags->is_array() || !std::all_of(tags->get_array().begin(), tags->get_array().end(),
                                          [](const bj::value& t) { return t.is_string(); }))
      return make_error(ErrorKind::kInvalidArgument, "field 'tags' must be a list of strings");
    c["tags"] = tags->get_array();
  }
  auto stage = opt_string(fields, "stage");
  if (!stage.ok()) return stage.error();
  bj::object reply{{"remote_id", id}};
  if (*job_id) {
    std::string placement_id = next_id();
    c["placements"] = bj::array{
        bj::object{{"id", to_int(placement_id)},
                   {"offer_id", to_int(**job_id)},
                   {"candidate_id", to_int(id)},
                   {"stage", *stage && !(*stage)->empty() ? bj::value(**stage) : bj::value("Applied")},
                   {"disqualified_at", nullptr},
                   {"created_at", iso(now)},
                   {"updated_at", iso(now)}}};
    reply["placement_id"] = placement_id;
  }
  names_[id] = names;
  const StoredRecord& rec = candidates_.put(id, std::move(c), now);
  out.push_back({"candidate_created", "", bj::object{{"company", company()}, {"candidate", rec.data}}});
  return reply;
}

Result<bj::object> RecruiteeSimulator::update_candidate(std::string_view id, const bj::object& fields,
                                                        std::vector<Pending>& out) {
  auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  if (auto st = check_keys(fields, "ats_candidates",
                           {"first_name", "last_name", "email", "phone", "tags", "stage", "disqualified"});
      !st.ok())
    return st.error();
  bj::object c = rec->data;
  Names names = names_[std::string(id)];
  for (auto [key, target] : {std::pair{"first_name", &names.first}, std::pair{"last_name", &names.last}}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) *target = **v;
  }
  c["name"] = full_name(names.first, names.last);
  auto email = opt_string(fields, "email");
  if (!email.ok()) return email.error();
  if (*email) c["emails"] = (*email)->empty() ? bj::array{} : bj::array{bj::value(**email)};
  auto phone = opt_string(fields, "phone");
  if (!phone.ok()) return phone.error();
  if (*phone) c["phones"] = (*phone)->empty() ? bj::array{} : bj::array{bj::value(**phone)};
  if (const auto* tags = fields.if_contains("tags")) {
    if (!tags->is_array() || !std::all_of(tags->get_array().begin(), tags->get_array().end(),
                                          [](const bj::value& t) { return t.is_string(); }))
      return make_error(ErrorKind::kInvalidArgument, "field 'tags' must be a list of strings");
    c["tags"] = tags->get_array();
  }
  auto stage = opt_string(fields, "stage");
  if (!stage.ok()) return stage.error();
  auto disqualified = opt_bool(fields, "disqualified");
  if (!disqualified.ok()) return disqualified.error();
  bj::array& placements = c["placements"].as_array();
  if ((*stage || *disqualified) && placements.empty())
    return make_error(ErrorKind::kInvalidArgument,
                      "the candidate has no placement (create it with job_remote_id) to move or disqualify");
  Millis now = now_ms();
  std::vector<Pending> moved;
  if (!placements.empty()) {
    bj::object& p = placements[0].as_object();
    if (*stage && !(*stage)->empty() && p.at("stage").as_string() != **stage) {
      bj::object details{{"from_stage", this->stage(p.at("stage").as_string())},
                         {"to_stage", this->stage(**stage)}};
      p["stage"] = **stage;
      p["updated_at"] = iso(now);
      moved.push_back({"candidate_moved", "stage_changed", bj::object{{"details", std::move(details)}}});
    }
    if (*disqualified && (**disqualified != !p.at("disqualified_at").is_null())) {
      p["disqualified_at"] = **disqualified ? bj::value(iso(now)) : bj::value(nullptr);
      p["updated_at"] = iso(now);
      moved.push_back({"candidate_moved", **disqualified ? "disqualified" : "requalified", bj::object{}});
    }
  }
  c["updated_at"] = iso(now);
  rec->data = std::move(c);
  rec->updated_at = now;
  names_[std::string(id)] = names;
  for (auto& m : moved) {
    m.payload["company"] = company();
    m.payload["candidate"] = rec->data;
    out.push_back(std::move(m));
  }
  return bj::object{{"remote_id", std::string(id)}, {"notified", !out.empty()}};
}

Result<bj::object> RecruiteeSimulator::delete_candidate(std::string_view id, std::vector<Pending>& out) {
  const auto* rec = candidates_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no candidate " + std::string(id));
  out.push_back({"candidate_deleted", "", bj::object{{"company", company()}, {"candidate", rec->data}}});
  candidates_.erase(id);
  names_.erase(std::string(id));
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Offers (jobs)

Status RecruiteeSimulator::apply_offer_fields(bj::object& o, const bj::object& fields) {
  auto name = opt_string(fields, "name");
  if (!name.ok()) return name.error();
  if (*name) {
    o["title"] = **name;
    o["slug"] = slug_of(**name);
  }
  auto status = opt_enum(fields, "status", {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"});
  if (!status.ok()) return status.error();
  if (*status) {
    std::string s = offer_status_of(**status);
    if (s == "closed" && o.at("status").as_string() != "closed") o["closed_at"] = iso(now_ms());
    if (s == "published" && o.at("published_at").is_null()) o["published_at"] = iso(now_ms());
    o["status"] = s;
  }
  for (std::string_view key : {"description", "requirements", "department", "location"}) {
    auto v = opt_string(fields, key);
    if (!v.ok()) return v.error();
    if (*v) o[key] = (*v)->empty() ? bj::value(nullptr) : bj::value(**v);
  }
  return {};
}

Result<bj::object> RecruiteeSimulator::create_offer(const bj::object& fields, std::vector<Pending>& out) {
  if (auto st = check_keys(fields, "ats_jobs",
                           {"name", "status", "description", "requirements", "department", "location"});
      !st.ok())
    return st.error();
  Millis now = now_ms();
  std::string id = next_id();
  bj::object o{{"id", to_int(id)},        {"title", ""},
               {"slug", "offer"},         {"kind", "job"},
               {"status", "draft"},       {"description", nullptr},
               {"requirements", nullptr}, {"department", nullptr},
               {"location", nullptr},     {"employment_type_code", "fulltime_permanent"},
               {"remote", false},         {"careers_url", nullptr},
               {"published_at", nullptr}, {"closed_at", nullptr},
               {"created_at", iso(now)},  {"updated_at", iso(now)}};
  if (auto st = apply_offer_fields(o, fields); !st.ok()) return st.error();
  o["careers_url"] = "https://tributary-sim.recruitee.com/o/" + std::string(o.at("slug").as_string());
  const StoredRecord& rec = offers_.put(id, std::move(o), now);
  out.push_back({"offer_created", "", bj::object{{"company", company()}, {"offer", rec.data}}});
  return bj::object{{"remote_id", id}};
}

Result<bj::object> RecruiteeSimulator::update_offer(std::string_view id, const bj::object& fields,
                                                    std::vector<Pending>& out) {
  auto* rec = offers_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no offer " + std::string(id));
  if (auto st = check_keys(fields, "ats_jobs",
                           {"name", "status", "description", "requirements", "department", "location"});
      !st.ok())
    return st.error();
  bj::object o = rec->data;
  if (auto st = apply_offer_fields(o, fields); !st.ok()) return st.error();
  Millis now = now_ms();
  o["updated_at"] = iso(now);
  rec->data = std::move(o);
  rec->updated_at = now;
  out.push_back({"offer_updated", "", bj::object{{"company", company()}, {"offer", rec->data}}});
  return bj::object{{"remote_id", std::string(id)}};
}

Result<bj::object> RecruiteeSimulator::delete_offer(std::string_view id, std::vector<Pending>& out) {
  const auto* rec = offers_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no offer " + std::string(id));
  out.push_back({"offer_deleted", "", bj::object{{"company", company()}, {"offer", rec->data}}});
  // The offer's placements go with it.
  std::int64_t offer_id = to_int(id);
  for (const auto* c : candidates_.all()) {
    auto* cand = candidates_.find(c->id);
    bj::array& placements = cand->data["placements"].as_array();
    auto end = std::remove_if(placements.begin(), placements.end(),
                              [&](const bj::value& p) { return p.at("offer_id").as_int64() == offer_id; });
    placements.erase(end, placements.end());
  }
  offers_.erase(id);
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void RecruiteeSimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  struct Target {
    std::string url;
    std::string secret;
    std::int64_t request_id = 0;
  };
  std::vector<std::pair<Pending, std::vector<Target>>> plan;
  {
    MutexLock lock(mu_);
    if (!webhooks_permitted()) {
      spdlog::info("sim recruitee: webhooks not permitted; {} event(s) not delivered", events.size());
      return;
    }
    for (auto& e : events) {
      std::vector<Target> targets;
      for (const auto& h : hooks_) {
        if (std::find(h.event_types.begin(), h.event_types.end(), e.event_type) == h.event_types.end())
          continue;
        targets.push_back({h.url, h.secret, next_request_id_++});
      }
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  std::string created_at = iso(now_ms());
  for (auto& [event, targets] : plan) {
    for (const auto& t : targets) {
      bj::object body{{"id", t.request_id},
                      {"event_type", event.event_type},
                      {"event_subtype",
                       event.event_subtype.empty() ? bj::value(nullptr) : bj::value(event.event_subtype)},
                      {"level", "company"},
                      {"created_at", created_at},
                      {"payload", event.payload}};
      OutboundWebhook w;
      w.url = t.url;
      w.event = event.event_type;
      w.delivery_id = std::to_string(t.request_id);
      w.body = json::serialize(body);
      w.headers = {{"Content-Type", "application/json"},
                   {"User-Agent", "Recruitee-Webhooks"},
                   {"X-Recruitee-Signature", signature(t.secret, w.body)}};
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::recruitee
