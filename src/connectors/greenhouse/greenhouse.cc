#include "connectors/greenhouse/greenhouse.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <memory>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kEventIdHeader = "Greenhouse-Event-ID";
// Longer or stranger values are not Greenhouse's ids; they are ignored rather than stored as dedupe keys.
constexpr std::size_t kMaxDeliveryIdLength = 200;
// Greenhouse's authorization host: Harvest v3 tokens come from POST <host>/token.
constexpr std::string_view kAuthHost = "https://auth.greenhouse.io";

// The labels Greenhouse shows in the web hook's "When" menu, for the setup instructions.
struct EventLabel {
  std::string_view action;
  std::string_view label;
};
constexpr std::array<EventLabel, 6> kEventLabels = {{
    {"new_candidate_application", "Candidate has submitted application"},
    {"delete_candidate", "Delete Candidate"},
    {"job_updated", "Job Updated"},
    {"job_post_created", "Job Post Created"},
    {"job_post_updated", "Job Post Updated"},
    {"job_post_deleted", "Job Post Deleted"},
}};

std::string_view label_for(std::string_view action) {
  for (const auto& e : kEventLabels)
    if (e.action == action) return e.label;
  return action;
}

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Greenhouse: " + std::move(reason));
}

std::string delivery_id_of(const http::Request& request) {
  auto value = request.header(kEventIdHeader);
  if (!value) return {};
  std::string_view id = common::trim(*value);
  if (id.size() > kMaxDeliveryIdLength) return {};
  for (unsigned char c : id)
    if (c < 0x21 || c > 0x7e) return {};
  return std::string(id);
}

// An id at `path`: nullopt when absent or null; an error when present but neither a string nor an integer.
Result<std::optional<std::string>> optional_id(const bj::value& root, std::string_view path) {
  const bj::value* v = json::find(root, path);
  if (v == nullptr || v->is_null()) return std::optional<std::string>{};
  auto id = json::get_id(root, path);
  if (!id || id->empty()) return invalid("payload." + std::string(path) + " is not an id");
  return std::optional<std::string>{std::move(*id)};
}

Result<std::string> required_id(const bj::value& payload, std::string_view path) {
  auto id = optional_id(payload, path);
  if (!id) return id.error();
  if (!id->has_value()) return invalid("payload." + std::string(path) + " is missing");
  return std::move(**id);
}

// The host that serves /v3/...: the base URL without a trailing "/v3".
std::string api_root(std::string base) {
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  if (base.size() >= 3 && base.compare(base.size() - 3, 3, "/v3") == 0) base.resize(base.size() - 3);
  return base;
}

// Greenhouse [{value, type}] → [{<key>: value, type}].
bj::value contact_list(const bj::value* list, std::string_view key) {
  bj::array out;
  if (list == nullptr || !list->is_array()) return out;
  for (const auto& item : list->get_array()) {
    if (!item.is_object()) continue;
    bj::value value = common::string_or_null(item.get_object().if_contains("value"));
    if (!value.is_string()) continue;
    out.push_back(
        bj::object{{key, value}, {"type", common::string_or_null(item.get_object().if_contains("type"))}});
  }
  return out;
}

bj::value first_name_of(const bj::value* list) {
  if (list == nullptr || !list->is_array() || list->get_array().empty() ||
      !list->get_array().front().is_object())
    return nullptr;
  return common::string_or_null(list->get_array().front().get_object().if_contains("name"));
}

bj::value outcome_of(const bj::value* status) {
  if (status == nullptr || !status->is_string()) return nullptr;
  const std::string_view s = status->get_string();
  if (s == "active") return "PENDING";
  if (s == "hired") return "HIRED";
  if (s == "rejected") return "DECLINED";
  return nullptr;
}

// A Harvest application → Kombo's candidate application (changed_at is the candidate's, filled when read).
bj::object map_application(const ApiContext& ctx, const bj::object& a) {
  const bj::value remote_id = common::string_or_null(a.if_contains("id"));
  const std::string id_text = remote_id.is_string() ? std::string(remote_id.get_string()) : std::string();
  bj::value stage = nullptr;
  if (const auto* st = a.if_contains("current_stage"); st != nullptr && st->is_object()) {
    const bj::value stage_id = common::string_or_null(st->get_object().if_contains("id"));
    if (stage_id.is_string())
      stage = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_stages", stage_id.get_string())},
                         {"name", common::string_or_null(st->get_object().if_contains("name"))},
                         {"remote_id", stage_id},
                         {"index", nullptr}};
  }
  bj::value job = nullptr;
  if (const auto* jobs = a.if_contains("jobs"); jobs != nullptr && jobs->is_array() &&
                                                !jobs->get_array().empty() &&
                                                jobs->get_array().front().is_object()) {
    const auto& first = jobs->get_array().front().get_object();
    const bj::value job_id = common::string_or_null(first.if_contains("id"));
    if (job_id.is_string())
      job = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_jobs", job_id.get_string())},
                       {"name", common::string_or_null(first.if_contains("name"))},
                       {"remote_id", job_id}};
  }
  bj::value rejection = nullptr;
  if (const auto* r = a.if_contains("rejection_reason"); r != nullptr && r->is_object())
    rejection = common::string_or_null(r->get_object().if_contains("name"));
  return bj::object{{"id", common::unified_id(ctx.integration_id, "ats_applications", id_text)},
                    {"remote_id", remote_id},
                    {"outcome", outcome_of(a.if_contains("status"))},
                    {"rejection_reason_name", std::move(rejection)},
                    {"rejected_at", common::iso_or_null(a.if_contains("rejected_at"))},
                    {"remote_url", common::string_or_null(a.if_contains("url"))},
                    {"changed_at", nullptr},
                    {"remote_created_at", common::iso_or_null(a.if_contains("applied_at"))},
                    {"remote_updated_at", common::iso_or_null(a.if_contains("last_activity_at"))},
                    {"current_stage", std::move(stage)},
                    {"job", std::move(job)}};
}

bj::object map_candidate(const ApiContext& ctx, const bj::object& c, const std::string& remote_id,
                         const bj::array& harvest_applications) {
  bj::array applications;
  bj::value source = nullptr;
  for (const auto& a : harvest_applications) {
    if (!a.is_object() || !common::string_or_null(a.get_object().if_contains("id")).is_string()) continue;
    applications.push_back(map_application(ctx, a.get_object()));
    if (const auto* src = a.get_object().if_contains("source");
        source.is_null() && src != nullptr && src->is_object())
      source = common::string_or_null(src->get_object().if_contains("public_name"));
  }
  bj::array tags;
  if (const auto* t = c.if_contains("tags"); t != nullptr && t->is_array()) {
    for (const auto& tag : t->get_array()) {
      bj::value name = tag.is_object() ? common::string_or_null(tag.get_object().if_contains("name"))
                                       : common::string_or_null(&tag);
      if (!name.is_string()) continue;
      tags.push_back(bj::object{{"id", common::unified_id(ctx.integration_id, "ats_tags", name.get_string())},
                                {"name", name},
                                {"remote_id", nullptr}});
    }
  }
  bj::array social;
  if (const auto* s = c.if_contains("social_media_addresses"); s != nullptr && s->is_array()) {
    for (const auto& item : s->get_array())
      if (item.is_object()) {
        bj::value link = common::string_or_null(item.get_object().if_contains("value"));
        if (link.is_string())
          social.push_back(bj::object{{"link", link}, {"type", nullptr}, {"username", nullptr}});
      }
  }
  bj::value location = nullptr;
  if (const auto* a = c.if_contains("addresses");
      a != nullptr && a->is_array() && !a->get_array().empty() && a->get_array().front().is_object()) {
    bj::value raw = common::string_or_null(a->get_array().front().get_object().if_contains("value"));
    if (raw.is_string()) location = bj::object{{"raw", raw}};
  }
  const auto* custom = c.if_contains("custom_fields");
  const auto* confidential = c.if_contains("is_private");
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_candidates", remote_id)},
      {"remote_id", remote_id},
      {"first_name", common::string_or_null(c.if_contains("first_name"))},
      {"last_name", common::string_or_null(c.if_contains("last_name"))},
      {"company", common::string_or_null(c.if_contains("company"))},
      {"title", common::string_or_null(c.if_contains("title"))},
      {"confidential",
       confidential != nullptr && confidential->is_bool() ? *confidential : bj::value(nullptr)},
      {"source", std::move(source)},
      {"phone_numbers", contact_list(c.if_contains("phone_numbers"), "phone_number")},
      {"email_addresses", contact_list(c.if_contains("email_addresses"), "email_address")},
      {"social_media", std::move(social)},
      {"location", std::move(location)},
      {"custom_fields", custom != nullptr && custom->is_object() ? *custom : bj::value(nullptr)},
      {"remote_url", common::string_or_null(c.if_contains("url"))},
      {"remote_created_at", common::iso_or_null(c.if_contains("created_at"))},
      {"remote_updated_at", common::iso_or_null(c.if_contains("updated_at"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"applications", std::move(applications)},
      {"tags", std::move(tags)},
  };
}

// A Harvest job post → a unified JobPosting: `live` (shown on a job board) is ACTIVE, an external post is
// PUBLIC, an internal-only one INTERNAL.
bj::object map_job_post(const ApiContext& ctx, const bj::object& p, const std::string& remote_id) {
  const auto* live = p.if_contains("live");
  const auto* external = p.if_contains("external");
  const auto* internal = p.if_contains("internal");
  bj::value visibility = nullptr;
  if (external != nullptr && external->is_bool() && external->get_bool()) {
    visibility = "PUBLIC";
  } else if (internal != nullptr && internal->is_bool() && internal->get_bool()) {
    visibility = "INTERNAL";
  }
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_job_postings", remote_id)},
      {"remote_id", remote_id},
      {"title", common::string_or_null(p.if_contains("title"))},
      {"description_html", common::string_or_null(p.if_contains("content"))},
      {"status", live != nullptr && live->is_bool() ? bj::value(live->get_bool() ? "ACTIVE" : "INACTIVE")
                                                    : bj::value(nullptr)},
      {"visibility", std::move(visibility)},
      {"url", nullptr},
  };
}

bj::object map_job(const ApiContext& ctx, const bj::object& j, const std::string& remote_id,
                   bj::array postings) {
  bj::value status = nullptr;
  if (const auto* s = j.if_contains("status"); s != nullptr && s->is_string()) {
    const std::string upper = common::ascii_upper(s->get_string());
    if (upper == "OPEN" || upper == "CLOSED" || upper == "DRAFT" || upper == "ARCHIVED")
      status = bj::value(upper);
  }
  bj::value location = nullptr;
  if (bj::value office = first_name_of(j.if_contains("offices")); office.is_string())
    location = bj::object{{"raw", office}};
  const auto* custom = j.if_contains("custom_fields");
  const auto* confidential = j.if_contains("confidential");
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_jobs", remote_id)},
      {"remote_id", remote_id},
      {"name", common::string_or_null(j.if_contains("name"))},
      {"job_code", common::string_or_null(j.if_contains("requisition_id"))},
      {"description", common::string_or_null(j.if_contains("notes"))},
      {"confidential",
       confidential != nullptr && confidential->is_bool() ? *confidential : bj::value(nullptr)},
      {"weekly_hours", nullptr},
      {"employment_type", nullptr},
      {"status", std::move(status)},
      {"visibility", nullptr},
      {"category", nullptr},
      {"department", first_name_of(j.if_contains("departments"))},
      {"post_url", nullptr},
      {"experience_level", nullptr},
      {"remote_work_status", nullptr},
      {"salary_amount", nullptr},
      {"salary_amount_from", nullptr},
      {"salary_amount_to", nullptr},
      {"salary_currency", nullptr},
      {"salary_period", nullptr},
      {"location", std::move(location)},
      {"custom_fields", custom != nullptr && custom->is_object() ? *custom : bj::value(nullptr)},
      {"remote_url", nullptr},
      {"opened_at", common::iso_or_null(j.if_contains("opened_at"))},
      {"closed_at", common::iso_or_null(j.if_contains("closed_at"))},
      {"remote_created_at", common::iso_or_null(j.if_contains("created_at"))},
      {"remote_updated_at", common::iso_or_null(j.if_contains("updated_at"))},
      {"contact_id", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"stages", bj::array{}},
      {"screening_questions", bj::array{}},
      {"job_postings", std::move(postings)},
      {"hiring_team", bj::array{}},
  };
}

constexpr int kPerPage = 100;
constexpr std::size_t kMaxIdsPerRequest = 100;
// Pages of job posts read for one batch of jobs (a job has a handful of posts; this only bounds a tool
// that keeps sending next links).
constexpr int kMaxPostPages = 50;

bool numeric(std::string_view id) {
  return !id.empty() && id.size() <= 20 &&
         std::all_of(id.begin(), id.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

std::string_view resource_of(Model model) {
  return model == Model::kAtsCandidates ? "/v3/candidates" : "/v3/jobs";
}

struct ListBody {
  std::optional<bj::value> items;   // a JSON array; nullopt on 404
  std::optional<std::string> next;  // the Link header's rel="next" URL
};

// One authorised conversation with Harvest: the token, the API root and the strings to keep out of errors.
struct Session {
  const ApiContext* ctx = nullptr;
  std::string root;
  std::string token;
  std::string client_secret;

  Result<ListBody> get_list(const std::string& url) const {
    http::ClientRequest req;
    req.method = "GET";
    req.url = url;
    req.headers.emplace_back("Authorization", "Bearer " + token);
    req.headers.emplace_back("Accept", "application/json");
    req.timeout = ctx->timeout;
    // Lists are read by syncs, which can afford to wait out a Retry-After (bounded) rather than fail.
    http::ClientResponse resp = common::get_with_retry(*ctx, std::move(req), 5, std::chrono::seconds(30));
    auto body = common::json_or_gone("Greenhouse", resp, {token, client_secret});
    if (!body) return body.error();
    ListBody out;
    if (!*body) return out;
    if (!(*body)->is_array())
      return make_error(ErrorKind::kUpstream, "Greenhouse answered with something other than a list");
    out.items = std::move(**body);
    if (auto link = resp.header("Link")) {
      std::string next = common::link_next(*link);
      if (!next.empty()) out.next = std::move(next);
    }
    return out;
  }
};

Result<Session> open_session(const ApiContext& ctx) {
  auto client_id = common::credential(ctx, "client_id");
  if (!client_id) return client_id.error();
  auto client_secret = common::credential(ctx, "client_secret");
  if (!client_secret) return client_secret.error();
  auto user_id = common::credential(ctx, "user_id");
  if (!user_id) return user_id.error();
  Session session;
  session.ctx = &ctx;
  session.root = api_root(ctx.base_url);
  session.client_secret = *client_secret;
  common::TokenRequest token_request;
  // The token comes from Greenhouse's authorization host, not the Harvest host
  // (https://harvestdocs.greenhouse.io/docs/authentication; testdata/contract/token_request.txt).
  token_request.url =
      common::join_url(ctx.auth_url.empty() ? std::string(kAuthHost) : ctx.auth_url, "/token");
  token_request.form = {{"grant_type", "client_credentials"}, {"sub", *user_id}};
  token_request.extra_headers.emplace_back(
      "Authorization", "Basic " + crypto::base64_encode(*client_id + ":" + *client_secret));
  auto token = common::fetch_access_token(ctx, "Greenhouse", token_request, {*client_secret});
  if (!token) return token.error();
  session.token = std::move(*token);
  return session;
}

// The ids as comma-separated lists of at most kMaxIdsPerRequest, one per request.
std::vector<std::string> id_batches(const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ids.size(); i += kMaxIdsPerRequest) {
    std::string batch;
    for (std::size_t j = i; j < std::min(ids.size(), i + kMaxIdsPerRequest); ++j)
      batch += (batch.empty() ? "" : ",") + ids[j];
    out.push_back(std::move(batch));
  }
  return out;
}

// Harvest candidates → unified candidates, with their applications (Harvest v3 lists them as their own
// resource) read in batches of ids.
Status map_candidates(const Session& session, const bj::array& candidates, std::vector<bj::object>& out) {
  std::vector<std::string> app_ids;
  for (const auto& item : candidates) {
    if (!item.is_object()) continue;
    const auto* ids = item.get_object().if_contains("application_ids");
    if (ids == nullptr || !ids->is_array()) continue;
    for (const auto& id : ids->get_array()) {
      bj::value text = common::string_or_null(&id);
      if (text.is_string() && numeric(text.get_string())) app_ids.emplace_back(text.get_string());
    }
  }
  std::map<std::string, bj::object> applications;
  for (const std::string& ids : id_batches(app_ids)) {
    auto apps = session.get_list(common::join_url(session.root, "/v3/applications") + "?ids=" + ids);
    if (!apps) return apps.error();
    if (!apps->items) continue;
    for (const auto& a : apps->items->get_array()) {
      if (!a.is_object()) continue;
      bj::value id = common::string_or_null(a.get_object().if_contains("id"));
      if (id.is_string()) applications[std::string(id.get_string())] = a.get_object();
    }
  }
  for (const auto& item : candidates) {
    if (!item.is_object()) continue;
    const bj::value id = common::string_or_null(item.get_object().if_contains("id"));
    if (!id.is_string() || id.get_string().empty()) continue;
    bj::array apps;
    if (const auto* ids = item.get_object().if_contains("application_ids");
        ids != nullptr && ids->is_array()) {
      for (const auto& app_id : ids->get_array()) {
        bj::value text = common::string_or_null(&app_id);
        if (!text.is_string()) continue;
        auto it = applications.find(std::string(text.get_string()));
        if (it != applications.end()) apps.push_back(it->second);
      }
    }
    out.push_back(map_candidate(*session.ctx, item.get_object(), std::string(id.get_string()), apps));
  }
  return {};
}

// Harvest jobs → unified jobs, with their posts (their own resource in Harvest v3, read through the
// parent-resource filter job_posts?job_ids=…, at most kMaxIdsPerRequest ids per request, following the
// Link header for more).
Status map_jobs(const Session& session, const bj::array& jobs, std::vector<bj::object>& out) {
  std::vector<std::string> job_ids;
  for (const auto& item : jobs) {
    if (!item.is_object()) continue;
    bj::value id = common::string_or_null(item.get_object().if_contains("id"));
    if (id.is_string() && numeric(id.get_string())) job_ids.emplace_back(id.get_string());
  }
  std::map<std::string, bj::array> posts_of_job;
  for (const std::string& ids : id_batches(job_ids)) {
    std::string url = common::join_url(session.root, "/v3/job_posts") +
                      "?per_page=" + std::to_string(kPerPage) + "&job_ids=" + ids;
    for (int page = 0; page < kMaxPostPages && !url.empty(); ++page) {
      auto posts = session.get_list(url);
      if (!posts) return posts.error();
      if (!posts->items) break;
      for (const auto& p : posts->items->get_array()) {
        if (!p.is_object()) continue;
        bj::value post_id = common::string_or_null(p.get_object().if_contains("id"));
        bj::value job_id = common::string_or_null(p.get_object().if_contains("job_id"));
        if (!post_id.is_string() || !job_id.is_string()) continue;
        posts_of_job[std::string(job_id.get_string())].push_back(
            map_job_post(*session.ctx, p.get_object(), std::string(post_id.get_string())));
      }
      std::string next = posts->next.value_or("");
      if (!next.empty() && !common::same_origin(next, session.root))
        return make_error(ErrorKind::kUpstream, "Greenhouse sent a next-page link to another host");
      url = next == url ? "" : next;
    }
  }
  for (const auto& item : jobs) {
    if (!item.is_object()) continue;
    const bj::value id = common::string_or_null(item.get_object().if_contains("id"));
    if (!id.is_string() || id.get_string().empty()) continue;
    auto posts = posts_of_job.find(std::string(id.get_string()));
    out.push_back(map_job(*session.ctx, item.get_object(), std::string(id.get_string()),
                          posts == posts_of_job.end() ? bj::array{} : std::move(posts->second)));
  }
  return {};
}

class GreenhouseConnector final : public ListingConnector {
 public:
  std::string_view tool() const override { return "greenhouse"; }
  std::string_view display_name() const override { return "Greenhouse"; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kManual; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsCandidates, Action::kCreated, {"new_candidate_application"}, ""},
        {Model::kAtsCandidates, Action::kDeleted, {"delete_candidate"}, ""},
        {Model::kAtsJobs,
         Action::kUpdated,
         {"job_updated", "job_post_updated"},
         "job_post_updated without a live flag, or one that does not change whether the job has a live post "
         "[inferred]"},
        {Model::kAtsJobs,
         Action::kPublished,
         {"job_post_created", "job_post_updated"},
         "live true when none of the job's posts was live [inferred]"},
        {Model::kAtsJobs,
         Action::kUnpublished,
         {"job_post_updated", "job_post_deleted"},
         "live false / deleted when the job had a live post [inferred]"},
    };
    return kFeeds;
  }

  // job_post_updated fires on every edit of a post and carries `live`: a live post's edit is a publication
  // only when none of the job's stored posts was live (the processor compares with the stored job).
  std::optional<bool> job_published(const bj::object& unified_job) const override {
    const auto* postings = unified_job.if_contains("job_postings");
    if (postings == nullptr || !postings->is_array()) return false;
    for (const auto& posting : postings->get_array()) {
      const auto* status = posting.is_object() ? posting.get_object().if_contains("status") : nullptr;
      if (status != nullptr && status->is_string() && status->get_string() == "ACTIVE") return true;
    }
    return false;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json).

  std::vector<ApiCall> api_calls() const override {
    const std::string harvest = "https://harvest.greenhouse.io";
    return {{"POST", std::string(kAuthHost), "/token", {}, {"grant_type", "sub"}, "basic"},
            {"GET", harvest, "/v3/candidates", {}, {}, "bearer"},
            {"GET", harvest, "/v3/applications", {}, {}, "bearer"},
            {"GET", harvest, "/v3/jobs", {}, {}, "bearer"},
            {"GET", harvest, "/v3/job_posts", {}, {}, "bearer"}};
  }

  // The sources: testdata/contract/README.md.

  // developers.greenhouse.io/harvest.html: a rolling 10 s window whose cap each answer states in
  // X-RateLimit-Limit (with X-RateLimit-Remaining / -Reset), 429 with Retry-After when exceeded; the v1
  // documentation gave 50 per 10 s. Concurrency: not published (4).
  ApiLimits api_limits() const override { return {50, 10'000, 4, {}}; }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kNotUsed,
            .verify = Evidence::kVendorSchema,
            .events = Evidence::kVendorExample,
            .get = Evidence::kVendorSchema,
            .list = Evidence::kVendorSchema,
            .incremental = Evidence::kVendorSchema};
  }

  std::vector<std::string> credential_keys() const override {
    return {"client_id", "client_secret", "user_id"};
  }
  std::string default_base_url(const boost::json::object& /*credentials*/) const override {
    return "https://harvest.greenhouse.io/v3";
  }
  std::string default_auth_url(const boost::json::object& /*credentials*/) const override {
    return std::string(kAuthHost);
  }

  bool supports_records(Model model) const override {
    return model == Model::kAtsCandidates || model == Model::kAtsJobs;
  }

  // Harvest v3: a client-credentials token from POST https://auth.greenhouse.io/token (HTTP Basic
  // client_id:client_secret, sub = the user to act as), then GET /v3/candidates?ids=<id> or /v3/jobs?ids=<id>
  // (and the job's posts); an empty list means the record is gone.
  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    if (!numeric(remote_id))
      return make_error(ErrorKind::kInvalidArgument, "Greenhouse: record ids are numbers");
    auto session = open_session(ctx);
    if (!session) return session.error();
    auto body = session->get_list(common::join_url(session->root, resource_of(model)) + "?ids=" + remote_id);
    if (!body) return body.error();
    if (!body->items) return std::optional<bj::object>{};
    for (const auto& item : body->items->get_array()) {
      if (!item.is_object()) continue;
      if (common::string_or_null(item.get_object().if_contains("id")) != bj::value(remote_id)) continue;
      std::vector<bj::object> mapped;
      bj::array one{item};
      if (auto st = model == Model::kAtsJobs ? map_jobs(*session, one, mapped)
                                             : map_candidates(*session, one, mapped);
          !st)
        return st.error();
      if (mapped.empty()) return std::optional<bj::object>{};
      return std::optional<bj::object>(std::move(mapped.front()));
    }
    return std::optional<bj::object>{};
  }

  // Harvest v3's updated_at filter (gte) on the first request; the Link header's cursor carries it on.
  bool lists_changes(Model model) const override { return supports_records(model); }

 private:
  // Harvest v3 lists: `per_page` on the first request only; the next page comes only from the Link header's
  // rel="next" URL, whose `cursor` must be the only query parameter, so the URL is followed as it is (and
  // only on the tool's own origin). Candidates get their applications from /v3/applications?ids=…, jobs their
  // posts from /v3/job_posts?job_ids=…, at most kMaxIdsPerRequest ids per request.
  Result<RecordPage> list_page(const ApiContext& ctx, Model model, const std::string& page,
                               std::optional<Millis> since) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto session = open_session(ctx);
    if (!session) return session.error();
    std::string url;
    if (page.empty()) {
      url = common::join_url(session->root, resource_of(model)) + "?per_page=" + std::to_string(kPerPage);
      if (since) url += "&updated_at=gte%7C" + format_iso8601(*since);
    } else {
      if (!common::same_origin(page, session->root))
        return make_error(ErrorKind::kInvalidArgument,
                          "Greenhouse: the next-page link is not on the API's host");
      url = page;
    }
    auto body = session->get_list(url);
    if (!body) return body.error();
    RecordPage out;
    if (!body->items) return out;  // 404: nothing to list
    if (body->next && !common::same_origin(*body->next, session->root))
      return make_error(ErrorKind::kUpstream, "Greenhouse sent a next-page link to another host");
    if (auto st = model == Model::kAtsJobs ? map_jobs(*session, body->items->get_array(), out.records)
                                           : map_candidates(*session, body->items->get_array(), out.records);
        !st)
      return st.error();
    if (body->next && *body->next != url) out.next = *body->next;
    return out;
  }

 public:
  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    static const common::HmacHeaderScheme kScheme = {
        "Signature",
        "sha256 ",
        true,
        common::DigestAlgorithm::kSha256,
        common::DigestEncoding::kHex,
        "hmac-sha256 hex in Signature (sha256 <hex>)",
    };
    return common::verify_hmac_header(kScheme, request, keys);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    auto action = json::get_string(*doc, "action");
    if (!action || action->empty()) return invalid("body has no \"action\" string");

    ParsedEvent out;
    out.vendor_event = *action;
    out.delivery_id = delivery_id_of(request);
    out.delivery_id_signed = false;  // Greenhouse-Event-ID is outside the signed body
    // Greenhouse pings the endpoint when a web hook is saved; a failed ping leaves the hook disabled.
    if (*action == "ping") {
      out.is_ping = true;
      return out;
    }

    const bool known = *action == "new_candidate_application" || *action == "delete_candidate" ||
                       *action == "job_updated" || *action == "job_post_created" ||
                       *action == "job_post_updated" || *action == "job_post_deleted";
    if (!known) return out;  // an event we do not relay: accepted, nothing forwarded

    const bj::value* payload = json::find(*doc, "payload");
    if (payload == nullptr || !payload->is_object())
      return invalid("\"payload\" is missing or not an object");

    if (*action == "new_candidate_application") {
      auto id = required_id(*payload, "application.candidate.id");
      if (!id) return id.error();
      out.events.push_back({Model::kAtsCandidates, Action::kCreated, std::move(*id)});
    } else if (*action == "delete_candidate") {
      auto id = required_id(*payload, "person.id");
      if (!id) return id.error();
      out.events.push_back({Model::kAtsCandidates, Action::kDeleted, std::move(*id)});
    } else if (*action == "job_updated") {
      auto id = required_id(*payload, "job.id");
      if (!id) return id.error();
      out.events.push_back({Model::kAtsJobs, Action::kUpdated, std::move(*id)});
    } else {
      auto events = map_job_post(*action, *payload);
      if (!events) return events.error();
      out.events = std::move(*events);
    }
    return out;
  }

  std::string setup_instructions(const SubscriptionRequest& request) const override {
    std::string text =
        "1. In Greenhouse Recruiting, click the Configure icon, choose Dev Center on the left, then Web "
        "Hooks, then "
        "Web Hooks again.\n"
        "2. A Greenhouse web hook listens to exactly one event, so create one web hook for each event below. "
        "For "
        "each, fill in:\n"
        "   - Name this web hook: \"Tributary - <event>\" (any name works)\n"
        "   - When: the event\n"
        "   - Endpoint URL: " +
        request.ingress_url +
        "\n"
        "   - Secret key: the secret shown with these instructions (the same for every web hook)\n"
        "   - Error recipient email: an admin who should hear about failed deliveries\n"
        "   Leave the advanced settings empty, then click Create Web Hook.\n"
        "3. Greenhouse pings the endpoint when a web hook is saved. If the ping fails, the web hook is "
        "created "
        "disabled: check the URL and the secret key, then save it again.\n"
        "Events to create:\n";
    for (const auto& event : request.event_types) {
      text += "   - " + std::string(label_for(event)) + " (" + event + ")\n";
    }
    return text;
  }

 private:
  // Job posts: created/updated carry `job_id` and `live` at the top of the payload, deleted ones inside
  // `job_post` (tolerating either place). A post without a job_id is a prospect post (Greenhouse's docs),
  // which is not a job: nothing to relay. The unified model is ats_jobs, so the remote id is the job's id.
  static Result<std::vector<UnifiedEvent>> map_job_post(const std::string& action, const bj::value& payload) {
    auto job_id = optional_id(payload, "job_id");
    if (!job_id) return job_id.error();
    if (!job_id->has_value() && action == "job_post_deleted") {
      job_id = optional_id(payload, "job_post.job_id");
      if (!job_id) return job_id.error();
    }
    std::vector<UnifiedEvent> events;
    if (!job_id->has_value()) return events;
    std::string id = std::move(**job_id);

    if (action == "job_post_deleted") {
      events.push_back({Model::kAtsJobs, Action::kUnpublished, std::move(id)});
      return events;
    }
    const bj::value* live_value = json::find(payload, "live");
    std::optional<bool> live;
    if (live_value != nullptr && !live_value->is_null()) {
      live = json::get_bool(payload, "live");
      if (!live) return invalid("payload.live is not a boolean");
    }
    if (action == "job_post_created") {
      if (live.value_or(false)) events.push_back({Model::kAtsJobs, Action::kPublished, std::move(id)});
    } else if (!live) {  // job_post_updated without a live flag: an edit of the post
      events.push_back({Model::kAtsJobs, Action::kUpdated, std::move(id)});
    } else {
      events.push_back({Model::kAtsJobs, *live ? Action::kPublished : Action::kUnpublished, std::move(id)});
    }
    return events;
  }
};

}  // namespace

void register_greenhouse(Registry& registry) {
  registry.add(std::make_unique<GreenhouseConnector>());
}

}  // namespace tributary::connectors
