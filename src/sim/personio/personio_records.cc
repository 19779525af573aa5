// The simulated Personio's auth endpoint and record reads (persons, employments, absence periods); see
// personio_sim.h for the contract.
#include <algorithm>
#include <charconv>

#include "core/crypto.h"
#include "core/json.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"
#include "sim/personio/personio_sim.h"

namespace tributary::sim::personio {

namespace bj = boost::json;

namespace {

constexpr std::int64_t kTokenSeconds = 86400;
constexpr std::size_t kDefaultLimit = 10;

struct ListQuery {
  std::uint64_t after = 0;
  std::size_t limit = kDefaultLimit;
  std::string updated_op;  // "gt" / "gte" / empty
  Millis updated_at = 0;
  std::string id;
  std::string email;
  std::string person_id;
};

std::string encode_cursor(const ListQuery& q) {
  bj::object o{{"a", q.after}, {"o", q.updated_op}, {"u", q.updated_at},
               {"i", q.id},    {"e", q.email},      {"p", q.person_id}};
  return crypto::base64url_encode_nopad(json::serialize(o));
}

Result<ListQuery> decode_cursor(std::string_view cursor, ListQuery q) {
  auto bad = make_error(ErrorKind::kInvalidArgument, "invalid cursor");
  auto raw = crypto::base64url_decode(cursor);
  if (!raw) return bad;
  auto parsed = json::parse(*raw);
  if (!parsed.ok() || !parsed->is_object()) return bad;
  const auto& o = parsed->get_object();
  auto str = [&](std::string_view k) -> const bj::string* {
    const auto* v = o.if_contains(k);
    return v != nullptr && v->is_string() ? &v->get_string() : nullptr;
  };
  const auto* a = o.if_contains("a");
  const auto* u = o.if_contains("u");
  if (a == nullptr || u == nullptr || !u->is_int64() || !str("o") || !str("i") || !str("e") || !str("p"))
    return bad;
  if (a->is_int64() && a->get_int64() >= 0)
    q.after = static_cast<std::uint64_t>(a->get_int64());
  else if (a->is_uint64())
    q.after = a->get_uint64();
  else
    return bad;
  q.updated_op = std::string(*str("o"));
  q.updated_at = u->get_int64();
  q.id = std::string(*str("i"));
  q.email = std::string(*str("e"));
  q.person_id = std::string(*str("p"));
  return q;
}

// `updated_filter` is the one incremental filter this list supports ("updated_at.gt" or "updated_at.gte").
Result<ListQuery> parse_list_query(const http::Request& req, std::size_t max_limit,
                                   std::string_view updated_filter) {
  ListQuery q;
  if (auto limit = req.query_param("limit")) {
    auto n = parse_number<std::size_t>(*limit);
    if (!n || *n == 0 || *n > max_limit)
      return make_error(ErrorKind::kInvalidArgument,
                        "limit must be between 1 and " + std::to_string(max_limit));
    q.limit = *n;
  }
  if (auto cursor = req.query_param("cursor")) return decode_cursor(*cursor, q);
  for (const auto& [key, value] : req.query) {
    if (key == "limit") continue;
    if (key == updated_filter) {
      auto at = parse_iso8601(value);
      if (!at) return make_error(ErrorKind::kInvalidArgument, key + " must be an ISO-8601 date-time");
      q.updated_op = updated_filter.ends_with("gte") ? "gte" : "gt";
      q.updated_at = *at;
    } else if (key == "id") {
      q.id = value;
    } else if (key == "email" && updated_filter == "updated_at.gt") {
      q.email = value;
    } else if (key == "person.id" && updated_filter == "updated_at.gte") {
      q.person_id = value;
    } else {
      return make_error(ErrorKind::kInvalidArgument, "unsupported query parameter '" + key + "'");
    }
  }
  return q;
}

bool keep(const ListQuery& q, const StoredRecord& r) {
  if (q.updated_op == "gt" && !(r.updated_at > q.updated_at)) return false;
  if (q.updated_op == "gte" && !(r.updated_at >= q.updated_at)) return false;
  if (!q.id.empty() && r.id != q.id) return false;
  if (!q.email.empty()) {
    const auto* e = r.data.if_contains("email");
    if (e == nullptr || !e->is_string() || e->get_string() != q.email) return false;
  }
  if (!q.person_id.empty()) {
    const auto* p = r.data.if_contains("person");
    if (p == nullptr || !p->is_object() || p->at("id") != bj::value(q.person_id)) return false;
  }
  return true;
}

// The token request's fields, from a JSON object or a form body.
FormFields token_request_fields(const http::Request& req) {
  FormFields form;
  auto content_type = req.header("Content-Type");
  if (content_type && content_type->find("json") != std::string_view::npos) {
    auto body = parse_object_body(req.body);
    if (body.ok())
      for (const auto& kv : *body)
        if (kv.value().is_string())
          form.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
  } else {
    form = parse_form(req.body);
  }
  return form;
}

http::Response unauthorized() {
  return personio_error(401, "Unauthorized", "missing or invalid access token");
}

}  // namespace

void PersonioSimulator::add_record_routes() {
  router().add_sync("POST", "/v2/auth/token",
                    [this](const http::Request& req, const http::Params&) { return issue_token(req); });
  add_person_routes();
  add_absence_routes();
}

void PersonioSimulator::add_person_routes() {
  // Unchecked: hands list_records the store by reference without reading it (list_records reads it under
  // mu_), which the analysis counts as an access.
  router().add_sync("GET", "/v2/persons",
                    [this](const http::Request& req, const http::Params&) NO_THREAD_SAFETY_ANALYSIS {
                      return list_records(req, persons_, 50, "/v2/persons", "updated_at.gt");
                    });

  router().add_sync("GET", "/v2/persons/{id}", [this](const http::Request& req, const http::Params& params) {
    MutexLock lock(mu_);
    if (!token_valid(req)) return unauthorized();
    const auto* p = persons_.find(params.at("id"));
    if (p == nullptr) return personio_error(404, "Not Found", "person not found");
    bj::object out = p->data;
    out["_meta"] = bj::object{
        {"links", bj::object{{"employments", bj::object{{"href", public_base(req) + "/v2/persons/" + p->id +
                                                                     "/employments"}}}}}};
    return json_reply(200, out);
  });

  router().add_sync(
      "GET", "/v2/persons/{id}/employments", [this](const http::Request& req, const http::Params& params) {
        MutexLock lock(mu_);
        if (!token_valid(req)) return unauthorized();
        const auto* p = persons_.find(params.at("id"));
        if (p == nullptr) return personio_error(404, "Not Found", "person not found");
        bj::array data;
        for (const auto& e : p->data.at("employments").as_array())
          if (const auto* emp = employments_.find(e.at("id").as_string())) data.push_back(emp->data);
        return json_reply(
            200,
            bj::object{
                {"_data", std::move(data)},
                {"_meta",
                 bj::object{
                     {"links", bj::object{{"self", bj::object{{"href", public_base(req) + req.target}}}}}}}});
      });
}

void PersonioSimulator::add_absence_routes() {
  // Unchecked: hands list_records the store by reference without reading it (list_records reads it under
  // mu_), which the analysis counts as an access.
  router().add_sync("GET", "/v2/absence-periods",
                    [this](const http::Request& req, const http::Params&) NO_THREAD_SAFETY_ANALYSIS {
                      return list_records(req, absences_, 100, "/v2/absence-periods", "updated_at.gte");
                    });

  // Personio documents no GET /v2/absence-periods/{id} (its reference has the list with an `id` filter and
  // /v2/absence-periods/{id}/breakdowns), so the simulator serves none: a single period is read by the
  // filter.
}

http::Response PersonioSimulator::issue_token(const http::Request& req) {
  FormFields form = token_request_fields(req);
  if (form_value(form, "grant_type").value_or("") != "client_credentials")
    return json_reply(400, bj::object{{"error", "unsupported_grant_type"},
                                      {"error_description", "grant_type must be client_credentials"}});
  if (form_value(form, "client_id").value_or("").empty() ||
      form_value(form, "client_secret").value_or("").empty())
    return json_reply(401, bj::object{{"error", "invalid_client"},
                                      {"error_description", "client_id and client_secret are required"}});
  std::string token = crypto::random_token(48);
  note_secret("access token", token);
  bool webhooks = false;
  {
    MutexLock lock(mu_);
    Millis now = now_ms();
    tokens_.add(token, now, kTokenSeconds);
    webhooks = webhooks_permitted();
  }
  std::string scope = "personio:persons:read personio:absences:read";
  if (webhooks) scope += " personio:webhooks:read personio:webhooks:write";
  return json_reply(200, bj::object{{"access_token", token},
                                    {"token_type", "Bearer"},
                                    {"expires_in", kTokenSeconds},
                                    {"scope", scope}});
}

http::Response PersonioSimulator::list_records(const http::Request& req, const RecordStore& store,
                                               std::size_t max_limit, std::string_view path,
                                               std::string_view updated_filter) {
  MutexLock lock(mu_);
  if (!token_valid(req)) return unauthorized();
  auto q = parse_list_query(req, max_limit, updated_filter);
  if (!q.ok()) return personio_error(400, "Bad Request", q.error().message);
  bool more = false;
  auto page = store.page(
      q->after, q->limit, [&](const StoredRecord& r) { return keep(*q, r); }, &more);
  bj::array data;
  for (const auto* r : page)
    data.push_back(r->data);
  std::string base = public_base(req);
  bj::object links{{"self", bj::object{{"href", base + req.target}}}};
  if (more && !page.empty()) {
    ListQuery next = *q;
    next.after = page.back()->seq;
    links["next"] = bj::object{{"href", base + std::string(path) + "?limit=" + std::to_string(q->limit) +
                                            "&cursor=" + encode_cursor(next)}};
  }
  return json_reply(
      200, bj::object{{"_data", std::move(data)}, {"_meta", bj::object{{"links", std::move(links)}}}});
}

}  // namespace tributary::sim::personio
