// The JSON:API records side of the simulated Teamtailor (see teamtailor_sim.h for the contract): token auth
// with a required X-Api-Version, page-number pagination with absolute links, get by id.
#include <charconv>
#include <set>

#include "core/json.h"
#include "sim/common/fields.h"
#include "sim/teamtailor/teamtailor_sim.h"

namespace tributary::sim::teamtailor {

namespace bj = boost::json;

namespace {

constexpr std::size_t kDefaultPageSize = 10;
constexpr std::size_t kMaxPageSize = 30;
constexpr std::size_t kMaxPageNumber = 1000000;
constexpr std::size_t kMaxKey = 512;

http::Response api_reply(int status, const bj::value& body) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/vnd.api+json");
  r.body = json::serialize(body);
  return r;
}

// JSON:API error document, as Teamtailor answers.
http::Response api_error(int status, std::string_view title, std::string_view detail) {
  return api_reply(
      status,
      bj::object{{"errors", bj::array{bj::object{
                                {"status", std::to_string(status)}, {"title", title}, {"detail", detail}}}}});
}

// "Token token=<key>" (the key optionally in double quotes); nullopt when missing or malformed.
std::optional<std::string> token_of(const http::Request& req) {
  auto header = req.header("Authorization");
  if (!header) return std::nullopt;
  std::string_view h = *header;
  constexpr std::string_view kPrefix = "Token token=";
  if (h.size() <= kPrefix.size() || !http::iequals(h.substr(0, 6), "Token ") || h.substr(6, 6) != "token=")
    return std::nullopt;
  std::string_view key = h.substr(kPrefix.size());
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
  if (key.empty() || key.size() > kMaxKey || key.find_first_of(" \t\",") != std::string_view::npos)
    return std::nullopt;
  return std::string(key);
}

std::optional<http::Response> gate(const http::Request& req) {
  if (!token_of(req)) return api_error(401, "Unauthorized", "Authorization must be 'Token token=<API key>'");
  auto version = req.header("X-Api-Version");
  if (!version || version->empty())
    return api_error(406, "Not Acceptable", "The X-Api-Version header is required");
  return std::nullopt;
}

// JSON:API query keys as Rails writes them in links: brackets percent-encoded.
std::string encode_key(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '[')
      out += "%5B";
    else if (c == ']')
      out += "%5D";
    else
      out += c;
  }
  return out;
}

std::string encode_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

struct ListQuery {
  std::size_t size = kDefaultPageSize;
  std::size_t number = 1;
  std::optional<Millis> updated_from;
  std::optional<std::string> email;
  std::optional<std::string> status;
  std::vector<std::pair<std::string, std::string>> filters;  // kept for the links, in order
};

Result<ListQuery> parse_list(const http::Request& req, std::string_view resource) {
  ListQuery q;
  auto bad = [](std::string m) { return make_error(ErrorKind::kInvalidArgument, std::move(m)); };
  for (const auto& [key, value] : req.query) {
    if (key == "page[size]") {
      auto n = parse_number<std::size_t>(value);
      if (!n || *n == 0 || *n > kMaxPageSize) return bad("page[size] must be between 1 and 30");
      q.size = *n;
    } else if (key == "page[number]") {
      auto n = parse_number<std::size_t>(value);
      if (!n || *n == 0 || *n > kMaxPageNumber) return bad("page[number] must be a positive integer");
      q.number = *n;
    } else if (key == "filter[updated-at][from]") {
      auto at = parse_iso8601(value);
      if (!at) return bad("filter[updated-at][from] must be an ISO-8601 date-time");
      q.updated_from = *at;
      q.filters.emplace_back(key, value);
    } else if (key == "filter[email]" && resource == "candidates") {
      q.email = value;
      q.filters.emplace_back(key, value);
    } else if (key == "filter[status]" && resource == "jobs") {
      q.status = value;
      q.filters.emplace_back(key, value);
    } else if (key == "include" || key.starts_with("fields[") || key == "sort") {
      // Accepted; of `include` only job-applications on candidates is served (include_applications), the
      // rest is ignored: the simulator always answers with full attributes in id order.
    } else {
      return bad("unsupported query parameter '" + key + "'");
    }
  }
  return q;
}

bool keep(const ListQuery& q, const StoredRecord& r) {
  if (q.updated_from && r.updated_at < *q.updated_from) return false;
  const auto& a = r.data.at("attributes").as_object();
  if (q.email) {
    const auto* e = a.if_contains("email");
    if (e == nullptr || !e->is_string() || e->get_string() != *q.email) return false;
  }
  if (q.status && a.at("status").as_string() != *q.status) return false;
  return true;
}

std::string page_link(std::string_view base, std::string_view resource, const ListQuery& q,
                      std::size_t number) {
  std::string url = std::string(base) + "/v1/" + std::string(resource) + "?";
  for (const auto& [k, v] : q.filters)
    url += encode_key(k) + "=" + encode_value(v) + "&";
  url += encode_key("page[number]") + "=" + std::to_string(number) + "&" + encode_key("page[size]") + "=" +
         std::to_string(q.size);
  return url;
}

// The stored record with its JSON:API links.
bj::object render(const StoredRecord& r, std::string_view base, std::string_view resource) {
  bj::object out = r.data;
  std::string self = std::string(base) + "/v1/" + std::string(resource) + "/" + r.id;
  out["links"] = bj::object{{"self", self}};
  if (resource == "candidates") {
    out["relationships"] =
        bj::object{{"job-applications",
                    bj::object{{"links", bj::object{{"self", self + "/relationships/job-applications"},
                                                    {"related", self + "/job-applications"}}}}}};
  } else if (resource == "jobs") {
    out["relationships"] = bj::object{
        {"candidates", bj::object{{"links", bj::object{{"self", self + "/relationships/candidates"},
                                                       {"related", self + "/candidates"}}}}}};
  } else if (resource == "job-applications") {
    // Links only, as Teamtailor's example has them (connectors/teamtailor/testdata/contract/
    // get_job_application.json); the stored linkage stays for the webhook payloads.
    bj::object relationships;
    for (const char* name : {"candidate", "job", "stage", "reject-reason"})
      relationships[name] = bj::object{
          {"links", bj::object{{"self", self + "/relationships/" + name}, {"related", self + "/" + name}}}};
    out["relationships"] = std::move(relationships);
  }
  return out;
}

// Whether the request's `include` names `relation` (a comma-separated list).
bool includes(const http::Request& req, std::string_view relation) {
  auto include = req.query_param("include");
  if (!include) return false;
  std::string_view rest = *include;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (rest.substr(0, comma) == relation) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

// include=job-applications on candidates, as JSON:API compound documents have it: each candidate's
// relationship carries the linkage of its applications ("full linkage"), and the applications come once each
// in `included`, rendered as GET /v1/job-applications/{id} renders them.
void include_applications(bj::object& candidate, const RecordStore& applications, std::string_view base,
                          bj::array& included, std::set<std::string>& seen) {
  const std::string id(candidate.at("id").as_string());
  bj::array linkage;
  for (const auto* a : applications.all()) {
    const bj::value* rel = a->data.if_contains("relationships");
    const bj::value* owner = nullptr;
    if (rel != nullptr && rel->is_object())
      if (const auto* c = rel->get_object().if_contains("candidate"); c != nullptr && c->is_object())
        if (const auto* d = c->get_object().if_contains("data"); d != nullptr && d->is_object())
          owner = d->get_object().if_contains("id");
    if (owner == nullptr || !owner->is_string() || owner->get_string() != id) continue;
    linkage.push_back(bj::object{{"type", "job-applications"}, {"id", a->id}});
    if (seen.insert(a->id).second) included.push_back(render(*a, base, "job-applications"));
  }
  candidate["relationships"].as_object()["job-applications"].as_object()["data"] = std::move(linkage);
}

}  // namespace

void TeamtailorSimulator::add_record_routes() {
  auto store_of = [this](std::string_view resource) -> RecordStore* {
    if (resource == "candidates") return &candidates_;
    if (resource == "jobs") return &jobs_;
    if (resource == "job-applications") return &applications_;
    return nullptr;
  };

  router().add_sync(
      "GET", "/v1/{resource}", [this, store_of](const http::Request& req, const http::Params& params) {
        const std::string& resource = params.at("resource");
        if (auto denied = gate(req)) return *denied;
        MutexLock lock(mu_);
        RecordStore* store = store_of(resource);
        if (store == nullptr) return api_error(404, "Not Found", "unknown resource");
        auto q = parse_list(req, resource);
        if (!q.ok()) return api_error(400, "Bad Request", q.error().message);
        std::vector<const StoredRecord*> matching;
        for (const auto* r : store->all())
          if (keep(*q, *r)) matching.push_back(r);
        std::size_t pages = (matching.size() + q->size - 1) / q->size;
        std::size_t first = (q->number - 1) * q->size;
        bj::array data;
        std::string base = public_base(req);
        const bool with_applications = resource == "candidates" && includes(req, "job-applications");
        bj::array included;
        std::set<std::string> seen;
        for (std::size_t i = first; i < matching.size() && i < first + q->size; ++i) {
          bj::object one = render(*matching[i], base, resource);
          if (with_applications) include_applications(one, applications_, base, included, seen);
          data.push_back(std::move(one));
        }
        bj::object links{{"first", page_link(base, resource, *q, 1)},
                         {"last", page_link(base, resource, *q, std::max<std::size_t>(pages, 1))}};
        if (q->number > 1 && q->number <= pages) links["prev"] = page_link(base, resource, *q, q->number - 1);
        if (q->number < pages) links["next"] = page_link(base, resource, *q, q->number + 1);
        bj::object doc{{"data", std::move(data)},
                       {"meta", bj::object{{"record-count", matching.size()}, {"page-count", pages}}},
                       {"links", std::move(links)}};
        if (with_applications) doc["included"] = std::move(included);
        return api_reply(200, doc);
      });

  router().add_sync(
      "GET", "/v1/{resource}/{id}", [this, store_of](const http::Request& req, const http::Params& params) {
        const std::string& resource = params.at("resource");
        if (auto denied = gate(req)) return *denied;
        MutexLock lock(mu_);
        RecordStore* store = store_of(resource);
        if (store == nullptr) return api_error(404, "Not Found", "unknown resource");
        const auto* r = store->find(params.at("id"));
        if (r == nullptr) return api_error(404, "Not Found", "Record not found");
        const std::string base = public_base(req);
        bj::object one = render(*r, base, resource);
        if (resource != "candidates" || !includes(req, "job-applications"))
          return api_reply(200, bj::object{{"data", std::move(one)}});
        bj::array included;
        std::set<std::string> seen;
        include_applications(one, applications_, base, included, seen);
        return api_reply(200, bj::object{{"data", std::move(one)}, {"included", std::move(included)}});
      });
}

}  // namespace tributary::sim::teamtailor
