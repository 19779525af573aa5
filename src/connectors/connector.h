// The Connector interface: everything Tributary knows about one tool lives behind it, in one folder
// (connectors/<tool>/) that can be added or deleted as a unit. A connector declares its category,
// subscription mode and which vendor events feed which unified events (the coverage grid and the scope →
// event-type mapping are generated from these declarations); it verifies and parses inbound webhooks; and,
// for tools with a subscription API, creates and deletes subscriptions through the tool's API. Thread-safety:
// connectors are stateless after registration; every method may be called from any thread.
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/model.h"
#include "core/api_budget.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/client.h"
#include "http/message.h"

namespace tributary::connectors {

enum class SubscriptionMode { kApi, kManual };
std::string_view to_string(SubscriptionMode m);  // "api" | "manual"

// "These vendor events feed this unified event." `note` marks inferred or unconfirmed facts.
struct EventFeed {
  Model model;
  Action action;
  // Empty: the tool has no webhook for this change (nothing is subscribed); `note` then says how it is found.
  std::vector<std::string> vendor_events;
  std::string note;
};

// The strongest evidence held that a connector does what the real tool expects
// (src/connectors/<tool>/testdata/ contract/README.md says which file holds it): an example the vendor
// published, the vendor's schema or text, the vendor's official SDK, a client someone else wrote against the
// real API, or our own inference. kNotUsed: the connector does not do this (a manual tool subscribes through
// its customer; a tool without an incremental filter is listed in full).
enum class Evidence { kVendorExample, kVendorSchema, kOfficialSdk, kThirdParty, kInferred, kNotUsed };
std::string_view to_string(Evidence evidence);

struct Fidelity {
  Evidence subscribe = Evidence::kInferred;    // creating, finding and deleting the tool's webhook
  Evidence verify = Evidence::kInferred;       // the signature or token on a delivery
  Evidence events = Evidence::kInferred;       // delivery bodies: event names and where the record's id is
  Evidence get = Evidence::kInferred;          // reading one record
  Evidence list = Evidence::kInferred;         // listing every record
  Evidence incremental = Evidence::kInferred;  // listing what changed since
};

// One call a connector makes to the tool's API, as the vendor documents it. Connector::api_calls() declares
// every call; testdata/contract/endpoints.json holds the vendor's own table, a source per row;
// contract_test.cc holds the declaration against that table, and the requests the connector really sends
// against the declaration.
struct ApiCall {
  std::string method;              // "GET"
  std::string host;                // the vendor's origin: "https://{companyDomain}.bamboohr.com"
  std::string path;                // "/api/v1/employees/{id}" ({…}: one path segment)
  std::vector<std::string> query;  // the query parameters the vendor requires
  std::vector<std::string> body;   // the body keys the vendor requires (JSON object or form)
  // "basic", "bearer", "token" (Authorization: Token token=<key>), "header:<Name>" (the key in that header
  // instead of Authorization) or "none" (no Authorization header: credentials in the body, e.g. OAuth)
  std::string auth;
};

// What the ingress needs to verify a request for one subscription.
struct VerificationKeys {
  std::vector<std::string> secrets;  // the current secret first; more while a rotation overlaps
};

struct Verification {
  bool ok = false;
  std::string scheme;  // which form matched, e.g. "hmac-sha256 hex in Signature (sha256 <hex>)"
  std::string reason;  // why it failed; safe to log and show (never contains a secret)
};

// A parsed inbound webhook.
struct ParsedEvent {
  std::string vendor_event;  // "new_candidate_application", "person.created", "ping"
  std::string delivery_id;   // the vendor's id for this delivery or event, for de-duplication ("" = none)
  // Whether the signature covers delivery_id. An id from an unsigned header can be changed by anyone who
  // replays a signed body, so the ingress also de-duplicates such requests by their body (kBodyDedupeWindow).
  bool delivery_id_signed = true;
  bool is_ping = false;              // answered 2xx, logged, never forwarded
  std::vector<UnifiedEvent> events;  // empty when the vendor event maps to nothing we relay
};

// Everything a connector needs to call the tool's API for one integration.
struct ApiContext {
  std::string base_url;  // remote_base_url of the integration, or the tool's default
  std::string auth_url;  // remote_auth_url, or default_auth_url(); empty: the tool has no auth host
  boost::json::object credentials;     // decrypted; never log it
  http::HttpClient* client = nullptr;  // called through send(), never directly
  std::chrono::milliseconds timeout{15000};
  std::string integration_id;  // for the unified ids of records (and of the records they refer to)
  // The integration's API budget, shared by every call to the tool (nullptr: unlimited, as in connector
  // tests). Targeted fetches ask for their grants as kFetch, syncs, reconciles and subscription checks as
  // kBackground. A call waits for its grant at most `budget_wait` (0: `timeout`).
  std::shared_ptr<Budget> budget;
  Priority priority = Priority::kBackground;
  std::chrono::milliseconds budget_wait{0};
  // A grant taken ahead (planned fetches take one before they start a fetch, waiting only briefly, so that a
  // fetch is started only when the budget has room): the next call uses it instead of waiting for its own.
  std::shared_ptr<Budget::Grant> reserved;
  // The tool's per-endpoint limits (ApiLimits::endpoints) with their budgets: a call to one of them takes a
  // grant from it first, waiting like for the integration's.
  std::vector<std::pair<EndpointLimit, std::shared_ptr<Budget>>> endpoint_budgets;

  // Every call to the tool goes through here (blocking; set `client` first). The call first takes a grant
  // from the budget; one that cannot have it in time is not sent and answers 429 with `error` saying so
  // (is_budget_refusal). The tool's answer is shown to the budget (429, Retry-After, rate-limit headers).
  // The hosts come from the integration, which an API caller may point anywhere, so the request is held to
  // the SSRF guard at connect time like a delivery; a plain-http one, whose credentials travel in clear,
  // only to an allow-listed address.
  http::ClientResponse send(http::ClientRequest request) const;
};

// Whether a 429 came from the integration's own budget (the request was never sent) rather than the tool.
bool is_budget_refusal(const http::ClientResponse& response);

struct SubscriptionRequest {
  std::vector<std::string> event_types;  // exactly the vendor events in scope for this subscription
  std::string ingress_url;
  std::string secret;  // the secret/token we chose for this subscription (api tools that let us choose)
};

struct RemoteSubscription {
  std::string remote_id;
  std::string secret;  // the secret to verify with: ours, or the one the vendor generated
};

// One page of a full listing.
struct RecordPage {
  std::vector<boost::json::object> records;  // unified records, mapped as fetch_record maps them
  std::string next;                          // opaque continuation; empty = this was the last page
  // False when the tool can only enumerate part of the model (HiBob lists time off changed in the last six
  // months): a full sync then does not mark the records it did not see as deleted.
  bool complete = true;
};

// Error kinds for subscription calls: kForbidden means "the end customer must grant a permission" and its
// message says which; kUnauthorized means the credentials do not work; anything else is a failure to retry
// later.
class Connector {
 public:
  virtual ~Connector() = default;

  virtual std::string_view tool() const = 0;          // "greenhouse"
  virtual std::string_view display_name() const = 0;  // "Greenhouse"
  virtual Category category() const = 0;
  virtual SubscriptionMode subscription_mode() const = 0;
  virtual const std::vector<EventFeed>& feeds() const = 0;

  // The credential keys this tool needs (shared/vendors.md); the API rejects an integration missing any.
  virtual std::vector<std::string> credential_keys() const = 0;
  virtual std::string default_base_url(const boost::json::object& credentials) const = 0;
  // What each part of this connector is proven against (the README's evidence table is generated from it).
  virtual Fidelity fidelity() const { return {}; }
  // Every call this connector makes to the tool's API; empty while not declared yet.
  virtual std::vector<ApiCall> api_calls() const { return {}; }
  // The tool's documented API limits (the source in a comment beside each declaration); where the tool
  // publishes none, a conservative default that says so. Every integration's budget starts from these
  // unless the integration overrides them (`rate_limit`). Default: kUnpublishedLimits.
  virtual ApiLimits api_limits() const;
  // The tool's own authorization host where it is not the API host (Greenhouse issues Harvest tokens at
  // https://auth.greenhouse.io); empty when tokens come from the API host or the tool has none.
  virtual std::string default_auth_url(const boost::json::object& /*credentials*/) const { return ""; }

  // Vendor event types to subscribe to for the enabled models, grouped into subscriptions: one group per
  // subscription. Default: one subscription carrying every vendor event that feeds an enabled model.
  virtual std::vector<std::vector<std::string>> plan_subscriptions(const std::set<Model>& enabled) const;

  // Requests answered before verification (handshakes that arrive before any secret exists, e.g. Recruitee's
  // {"test":true} or SmartRecruiters' X-Hook-Secret). nullopt = not a handshake.
  virtual std::optional<http::Response> handshake(const http::Request& request) const;
  virtual Verification verify(const http::Request& request, const VerificationKeys& keys) const = 0;
  // Parses a verified request. An error is a malformed body (400).
  virtual Result<ParsedEvent> parse(const http::Request& request) const = 0;
  // The status the tool expects for an accepted delivery (most 200, SmartRecruiters 202).
  virtual int accepted_status() const { return 200; }

  // Manual tools: whether we generate the secret the end customer pastes into the tool (greenhouse) or the
  // tool generates one that is stored with PATCH …/subscriptions/{sid} (hibob, recruitee, teamtailor).
  virtual bool we_choose_secret() const { return true; }
  // Human setup instructions for manual tools (ingress URL and, when we chose it, the secret are shown
  // beside).
  virtual std::string setup_instructions(const SubscriptionRequest& request) const;

  // API tools.
  virtual Result<RemoteSubscription> create_subscription(const ApiContext& ctx,
                                                         const SubscriptionRequest& request) const;
  virtual Status delete_subscription(const ApiContext& ctx, const std::string& remote_id) const;
  // Whether a subscription we created still exists at the tool (false = deleted there, e.g. by hand in the
  // tool's UI; the reconciler then creates it again). kUnauthorized when the credentials stopped working.
  // Default: true (the tool offers no way to look a subscription up).
  virtual Result<bool> subscription_exists(const ApiContext& ctx, const std::string& remote_id) const;

  // Whether a unified job (as this connector maps it) is published, for tools whose published/unpublished
  // job events only state the current state (Teamtailor's job.update of an open job, Greenhouse's
  // job_post_updated of a live post, sent on every edit): the processor relays such an event as "published"
  // only when the stored job was not published yet (and "unpublished" only when it was), otherwise as
  // "updated". Default: nullopt (the vendor event itself is the publication).
  virtual std::optional<bool> job_published(const boost::json::object& /*unified_job*/) const {
    return std::nullopt;
  }

  // A delivery made redundant by related ones the tool sends beside it (Ashby's jobPostingUpdate next to the
  // jobPostingPublish or -Unpublish of the same webhookActionId): the delivery ids (ParsedEvent::delivery_id)
  // that supersede it, and how long after it arrived to wait for them. The processor holds the delivery that
  // long, then ignores it if one of them was received for the integration, on any node. Default: none.
  struct Supersession {
    std::vector<std::string> by_delivery_ids;
    std::int64_t wait_ms = 0;
  };
  virtual std::optional<Supersession> superseded_by(std::string_view /*vendor_event*/,
                                                    std::string_view /*delivery_id*/) const {
    return std::nullopt;
  }

  // Record side: whether fetch_record can read records of this model. Default: no model.
  virtual bool supports_records(Model /*model*/) const { return false; }
  // Reads one record through the tool's API and maps it to the unified model (every field of the model
  // present, null where the tool cannot fill it; "id" is the unified id; "changed_at" and
  // "remote_deleted_at" are left null for the store to fill). nullopt = the record no longer exists (404).
  // Errors: kUnauthorized (credentials rejected), kRateLimited (429 after bounded retries), kUpstream.
  // Called through fetch(), which has checked what every tool needs: the model is one supports_records()
  // accepts, ctx.client is set and remote_id is not empty; an override checks only the tool's own rules.
  // Default: kInvalidArgument "not supported".
  virtual Result<std::optional<boost::json::object>> fetch_record(const ApiContext& ctx, Model model,
                                                                  const std::string& remote_id) const;
  // fetch_record with the delivery's UnifiedEvent::fetch_hint (not empty), for tools whose record is read
  // faster or only through it. Default: fetch_record, the hint unused.
  virtual Result<std::optional<boost::json::object>> fetch_record_with_hint(const ApiContext& ctx,
                                                                            Model model,
                                                                            const std::string& remote_id,
                                                                            const std::string& hint) const;
  // Lists every record of the model through the tool's API, one page per call, for full syncs: `page` is
  // empty for the first page and then the previous answer's `next`. Records are mapped exactly as
  // fetch_record maps them. Honours the tool's pagination (cursor, offset, Link header, next URL) and its
  // rate limits (429 + Retry-After, bounded). Errors as fetch_record. Default: kInvalidArgument.
  virtual Result<RecordPage> list_records(const ApiContext& ctx, Model model, const std::string& page) const;

  // Incremental listing, for delta syncs: whether the tool can list only the records of the model changed
  // since a time (its own filter: Greenhouse's updated_at=gte|…, Workable's updated_after, …); default: no.
  virtual bool lists_changes(Model /*model*/) const { return false; }
  // The records of the model changed at or after `since` (a few may be older: the filters differ in
  // precision), one page per call exactly like list_records. Records deleted at the tool are not listed.
  // Default: kInvalidArgument.
  virtual Result<RecordPage> list_changed_records(const ApiContext& ctx, Model model, const std::string& page,
                                                  Millis since) const;

  // The record side as the pipeline calls it. fetch: the guards every tool shares (a model it reads, an HTTP
  // client, a record id), then fetch_record, and the record completed to its model (complete_record: every
  // required field present). list: list_changed_records when `since` is given and the tool lists changes of
  // the model, else list_records, with every record completed.
  // `hint`: the delivery's UnifiedEvent::fetch_hint, empty when there is none.
  Result<std::optional<boost::json::object>> fetch(const ApiContext& ctx, Model model,
                                                   const std::string& remote_id,
                                                   const std::string& hint = {}) const;
  Result<RecordPage> list(const ApiContext& ctx, Model model, const std::string& page,
                          std::optional<Millis> since) const;
};

// A connector whose full and incremental listings are one request with or without the tool's filter: it
// implements list_page (and lists_changes), and both listings go through it, for the models it supports.
class ListingConnector : public Connector {
 public:
  Result<RecordPage> list_records(const ApiContext& ctx, Model model, const std::string& page) const final;
  Result<RecordPage> list_changed_records(const ApiContext& ctx, Model model, const std::string& page,
                                          Millis since) const final;

 protected:
  // One page; `since` set for an incremental listing (only asked for models lists_changes accepts).
  virtual Result<RecordPage> list_page(const ApiContext& ctx, Model model, const std::string& page,
                                       std::optional<Millis> since) const = 0;
};

// What a tool that publishes no limits is held to: 5 calls a second, 4 at once.
ApiLimits unpublished_limits();

// The vendor events that feed the enabled models, de-duplicated, in declaration order.
std::vector<std::string> vendor_events_for(const Connector& connector, const std::set<Model>& enabled);

// Remote ids go into fetch URLs, index keys and downstream payloads: at most this long, and without control
// characters. A tool's id that breaks the rule is refused where it enters (ingress, sync), never stored.
inline constexpr std::size_t kMaxRemoteIdBytes = 256;
// Why `remote_id` cannot be used, or nullopt when it can.
std::optional<std::string> remote_id_problem(std::string_view remote_id);

// Sets ctx.base_url and ctx.auth_url from an integration's overrides (remote_base_url, remote_auth_url) or
// the connector's defaults for ctx.credentials, without trailing slashes. Set ctx.credentials first.
void resolve_urls(ApiContext& ctx, const Connector& connector,
                  const std::optional<std::string>& base_override,
                  const std::optional<std::string>& auth_override);

}  // namespace tributary::connectors
