#include "connectors/teamtailor/teamtailor.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>

#include "connectors/common/api.h"
#include "connectors/common/records.h"
#include "connectors/common/verify.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors {
namespace {

namespace bj = boost::json;

constexpr std::string_view kDisplayName = "Teamtailor";
constexpr std::string_view kSignatureHeader = "TT-Signature";
// A v2 signature is about 90 characters before base64; anything much longer is not Teamtailor's.
constexpr std::size_t kMaxSignatureLength = 1024;
constexpr std::size_t kMaxIdLength = 100;
constexpr std::size_t kMaxSignatureParts = 8;
// Teamtailor does not retry, so a genuine delivery arrives within seconds of being signed.
constexpr common::FreshnessWindow kFreshness{.max_age_ms = 5 * 60 * 1000, .max_ahead_ms = 5 * 60 * 1000};
// JSON:API page size (Teamtailor's maximum is 30) and the API version every request names.
constexpr int kPageSize = 30;
constexpr int kMaxPageNumber = 100000;
constexpr std::string_view kApiVersion = "20240404";
constexpr std::size_t npos = std::string_view::npos;

Error invalid(std::string reason) {
  return make_error(ErrorKind::kInvalidArgument, "Teamtailor: " + std::move(reason));
}

// ---- The v2 signature covers the bytes of the `payload` member as sent, which a parsed document no longer
// has: members are read as raw bytes (json::raw_members) from text already validated by a full parse, and a
// duplicated key is refused (a second "payload" or "id" could otherwise make the bytes we verify differ from
// the values we read).

// The raw value of `key` in the object `text`: nullopt when absent, an error when duplicated.
Result<std::optional<std::string_view>> unique_member(std::string_view text, std::string_view key,
                                                      std::string_view where) {
  auto members = json::raw_members(text);
  if (!members) return invalid(std::string(where) + " is not a JSON object");
  std::optional<std::string_view> found;
  for (const auto& m : *members) {
    if (m.key != key) continue;
    if (found) return invalid(std::string(where) + "." + std::string(key) + " appears more than once");
    found = m.value;
  }
  return found;
}

bool acceptable_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_';
  });
}

// A delivery, read the same way for verification and parsing.
struct Envelope {
  bj::object payload;
  std::string payload_raw;
  std::optional<std::string> body_signature;
  std::string event_name;
  std::string id;  // payload.data.id as text (the only thing a v1 signature covers)
};

Result<Envelope> read_envelope(std::string_view body) {
  auto doc = json::parse(body);
  if (!doc) return invalid("body is not valid JSON (" + doc.error().message + ")");
  if (!doc->is_object()) return invalid("body is not a JSON object");

  auto payload_raw = unique_member(body, "payload", "body");
  if (!payload_raw) return payload_raw.error();
  auto signature_raw = unique_member(body, "signature", "body");
  if (!signature_raw) return signature_raw.error();
  const bj::value* payload = doc->get_object().if_contains("payload");
  if (!payload_raw->has_value() || payload == nullptr || !payload->is_object())
    return invalid("\"payload\" is missing or not an object");

  Envelope out;
  out.payload = payload->get_object();
  out.payload_raw = std::string(**payload_raw);
  if (const bj::value* sig = doc->get_object().if_contains("signature"); sig != nullptr && !sig->is_null()) {
    if (!sig->is_string()) return invalid("\"signature\" is not a string");
    out.body_signature = std::string(sig->get_string());
  }

  auto event_raw = unique_member(out.payload_raw, "event_name", "payload");
  if (!event_raw) return event_raw.error();
  const bj::value* event = out.payload.if_contains("event_name");
  if (event == nullptr || !event->is_string() || event->get_string().empty())
    return invalid("payload.event_name is missing or not a string");
  out.event_name = std::string(event->get_string());

  auto data_raw = unique_member(out.payload_raw, "data", "payload");
  if (!data_raw) return data_raw.error();
  const bj::value* data = out.payload.if_contains("data");
  if (!data_raw->has_value() || data == nullptr || !data->is_object())
    return invalid("payload.data is missing or not an object");
  auto id_raw = unique_member(**data_raw, "id", "payload.data");
  if (!id_raw) return id_raw.error();
  auto id = json::get_id(*data, "id");
  if (!id_raw->has_value() || !id || !acceptable_id(*id)) return invalid("payload.data.id is not an id");
  out.id = std::move(*id);
  return out;
}

// One signature as it arrived, decoded from base64.
struct SignatureValue {
  std::string where;    // "body field signature" / "TT-Signature header"
  std::string decoded;  // "t=…,v2=…" or 64 hex characters
  bool v2 = false;
};

Result<SignatureValue> decode_signature(std::string_view raw, std::string where) {
  std::string_view value = common::trim(raw);
  if (value.empty()) return make_error(ErrorKind::kUnauthorized, where + " is empty");
  if (value.size() > kMaxSignatureLength)
    return make_error(ErrorKind::kUnauthorized, where + " is too long to be a Teamtailor signature");
  SignatureValue out;
  out.where = std::move(where);
  if (common::strip_prefix(value, "t=")) {
    out.decoded = std::string(value);  // a header may carry the v2 form without the base64 wrapping
  } else {
    auto decoded = crypto::base64_decode(value);
    if (!decoded) return make_error(ErrorKind::kUnauthorized, out.where + " is not valid base64");
    out.decoded = std::move(*decoded);
  }
  out.v2 = common::strip_prefix(out.decoded, "t=").has_value();
  return out;
}

// The signatures of a request: the body field and the TT-Signature header, whichever are present. A
// duplicated header is an error.
Result<std::vector<SignatureValue>> signatures_of(const http::Request& request, const Envelope& envelope) {
  std::vector<SignatureValue> out;
  if (envelope.body_signature) {
    auto s = decode_signature(*envelope.body_signature, "body field signature");
    if (!s) return s.error();
    out.push_back(std::move(*s));
  }
  if (request.header_count(kSignatureHeader) > 0) {
    auto header = common::single_header(request, kSignatureHeader);
    if (!header) return header.error();
    auto s = decode_signature(*header, std::string(kSignatureHeader) + " header");
    if (!s) return s.error();
    out.push_back(std::move(*s));
  }
  return out;
}

struct V2Parts {
  std::string timestamp;
  std::vector<std::string> digests;  // hex
};

Result<V2Parts> split_v2(std::string_view text, const std::string& where) {
  V2Parts out;
  std::size_t parts = 0;
  while (!text.empty()) {
    if (++parts > kMaxSignatureParts)
      return make_error(ErrorKind::kUnauthorized, where + " has too many parts");
    const std::size_t comma = text.find(',');
    std::string_view part = common::trim(text.substr(0, comma));
    text = comma == npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t eq = part.find('=');
    if (eq == npos) return make_error(ErrorKind::kUnauthorized, where + " has a part without '='");
    const std::string_view key = part.substr(0, eq);
    const std::string_view value = part.substr(eq + 1);
    if (key == "t") {
      if (!out.timestamp.empty())
        return make_error(ErrorKind::kUnauthorized, where + " has more than one timestamp");
      if (value.empty() || value.size() > 12 ||
          !std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        return make_error(ErrorKind::kUnauthorized, where + " has a timestamp that is not a Unix time");
      out.timestamp = std::string(value);
    } else if (key == "v2") {
      out.digests.emplace_back(value);
    }
  }
  if (out.timestamp.empty()) return make_error(ErrorKind::kUnauthorized, where + " has no timestamp t=");
  if (out.digests.empty()) return make_error(ErrorKind::kUnauthorized, where + " has no v2= value");
  return out;
}

// Ruby on Rails' JSON encoding of the same value: compact, with <, >, & and U+2028/U+2029 escaped. These
// characters only ever occur inside strings of serialised JSON, so a plain replacement is exact.
std::string rails_json(std::string_view compact) {
  std::string out;
  out.reserve(compact.size() + 16);
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < compact.size() && compact[i + 1] == '\x80' &&
               (compact[i + 2] == '\xA8' || compact[i + 2] == '\xA9')) {
      out += compact[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

struct SignedForm {
  std::string_view label;
  std::string text;
};

Verification check_v1(const SignatureValue& sig, const Envelope& envelope, const VerificationKeys& keys) {
  auto provided = common::decode_hex_digest(sig.decoded, 32);
  if (!provided) return common::rejected(sig.where + " (v1): " + provided.error().message);
  auto matched = common::match_secret(
      keys, *provided, [&](std::string_view secret) { return crypto::hmac_sha256(secret, envelope.id); });
  if (!matched)
    return common::rejected(sig.where +
                            " (v1) does not match payload.data.id signed with the subscription's key");
  return common::verified("teamtailor v1: base64(hex hmac-sha256 of payload.data.id) in the " + sig.where +
                              " (signs only the id)",
                          *matched);
}

Verification check_v2(const SignatureValue& sig, const Envelope& envelope, std::string_view body,
                      const VerificationKeys& keys, const Clock& clock) {
  auto parts = split_v2(sig.decoded, sig.where);
  if (!parts) return common::rejected(parts.error().message);
  const auto fresh = common::check_timestamp(clock, sig.where + " timestamp", parts->timestamp,
                                             common::TimestampFormat::kUnixSeconds, kFreshness);
  if (!fresh) return common::rejected(fresh.error().message);
  std::vector<std::string> provided;
  for (const auto& hex : parts->digests) {
    auto bytes = common::decode_hex_digest(hex, 32);
    if (!bytes) return common::rejected(sig.where + " v2: " + bytes.error().message);
    provided.push_back(std::move(*bytes));
  }
  // Teamtailor's documentation signs "<t>." + the raw request body (partner.teamtailor.com/company_webhooks,
  // Signatures, corrected 2025-11-10; testdata/contract/README.md); it used to say the payload's JSON. No
  // real v2 delivery is published, so the payload's bytes as sent, its compact re-serialisation and Rails'
  // escaping of that are tried after the body.
  const std::string compact = json::serialize(bj::value(envelope.payload));
  const std::vector<SignedForm> forms = {
      {"the request body as sent", std::string(body)},
      {"the payload bytes as sent", envelope.payload_raw},
      {"the compact re-serialised payload", compact},
      {"the re-serialised payload with Rails escaping", rails_json(compact)},
  };
  for (const auto& form : forms) {
    const std::string message = parts->timestamp + "." + form.text;
    for (const auto& digest : provided) {
      auto matched = common::match_secret(
          keys, digest, [&](std::string_view secret) { return crypto::hmac_sha256(secret, message); });
      if (matched)
        return common::verified("teamtailor v2: base64(t=<unix>,v2=<hex hmac-sha256>) in the " + sig.where +
                                    ", over t.<" + std::string(form.label) + ">",
                                *matched);
    }
  }
  return common::rejected(sig.where + " (v2) does not match the payload signed with the subscription's key");
}

// ---- Records.

const bj::object* attributes_of(const bj::object& resource) {
  const bj::value* a = resource.if_contains("attributes");
  return a != nullptr && a->is_object() ? &a->get_object() : nullptr;
}

const bj::value* attr(const bj::object* attributes, std::string_view key) {
  return attributes == nullptr ? nullptr : attributes->if_contains(key);
}

// relationships.<name>.data.id of a JSON:API resource.
std::optional<std::string> relationship_id(const bj::object& resource, std::string_view name) {
  const bj::value* rel = resource.if_contains("relationships");
  if (rel == nullptr || !rel->is_object()) return std::nullopt;
  const bj::value* one = rel->get_object().if_contains(name);
  if (one == nullptr) return std::nullopt;
  auto id = json::get_id(*one, "data.id");
  if (!id || id->empty()) return std::nullopt;
  return id;
}

// The ids in relationships.<name>.data of a JSON:API resource (a to-many linkage); nullopt without one.
std::optional<std::set<std::string>> linked_ids(const bj::object& resource, std::string_view name) {
  const bj::value* rel = resource.if_contains("relationships");
  if (rel == nullptr || !rel->is_object()) return std::nullopt;
  const bj::value* one = rel->get_object().if_contains(name);
  const bj::value* data =
      one != nullptr && one->is_object() ? one->get_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_array()) return std::nullopt;
  std::set<std::string> ids;
  for (const auto& item : data->get_array())
    if (auto id = json::get_id(item, "id"); id && !id->empty()) ids.insert(std::move(*id));
  return ids;
}

std::string text_of(const bj::value* v) {
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

bj::object map_application(const ApiContext& ctx, const bj::object& a, const std::string& remote_id) {
  const bj::object* at = attributes_of(a);
  bj::value stage = nullptr;
  if (auto stage_id = relationship_id(a, "stage"))
    stage = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_stages", *stage_id)},
                       {"name", nullptr},
                       {"remote_id", *stage_id},
                       {"index", nullptr}};
  bj::value job = nullptr;
  if (auto job_id = relationship_id(a, "job"))
    job = bj::object{{"id", common::unified_id(ctx.integration_id, "ats_jobs", *job_id)},
                     {"name", nullptr},
                     {"remote_id", *job_id}};
  bj::value rejected_at = common::iso_or_null(attr(at, "rejected-at"));
  return bj::object{{"id", common::unified_id(ctx.integration_id, "ats_applications", remote_id)},
                    {"remote_id", remote_id},
                    {"outcome", rejected_at.is_null() ? bj::value("PENDING") : bj::value("DECLINED")},
                    {"rejection_reason_name", nullptr},
                    {"rejected_at", std::move(rejected_at)},
                    {"remote_url", nullptr},
                    {"changed_at", nullptr},
                    {"remote_created_at", common::iso_or_null(attr(at, "created-at"))},
                    {"remote_updated_at", common::iso_or_null(attr(at, "updated-at"))},
                    {"current_stage", std::move(stage)},
                    {"job", std::move(job)}};
}

// A JSON:API candidate (with its job applications among `included`) → Kombo's candidate.
bj::object map_candidate(const ApiContext& ctx, const bj::object& c, const std::string& remote_id,
                         const bj::array* included) {
  const bj::object* at = attributes_of(c);
  bj::array emails;
  if (bj::value email = common::string_or_null(attr(at, "email")); email.is_string())
    emails.push_back(bj::object{{"email_address", email}, {"type", nullptr}});
  bj::array phones;
  if (bj::value phone = common::string_or_null(attr(at, "phone")); phone.is_string())
    phones.push_back(bj::object{{"phone_number", phone}, {"type", nullptr}});
  bj::array social;
  if (bj::value link = common::string_or_null(attr(at, "linkedin-url")); link.is_string())
    social.push_back(bj::object{{"link", link}, {"type", "LINKEDIN"}, {"username", nullptr}});
  bj::array tags;
  if (const bj::value* t = attr(at, "tags"); t != nullptr && t->is_array()) {
    for (const auto& tag : t->get_array()) {
      if (!tag.is_string() || tag.get_string().empty()) continue;
      tags.push_back(bj::object{{"id", common::unified_id(ctx.integration_id, "ats_tags", tag.get_string())},
                                {"name", tag},
                                {"remote_id", nullptr}});
    }
  }
  bj::array applications;
  if (included != nullptr) {
    // Included resources of a list page belong to several candidates: keep this candidate's. A compound
    // document links every included resource from the primary data ("full linkage", JSON:API 1.0), so the
    // candidate's relationships.job-applications.data names its applications; an included application's own
    // relationships may carry links only (as Teamtailor's examples show them), so its candidate linkage is
    // only the fallback when the candidate has none.
    const auto linked = linked_ids(c, "job-applications");
    for (const auto& item : *included) {
      if (!item.is_object()) continue;
      const auto& o = item.get_object();
      if (text_of(o.if_contains("type")) != "job-applications") continue;
      auto app_id = json::get_id(item, "id");
      if (!app_id || app_id->empty()) continue;
      if (linked) {
        if (linked->count(*app_id) == 0) continue;
      } else if (auto owner = relationship_id(o, "candidate"); owner && *owner != remote_id) {
        continue;
      }
      applications.push_back(map_application(ctx, o, *app_id));
    }
  }
  const bj::value* sourced = attr(at, "sourced");
  bj::value source = common::string_or_null(attr(at, "referring-site"));
  if (source.is_null() && sourced != nullptr && sourced->is_bool() && sourced->get_bool()) source = "Sourced";
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_candidates", remote_id)},
      {"remote_id", remote_id},
      {"first_name", common::string_or_null(attr(at, "first-name"))},
      {"last_name", common::string_or_null(attr(at, "last-name"))},
      {"company", nullptr},
      {"title", nullptr},
      {"confidential", nullptr},
      {"source", std::move(source)},
      {"phone_numbers", std::move(phones)},
      {"email_addresses", std::move(emails)},
      {"social_media", std::move(social)},
      {"location", nullptr},
      {"custom_fields", nullptr},
      {"remote_url", nullptr},
      {"remote_created_at", common::iso_or_null(attr(at, "created-at"))},
      {"remote_updated_at", common::iso_or_null(attr(at, "updated-at"))},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"applications", std::move(applications)},
      {"tags", std::move(tags)},
  };
}

bj::value job_status(std::string_view status) {
  const std::string s = common::ascii_upper(status);
  if (s == "OPEN" || s == "CLOSED" || s == "DRAFT" || s == "ARCHIVED") return bj::value(s);
  if (s == "UNLISTED") return "OPEN";    // open, reachable only by its link
  if (s == "SCHEDULED") return "DRAFT";  // not yet published
  return nullptr;
}

bj::value employment_type(std::string_view t) {
  if (t == "fulltime" || t == "full_time" || t == "full-time") return "FULL_TIME";
  if (t == "parttime" || t == "part_time" || t == "part-time") return "PART_TIME";
  if (t == "contract" || t == "contractor" || t == "temporary") return "CONTRACT";
  if (t == "internship" || t == "intern") return "INTERNSHIP";
  if (t == "seasonal") return "SEASONAL";
  return nullptr;
}

bj::value remote_status(std::string_view r) {
  if (r == "fully" || r == "remote") return "REMOTE";
  if (r == "hybrid") return "HYBRID";
  if (r == "temporary") return "TEMPORARY";
  return nullptr;  // "none": not stated
}

bj::value salary_period(std::string_view p) {
  if (p == "yearly" || p == "annually" || p == "year") return "YEAR";
  if (p == "monthly" || p == "month") return "MONTH";
  if (p == "weekly" || p == "week") return "WEEK";
  if (p == "daily" || p == "day") return "DAY";
  if (p == "hourly" || p == "hour") return "HOUR";
  return nullptr;
}

bj::object map_job(const ApiContext& ctx, const bj::object& j, const std::string& remote_id) {
  const bj::object* at = attributes_of(j);
  const std::string status = text_of(attr(at, "status"));
  const bj::value* internal = attr(at, "internal");
  bj::value visibility = nullptr;
  if (internal != nullptr && internal->is_bool() && internal->get_bool()) {
    visibility = "INTERNAL";
  } else if (status == "unlisted") {
    visibility = "UNLISTED";
  } else if (status == "open") {
    visibility = "PUBLIC";
  }
  bj::value post_url = nullptr;
  if (const bj::value* links = j.if_contains("links"); links != nullptr && links->is_object())
    post_url = common::string_or_null(links->get_object().if_contains("careersite-job-url"));
  const std::string level = text_of(attr(at, "employment-level"));
  return bj::object{
      {"id", common::unified_id(ctx.integration_id, "ats_jobs", remote_id)},
      {"remote_id", remote_id},
      {"name", common::string_or_null(attr(at, "title"))},
      {"job_code", nullptr},
      {"description", common::string_or_null(attr(at, "body"))},
      {"confidential", nullptr},
      {"weekly_hours", nullptr},
      {"employment_type", employment_type(text_of(attr(at, "employment-type")))},
      {"status", job_status(status)},
      {"visibility", std::move(visibility)},
      {"category", nullptr},
      {"department", nullptr},
      {"post_url", std::move(post_url)},
      {"experience_level", level.empty() || level == "none" ? bj::value(nullptr) : bj::value(level)},
      {"remote_work_status", remote_status(text_of(attr(at, "remote-status")))},
      {"salary_amount", nullptr},
      {"salary_amount_from", common::number_or_null(attr(at, "min-salary"))},
      {"salary_amount_to", common::number_or_null(attr(at, "max-salary"))},
      {"salary_currency", common::string_or_null(attr(at, "currency"))},
      {"salary_period", salary_period(text_of(attr(at, "salary-time-unit")))},
      {"location", nullptr},
      {"custom_fields", nullptr},
      {"remote_url", nullptr},
      {"opened_at", nullptr},
      {"closed_at", nullptr},
      {"remote_created_at", common::iso_or_null(attr(at, "created-at"))},
      {"remote_updated_at", common::iso_or_null(attr(at, "updated-at"))},
      {"contact_id", nullptr},
      {"changed_at", nullptr},
      {"remote_deleted_at", nullptr},
      {"stages", bj::array{}},
      {"screening_questions", bj::array{}},
      {"job_postings", bj::array{}},
      {"hiring_team", bj::array{}},
  };
}

std::optional<bj::object> map_resource(const ApiContext& ctx, Model model, const bj::value& resource,
                                       const bj::array* included) {
  if (!resource.is_object()) return std::nullopt;
  auto id = json::get_id(resource, "id");
  if (!id || !acceptable_id(*id)) return std::nullopt;
  if (model == Model::kAtsJobs) return map_job(ctx, resource.get_object(), *id);
  return map_candidate(ctx, resource.get_object(), *id, included);
}

const bj::array* included_of(const bj::value& doc) {
  const bj::value* inc = doc.is_object() ? doc.get_object().if_contains("included") : nullptr;
  return inc != nullptr && inc->is_array() ? &inc->get_array() : nullptr;
}

class TeamtailorConnector final : public Connector {
 public:
  explicit TeamtailorConnector(const Clock& clock) : clock_(clock) {}

  std::string_view tool() const override { return "teamtailor"; }
  std::string_view display_name() const override { return kDisplayName; }
  Category category() const override { return Category::kAts; }
  SubscriptionMode subscription_mode() const override { return SubscriptionMode::kManual; }

  const std::vector<EventFeed>& feeds() const override {
    static const std::vector<EventFeed> kFeeds = {
        {Model::kAtsCandidates,
         Action::kCreated,
         {"candidate.create", "job_application.create"},
         "v2-signed deliveries; a v1 signature covers only the id, so v1 deliveries are relayed as an update "
         "of that id, confirmed by the targeted fetch"},
        {Model::kAtsCandidates,
         Action::kDeleted,
         {"candidate.destroy"},
         "v2-signed deliveries; v1 deliveries become an update that the fetch records as deleted on 404"},
        {Model::kAtsJobs,
         Action::kUpdated,
         {"job.update"},
         "job.update that leaves the job's publication as it was"},
        {Model::kAtsJobs,
         Action::kPublished,
         {"job.update"},
         "job.update with status open, of a job not open before [inferred]"},
        {Model::kAtsJobs,
         Action::kUnpublished,
         {"job.update"},
         "job.update with status archived, of a job open before [inferred]"},
    };
    return kFeeds;
  }

  // Every call, as the vendor documents it (testdata/contract/endpoints.json). "token": the key goes in
  // `Authorization: Token token=<key>`; every request also carries X-Api-Version.
  std::vector<ApiCall> api_calls() const override {
    const std::string h = "https://api.teamtailor.com";
    return {{"GET", h, "/v1/candidates", {}, {}, "token"},
            {"GET", h, "/v1/candidates/{id}", {}, {}, "token"},
            {"GET", h, "/v1/jobs", {}, {}, "token"},
            {"GET", h, "/v1/jobs/{id}", {}, {}, "token"}};
  }

  // The sources: testdata/contract/README.md.

  // Not published in what we hold (the docs link "API rate limits" without a number): the conservative
  // default.
  ApiLimits api_limits() const override { return unpublished_limits(); }

  Fidelity fidelity() const override {
    return {.subscribe = Evidence::kNotUsed,
            .verify = Evidence::kVendorSchema,
            .events = Evidence::kVendorExample,
            .get = Evidence::kVendorExample,
            .list = Evidence::kVendorExample,
            .incremental = Evidence::kNotUsed};
  }

  std::vector<std::string> credential_keys() const override { return {"api_key"}; }
  std::string default_base_url(const bj::object& /*credentials*/) const override {
    return "https://api.teamtailor.com";
  }

  bool we_choose_secret() const override { return false; }

  Verification verify(const http::Request& request, const VerificationKeys& keys) const override {
    if (common::usable_secrets(keys).empty())
      return common::rejected("no signature key is stored for this subscription yet");
    auto envelope = read_envelope(request.body);
    if (!envelope) return common::rejected("cannot read the signed parts: " + envelope.error().message);
    auto signatures = signatures_of(request, *envelope);
    if (!signatures) return common::rejected(signatures.error().message);
    if (signatures->empty())
      return common::rejected("no signature: neither a body field \"signature\" nor a TT-Signature header");
    // Every signature present must hold, so a valid v1 cannot vouch for a body whose v2 was tampered with.
    Verification result;
    for (const auto& sig : *signatures) {
      Verification one =
          sig.v2 ? check_v2(sig, *envelope, request.body, keys, clock_) : check_v1(sig, *envelope, keys);
      if (!one.ok) return one;
      if (!result.ok) {
        result = std::move(one);
      } else {
        result.scheme += "; " + one.scheme;
      }
    }
    return result;
  }

  Result<ParsedEvent> parse(const http::Request& request) const override {
    auto envelope = read_envelope(request.body);
    if (!envelope) return envelope.error();
    ParsedEvent out;
    out.vendor_event = envelope->event_name;

    // Trust beyond the id needs a v2 signature (verify has checked every signature present).
    std::optional<V2Parts> v2;
    if (auto sigs = signatures_of(request, *envelope)) {
      for (const auto& s : *sigs) {
        if (!s.v2) continue;
        if (auto parts = split_v2(s.decoded, s.where)) {
          v2 = std::move(*parts);
          break;
        }
      }
    }
    const std::string& name = envelope->event_name;
    const std::string& id = envelope->id;
    const bool candidate_event = name == "candidate.create" || name == "candidate.destroy";
    const bool job_event = name == "job.update";
    const bool application_event = name == "job_application.create";

    if (!v2) {
      // v1: only payload.data.id is signed. The event name, the type and the attributes could have been
      // swapped by anyone replaying a captured delivery, so the id is relayed as an update that the targeted
      // fetch confirms (a 404 records the deletion); an application's candidate id is unsigned: nothing.
      if (candidate_event) out.events.push_back({Model::kAtsCandidates, Action::kUpdated, id});
      if (job_event) out.events.push_back({Model::kAtsJobs, Action::kUpdated, id});
      return out;
    }

    // The v2 signature identifies this delivery (same timestamp, same payload): a replay is de-duplicated.
    const std::string digest = common::ascii_lower(common::trim(v2->digests.front()).substr(0, 64));
    out.delivery_id = "v2:" + v2->timestamp + ":" + digest;
    if (name == "candidate.create") {
      out.events.push_back({Model::kAtsCandidates, Action::kCreated, id});
    } else if (name == "candidate.destroy") {
      out.events.push_back({Model::kAtsCandidates, Action::kDeleted, id});
    } else if (application_event) {
      // The applicant: relationships.candidate.data.id, or a candidate-id attribute.
      const bj::value* data = envelope->payload.if_contains("data");
      std::optional<std::string> candidate = relationship_id(data->get_object(), "candidate");
      if (!candidate) {
        auto from_attr = json::get_id(*data, "attributes.candidate-id");
        if (from_attr && !from_attr->empty()) candidate = std::move(from_attr);
      }
      if (candidate) {
        if (!acceptable_id(*candidate)) return invalid("the application's candidate id is not an id");
        out.events.push_back({Model::kAtsCandidates, Action::kCreated, std::move(*candidate)});
      }
    } else if (job_event) {
      const std::string status =
          text_of(attr(attributes_of(envelope->payload.at("data").get_object()), "status"));
      Action action = Action::kUpdated;
      if (status == "open") action = Action::kPublished;
      if (status == "archived") action = Action::kUnpublished;
      out.events.push_back({Model::kAtsJobs, action, id});
    }
    return out;
  }

  std::string setup_instructions(const SubscriptionRequest& request) const override {
    std::string text =
        "1. In Teamtailor, go to Settings > Integrations > Webhooks (an administrator is needed; if the page "
        "is missing, ask Teamtailor support to enable the webhooks feature).\n"
        "2. Click Add webhook (New Webhook) and fill in:\n"
        "   - Label: \"Tributary\" (any name works)\n"
        "   - Webhook URL: " +
        request.ingress_url +
        "\n"
        "   - Events: the events listed below\n"
        "3. Save. Teamtailor shows the webhook's signature key: copy it and paste it into the setup flow "
        "here "
        "(it is stored as this subscription's secret).\n"
        "4. Teamtailor does not retry failed deliveries, so store the key before enabling the events.\n"
        "Events to select:\n";
    for (const auto& event : request.event_types)
      text += "   - " + event + "\n";
    return text;
  }

  // job.update carries the job's status, not what changed: "open" is a publication only when the job was
  // not open before (the processor compares with the stored job).
  std::optional<bool> job_published(const bj::object& unified_job) const override {
    const auto* status = unified_job.if_contains("status");
    return status != nullptr && status->is_string() && status->get_string() == "OPEN";
  }

  bool supports_records(Model model) const override {
    return model == Model::kAtsCandidates || model == Model::kAtsJobs;
  }

  Result<std::optional<bj::object>> fetch_record(const ApiContext& ctx, Model model,
                                                 const std::string& remote_id) const override {
    if (!acceptable_id(remote_id)) return invalid("record ids are short alphanumeric strings");
    std::string path = resource_path(model) + "/" + common::encode_path_segment(remote_id);
    if (model == Model::kAtsCandidates) path += "?include=job-applications";
    auto doc = get(ctx, path);
    if (!doc) return doc.error();
    if (!*doc) return std::optional<bj::object>{};
    const bj::value* data = (*doc)->is_object() ? (*doc)->get_object().if_contains("data") : nullptr;
    if (data == nullptr || data->is_null()) return std::optional<bj::object>{};
    auto mapped = map_resource(ctx, model, *data, included_of(**doc));
    if (!mapped) return make_error(ErrorKind::kUpstream, "Teamtailor answered with a record without an id");
    return mapped;
  }

  // JSON:API pages: page[number] counts from 1; `next` is the following page number while links.next is set.
  Result<RecordPage> list_records(const ApiContext& ctx, Model model,
                                  const std::string& page) const override {
    if (!supports_records(model)) return Connector::list_records(ctx, model, page);
    int number = 1;
    if (!page.empty()) {
      if (page.size() > 6 ||
          !std::all_of(page.begin(), page.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
        return invalid("bad page token");
      number = std::stoi(page);
      if (number < 1 || number > kMaxPageNumber) return invalid("bad page token");
    }
    std::string path = resource_path(model) + "?page[size]=" + std::to_string(kPageSize) +
                       "&page[number]=" + std::to_string(number);
    if (model == Model::kAtsCandidates) path += "&include=job-applications";
    auto doc = get(ctx, path);
    if (!doc) return doc.error();
    if (!*doc) return make_error(ErrorKind::kUpstream, "Teamtailor answered 404 to a list request");
    const bj::value* data = (*doc)->is_object() ? (*doc)->get_object().if_contains("data") : nullptr;
    if (data == nullptr || !data->is_array())
      return make_error(ErrorKind::kUpstream, "Teamtailor answered a list without a data array");
    RecordPage out;
    const bj::array* included = included_of(**doc);
    for (const auto& item : data->get_array())
      if (auto mapped = map_resource(ctx, model, item, included)) out.records.push_back(std::move(*mapped));
    // links.next names the following page; meta.page-count is the fallback when links are left out.
    const bj::value* next = json::find(**doc, "links.next");
    bool more = next != nullptr && next->is_string() && !next->get_string().empty();
    if (next == nullptr) {
      const bj::value* count = json::find(**doc, "meta.page-count");
      more = count != nullptr && count->is_int64() && count->get_int64() > number;
    }
    if (more && !data->get_array().empty() && number < kMaxPageNumber) out.next = std::to_string(number + 1);
    return out;
  }

 private:
  static std::string resource_path(Model model) {
    return model == Model::kAtsJobs ? "/v1/jobs" : "/v1/candidates";
  }

  static Result<std::optional<bj::value>> get(const ApiContext& ctx, const std::string& path) {
    if (ctx.client == nullptr) return make_error(ErrorKind::kInternal, "no HTTP client configured");
    auto key = common::credential(ctx, "api_key");
    if (!key) return key.error();
    http::ClientRequest req =
        common::authorized_request(ctx, "GET", common::join_url(ctx.base_url, path),
                                   {"Authorization", "Token token=" + *key}, "application/vnd.api+json");
    req.headers.emplace_back("X-Api-Version", std::string(kApiVersion));
    return common::json_or_gone(kDisplayName, common::get_with_retry(ctx, std::move(req)), {*key});
  }

  const Clock& clock_;
};

}  // namespace

std::unique_ptr<Connector> make_teamtailor_connector(const Clock& clock) {
  return std::make_unique<TeamtailorConnector>(clock);
}

void register_teamtailor(Registry& registry) {
  registry.add(make_teamtailor_connector(SystemClock::instance()));
}

}  // namespace tributary::connectors
