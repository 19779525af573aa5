#include "connectors/greenhouse/greenhouse.h"

#include <array>
#include <memory>

#include "connectors/common/verify.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kEventIdHeader = "Greenhouse-Event-ID";
// Longer or stranger values are not Greenhouse's ids; they are ignored rather than stored as dedupe keys.
constexpr std::size_t kMaxDeliveryIdLength = 200;

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

class GreenhouseConnector final : public Connector {
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
         "job_post_updated only when the post carries no live flag [inferred]"},
        {Model::kAtsJobs,
         Action::kPublished,
         {"job_post_created", "job_post_updated"},
         "when live is true [inferred]"},
        {Model::kAtsJobs,
         Action::kUnpublished,
         {"job_post_updated", "job_post_deleted"},
         "live false / deleted [inferred]"},
    };
    return kFeeds;
  }

  std::vector<std::string> credential_keys() const override {
    return {"client_id", "client_secret", "user_id"};
  }
  std::string default_base_url(const boost::json::object& /*credentials*/) const override {
    return "https://harvest.greenhouse.io/v3";
  }

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
