#include "connectors/ashby/ashby_records.h"

#include <algorithm>
#include <cctype>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors::ashby {
namespace {

namespace bj = boost::json;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Ashby's error text: errorInfo.message (current shape) or errors[0] (older answers), else the code.
std::string error_text(const bj::value& doc) {
  if (auto m = json::get_string(doc, "errorInfo.message"); m && !m->empty()) return *m;
  if (const auto* errors = json::find(doc, "errors"); errors != nullptr && errors->is_array()) {
    for (const auto& e : errors->get_array()) {
      if (e.is_string() && !e.get_string().empty()) return std::string(e.get_string());
      if (auto m = json::get_string(e, "message"); m && !m->empty()) return *m;
    }
  }
  if (auto c = json::get_string(doc, "errorInfo.code"); c && !c->empty()) return *c;
  return "no error message";
}

std::string error_code(const bj::value& doc) {
  auto c = json::get_string(doc, "errorInfo.code");
  return c ? common::ascii_lower(*c) : std::string();
}

const bj::object* object_at(const bj::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

const bj::value* field(const bj::object* o, std::string_view key) {
  return o == nullptr ? nullptr : o->if_contains(key);
}

// Ashby's customFields: [{id, title, value, …}] → {title: value}; null when the tool sent none.
bj::value custom_fields(const bj::value* list) {
  if (list == nullptr || !list->is_array()) return nullptr;
  bj::object out;
  for (const auto& f : list->get_array()) {
    if (!f.is_object()) continue;
    bj::value key = common::string_or_null(f.get_object().if_contains("title"));
    if (!key.is_string()) key = common::string_or_null(f.get_object().if_contains("id"));
    if (!key.is_string()) continue;
    const auto* value = f.get_object().if_contains("value");
    out[key.get_string()] = value != nullptr ? *value : bj::value(nullptr);
  }
  return out;
}

// Ashby contact entries {value, type, isPrimary}: the primary one first, no value twice.
bj::array contacts(const bj::object& c, std::string_view primary_key, std::string_view list_key,
                   std::string_view out_key) {
  bj::array out;
  std::vector<std::string> seen;
  auto add = [&](const bj::value& entry) {
    if (!entry.is_object()) return;
    bj::value value = common::string_or_null(entry.get_object().if_contains("value"));
    if (!value.is_string() || value.get_string().empty()) return;
    const std::string text(value.get_string());
    if (std::find(seen.begin(), seen.end(), text) != seen.end()) return;
    seen.push_back(text);
    out.push_back(bj::object{{out_key, value},
                             {"type", common::string_or_null(entry.get_object().if_contains("type"))}});
  };
  if (const auto* primary = c.if_contains(primary_key); primary != nullptr) add(*primary);
  if (const auto* list = c.if_contains(list_key); list != nullptr && list->is_array())
    for (const auto& entry : list->get_array())
      add(entry);
  return out;
}

bj::value outcome_of(const bj::value* status) {
  if (status == nullptr || !status->is_string()) return nullptr;
  const std::string s = common::ascii_lower(status->get_string());
  if (s == "active" || s == "lead") return "PENDING";
  if (s == "hired") return "HIRED";
  if (s == "archived") return "DECLINED";
  return nullptr;
}

bj::object map_application(const ApiContext& ctx, const bj::object& a) {
  const bj::value remote_id = common::string_or_null(a.if_contains("id"));
  const std::string id_text = remote_id.is_string() ? std::string(remote_id.get_string()) : std::string();
  bj::value stage = nullptr;
  if (const bj::object* st = object_at(a, "currentInterviewStage")) {
    const bj::value stage_id = common::string_or_null(st->if_contains("id"));
    if (stage_id.is_string())
      stage = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_stages", stage_id.get_string())},
                         {"name", common::string_or_null(st->if_contains("title"))},
                         {"remote_id", stage_id},
                         {"index", common::number_or_null(st->if_contains("orderInInterviewPlan"))}};
  }
  bj::value job = nullptr;
  const bj::object* job_obj = object_at(a, "job");
  bj::value job_id = common::string_or_null(field(job_obj, "id"));
  if (!job_id.is_string()) job_id = common::string_or_null(a.if_contains("jobId"));
  if (job_id.is_string())
    job = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_jobs", job_id.get_string())},
                     {"name", common::string_or_null(field(job_obj, "title"))},
                     {"remote_id", job_id}};
  const bj::value outcome = outcome_of(a.if_contains("status"));
  bj::value rejection = nullptr;
  if (const bj::object* r = object_at(a, "archiveReason"))
    rejection = common::string_or_null(r->if_contains("text"));
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_applications", id_text)},
      {"remote_id", remote_id},
      {"outcome", outcome},
      {"rejection_reason_name", std::move(rejection)},
      {"rejected_at", outcome == bj::value("DECLINED") ? common::iso_or_null(a.if_contains("archivedAt"))
                                                       : bj::value(nullptr)},
      {"remote_url", nullptr},
      {"changed_at", nullptr},
      {"remote_created_at", common::iso_or_null(a.if_contains("createdAt"))},
      {"remote_updated_at", common::iso_or_null(a.if_contains("updatedAt"))},
      {"current_stage", std::move(stage)},
      {"job", std::move(job)}};
}

bj::value employment_type(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "fulltime") return "FULL_TIME";
  if (s == "parttime") return "PART_TIME";
  if (s == "intern") return "INTERNSHIP";
  if (s == "contract") return "CONTRACT";
  if (s == "temporary") return "SEASONAL";
  return nullptr;
}

bj::value job_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string upper = common::ascii_upper(v->get_string());
  if (upper == "OPEN" || upper == "CLOSED" || upper == "DRAFT" || upper == "ARCHIVED")
    return bj::value(upper);
  return nullptr;
}

bj::value remote_work_status(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  const std::string s = common::ascii_lower(v->get_string());
  if (s == "remote") return "REMOTE";
  if (s == "hybrid") return "HYBRID";
  if (s == "onsite") return "ON_SITE";
  return nullptr;
}

bj::object map_posting(const ApiContext& ctx, const bj::object& p) {
  const bj::value remote_id = common::string_or_null(p.if_contains("id"));
  const std::string id_text = remote_id.is_string() ? std::string(remote_id.get_string()) : std::string();
  const auto* listed = p.if_contains("isListed");
  const bool is_listed = listed != nullptr && listed->is_bool() && listed->get_bool();
  bj::value url = common::string_or_null(p.if_contains("externalLink"));
  if (!url.is_string()) url = common::string_or_null(p.if_contains("applyLink"));
  bj::value description = common::string_or_null(p.if_contains("descriptionHtml"));
  return bj::object{{"id", common::unified_id(ctx.integration_id, "ats_job_postings", id_text)},
                    {"remote_id", remote_id},
                    {"title", common::string_or_null(p.if_contains("title"))},
                    {"description_html", std::move(description)},
                    {"status", listed == nullptr || !listed->is_bool() ? bj::value(nullptr)
                               : is_listed                             ? bj::value("ACTIVE")
                                                                       : bj::value("INACTIVE")},
                    {"visibility", listed == nullptr || !listed->is_bool() ? bj::value(nullptr)
                                   : is_listed                             ? bj::value("PUBLIC")
                                                                           : bj::value("UNLISTED")},
                    {"url", std::move(url)}};
}

bj::value hiring_team_role(std::string_view role) {
  const std::string s = common::ascii_lower(role);
  if (contains(s, "recruiter")) return "RECRUITER";
  if (contains(s, "hiring manager")) return "HIRING_MANAGER";
  if (contains(s, "coordinator")) return "COORDINATOR";
  if (contains(s, "sourcer")) return "SOURCER";
  if (contains(s, "interviewer")) return "INTERVIEWER";
  return nullptr;
}

bj::array hiring_team(const ApiContext& ctx, const bj::value* list) {
  bj::array out;
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& m : list->get_array()) {
    if (!m.is_object()) continue;
    const auto& member = m.get_object();
    const bj::value user_id = common::string_or_null(member.if_contains("userId"));
    if (!user_id.is_string()) continue;
    const bj::value role = common::string_or_null(member.if_contains("role"));
    bj::array roles;
    bj::array job_roles;
    if (role.is_string()) {
      bj::value unified = hiring_team_role(role.get_string());
      if (!unified.is_null()) roles.push_back(unified);
      job_roles.push_back(bj::object{
          {"remote_id", nullptr}, {"remote_label", role}, {"scope", "JOB"}, {"unified_type", unified}});
    }
    out.push_back(
        bj::object{{"id", common::unified_id(ctx.integration_id, "ats_users", user_id.get_string())},
                   {"remote_id", user_id},
                   {"first_name", common::string_or_null(member.if_contains("firstName"))},
                   {"last_name", common::string_or_null(member.if_contains("lastName"))},
                   {"email", common::string_or_null(member.if_contains("email"))},
                   {"hiring_team_roles", std::move(roles)},
                   {"job_roles", std::move(job_roles)}});
  }
  return out;
}

}  // namespace

std::pair<bj::value, bj::value> split_name(const bj::value* name) {
  if (name == nullptr || !name->is_string()) return {nullptr, nullptr};
  std::string_view text = name->get_string();
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  if (text.empty()) return {nullptr, nullptr};
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return {bj::value(text), nullptr};
  std::string_view rest = text.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  return {bj::value(text.substr(0, space)), bj::value(rest)};
}

namespace {

// One RPC: the whole answer of a successful call; nullopt when Ashby says the record does not exist.
Result<std::optional<bj::value>> send_rpc(const ApiContext& ctx, std::string_view method,
                                          const bj::object& body,
                                          const std::vector<std::string_view>& extra_secrets) {
  if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
  auto key = common::credential(ctx, "api_key");
  if (!key) return key.error();
  const std::string basic = crypto::base64_encode(*key + ":");
  std::vector<std::string_view> secrets = extra_secrets;
  secrets.push_back(*key);
  secrets.push_back(basic);

  http::ClientRequest req;
  req.method = "POST";
  req.url = common::join_url(ctx.base_url, "/" + std::string(method));
  req.headers.emplace_back("Authorization", "Basic " + basic);
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Accept", "application/json; version=1");
  req.body = json::serialize(body);
  req.timeout = ctx.timeout;
  // A request answered 429 was not executed, so resending it is safe for every method, webhook.create too.
  http::ClientResponse resp = common::get_with_retry(ctx, std::move(req));

  const std::string what(method);
  if (resp.status == 404) return std::optional<bj::value>{};
  if (resp.status == 401)
    return make_error(ErrorKind::kUnauthorized, "Ashby rejected the API key (" +
                                                    common::describe_failure(kVendor, resp, secrets) + ")");
  if (resp.status == 403)
    return make_error(ErrorKind::kForbidden, what + ": " + common::describe_failure(kVendor, resp, secrets));
  if (resp.status == 429)
    return make_error(ErrorKind::kRateLimited, "Ashby kept answering 429 (rate limited) to " + what);
  if (resp.status < 200 || resp.status > 299)
    return make_error(ErrorKind::kUpstream,
                      what + " failed: " + common::describe_failure(kVendor, resp, secrets));
  auto doc = json::parse(resp.body);
  if (!doc || !doc->is_object())
    return make_error(ErrorKind::kUpstream,
                      "Ashby answered " + what + " with a body that is not a JSON object");
  auto success = json::get_bool(*doc, "success");
  if (!success) return make_error(ErrorKind::kUpstream, "Ashby answered " + what + " without a success flag");
  if (*success) return std::optional<bj::value>(std::move(*doc));
  // Ashby answers what would be 4xx errors with HTTP 200 and success: false (docs: "Responses & Errors").
  const std::string code = error_code(*doc);
  const std::string text = common::error_excerpt(error_text(*doc), secrets);
  const std::string low = common::ascii_lower(text);
  if (contains(code, "not_found") || contains(low, "not found")) return std::optional<bj::value>{};
  if (contains(code, "permission") || contains(code, "forbidden") || contains(low, "permission"))
    return make_error(ErrorKind::kForbidden, what + ": " + text);
  if (contains(code, "unauthorized") || contains(code, "authentication") || contains(code, "api_key") ||
      contains(low, "api key"))
    return make_error(ErrorKind::kUnauthorized, "Ashby rejected the API key (" + text + ")");
  return make_error(ErrorKind::kUpstream, what + " failed: Ashby answered: " + text);
}

}  // namespace

Result<std::optional<bj::value>> call(const ApiContext& ctx, std::string_view method, const bj::object& body,
                                      const std::vector<std::string_view>& extra_secrets) {
  auto doc = send_rpc(ctx, method, body, extra_secrets);
  if (!doc) return doc.error();
  if (!*doc) return std::optional<bj::value>{};
  const bj::value* results = json::find(**doc, "results");
  if (results == nullptr || results->is_null()) return std::optional<bj::value>{};
  return std::optional<bj::value>(*results);
}

Result<ListPage> call_list(const ApiContext& ctx, std::string_view method, const bj::object& body) {
  auto doc = send_rpc(ctx, method, body, {});
  if (!doc) return doc.error();
  ListPage page;
  if (!*doc) return page;
  const bj::value* results = json::find(**doc, "results");
  if (results != nullptr && !results->is_null()) {
    if (!results->is_array())
      return make_error(ErrorKind::kUpstream,
                        "Ashby answered " + std::string(method) + " with results that are not a list");
    page.results = results->get_array();
  }
  page.more = json::get_bool(**doc, "moreDataAvailable").value_or(false);
  page.next_cursor = json::get_string(**doc, "nextCursor").value_or("");
  return page;
}

bj::object map_candidate(const ApiContext& ctx, const bj::object& c, const std::string& remote_id,
                         const std::vector<bj::object>& applications) {
  auto [first, last] = split_name(c.if_contains("name"));
  bj::array apps;
  for (const auto& a : applications)
    apps.push_back(map_application(ctx, a));
  bj::array tags;
  if (const auto* t = c.if_contains("tags"); t != nullptr && t->is_array()) {
    for (const auto& tag : t->get_array()) {
      if (!tag.is_object()) continue;
      const bj::value tag_id = common::string_or_null(tag.get_object().if_contains("id"));
      const bj::value name = common::string_or_null(tag.get_object().if_contains("title"));
      if (!tag_id.is_string()) continue;
      tags.push_back(
          bj::object{{"id", common::unified_id(ctx.integration_id, "ats_tags", tag_id.get_string())},
                     {"name", name},
                     {"remote_id", tag_id}});
    }
  }
  bj::array social;
  if (const auto* s = c.if_contains("socialLinks"); s != nullptr && s->is_array()) {
    for (const auto& link : s->get_array()) {
      if (!link.is_object()) continue;
      bj::value url = common::string_or_null(link.get_object().if_contains("url"));
      if (!url.is_string()) continue;
      social.push_back(bj::object{{"link", url},
                                  {"type", common::string_or_null(link.get_object().if_contains("type"))},
                                  {"username", nullptr}});
    }
  }
  bj::value location = nullptr;
  if (const bj::object* loc = object_at(c, "location")) {
    bj::object l;
    l["raw"] = common::string_or_null(loc->if_contains("locationSummary"));
    if (const auto* parts = loc->if_contains("locationComponents"); parts != nullptr && parts->is_array()) {
      for (const auto& p : parts->get_array()) {
        auto type = json::get_string(p, "type");
        bj::value name = p.is_object() ? common::string_or_null(p.get_object().if_contains("name")) : nullptr;
        if (!type || !name.is_string()) continue;
        if (*type == "City") l["city"] = name;
        if (*type == "Region") l["state"] = name;
        if (*type == "Country") l["country"] = name;
      }
    }
    location = std::move(l);
  }
  bj::value source = nullptr;
  if (const bj::object* s = object_at(c, "source")) source = common::string_or_null(s->if_contains("title"));
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_candidates", remote_id)},
      {"remote_id", remote_id},
      {"first_name", first},
      {"last_name", last},
      {"company", common::string_or_null(c.if_contains("company"))},
      {"title", common::string_or_null(c.if_contains("position"))},
      {"confidential", nullptr},
      {"source", std::move(source)},
      {"phone_numbers", contacts(c, "primaryPhoneNumber", "phoneNumbers", "phone_number")},
      {"email_addresses", contacts(c, "primaryEmailAddress", "emailAddresses", "email_address")},
      {"social_media", std::move(social)},
      {"location", std::move(location)},
      {"custom_fields", custom_fields(c.if_contains("customFields"))},
      {"remote_url", common::string_or_null(c.if_contains("profileUrl"))},
      {"remote_created_at", common::iso_or_null(c.if_contains("createdAt"))},
      {"remote_updated_at", common::iso_or_null(c.if_contains("updatedAt"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"applications", std::move(apps)},
      {"tags", std::move(tags)},
  };
}

bj::object map_job(const ApiContext& ctx, const bj::object& j, const std::string& remote_id,
                   const std::vector<bj::object>& postings) {
  bj::array job_postings;
  bj::value post_url = nullptr;
  bj::value remote_work = nullptr;
  for (const auto& p : postings) {
    bj::object mapped = map_posting(ctx, p);
    if (post_url.is_null() && mapped.at("url").is_string()) post_url = mapped.at("url");
    if (remote_work.is_null()) remote_work = remote_work_status(p.if_contains("workplaceType"));
    job_postings.push_back(std::move(mapped));
  }
  bj::value department = nullptr;
  if (const bj::object* d = object_at(j, "department"))
    department = common::string_or_null(d->if_contains("name"));
  bj::value location = nullptr;
  if (const bj::object* l = object_at(j, "location")) {
    bj::value name = common::string_or_null(l->if_contains("name"));
    if (name.is_string()) location = bj::object{{"raw", name}};
  }
  const auto* confidential = j.if_contains("confidential");
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_jobs", remote_id)},
      {"remote_id", remote_id},
      {"name", common::string_or_null(j.if_contains("title"))},
      {"job_code", common::string_or_null(j.if_contains("customRequisitionId"))},
      {"description", nullptr},
      {"confidential",
       confidential != nullptr && confidential->is_bool() ? *confidential : bj::value(nullptr)},
      {"weekly_hours", nullptr},
      {"employment_type", employment_type(j.if_contains("employmentType"))},
      {"status", job_status(j.if_contains("status"))},
      {"visibility", nullptr},
      {"category", nullptr},
      {"department", std::move(department)},
      {"post_url", std::move(post_url)},
      {"experience_level", nullptr},
      {"remote_work_status", std::move(remote_work)},
      {"salary_amount", nullptr},
      {"salary_amount_from", nullptr},
      {"salary_amount_to", nullptr},
      {"salary_currency", nullptr},
      {"salary_period", nullptr},
      {"location", std::move(location)},
      {"custom_fields", custom_fields(j.if_contains("customFields"))},
      {"remote_url", nullptr},
      {"opened_at", common::iso_or_null(j.if_contains("openedAt"))},
      {"closed_at", common::iso_or_null(j.if_contains("closedAt"))},
      {"remote_created_at", common::iso_or_null(j.if_contains("createdAt"))},
      {"remote_updated_at", common::iso_or_null(j.if_contains("updatedAt"))},
      {"contact_id", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"stages", bj::array{}},
      {"screening_questions", bj::array{}},
      {"job_postings", std::move(job_postings)},
      {"hiring_team", hiring_team(ctx, j.if_contains("hiringTeam"))},
  };
}

}  // namespace tributary::connectors::ashby
