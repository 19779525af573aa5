// Harvest v3 for the simulated Greenhouse: the OAuth token endpoint and the list endpoints used by syncs and
// targeted fetches (see greenhouse_sim.h for the contract).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "core/crypto.h"
#include "core/json.h"
#include "sim/common/form.h"
#include "sim/greenhouse/greenhouse_sim.h"

namespace tributary::sim::greenhouse {

namespace bj = boost::json;

namespace {

constexpr std::int64_t kTokenSeconds = 3600;
constexpr std::size_t kDefaultPerPage = 100;
constexpr std::size_t kMaxPerPage = 500;
constexpr std::size_t kMaxIds = 500;

http::Response harvest_error(int status, std::string_view message) {
  return json_reply(status, bj::object{{"error", message}});
}

// What a list request asks for; carried inside the cursor so the next page needs no other parameter.
struct ListQuery {
  std::uint64_t after = 0;
  std::size_t per_page = kDefaultPerPage;
  std::vector<std::int64_t> ids;
  // Harvest v3's parent-resource filter (job_posts?job_ids=…, applications?candidate_ids=…): the field it
  // matches ("job_id", "candidate_id") and the ids.
  std::string parent_field;
  std::vector<std::int64_t> parent_ids;
  std::string updated_op;  // "gte", "gt", "lte", "lt" or empty
  Millis updated_at = 0;
};

std::string encode_cursor(const ListQuery& q) {
  bj::array ids;
  for (auto id : q.ids)
    ids.push_back(id);
  bj::array parent_ids;
  for (auto id : q.parent_ids)
    parent_ids.push_back(id);
  bj::object o{{"a", q.after},      {"p", q.per_page},     {"i", std::move(ids)},        {"o", q.updated_op},
               {"u", q.updated_at}, {"k", q.parent_field}, {"pi", std::move(parent_ids)}};
  return crypto::base64url_encode_nopad(json::serialize(o));
}

Result<ListQuery> decode_cursor(std::string_view cursor) {
  auto bad = make_error(ErrorKind::kInvalidArgument, "invalid cursor");
  auto raw = crypto::base64url_decode(cursor);
  if (!raw) return bad;
  auto parsed = json::parse(*raw);
  if (!parsed.ok() || !parsed->is_object()) return bad;
  const auto& o = parsed->get_object();
  ListQuery q;
  const auto* a = o.if_contains("a");
  const auto* p = o.if_contains("p");
  const auto* i = o.if_contains("i");
  const auto* op = o.if_contains("o");
  const auto* u = o.if_contains("u");
  const auto* k = o.if_contains("k");
  const auto* pi = o.if_contains("pi");
  if (a == nullptr || p == nullptr || i == nullptr || op == nullptr || u == nullptr || !i->is_array() ||
      !op->is_string() || k == nullptr || !k->is_string() || pi == nullptr || !pi->is_array() ||
      pi->get_array().size() > kMaxIds)
    return bad;
  auto as_u64 = [](const bj::value& v) -> std::optional<std::uint64_t> {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    return std::nullopt;
  };
  auto av = as_u64(*a);
  auto pv = as_u64(*p);
  if (!av || !pv || *pv == 0 || *pv > kMaxPerPage || !u->is_int64() || i->get_array().size() > kMaxIds)
    return bad;
  q.after = *av;
  q.per_page = static_cast<std::size_t>(*pv);
  for (const auto& id : i->get_array()) {
    if (!id.is_int64()) return bad;
    q.ids.push_back(id.get_int64());
  }
  for (const auto& id : pi->get_array()) {
    if (!id.is_int64()) return bad;
    q.parent_ids.push_back(id.get_int64());
  }
  q.parent_field = std::string(k->get_string());
  q.updated_op = std::string(op->get_string());
  q.updated_at = u->get_int64();
  return q;
}

// A stored record as Harvest answers it. The simulator keeps keys of Greenhouse's web hook payloads (a
// profile `url`, a candidate's `external_id`) and a link of its own (a job's `job_post_id`) beside each
// record; Harvest's answers have none of them (the vendor's examples in
// connectors/greenhouse/testdata/contract/, held in
// GreenhouseSimTest.HarvestAnswersHaveTheKeysOfGreenhousesExamples).
bj::object harvest_view(std::string_view resource, bj::object data) {
  if (resource == "candidates") data.erase("external_id");
  if (resource == "candidates" || resource == "applications") data.erase("url");
  if (resource == "jobs") data.erase("job_post_id");
  return data;
}

Status parse_id_list(std::string_view rest, std::string_view name, std::vector<std::int64_t>& out) {
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view one = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(one.data(), one.data() + one.size(), id);
    if (ec != std::errc{} || ptr != one.data() + one.size() || out.size() >= kMaxIds)
      return make_error(ErrorKind::kInvalidArgument,
                        std::string(name) + " must be a comma-separated list of integers");
    out.push_back(id);
  }
  return {};
}

// The parent-resource filter each listed resource accepts: {query parameter, field of the record}.
std::optional<std::pair<std::string_view, std::string_view>> parent_filter_of(std::string_view resource) {
  if (resource == "job_posts") return std::make_pair("job_ids", "job_id");
  if (resource == "applications") return std::make_pair("candidate_ids", "candidate_id");
  return std::nullopt;
}

Result<ListQuery> parse_list_query(const http::Request& req, std::string_view resource) {
  if (auto cursor = req.query_param("cursor")) {
    // Harvest v3: the next-page URL's cursor must be the only query parameter.
    if (req.query.size() != 1)
      return make_error(ErrorKind::kInvalidArgument, "cursor must be the only query parameter");
    return decode_cursor(*cursor);
  }
  ListQuery q;
  for (const auto& [key, value] : req.query) {
    if (key == "per_page") {
      std::size_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || ptr != value.data() + value.size() || n == 0 || n > kMaxPerPage)
        return make_error(ErrorKind::kInvalidArgument, "per_page must be between 1 and 500");
      q.per_page = n;
    } else if (key == "ids") {
      if (auto st = parse_id_list(value, key, q.ids); !st) return st.error();
    } else if (auto parent = parent_filter_of(resource); parent && key == parent->first) {
      if (auto st = parse_id_list(value, key, q.parent_ids); !st) return st.error();
      q.parent_field = std::string(parent->second);
    } else if (key == "updated_at") {
      auto bar = value.find('|');
      std::string op = value.substr(0, bar == std::string::npos ? 0 : bar);
      auto at =
          bar == std::string::npos ? std::nullopt : parse_iso8601(std::string_view(value).substr(bar + 1));
      if ((op != "gte" && op != "gt" && op != "lte" && op != "lt") || !at)
        return make_error(ErrorKind::kInvalidArgument, "updated_at must look like gte|2026-01-01T00:00:00Z");
      q.updated_op = op;
      q.updated_at = *at;
    } else {
      return make_error(ErrorKind::kInvalidArgument, "unsupported query parameter '" + key + "'");
    }
  }
  return q;
}

bool keep(const ListQuery& q, const StoredRecord& r) {
  if (!q.ids.empty() && std::find(q.ids.begin(), q.ids.end(), r.data.at("id").as_int64()) == q.ids.end())
    return false;
  if (!q.parent_field.empty()) {
    const auto* parent = r.data.if_contains(q.parent_field);
    if (parent == nullptr || !parent->is_int64() ||
        std::find(q.parent_ids.begin(), q.parent_ids.end(), parent->get_int64()) == q.parent_ids.end())
      return false;
  }
  if (q.updated_op == "gte") return r.updated_at >= q.updated_at;
  if (q.updated_op == "gt") return r.updated_at > q.updated_at;
  if (q.updated_op == "lte") return r.updated_at <= q.updated_at;
  if (q.updated_op == "lt") return r.updated_at < q.updated_at;
  return true;
}

}  // namespace

http::Response GreenhouseSimulator::fault_unauthorized() const {
  return harvest_error(401, "missing or invalid bearer token");
}

http::Response GreenhouseSimulator::fault_rate_limited(int retry_after_seconds) const {
  return harvest_error(429, "rate limit exceeded")
      .with_header("Retry-After", std::to_string(retry_after_seconds));
}

bool GreenhouseSimulator::authorized(const http::Request& request) const {
  return tokens_.accepts(request, now_ms());
}

void GreenhouseSimulator::add_harvest_routes() {
  // Tokens come from the authorization host (auth.greenhouse.io), never from the Harvest host.
  auth_router().add_sync("POST", "/token", [this](const http::Request& req, const http::Params&) {
    if (!has_basic_credentials(req, true)) return json_reply(401, bj::object{{"error", "invalid_client"}});
    FormFields form = parse_form(req.body);
    if (form_value(form, "grant_type").value_or("") != "client_credentials")
      return json_reply(400, bj::object{{"error", "unsupported_grant_type"}});
    if (form_value(form, "sub").value_or("").empty())
      return json_reply(400, bj::object{{"error", "invalid_request"},
                                        {"error_description", "sub (the Greenhouse user id) is required"}});
    std::string token = crypto::random_token(48);
    note_secret("access token", token);
    {
      MutexLock lock(mu_);
      Millis now = now_ms();
      tokens_.add(token, now, kTokenSeconds);
    }
    return json_reply(
        200, bj::object{{"access_token", token}, {"token_type", "Bearer"}, {"expires_in", kTokenSeconds}});
  });

  router().add_sync("GET", "/v3/{resource}", [this](const http::Request& req, const http::Params& params) {
    const std::string& resource = params.at("resource");
    MutexLock lock(mu_);
    if (!authorized(req)) return harvest_error(401, "missing or invalid bearer token");
    const RecordStore* store = resource == "candidates"     ? &candidates_
                               : resource == "applications" ? &applications_
                               : resource == "jobs"         ? &jobs_
                               : resource == "job_posts"    ? &job_posts_
                                                            : nullptr;
    if (store == nullptr) return harvest_error(404, "unknown resource");
    auto q = parse_list_query(req, resource);
    if (!q.ok()) return harvest_error(400, q.error().message);
    bool more = false;
    auto page = store->page(
        q->after, q->per_page, [&](const StoredRecord& r) { return keep(*q, r); }, &more);
    bj::array out;
    for (const auto* r : page)
      out.push_back(harvest_view(resource, r->data));
    http::Response response = json_reply(200, out);
    if (more && !page.empty()) {
      ListQuery next = *q;
      next.after = page.back()->seq;
      response.with_header("Link", "<" + public_base(req) + "/v3/" + resource +
                                       "?cursor=" + encode_cursor(next) + ">; rel=\"next\"");
    }
    return response;
  });
}

}  // namespace tributary::sim::greenhouse
