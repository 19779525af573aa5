#include "connectors/personio/personio.h"

#include <initializer_list>
#include <memory>

#include "connectors/common/api.h"
#include "connectors/common/verify.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kVendor = "Personio";
constexpr std::string_view kUnauthorizedMessage = "Personio rejected the API credentials";
constexpr std::string_view kPermissionMessage =
    "In Personio, open Settings › Integrations › API credentials, edit the credentials used for this "
    "integration "
    "and grant the 'Webhooks' permission (scope personio:webhooks:write), then reconnect.";

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Personio: " + std::move(reason));
}

// 401 and 403 mean the same thing wherever they come from: the credentials do not work, or lack the webhooks
// permission. Everything else is a vendor failure worth retrying later.
Error api_error(std::string_view what, const http::ClientResponse& response,
                const std::vector<std::string_view>& secrets) {
  if (response.status == 401) return make_error(ErrorKind::kUnauthorized, std::string(kUnauthorizedMessage));
  if (response.status == 403) return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
  return make_error(ErrorKind::kUpstream,
                    std::string(what) + " failed: " + common::describe_failure(kVendor, response, secrets));
}

// The first id found at one of `paths` inside the payload.
std::optional<std::string> first_id(const bj::value& payload, std::initializer_list<std::string_view> paths) {
  for (std::string_view path : paths) {
    auto id = json::get_id(payload, path);
    if (id && !id->empty()) return id;
  }
  return std::nullopt;
}

class PersonioConnector final : public Connector {
 public:
  std::string_view tool() const override { return "personio"; }
  std::string_view display_name() const override { return "Personio"; }
  Category category() const override { return Category::kHris; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kApi; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kHrisEmployees, Action::kCreated, {"person.created"}, ""},
        {Model::kHrisEmployees,
         Action::kUpdated,
         {"person.updated"},
         "fires only for first/last/preferred name, gender, language, email and custom attributes"},
        {Model::kHrisEmployees, Action::kDeleted, {"person.deleted"}, ""},
        {Model::kHrisAbsences, Action::kCreated, {"absence-period.created"}, ""},
        {Model::kHrisAbsences,
         Action::kUpdated,
         {"absence-period.updated.timerange", "absence-period.updated.status"},
         ""},
    };
    return kFeeds;
  }

  std::vector<std::string> credential_keys() const override { return {"client_id", "client_secret"}; }
  std::string default_base_url(const boost::json::object& /*credentials*/) const override {
    return "https://api.personio.de";
  }

  // Personio sends the token we chose back verbatim in Authorization. "Bearer <token>" is tolerated too, in
  // case a proxy or a future API version adds the scheme. Both forms are compared for every secret, hashed,
  // so neither the token's content nor its length leaks through timing.
  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    auto secrets = common::usable_secrets(keys);
    if (secrets.empty()) return common::rejected("no token is configured for this subscription yet");
    auto header = common::single_header(request, "Authorization");
    if (!header) return common::rejected(header.error().message);
    const std::string_view value = *header;
    const auto bearer = common::strip_prefix(value, "Bearer ", true);

    std::optional<std::size_t> verbatim_match;
    std::optional<std::size_t> bearer_match;
    for (std::size_t i = 0; i < secrets.size(); ++i) {
      const bool verbatim = common::secure_equal_hashed(value, secrets[i]);
      const bool with_scheme = common::secure_equal_hashed(bearer.value_or(std::string_view{}), secrets[i]);
      if (verbatim && !verbatim_match) verbatim_match = i;
      if (bearer && with_scheme && !bearer_match) bearer_match = i;
    }
    if (verbatim_match) return common::verified("static token in Authorization (verbatim)", *verbatim_match);
    if (bearer_match)
      return common::verified("static token in Authorization (Bearer <token>)", *bearer_match);
    return common::rejected("Authorization does not carry the subscription's token");
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto doc = json::parse(request.body);
    if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
    if (!doc->is_object()) return invalid("body is not a JSON object");
    auto event_name = json::get_string(*doc, "event_name");
    if (!event_name || event_name->empty()) return invalid("body has no \"event_name\" string");
    const bj::value* payload = json::find(*doc, "payload");
    if (payload == nullptr || !payload->is_object())
      return invalid("\"payload\" is missing or not an object");

    ParsedEvent out;
    out.vendor_event = *event_name;
    const std::string& name = *event_name;

    // vendors.md: the id is "probably payload.id [unconfirmed]"; the other names are tolerated.
    const bool person = name.rfind("person.", 0) == 0;
    const bool absence = name.rfind("absence-period.", 0) == 0;
    std::optional<std::string> remote_id = person    ? first_id(*payload, {"id", "person_id", "employee_id"})
                                           : absence ? first_id(*payload, {"id", "absence_period_id"})
                                                     : first_id(*payload, {"id"});

    std::optional<UnifiedEvent> event;
    if (name == "person.created") {
      event = UnifiedEvent{Model::kHrisEmployees, Action::kCreated, {}};
    } else if (name == "person.updated") {
      event = UnifiedEvent{Model::kHrisEmployees, Action::kUpdated, {}};
    } else if (name == "person.deleted") {
      event = UnifiedEvent{Model::kHrisEmployees, Action::kDeleted, {}};
    } else if (name == "absence-period.created") {
      event = UnifiedEvent{Model::kHrisAbsences, Action::kCreated, {}};
    } else if (name == "absence-period.updated.timerange" || name == "absence-period.updated.status") {
      event = UnifiedEvent{Model::kHrisAbsences, Action::kUpdated, {}};
    }
    // absence-period.deleted exists but the product promises no "absence deleted": it maps to nothing, like
    // any other event we do not relay.
    if (event) {
      if (!remote_id) return invalid("payload has no id for " + name);
      event->remote_id = *remote_id;
      out.events.push_back(std::move(*event));
    }

    // Personio documents no delivery id. A redelivery repeats the same notification, so event, record and
    // time together identify it.
    auto occurred_at = json::get_string(*doc, "occurred_at");
    if (remote_id && occurred_at && !occurred_at->empty()) {
      out.delivery_id = name + ":" + *remote_id + ":" + *occurred_at;
    }
    return out;
  }

  Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                 const SubscriptionRequest& request) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto token = access_token(ctx);
    if (!token) return token.error();
    const std::vector<std::string_view> secrets = secrets_of(ctx, *token, request.secret);

    bj::object body;
    body["url"] = request.ingress_url;
    body["description"] = "Tributary";
    bj::array events;
    for (const auto& e : request.event_types)
      events.emplace_back(e);
    body["enabled_events"] = std::move(events);
    body["status"] = "ENABLED";
    body["auth_type"] = "TOKEN";
    body["token"] = request.secret;

    http::ClientRequest req = authorized(ctx, "POST", common::join_url(ctx.base_url, "/v2/webhooks"), *token);
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json::serialize(body);
    http::ClientResponse resp = ctx.client->send_sync(std::move(req));
    if (resp.status < 200 || resp.status > 299) return api_error("creating the webhook", resp, secrets);

    auto parsed = json::parse(resp.body);
    std::optional<std::string> id;
    if (parsed) {
      id = json::get_id(*parsed, "id");
      if (!id) id = json::get_id(*parsed, "_data.id");
    }
    if (!id || id->empty()) {
      return make_error(ErrorKind::kUpstream, "Personio answered " + std::to_string(resp.status) +
                                                  " to creating the webhook but sent no webhook id");
    }
    return RemoteSubscription{std::move(*id), request.secret};
  }

  Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const override {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    if (remote_id.empty()) return make_error(ErrorKind::kInvalidArgument, "Personio: empty webhook id");
    auto token = access_token(ctx);
    if (!token) return token.error();
    const std::vector<std::string_view> secrets = secrets_of(ctx, *token, {});

    http::ClientRequest req = authorized(
        ctx, "DELETE",
        common::join_url(ctx.base_url, "/v2/webhooks/" + common::encode_path_segment(remote_id)), *token);
    http::ClientResponse resp = ctx.client->send_sync(std::move(req));
    // 404: the webhook is already gone (deleted by hand, or an earlier attempt succeeded): the goal is
    // reached.
    if ((resp.status >= 200 && resp.status <= 299) || resp.status == 404) return {};
    return api_error("deleting the webhook", resp, secrets);
  }

 private:
  static Result<std::string> access_token(const ApiContext& ctx) {
    auto client_id = common::credential(ctx, "client_id");
    if (!client_id) return client_id.error();
    auto client_secret = common::credential(ctx, "client_secret");
    if (!client_secret) return client_secret.error();
    common::TokenRequest token_request;
    token_request.url = common::join_url(ctx.base_url, "/v2/auth/token");
    token_request.form = {
        {"grant_type", "client_credentials"}, {"client_id", *client_id}, {"client_secret", *client_secret}};
    auto token = common::fetch_access_token(ctx, kVendor, token_request, {*client_secret});
    if (!token && token.error().kind == ErrorKind::kUnauthorized) {
      return make_error(ErrorKind::kUnauthorized, std::string(kUnauthorizedMessage));
    }
    if (!token && token.error().kind == ErrorKind::kForbidden) {
      return make_error(ErrorKind::kForbidden, std::string(kPermissionMessage));
    }
    return token;
  }

  // Strings that must never appear in an error message built from a vendor response.
  static std::vector<std::string_view> secrets_of(const ApiContext& ctx, std::string_view token,
                                                  std::string_view subscription_secret) {
    std::vector<std::string_view> out = {token};
    if (!subscription_secret.empty()) out.push_back(subscription_secret);
    auto it = ctx.credentials.find("client_secret");
    if (it != ctx.credentials.end() && it->value().is_string()) out.emplace_back(it->value().get_string());
    return out;
  }

  static http::ClientRequest authorized(const ApiContext& ctx, std::string method, std::string url,
                                        std::string_view token) {
    http::ClientRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.headers.emplace_back("Authorization", "Bearer " + std::string(token));
    req.headers.emplace_back("Accept", "application/json");
    req.timeout = ctx.timeout;
    return req;
  }
};

}  // namespace

void register_personio(Registry& registry) {
  registry.add(std::make_unique<PersonioConnector>());
}

}  // namespace tributary::connectors
