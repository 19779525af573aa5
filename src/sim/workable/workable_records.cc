// The simulated Workable's record reads (candidates, jobs, employees, time-off requests); see workable_sim.h
// for the contract.
#include <algorithm>
#include <charconv>

#include "core/json.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"
#include "sim/workable/workable_sim.h"

namespace tributary::sim::workable {

namespace bj = boost::json;

namespace {

constexpr std::size_t kMaxLimit = 100;

// A non-negative integer query parameter; `fallback` when absent. nullopt when malformed.
std::optional<std::size_t> size_param(const http::Request& req, std::string_view name, std::size_t fallback) {
  auto v = req.query_param(name);
  if (!v) return fallback;
  return parse_number<std::size_t>(*v);
}

// An ISO-8601 date-time or a unix timestamp in seconds.
std::optional<Millis> time_param(std::string_view v) {
  if (auto t = parse_iso8601(v)) return t;
  auto secs = parse_number<std::int64_t>(v);
  if (!secs || *secs < 0) return std::nullopt;
  return *secs * 1000;
}

// The filters GET /candidates and /jobs take, in the order `paging.next` repeats them.
constexpr const char* kListFilters[] = {"created_after", "updated_after", "state",
                                        "email",         "shortcode",     "stage"};

struct ListFilter {
  std::optional<Millis> created_after;
  std::optional<Millis> updated_after;
  std::optional<std::string> state;
  // Candidates: email, shortcode (the job) and stage filters.
  std::optional<std::string> email;
  std::optional<std::string> shortcode;
  std::optional<std::string> stage;

  bool keep(const StoredRecord& r) const {
    if (created_after && r.created_at <= *created_after) return false;
    if (updated_after && r.updated_at <= *updated_after) return false;
    if (state && r.data.at("state") != bj::value(*state)) return false;
    if (email && r.data.at("email") != bj::value(*email)) return false;
    if (shortcode && r.data.at("job").at("shortcode") != bj::value(*shortcode)) return false;
    if (stage && (!r.data.at("stage").is_string() || !http::iequals(r.data.at("stage").as_string(), *stage)))
      return false;
    return true;
  }
};

// The list filters of a request; the error message is answered with a 400.
Result<ListFilter> parse_list_filter(const http::Request& req) {
  ListFilter f;
  for (const char* name : {"created_after", "updated_after"}) {
    if (auto v = req.query_param(name)) {
      auto t = time_param(*v);
      if (!t)
        return make_error(ErrorKind::kInvalidArgument,
                          std::string(name) + " must be an ISO-8601 date-time or a timestamp");
      (std::string_view(name) == "created_after" ? f.created_after : f.updated_after) = t;
    }
  }
  f.state = req.query_param("state");
  f.email = req.query_param("email");
  f.shortcode = req.query_param("shortcode");
  f.stage = req.query_param("stage");
  return f;
}

}  // namespace

void WorkableSimulator::add_record_routes() {
  add_ats_record_routes();
  add_hris_record_routes();
}

void WorkableSimulator::add_ats_record_routes() {
  auto list = [this](const RecordStore& store, std::string key, std::string path) {
    return [this, &store, key, path](const http::Request& req, const http::Params&) {
      return list_records(req, store, key, path);
    };
  };
  router().add_sync("GET", "/spi/v3/candidates", list(candidates_, "candidates", "/spi/v3/candidates"));
  router().add_sync("GET", "/spi/v3/jobs", list(jobs_, "jobs", "/spi/v3/jobs"));

  router().add_sync("GET", "/spi/v3/candidates/{id}",
                    [this](const http::Request& req, const http::Params& p) {
                      if (!bearer_token(req)) return workable_error(401, "Not authorized");
                      MutexLock lock(mu_);
                      const auto* c = candidates_.find(p.at("id"));
                      if (c == nullptr) return workable_error(404, "Not found");
                      return json_reply(200, bj::object{{"candidate", c->data}});
                    });

  router().add_sync("GET", "/spi/v3/jobs/{shortcode}",
                    [this](const http::Request& req, const http::Params& p) {
                      if (!bearer_token(req)) return workable_error(401, "Not authorized");
                      MutexLock lock(mu_);
                      const auto* j = jobs_.find(p.at("shortcode"));
                      if (j == nullptr) return workable_error(404, "Not found");
                      return json_reply(200, j->data);
                    });
}

void WorkableSimulator::add_hris_record_routes() {
  router().add_sync("GET", "/spi/v3/employees",
                    [this](const http::Request& req, const http::Params&) { return list_employees(req); });

  router().add_sync("GET", "/spi/v3/employees/{id}", [this](const http::Request& req, const http::Params& p) {
    if (!bearer_token(req)) return workable_error(401, "Not authorized");
    MutexLock lock(mu_);
    const auto* e = employees_.find(p.at("id"));
    if (e == nullptr) return workable_error(404, "Not found");
    return json_reply(200, e->data);
  });

  router().add_sync("GET", "/spi/v3/timeoff/requests", [this](const http::Request& req, const http::Params&) {
    return list_timeoff_requests(req);
  });
}

// GET /candidates and /jobs: since_id paging with an absolute `paging.next`.
http::Response WorkableSimulator::list_records(const http::Request& req, const RecordStore& store,
                                               const std::string& key, const std::string& path) {
  if (!bearer_token(req)) return workable_error(401, "Not authorized");
  auto limit = size_param(req, "limit", 50);
  if (!limit || *limit == 0) return workable_error(400, "limit must be a positive integer");
  *limit = std::min(*limit, kMaxLimit);
  auto filter = parse_list_filter(req);
  if (!filter.ok()) return workable_error(400, filter.error().message);
  MutexLock lock(mu_);
  std::uint64_t after = 0;
  if (auto since = req.query_param("since_id")) {
    const auto* r = store.find(*since);
    if (r == nullptr) return workable_error(400, "since_id is not a known id");
    after = r->seq - 1;  // since_id is inclusive
  }
  bool more = false;
  auto page = store.page(
      after, *limit + 1, [&f = *filter](const StoredRecord& r) { return f.keep(r); }, &more);
  bj::array items;
  for (std::size_t i = 0; i < page.size() && i < *limit; ++i)
    items.push_back(page[i]->data);
  bj::object out{{key, std::move(items)}};
  if (page.size() > *limit) {
    std::string next =
        public_base(req) + path + "?limit=" + std::to_string(*limit) + "&since_id=" + page[*limit]->id;
    for (const char* name : kListFilters)
      if (auto v = req.query_param(name)) next += "&" + std::string(name) + "=" + *v;
    out["paging"] = bj::object{{"next", next}};
  }
  return json_reply(200, out);
}

// GET /employees: limit (default 10) + offset, {"totalCount", "employees"}.
http::Response WorkableSimulator::list_employees(const http::Request& req) {
  if (!bearer_token(req)) return workable_error(401, "Not authorized");
  auto limit = size_param(req, "limit", 10);
  auto offset = size_param(req, "offset", 0);
  if (!limit || *limit == 0) return workable_error(400, "limit must be a positive integer");
  if (!offset) return workable_error(400, "offset must be a non-negative integer");
  *limit = std::min(*limit, kMaxLimit);
  MutexLock lock(mu_);
  auto all = employees_.all();
  bj::array items;
  for (std::size_t i = *offset; i < all.size() && items.size() < *limit; ++i)
    items.push_back(all[i]->data);
  return json_reply(200, bj::object{{"totalCount", all.size()}, {"employees", std::move(items)}});
}

// GET /timeoff/requests: from_date required, employee_id required for an account token.
http::Response WorkableSimulator::list_timeoff_requests(const http::Request& req) {
  if (!bearer_token(req)) return workable_error(401, "Not authorized");
  auto from = req.query_param("from_date");
  if (!from || !parse_iso8601(*from)) return workable_error(400, "from_date is required (ISO date)");
  auto to = req.query_param("to_date");
  if (to && !parse_iso8601(*to)) return workable_error(400, "to_date must be an ISO date");
  auto employee = req.query_param("employee_id");
  if (!employee || employee->empty())
    return workable_error(400, "employee_id is required when using an account token");
  std::vector<std::string> states;
  for (const auto& [k, v] : req.query)
    if (k == "states" || k == "states[]") states.push_back(v);
  std::string from_day = from->substr(0, 10);
  std::string to_day = to ? to->substr(0, 10) : std::string("9999-12-31");
  MutexLock lock(mu_);
  if (employees_.find(*employee) == nullptr) return workable_error(404, "Employee not found");
  bj::array out;
  for (const auto* r : requests_.all()) {
    if (r->data.at("_employee_id") != bj::value(*employee)) continue;
    std::string_view start = r->data.at("from_date").as_string();
    std::string_view end = r->data.at("to_date").as_string();
    if (end.substr(0, 10) < from_day || start.substr(0, 10) > to_day) continue;
    if (!states.empty() && std::find(states.begin(), states.end(),
                                     std::string_view(r->data.at("state").as_string())) == states.end())
      continue;
    out.push_back(public_request(r->data));
  }
  return json_reply(200, bj::object{{"requests", std::move(out)}});
}

}  // namespace tributary::sim::workable
