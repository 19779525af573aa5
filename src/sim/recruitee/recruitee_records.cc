// The records side of the simulated Recruitee (see recruitee_sim.h for the contract): bearer auth, candidates
// with limit/offset and created_after, offers unpaginated, get by id.
#include <charconv>

#include "core/json.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"
#include "sim/recruitee/recruitee_sim.h"

namespace tributary::sim::recruitee {

namespace bj = boost::json;

namespace {

constexpr std::size_t kMaxLimit = 10000;
constexpr std::size_t kMaxCompanyId = 128;

http::Response api_error(int status, std::string_view message) {
  return json_reply(status, bj::object{{"error", message}});
}

bool plausible_company(std::string_view id) {
  if (id.empty() || id.size() > kMaxCompanyId) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
  return true;
}

std::optional<http::Response> gate(const http::Request& req, std::string_view company_id) {
  if (!bearer_token(req)) return api_error(401, "Unauthorized");
  if (!plausible_company(company_id)) return api_error(404, "Not found");
  return std::nullopt;
}

bool is_bool_text(std::string_view v) {
  return v == "true" || v == "false";
}

struct CandidateQuery {
  std::optional<std::size_t> limit;
  std::size_t offset = 0;
  std::optional<Millis> created_after;
  std::optional<bool> qualified;

  // Whether a candidate passes the filters (limit and offset aside).
  bool keep(const StoredRecord& r) const {
    if (created_after && r.created_at <= *created_after) return false;
    if (qualified) {
      bool disq = false;
      for (const auto& p : r.data.at("placements").as_array())
        disq = disq || !p.at("disqualified_at").is_null();
      if (disq == *qualified) return false;
    }
    return true;
  }
};

// The candidates list's query; the error message is answered with a 400.
Result<CandidateQuery> parse_candidate_query(const http::Request& req) {
  auto bad = [](std::string m) { return make_error(ErrorKind::kInvalidArgument, std::move(m)); };
  CandidateQuery q;
  for (const auto& [key, value] : req.query) {
    if (key == "limit") {
      q.limit = parse_number<std::size_t>(value);
      if (!q.limit || *q.limit == 0 || *q.limit > kMaxLimit) return bad("limit must be between 1 and 10000");
    } else if (key == "offset") {
      auto n = parse_number<std::size_t>(value);
      if (!n) return bad("offset must be a non-negative integer");
      q.offset = *n;
    } else if (key == "created_after") {
      auto at = parse_iso8601(value);
      if (!at) return bad("created_after must be an ISO-8601 date-time");
      q.created_after = *at;
    } else if (key == "sort") {
      if (value != "by_date" && value != "by_last_message")
        return bad("sort must be by_date or by_last_message");
    } else if (key == "qualified" || key == "disqualified") {
      if (!is_bool_text(value)) return bad(key + " must be true or false");
      bool v = value == "true";
      q.qualified = key == "qualified" ? v : !v;
    } else if (key == "query" || key == "offer_id") {
      // Accepted; the simulator does not search.
    } else {
      return bad("unsupported parameter '" + key + "'");
    }
  }
  return q;
}

// The offers list's scope ("" for all); the error message is answered with a 400.
Result<std::string> parse_offer_scope(const http::Request& req) {
  auto bad = [](std::string m) { return make_error(ErrorKind::kInvalidArgument, std::move(m)); };
  std::string scope;
  for (const auto& [key, value] : req.query) {
    if (key == "scope") {
      if (value != "active" && value != "archived" && value != "not_archived")
        return bad("scope must be active, archived or not_archived");
      scope = value;
    } else if (key == "kind") {
      if (value != "job" && value != "talent_pool") return bad("kind must be job or talent_pool");
    } else if (key == "view_mode") {
      if (value != "brief" && value != "default") return bad("view_mode must be brief or default");
    } else {
      return bad("unsupported parameter '" + key + "'");
    }
  }
  return scope;
}

bool in_scope(std::string_view scope, const StoredRecord& offer) {
  std::string_view status = offer.data.at("status").as_string();
  bool archived = status == "archived";
  bool active = status == "published" || status == "internal";
  if (scope == "active" && !active) return false;
  if (scope == "archived" && !archived) return false;
  if (scope == "not_archived" && archived) return false;
  return true;
}

}  // namespace

void RecruiteeSimulator::add_record_routes() {
  add_candidate_routes();
  add_offer_routes();
}

void RecruiteeSimulator::add_candidate_routes() {
  router().add_sync("GET", "/c/{company_id}/candidates",
                    [this](const http::Request& req, const http::Params& params) {
                      if (auto denied = gate(req, params.at("company_id"))) return *denied;
                      return list_candidates(req);
                    });
  router().add_sync("GET", "/c/{company_id}/candidates/{id}",
                    [this](const http::Request& req, const http::Params& params) {
                      if (auto denied = gate(req, params.at("company_id"))) return *denied;
                      return get_candidate(params.at("id"));
                    });
}

void RecruiteeSimulator::add_offer_routes() {
  router().add_sync("GET", "/c/{company_id}/offers",
                    [this](const http::Request& req, const http::Params& params) {
                      if (auto denied = gate(req, params.at("company_id"))) return *denied;
                      auto scope = parse_offer_scope(req);
                      if (!scope.ok()) return api_error(400, scope.error().message);
                      MutexLock lock(mu_);
                      bj::array out;
                      for (const auto* r : offers_.all())
                        if (in_scope(*scope, *r)) out.push_back(r->data);
                      return json_reply(200, bj::object{{"offers", std::move(out)}});
                    });

  router().add_sync("GET", "/c/{company_id}/offers/{id}",
                    [this](const http::Request& req, const http::Params& params) {
                      if (auto denied = gate(req, params.at("company_id"))) return *denied;
                      MutexLock lock(mu_);
                      const auto* r = offers_.find(params.at("id"));
                      if (r == nullptr) return api_error(404, "Not found");
                      return json_reply(200, bj::object{{"offer", r->data}});
                    });
}

http::Response RecruiteeSimulator::list_candidates(const http::Request& req) {
  auto q = parse_candidate_query(req);
  if (!q.ok()) return api_error(400, q.error().message);
  MutexLock lock(mu_);
  bj::array out;
  std::size_t skipped = 0;
  for (const auto* r : candidates_.all()) {
    if (!q->keep(*r)) continue;
    if (skipped < q->offset) {
      ++skipped;
      continue;
    }
    if (q->limit && out.size() >= *q->limit) break;
    out.push_back(answer_candidate(r->data, true));
  }
  return json_reply(200, bj::object{{"candidates", std::move(out)},
                                    {"generated_at", format_iso8601(now_ms()).substr(0, 19) + "Z"}});
}

bj::object RecruiteeSimulator::answer_candidate(const bj::object& stored, bool listed) {
  bj::object out = stored;
  if (listed) out.erase("tags");
  bj::array placements;
  for (const auto& item : stored.at("placements").as_array()) {
    bj::object p = item.as_object();
    if (const auto* name = p.if_contains("stage"); name != nullptr && name->is_string())
      p["stage_id"] = stage(name->get_string()).at("id");
    p.erase("stage");
    if (const auto* at = p.if_contains("disqualified_at"); at != nullptr && !at->is_null()) {
      p["disqualify_kind"] = "admin";
      p["disqualify_reason"] = nullptr;
    }
    p.erase("disqualified_at");
    placements.push_back(std::move(p));
  }
  out["placements"] = std::move(placements);
  return out;
}

// The candidate with a reference to each offer it is placed on.
http::Response RecruiteeSimulator::get_candidate(std::string_view id) {
  MutexLock lock(mu_);
  const auto* r = candidates_.find(id);
  if (r == nullptr) return api_error(404, "Not found");
  bj::array references;
  for (const auto& p : r->data.at("placements").as_array()) {
    const auto* offer = offers_.find(std::to_string(p.at("offer_id").as_int64()));
    if (offer != nullptr)
      references.push_back(bj::object{{"type", "Offer"},
                                      {"id", offer->data.at("id")},
                                      {"title", offer->data.at("title")},
                                      {"status", offer->data.at("status")}});
  }
  return json_reply(200, bj::object{{"candidate", answer_candidate(r->data, false)},
                                    {"references", std::move(references)}});
}

}  // namespace tributary::sim::recruitee
