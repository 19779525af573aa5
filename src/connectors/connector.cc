#include "connectors/connector.h"

#include <algorithm>

namespace tributary::connectors {

std::string_view to_string(SubscriptionMode m) {
  return m == SubscriptionMode::kApi ? "api" : "manual";
}

Result<RecordPage> ListingConnector::list_records(const ApiContext& ctx, Model model,
                                                  const std::string& page) const {
  if (!supports_records(model)) return Connector::list_records(ctx, model, page);
  return list_page(ctx, model, page, std::nullopt);
}

Result<RecordPage> ListingConnector::list_changed_records(const ApiContext& ctx, Model model,
                                                          const std::string& page, Millis since) const {
  if (!lists_changes(model)) return Connector::list_changed_records(ctx, model, page, since);
  return list_page(ctx, model, page, since);
}

std::optional<std::string> remote_id_problem(std::string_view remote_id) {
  if (remote_id.empty()) return "the remote id is empty";
  if (remote_id.size() > kMaxRemoteIdBytes)
    return "the remote id is " + std::to_string(remote_id.size()) + " bytes long (at most " +
           std::to_string(kMaxRemoteIdBytes) + ")";
  for (unsigned char ch : remote_id)
    if (ch < 0x20 || ch == 0x7f) return "the remote id contains a control character";
  return std::nullopt;
}

std::vector<std::string> vendor_events_for(const Connector& connector, const std::set<Model>& enabled) {
  std::vector<std::string> out;
  for (const EventFeed& feed : connector.feeds()) {
    if (enabled.count(feed.model) == 0) continue;
    for (const std::string& event : feed.vendor_events) {
      if (std::find(out.begin(), out.end(), event) == out.end()) out.push_back(event);
    }
  }
  return out;
}

std::vector<std::vector<std::string>> Connector::plan_subscriptions(const std::set<Model>& enabled) const {
  std::vector<std::string> events = vendor_events_for(*this, enabled);
  if (events.empty()) return {};
  return {std::move(events)};
}

std::optional<http::Response> Connector::handshake(const http::Request& /*request*/) const {
  return std::nullopt;
}

std::string Connector::setup_instructions(const SubscriptionRequest& request) const {
  std::string text = "In " + std::string(display_name()) + ", create a webhook that sends events to " +
                     request.ingress_url + ".";
  if (!request.event_types.empty()) {
    text += " Subscribe it to these events:";
    for (std::size_t i = 0; i < request.event_types.size(); ++i) {
      text += (i == 0 ? " " : ", ") + request.event_types[i];
    }
    text += ".";
  }
  text += we_choose_secret() ? " Use the secret shown with these instructions as the webhook's secret."
                             : " Then store the secret the tool shows you on this subscription.";
  return text;
}

Result<RemoteSubscription> Connector::create_subscription(const ApiContext& /*ctx*/,
                                                          const SubscriptionRequest& /*request*/) const {
  return make_error(ErrorKind::kInvalidArgument,
                    std::string(display_name()) +
                        ": creating subscriptions through the API is not supported for "
                        "manual tools");
}

Result<std::optional<boost::json::object>> Connector::fetch_record(const ApiContext& /*ctx*/, Model model,
                                                                   const std::string& /*remote_id*/) const {
  return make_error(ErrorKind::kInvalidArgument, std::string(display_name()) + ": reading " +
                                                     std::string(to_string(model)) +
                                                     " records is not supported");
}

Result<std::optional<boost::json::object>> Connector::fetch_record_with_hint(
    const ApiContext& ctx, Model model, const std::string& remote_id, const std::string& /*hint*/) const {
  return fetch_record(ctx, model, remote_id);
}

Result<RecordPage> Connector::list_records(const ApiContext& /*ctx*/, Model model,
                                           const std::string& /*page*/) const {
  return make_error(ErrorKind::kInvalidArgument, std::string(display_name()) + ": listing " +
                                                     std::string(to_string(model)) +
                                                     " records is not supported");
}

Result<RecordPage> Connector::list_changed_records(const ApiContext& /*ctx*/, Model model,
                                                   const std::string& /*page*/, Millis /*since*/) const {
  return make_error(ErrorKind::kInvalidArgument, std::string(display_name()) + ": listing changed " +
                                                     std::string(to_string(model)) +
                                                     " records is not supported");
}

Result<bool> Connector::subscription_exists(const ApiContext& /*ctx*/,
                                            const std::string& /*remote_id*/) const {
  return true;
}

Status Connector::delete_subscription(const ApiContext& /*ctx*/, const std::string& /*remote_id*/) const {
  return make_error(ErrorKind::kInvalidArgument,
                    std::string(display_name()) +
                        ": deleting subscriptions through the API is not supported for "
                        "manual tools");
}

Result<std::optional<boost::json::object>> Connector::fetch(const ApiContext& ctx, Model model,
                                                            const std::string& remote_id,
                                                            const std::string& hint) const {
  if (!supports_records(model)) return Connector::fetch_record(ctx, model, remote_id);  // "not supported"
  if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
  if (remote_id.empty())
    return make_error(ErrorKind::kInvalidArgument, std::string(display_name()) + ": empty record id");
  auto record = hint.empty() ? fetch_record(ctx, model, remote_id)
                             : fetch_record_with_hint(ctx, model, remote_id, hint);
  if (!record || !*record) return record;
  return std::optional<boost::json::object>(complete_record(model, std::move(**record)));
}

Result<RecordPage> Connector::list(const ApiContext& ctx, Model model, const std::string& page,
                                   std::optional<Millis> since) const {
  if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
  auto got = since && lists_changes(model) ? list_changed_records(ctx, model, page, *since)
                                           : list_records(ctx, model, page);
  if (!got) return got;
  for (auto& record : got->records)
    record = complete_record(model, std::move(record));
  return got;
}

namespace {
constexpr std::string_view kBudgetRefusal = "not sent: ";
}

bool is_budget_refusal(const http::ClientResponse& response) {
  return response.status == 429 && response.error.rfind(kBudgetRefusal, 0) == 0;
}

namespace {

// The request's path below `base_url`, without its query ("" when the URL is not below it).
std::string_view path_below(std::string_view url, std::string_view base_url) {
  if (base_url.empty() || url.substr(0, base_url.size()) != base_url) return {};
  std::string_view path = url.substr(base_url.size());
  return path.substr(0, path.find_first_of("?#"));
}

}  // namespace

http::ClientResponse ApiContext::send(http::ClientRequest request) const {
  request.guard_ssrf = true;
  // Anything but https (curl would take a URL without a scheme for http) counts as plain.
  request.listed_only = request.url.size() < 8 || !http::iequals(request.url.substr(0, 8), "https://");
  const auto refuse = [](const Error& error) {
    http::ClientResponse refused;
    refused.status = 429;
    refused.error = std::string(kBudgetRefusal) + error.message;
    return refused;
  };
  const auto wait = budget_wait.count() > 0 ? budget_wait : timeout;
  Budget::Grant endpoint_grant;
  for (const auto& [limit, endpoint_budget] : endpoint_budgets) {
    if (!endpoint_budget || !http::iequals(limit.method, request.method) ||
        path_below(request.url, base_url) != limit.path)
      continue;
    auto got = endpoint_budget->acquire(priority, now_ms() + wait.count());
    if (!got) return refuse(got.error());
    endpoint_grant = std::move(*got);
    break;
  }
  Budget::Grant grant;
  if (reserved && *reserved) {
    grant = std::move(*reserved);
  } else if (budget) {
    auto got = budget->acquire(priority, now_ms() + wait.count());
    if (!got) return refuse(got.error());
    grant = std::move(*got);
  }
  http::ClientResponse response = client->send_sync(std::move(request));
  if (budget) budget->observe(response.status, response.headers);
  return response;
}

ApiLimits unpublished_limits() {
  ApiLimits limits;
  limits.requests = 5;
  limits.window_ms = 1000;
  limits.concurrency = 4;
  return limits;
}

ApiLimits Connector::api_limits() const {
  return unpublished_limits();
}

void resolve_urls(ApiContext& ctx, const Connector& connector,
                  const std::optional<std::string>& base_override,
                  const std::optional<std::string>& auth_override) {
  auto trimmed = [](std::string url) {
    while (!url.empty() && url.back() == '/')
      url.pop_back();
    return url;
  };
  ctx.base_url = trimmed(base_override.value_or(connector.default_base_url(ctx.credentials)));
  ctx.auth_url = trimmed(auth_override.value_or(connector.default_auth_url(ctx.credentials)));
}

std::string_view to_string(Evidence evidence) {
  switch (evidence) {
    case Evidence::kVendorExample:
      return "vendor example";
    case Evidence::kVendorSchema:
      return "vendor schema";
    case Evidence::kOfficialSdk:
      return "official SDK";
    case Evidence::kThirdParty:
      return "third-party client";
    case Evidence::kInferred:
      return "inferred";
    case Evidence::kNotUsed:
      return "–";
  }
  return "inferred";
}

}  // namespace tributary::connectors
