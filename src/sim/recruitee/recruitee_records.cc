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

}  // namespace

void RecruiteeSimulator::add_record_routes() {
  router().add_sync(
      "GET", "/c/{company_id}/candidates", [this](const http::Request& req, const http::Params& params) {
        if (auto denied = gate(req, params.at("company_id"))) return *denied;
        std::optional<std::size_t> limit;
        std::size_t offset = 0;
        std::optional<Millis> created_after;
        std::optional<bool> qualified;
        for (const auto& [key, value] : req.query) {
          if (key == "limit") {
            limit = parse_number<std::size_t>(value);
            if (!limit || *limit == 0 || *limit > kMaxLimit)
              return api_error(400, "limit must be between 1 and 10000");
          } else if (key == "offset") {
            auto n = parse_number<std::size_t>(value);
            if (!n) return api_error(400, "offset must be a non-negative integer");
            offset = *n;
          } else if (key == "created_after") {
            auto at = parse_iso8601(value);
            if (!at) return api_error(400, "created_after must be an ISO-8601 date-time");
            created_after = *at;
          } else if (key == "sort") {
            if (value != "by_date" && value != "by_last_message")
              return api_error(400, "sort must be by_date or by_last_message");
          } else if (key == "qualified" || key == "disqualified") {
            if (!is_bool_text(value)) return api_error(400, key + " must be true or false");
            bool v = value == "true";
            qualified = key == "qualified" ? v : !v;
          } else if (key == "query" || key == "offer_id") {
            // Accepted; the simulator does not search.
          } else {
            return api_error(400, "unsupported parameter '" + key + "'");
          }
        }
        std::lock_guard lock(mu_);
        bj::array out;
        std::size_t skipped = 0;
        for (const auto* r : candidates_.all()) {
          if (created_after && r->created_at <= *created_after) continue;
          if (qualified) {
            bool disq = false;
            for (const auto& p : r->data.at("placements").as_array())
              disq = disq || !p.at("disqualified_at").is_null();
            if (disq == *qualified) continue;
          }
          if (skipped < offset) {
            ++skipped;
            continue;
          }
          if (limit && out.size() >= *limit) break;
          out.push_back(r->data);
        }
        return json_reply(200, bj::object{{"candidates", std::move(out)},
                                          {"generated_at", format_iso8601(now_ms()).substr(0, 19) + "Z"}});
      });

  router().add_sync(
      "GET", "/c/{company_id}/candidates/{id}", [this](const http::Request& req, const http::Params& params) {
        if (auto denied = gate(req, params.at("company_id"))) return *denied;
        std::lock_guard lock(mu_);
        const auto* r = candidates_.find(params.at("id"));
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
        return json_reply(200, bj::object{{"candidate", r->data}, {"references", std::move(references)}});
      });

  router().add_sync("GET", "/c/{company_id}/offers",
                    [this](const http::Request& req, const http::Params& params) {
                      if (auto denied = gate(req, params.at("company_id"))) return *denied;
                      std::string scope;
                      for (const auto& [key, value] : req.query) {
                        if (key == "scope") {
                          if (value != "active" && value != "archived" && value != "not_archived")
                            return api_error(400, "scope must be active, archived or not_archived");
                          scope = value;
                        } else if (key == "kind") {
                          if (value != "job" && value != "talent_pool")
                            return api_error(400, "kind must be job or talent_pool");
                        } else if (key == "view_mode") {
                          if (value != "brief" && value != "default")
                            return api_error(400, "view_mode must be brief or default");
                        } else {
                          return api_error(400, "unsupported parameter '" + key + "'");
                        }
                      }
                      std::lock_guard lock(mu_);
                      bj::array out;
                      for (const auto* r : offers_.all()) {
                        std::string_view status = r->data.at("status").as_string();
                        bool archived = status == "archived";
                        bool active = status == "published" || status == "internal";
                        if (scope == "active" && !active) continue;
                        if (scope == "archived" && !archived) continue;
                        if (scope == "not_archived" && archived) continue;
                        out.push_back(r->data);
                      }
                      return json_reply(200, bj::object{{"offers", std::move(out)}});
                    });

  router().add_sync("GET", "/c/{company_id}/offers/{id}",
                    [this](const http::Request& req, const http::Params& params) {
                      if (auto denied = gate(req, params.at("company_id"))) return *denied;
                      std::lock_guard lock(mu_);
                      const auto* r = offers_.find(params.at("id"));
                      if (r == nullptr) return api_error(404, "Not found");
                      return json_reply(200, bj::object{{"offer", r->data}});
                    });
}

}  // namespace tributary::sim::recruitee
