#include "connectors/ashby/ashby.h"

#include <memory>

#include "connectors/ashby/ashby_records.h"
#include "connectors/common/api.h"
#include "connectors/common/verify.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::size_t kMaxActionIdLength = 200;
// Related deliveries arrive within seconds of each other; a few thousand ids cover far more than that.
// How long a jobPostingUpdate waits for a publish or unpublish of the same webhookActionId (Ashby sends them
// together, in no stated order).
constexpr std::int64_t kCompanionWaitMs = 3000;
// Each candidate's applications and each job's postings are read one by one; these bound the calls per
// record.
constexpr std::size_t kMaxApplicationsPerCandidate = 50;
constexpr std::size_t kMaxPostingsPerJob = 20;
constexpr int kPageSize = 100;

constexpr std::string_view kWebhookPermissionMessage =
    "In Ashby, open Admin › Integrations › API Keys, edit the API key used for this integration and enable "
    "the 'API Keys: Write' permission (apiKeysWrite), which webhook.create and webhook.delete require; then "
    "reconnect.";
constexpr std::string_view kWebhookReadPermissionMessage =
    "In Ashby, open Admin › Integrations › API Keys, edit the API key used for this integration and enable "
    "the 'API Keys: Read' permission (apiKeysRead), which webhook.info requires to check that the webhooks "
    "still exist; then reconnect.";
constexpr std::string_view kCandidatesPermissionMessage =
    "In Ashby, open Admin › Integrations › API Keys, edit the API key used for this integration and enable "
    "'Candidates: Read' (candidatesRead); then reconnect.";
constexpr std::string_view kJobsPermissionMessage =
    "In Ashby, open Admin › Integrations › API Keys, edit the API key used for this integration and enable "
    "'Jobs: Read' (jobsRead); then reconnect.";

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Ashby: " + std::move(reason));
}

Error with_permission(Error e, std::string_view message) {
  if (e.kind == ErrorKind::kForbidden) e.message = std::string(message);
  return e;
}

// A printable, bounded webhookActionId, else "" (no dedupe key rather than a hostile one).
std::string action_id_of(const bj::value& doc) {
  auto id = json::get_string(doc, "webhookActionId");
  if (!id || id->empty() || id->size() > kMaxActionIdLength) return {};
  for (unsigned char c : *id)
    if (c < 0x21 || c > 0x7e) return {};
  return *id;
}

Result<std::string> required_id(const bj::value& doc, std::string_view path) {
  const bj::value* v = json::find(doc, path);
  if (v == nullptr || v->is_null()) return invalid(std::string(path) + " is missing");
  auto id = json::get_id(doc, path);
  if (!id || id->empty()) return invalid(std::string(path) + " is not an id");
  return std::move(*id);
}

class AshbyConnector final : public Connector {
 public:
  std::string_view tool() const override { return "ashby"; }
  std::string_view display_name() const override { return "Ashby"; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kApi; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsCandidates, Action::kCreated, {"applicationSubmit"}, ""},
        {Model::kAtsCandidates, Action::kDeleted, {"candidateDelete"}, ""},
        {Model::kAtsJobs,
         Action::kUpdated,
         {"jobPostingUpdate"},
         "not relayed when a publish/unpublish with its webhookActionId arrives within 3 s (it waits that "
         "long); jobUpdate "
         "[unconfirmed] is parsed when it arrives but cannot be subscribed (not in webhook.create's "
         "webhookType enum)"},
        {Model::kAtsJobs, Action::kPublished, {"jobPostingPublish"}, ""},
        {Model::kAtsJobs, Action::kUnpublished, {"jobPostingUnpublish"}, ""},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json): RPC-style, each a POST.
  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://api.ashbyhq.com";
    return {{"POST", h, "/webhook.create", {}, {"webhookType", "requestUrl", "secretToken"}, "basic"},
            {"POST", h, "/webhook.delete", {}, {"webhookId"}, "basic"},
            {"POST", h, "/webhook.info", {}, {"webhookId"}, "basic"},
            {"POST", h, "/candidate.info", {}, {"id"}, "basic"},
            {"POST", h, "/candidate.list", {}, {}, "basic"},
            {"POST", h, "/application.info", {}, {"applicationId"}, "basic"},
            {"POST", h, "/job.info", {}, {"id"}, "basic"},
            {"POST", h, "/job.list", {}, {}, "basic"},
            {"POST", h, "/jobPosting.info", {}, {"jobPostingId"}, "basic"}};
  }

  // The sources: testdata/contract/README.md.

  // Not published (a per-key sliding window, 429 with Retry-After, no number): the conservative default.
  ApiLimits api_limits() const override { return unpublished_limits(); }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kVendorSchema,
            .verify = Evidence::kVendorSchema,
            .events = Evidence::kVendorSchema,
            .get = Evidence::kVendorSchema,
            .list = Evidence::kVendorSchema,
            .incremental = Evidence::kNotUsed};
  }

  std::vector<std::string> credential_keys() const override { return {"api_key"}; }
  std::string default_base_url(const boost::json::object& /*credentials*/) const override {
    return "https://api.ashbyhq.com";
  }

  // Ashby webhooks carry exactly one webhookType each.
  std::vector<std::vector<std::string>> plan_subscriptions(const std::set<Model>& enabled) const override {
    std::vector<std::vector<std::string>> out;
    for (auto& event : vendor_events_for(*this, enabled))
      out.push_back({std::move(event)});
    return out;
  }

  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    static const common::HmacHeaderScheme kScheme = {
        "Ashby-Signature",
        "sha256=",
        true,
        common::DigestAlgorithm::kSha256,
        common::DigestEncoding::kHex,
        "hmac-sha256 hex in Ashby-Signature (sha256=<hex>)",
    };
    return common::verify_hmac_header(kScheme, request, keys);
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    auto action = json::get_string(*doc, "action");
    if (!action || action->empty()) return invalid("body has no \"action\" string");
    if (action->size() > 100) return invalid("\"action\" is too long");

    ParsedEvent out;
    out.vendor_event = *action;
    const std::string action_id = action_id_of(*doc);
    // Retries repeat webhookActionId and action; related webhooks share the id but not the action.
    if (!action_id.empty()) out.delivery_id = action_id + ":" + *action;
    if (*action == "ping") {
      out.is_ping = true;
      return out;
    }

    const bool known = *action == "applicationSubmit" || *action == "candidateDelete" ||
                       *action == "jobPostingUpdate" || *action == "jobPostingPublish" ||
                       *action == "jobPostingUnpublish" || *action == "jobUpdate";
    if (!known) return out;  // an event we do not relay: accepted, nothing forwarded
    const bj::value* data = json::find(*doc, "data");
    if (data == nullptr || !data->is_object()) return invalid("\"data\" is missing or not an object");

    if (*action == "applicationSubmit") {
      // The candidate is the unified record; the application carries its id.
      auto id = json::find(*data, "application.candidate.id") != nullptr
                    ? required_id(*data, "application.candidate.id")
                    : required_id(*data, "application.candidateId");
      if (!id) return id.error();
      out.events.push_back({Model::kAtsCandidates, Action::kCreated, std::move(*id)});
    } else if (*action == "candidateDelete") {
      auto id = required_id(*data, "candidate.id");
      if (!id) return id.error();
      out.events.push_back({Model::kAtsCandidates, Action::kDeleted, std::move(*id)});
    } else if (*action == "jobUpdate") {
      auto id = required_id(*data, "job.id");
      if (!id) return id.error();
      out.events.push_back({Model::kAtsJobs, Action::kUpdated, std::move(*id)});
    } else {
      // Job postings: the unified model is ats_jobs, so the remote id is the posting's job.
      auto id = required_id(*data, "jobPosting.jobId");
      if (!id) return id.error();
      // A jobPostingUpdate that accompanies a publish or unpublish is dropped by the processor
      // (superseded_by).
      out.events.push_back({Model::kAtsJobs,
                            *action == "jobPostingPublish"     ? Action::kPublished
                            : *action == "jobPostingUnpublish" ? Action::kUnpublished
                                                               : Action::kUpdated,
                            std::move(*id)});
    }
    return out;
  }

  // jobPostingPublish / jobPostingUnpublish also fire jobPostingUpdate with the same webhookActionId: that
  // update says nothing the publication does not, so it is dropped when one of them arrives with it.
  std::optional<Supersession> superseded_by(std::string_view vendor_event,
                                            std::string_view delivery_id) const override {
    constexpr std::string_view kSuffix = ":jobPostingUpdate";
    if (vendor_event != "jobPostingUpdate" || delivery_id.size() <= kSuffix.size() ||
        delivery_id.substr(delivery_id.size() - kSuffix.size()) != kSuffix)
      return std::nullopt;
    const std::string action_id(delivery_id.substr(0, delivery_id.size() - kSuffix.size()));
    return Supersession{{action_id + ":jobPostingPublish", action_id + ":jobPostingUnpublish"},
                        kCompanionWaitMs};
  }

  Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                 const SubscriptionRequest& request) const override {
    if (request.event_types.size() != 1)
      return invalid("an Ashby webhook carries exactly one webhookType, got " +
                     std::to_string(request.event_types.size()));
    if (request.secret.empty()) return invalid("a secretToken is required to verify Ashby's deliveries");
    bj::object body{{"webhookType", request.event_types.front()},
                    {"requestUrl", request.ingress_url},
                    {"secretToken", request.secret}};
    auto answer = ashby::call(ctx, "webhook.create", body, {request.secret});
    if (!answer) return with_permission(answer.error(), kWebhookPermissionMessage);
    std::optional<std::string> id;
    if (*answer) id = json::get_id(**answer, "id");
    if (!id || id->empty())
      return make_error(ErrorKind::kUpstream, "Ashby answered webhook.create without a webhook id");
    return RemoteSubscription{std::move(*id), request.secret};
  }

  Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const override {
    if (remote_id.empty()) return invalid("empty webhook id");
    auto answer = ashby::call(ctx, "webhook.delete", bj::object{{"webhookId", remote_id}});
    // Not found: already deleted (by hand, or an earlier attempt succeeded): the goal is reached.
    if (!answer) return with_permission(answer.error(), kWebhookPermissionMessage);
    return {};
  }

  // POST /webhook.info {webhookId} (Ashby API reference: "webhook.info", permission apiKeysRead): a
  // webhook_not_found answer (or 404) means it was deleted in Ashby. A webhook that exists but is disabled
  // (Ashby disables one whose ping failed) still counts as existing: a new one would be pinged at the same
  // URL and the old one would stay behind.
  Result<bool> subscription_exists(const ApiContext& ctx, const std::string& remote_id) const override {
    if (remote_id.empty()) return false;
    auto answer = ashby::call(ctx, "webhook.info", bj::object{{"webhookId", remote_id}});
    if (!answer) return with_permission(answer.error(), kWebhookReadPermissionMessage);
    return answer->has_value();
  }

  bool supports_records(Model model) const override {
    return model == Model::kAtsCandidates || model == Model::kAtsJobs;
  }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    const bool candidates = model == Model::kAtsCandidates;
    auto answer = ashby::call(ctx, candidates ? "candidate.info" : "job.info", bj::object{{"id", remote_id}});
    if (!answer) return permission_for(model, answer.error());
    if (!*answer || !(*answer)->is_object()) return std::optional<bj::object>{};
    auto mapped = map(ctx, model, (*answer)->get_object(), remote_id);
    if (!mapped) return mapped.error();
    return std::optional<bj::object>(std::move(*mapped));
  }

  // candidate.list / job.list: {limit, cursor} → {results, moreDataAvailable, nextCursor}.
  Result<RecordPage> list_records(const ApiContext& ctx, Model model,
                                  const std::string& page) const override {
    if (!supports_records(model)) return Connector::list_records(ctx, model, page);
    bj::object body{{"limit", kPageSize}};
    if (!page.empty()) body["cursor"] = page;
    auto answer = ashby::call_list(ctx, model == Model::kAtsCandidates ? "candidate.list" : "job.list", body);
    if (!answer) return permission_for(model, answer.error());
    RecordPage out;
    for (const auto& item : answer->results) {
      if (!item.is_object()) continue;
      auto id = json::get_id(item, "id");
      if (!id || id->empty()) continue;
      auto mapped = map(ctx, model, item.get_object(), *id);
      if (!mapped) return mapped.error();
      out.records.push_back(std::move(*mapped));
    }
    if (answer->more) {
      if (answer->next_cursor.empty() || answer->next_cursor == page)
        return make_error(ErrorKind::kUpstream, "Ashby said more data is available but gave no new cursor");
      out.next = answer->next_cursor;
    }
    return out;
  }

 private:
  static Error permission_for(Model model, Error e) {
    return with_permission(
        std::move(e), model == Model::kAtsCandidates ? kCandidatesPermissionMessage : kJobsPermissionMessage);
  }

  // Reads the records a candidate or job refers to (applications, postings) and maps it.
  static Result<bj::object> map(const ApiContext& ctx, Model model, const bj::object& raw,
                                const std::string& remote_id) {
    const bool candidates = model == Model::kAtsCandidates;
    std::vector<bj::object> related;
    const auto* ids = raw.if_contains(candidates ? "applicationIds" : "jobPostingIds");
    if (ids != nullptr && ids->is_array()) {
      const std::size_t limit = candidates ? kMaxApplicationsPerCandidate : kMaxPostingsPerJob;
      for (const auto& id : ids->get_array()) {
        if (related.size() >= limit) break;
        if (!id.is_string() || id.get_string().empty()) continue;
        auto answer = candidates ? ashby::call(ctx, "application.info", bj::object{{"applicationId", id}})
                                 : ashby::call(ctx, "jobPosting.info", bj::object{{"jobPostingId", id}});
        if (!answer) return permission_for(model, answer.error());
        if (*answer && (*answer)->is_object()) related.push_back((*answer)->get_object());
      }
    }
    return candidates ? ashby::map_candidate(ctx, raw, remote_id, related)
                      : ashby::map_job(ctx, raw, remote_id, related);
  }
};

}  // namespace

void register_ashby(Registry& registry) {
  registry.add(std::make_unique<AshbyConnector>());
}

}  // namespace tributary::connectors
