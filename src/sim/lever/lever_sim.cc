#include "sim/lever/lever_sim.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "sim/common/fields.h"

namespace tributary::sim::lever {

namespace bj = boost::json;

namespace {

std::string join_name(const std::string& first, const std::string& last) {
  if (first.empty()) return last;
  if (last.empty()) return first;
  return first + " " + last;
}

std::string lever_state(std::string_view unified) {
  if (unified == "OPEN") return "published";
  if (unified == "DRAFT") return "draft";
  return "closed";  // CLOSED, ARCHIVED: Lever has no archived posting state
}

}  // namespace

std::shared_ptr<const RetrySchedule> retry_schedule() {
  static const auto schedule = make_retry_schedule(delays_in_minutes({1, 2, 4, 8, 16}), 0.1,
                                                   std::chrono::milliseconds{10000}, retry_every_failure);
  return schedule;
}

std::unique_ptr<Simulator> make_lever_simulator(SimOptions options) {
  return std::make_unique<LeverSimulator>(std::move(options));
}

LeverSimulator::LeverSimulator(SimOptions options)
    : SimulatorBase("lever", std::move(options), {"ats_candidates", "ats_jobs"}) {
  // hire.lever.co/developer/documentation as quoted by api-evangelist (lever-rate-limits.yml): 10 requests
  // per second steady, bursts of 20; 429 when exceeded. A sliding window of 20 per 2 s lets a burst of 20
  // through and holds the average to 10 per second; the connector's declared 10 per second always fits it.
  ToolLimits limits;
  limits.overall.windows = {{20, 2000}};
  set_api_limits(std::move(limits));
  add_api_routes();
}

LeverSimulator::~LeverSimulator() {
  stop();
}

// ---------------------------------------------------------------------------------------------------------------
// Control hooks

Result<bj::object> LeverSimulator::sim_create(std::string_view model, const bj::object& fields) {
  return change_then_fire(this, &LeverSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
    return model == "ats_candidates" ? create_opportunity(fields, events) : create_posting(fields);
  });
}

Result<bj::object> LeverSimulator::sim_update(std::string_view model, std::string_view remote_id,
                                              const bj::object& fields) {
  return change_then_fire(this, &LeverSimulator::fire, mu_, [&](std::vector<Pending>& events) REQUIRES(mu_) {
    return model == "ats_candidates" ? update_opportunity(remote_id, fields, events, true)
                                     : update_posting(remote_id, fields);
  });
}

Result<bj::object> LeverSimulator::sim_delete(std::string_view model, std::string_view remote_id) {
  std::vector<Pending> events;
  {
    MutexLock lock(mu_);
    if (model == "ats_candidates") {
      auto r = delete_opportunity(remote_id, events);
      if (!r.ok()) return r;
    } else if (!postings_.erase(remote_id)) {
      return make_error(ErrorKind::kNotFound, "no posting " + std::string(remote_id));
    }
  }
  fire(std::move(events));
  return bj::object{{"remote_id", std::string(remote_id)}};
}

Result<bj::value> LeverSimulator::sim_get(std::string_view model, std::string_view remote_id) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? opportunities_ : postings_).data_of(remote_id);
}

bj::array LeverSimulator::sim_list(std::string_view model) {
  MutexLock lock(mu_);
  return (model == "ats_candidates" ? opportunities_ : postings_).all_data();
}

Result<bj::object> LeverSimulator::sim_publish(std::string_view remote_id, bool live) {
  MutexLock lock(mu_);
  auto* p = postings_.find(remote_id);
  if (p == nullptr) return make_error(ErrorKind::kNotFound, "no posting " + std::string(remote_id));
  std::string state = live ? "published" : "internal";
  if (p->data.at("state").as_string() != state) {
    Millis now = now_ms();
    p->data["state"] = state;
    p->data["updatedAt"] = now;
    p->updated_at = now;
  }
  // Lever sends no posting webhooks.
  return bj::object{{"remote_id", std::string(remote_id)}, {"state", state}};
}

bj::array LeverSimulator::sim_subscriptions() {
  MutexLock lock(mu_);
  bj::array out;
  for (const auto& w : webhooks_)
    out.push_back(webhook_json(w, false));
  return out;
}

bj::object LeverSimulator::webhook_json(const Webhook& w, bool with_token) const {
  bj::object configuration{{"conditions", w.conditions}};
  if (with_token) configuration["signatureToken"] = w.signature_token;
  return bj::object{{"id", w.id},
                    {"event", w.event},
                    {"url", w.url},
                    {"configuration", std::move(configuration)},
                    {"createdAt", w.created_at}};
}

// ---------------------------------------------------------------------------------------------------------------
// Opportunities

Result<bj::object> LeverSimulator::create_opportunity(const bj::object& fields, std::vector<Pending>& out) {
  if (auto st = check_keys(fields, "ats_candidates", {"first_name", "last_name", "email", "job_remote_id"});
      !st.ok())
    return st.error();
  auto posting_id = opt_id(fields, "job_remote_id");
  if (!posting_id.ok()) return posting_id.error();
  if (*posting_id && postings_.find(**posting_id) == nullptr)
    return make_error(ErrorKind::kInvalidArgument, "no posting " + **posting_id + " for this application");
  Millis now = now_ms();
  std::string id = new_uuid();
  std::string contact_id = new_uuid();
  std::string application_id = new_uuid();
  bj::object o{
      {"id", id},
      {"name", ""},
      {"headline", ""},
      {"contact", contact_id},
      {"emails", bj::array{}},
      {"phones", bj::array{}},
      {"confidentiality", "non-confidential"},
      {"location", ""},
      {"links", bj::array{}},
      {"createdAt", now},
      {"updatedAt", now},
      {"lastInteractionAt", now},
      {"lastAdvancedAt", now},
      {"snoozedUntil", nullptr},
      {"archivedAt", nullptr},
      {"stage", "lead-new"},
      {"stageChanges",
       bj::array{bj::object{
           {"toStageId", "lead-new"}, {"toStageIndex", 0}, {"updatedAt", now}, {"userId", nullptr}}}},
      {"owner", nullptr},
      {"tags", bj::array{}},
      {"sources", bj::array{"Applied"}},
      {"origin", "applied"},
      {"sourcedBy", nullptr},
      {"applications", bj::array{bj::value(application_id)}},
      {"resume", nullptr},
      {"followers", bj::array{}},
      {"urls", bj::object{{"list", "https://hire.lever.co/candidates"},
                          {"show", "https://hire.lever.co/candidates/" + id}}},
      {"dataProtection", nullptr},
      {"isAnonymized", false}};
  opportunities_.put(id, std::move(o), now);
  names_[id] = {};
  std::vector<Pending> ignored;
  if (auto r = update_opportunity(id, fields, ignored, false); !r.ok()) {
    opportunities_.erase(id);
    names_.erase(id);
    return r.error();
  }
  bj::object data{{"opportunityId", id},
                  {"applicationId", application_id},
                  {"candidateId", id},
                  {"contactId", contact_id},
                  {"postingId", *posting_id ? bj::value(**posting_id) : bj::value(nullptr)}};
  out.push_back({"applicationCreated", std::move(data)});
  return bj::object{{"remote_id", id}, {"contact_id", contact_id}, {"application_id", application_id}};
}

Result<bj::object> LeverSimulator::update_opportunity(std::string_view id, const bj::object& fields,
                                                      std::vector<Pending>& out, bool announce) {
  auto* rec = opportunities_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no opportunity " + std::string(id));
  bj::object rest = fields;
  if (!announce) rest.erase("job_remote_id");
  if (auto st = check_keys(rest, "ats_candidates", {"first_name", "last_name", "email"}); !st.ok())
    return st.error();
  auto f = opt_string(rest, "first_name");
  if (!f.ok()) return f.error();
  auto l = opt_string(rest, "last_name");
  if (!l.ok()) return l.error();
  auto email = opt_string(rest, "email");
  if (!email.ok()) return email.error();
  auto& [first, last] = names_[std::string(id)];
  if (*f) first = **f;
  if (*l) last = **l;
  bj::object o = rec->data;
  o["name"] = join_name(first, last);
  if (*email) o["emails"] = email->value().empty() ? bj::array{} : bj::array{bj::value(**email)};
  if (o == rec->data) return bj::object{{"remote_id", std::string(id)}, {"notified", false}};
  Millis now = now_ms();
  o["updatedAt"] = now;
  rec->data = std::move(o);
  rec->updated_at = now;
  // Name and emails belong to the contact: Lever reports the change as contactUpdated.
  if (announce) out.push_back({"contactUpdated", bj::object{{"contactId", rec->data.at("contact")}}});
  return bj::object{{"remote_id", std::string(id)}, {"notified", announce}};
}

Result<bj::object> LeverSimulator::delete_opportunity(std::string_view id, std::vector<Pending>& out) {
  const auto* rec = opportunities_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no opportunity " + std::string(id));
  bj::object data{{"opportunityId", std::string(id)},
                  {"candidateId", std::string(id)},
                  {"contactId", rec->data.at("contact")},
                  {"userId", nullptr}};
  opportunities_.erase(id);
  names_.erase(std::string(id));
  out.push_back({"candidateDeleted", std::move(data)});
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Postings (no webhooks)

Result<bj::object> LeverSimulator::create_posting(const bj::object& fields) {
  if (auto st = check_keys(fields, "ats_jobs", {"name", "status"}); !st.ok()) return st.error();
  Millis now = now_ms();
  std::string id = new_uuid();
  bj::object p{{"id", id},
               {"text", ""},
               {"createdAt", now},
               {"updatedAt", now},
               {"user", nullptr},
               {"owner", nullptr},
               {"hiringManager", nullptr},
               {"confidentiality", "non-confidential"},
               {"categories", bj::object{{"team", "Engineering"},
                                         {"department", "Engineering"},
                                         {"location", "Remote"},
                                         {"commitment", "Full-time"},
                                         {"level", nullptr},
                                         {"allLocations", bj::array{"Remote"}}}},
               {"content", bj::object{{"description", ""},
                                      {"descriptionHtml", ""},
                                      {"lists", bj::array{}},
                                      {"closing", ""},
                                      {"closingHtml", ""}}},
               {"country", "US"},
               {"tags", bj::array{}},
               {"state", "published"},
               {"distributionChannels", bj::array{"public", "internal"}},
               {"reqCode", nullptr},
               {"requisitionCodes", bj::array{}},
               {"salaryDescription", ""},
               {"salaryRange", nullptr},
               {"urls", bj::object{{"list", "https://jobs.lever.co/example"},
                                   {"show", "https://jobs.lever.co/example/" + id},
                                   {"apply", "https://jobs.lever.co/example/" + id + "/apply"}}},
               {"workplaceType", "remote"}};
  postings_.put(id, std::move(p), now);
  if (auto r = update_posting(id, fields); !r.ok()) {
    postings_.erase(id);
    return r.error();
  }
  return bj::object{{"remote_id", id}};
}

Result<bj::object> LeverSimulator::update_posting(std::string_view id, const bj::object& fields) {
  auto* rec = postings_.find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no posting " + std::string(id));
  if (auto st = check_keys(fields, "ats_jobs", {"name", "status"}); !st.ok()) return st.error();
  auto name = opt_string(fields, "name");
  if (!name.ok()) return name.error();
  auto status = opt_enum(fields, "status", {"OPEN", "CLOSED", "DRAFT", "ARCHIVED"});
  if (!status.ok()) return status.error();
  bj::object p = rec->data;
  if (*name) p["text"] = **name;
  if (*status) p["state"] = lever_state(**status);
  if (p != rec->data) {
    Millis now = now_ms();
    p["updatedAt"] = now;
    rec->data = std::move(p);
    rec->updated_at = now;
  }
  return bj::object{{"remote_id", std::string(id)}};
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery

void LeverSimulator::fire(std::vector<Pending> events) {
  if (events.empty()) return;
  std::vector<std::pair<Pending, std::vector<Webhook>>> plan;
  {
    MutexLock lock(mu_);
    for (auto& e : events) {
      std::vector<Webhook> targets;
      for (const auto& w : webhooks_)
        if (w.event == e.event) targets.push_back(w);
      if (!targets.empty()) plan.emplace_back(std::move(e), std::move(targets));
    }
  }
  for (auto& [event, targets] : plan) {
    Millis triggered_at = now_ms();
    for (const auto& t : targets) {
      // The signature covers token + triggeredAt only (not the body), keyed with the webhook's
      // signatureToken.
      std::string token = crypto::hex_encode(crypto::random_bytes(20));
      std::string signature =
          crypto::hex_encode(crypto::hmac_sha256(t.signature_token, token + std::to_string(triggered_at)));
      std::string id = new_uuid();
      bj::object body{
          {"id", id},       {"triggeredAt", triggered_at}, {"event", event.event}, {"signature", signature},
          {"token", token}, {"data", event.data}};
      OutboundWebhook w;
      w.url = t.url;
      w.event = event.event;
      w.delivery_id = id;
      w.headers = {{"Content-Type", "application/json"}};
      w.body = json::serialize(body);
      sender().send(std::move(w), retry_schedule());
    }
  }
}

}  // namespace tributary::sim::lever
