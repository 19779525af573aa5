#include "connectors/common/records.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <thread>

#include "connectors/common/api.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/json.h"

namespace tributary::connectors::common {

namespace bj = boost::json;

std::string unified_id(std::string_view integration_id, std::string_view model, std::string_view remote_id) {
  std::string input;
  input.reserve(integration_id.size() + model.size() + remote_id.size() + 2);
  input.append(integration_id).append(1, '\0').append(model).append(1, '\0').append(remote_id);
  const std::string digest = crypto::sha256(input);
  // 16 bytes as a big number, divided by 62 repeatedly.
  std::vector<unsigned> digits(digest.begin(), digest.begin() + 16);
  for (auto& d : digits)
    d &= 0xffu;
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  for (int i = 0; i < 22; ++i) {
    unsigned remainder = 0;
    for (auto& d : digits) {
      const unsigned value = (remainder << 8) | d;
      d = value / 62;
      remainder = value % 62;
    }
    out.push_back(kAlphabet[remainder]);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

http::ClientResponse get_with_retry(const ApiContext& ctx, http::ClientRequest request, int max_attempts,
                                    std::chrono::milliseconds max_wait) {
  http::ClientResponse response;
  for (int attempt = 1; attempt <= std::max(1, max_attempts); ++attempt) {
    response = ctx.send(request);
    if (response.status != 429 || attempt == max_attempts) break;
    // Not sent: the budget had no grant within the call's wait; another attempt would wait again.
    if (is_budget_refusal(response)) break;
    // The budget saw the 429 and is paused until the tool's Retry-After, for every call of the
    // integration: the next attempt waits in send() for as long as the tool asked (bounded by the call's
    // wait), never less.
    if (ctx.budget) continue;
    std::chrono::milliseconds wait(500);
    if (auto value = response.header("Retry-After")) {
      long seconds = 0;
      auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
      if (ec == std::errc{} && ptr == value->data() + value->size() && seconds >= 0)
        wait = std::chrono::milliseconds(std::min<long>(seconds, 3600) * 1000);
    }
    std::this_thread::sleep_for(std::min(wait, max_wait));
  }
  return response;
}

Result<std::optional<bj::value>> json_or_gone(std::string_view vendor, const http::ClientResponse& response,
                                              const std::vector<std::string_view>& secrets) {
  if (response.status == 404) return std::optional<bj::value>{};
  if (response.status == 401)
    return make_error(ErrorKind::kUnauthorized, std::string(vendor) + " rejected the API credentials");
  if (response.status == 403)
    return make_error(ErrorKind::kForbidden,
                      std::string(vendor) + " refused to read the record: the credentials lack a permission");
  if (is_budget_refusal(response))
    return make_error(ErrorKind::kRateLimited, std::string(vendor) + ": " + response.error);
  if (response.status == 429)
    return make_error(ErrorKind::kRateLimited, std::string(vendor) + " kept answering 429 (rate limited)");
  if (response.status < 200 || response.status > 299)
    return make_error(ErrorKind::kUpstream,
                      "reading the record failed: " + describe_failure(vendor, response, secrets));
  auto parsed = json::parse(response.body);
  if (!parsed)
    return make_error(ErrorKind::kUpstream, std::string(vendor) + " answered with a body that is not JSON");
  return std::optional<bj::value>(std::move(*parsed));
}

Result<std::optional<bj::value>> get_record_json(const ApiContext& ctx, std::string_view vendor,
                                                 http::ClientRequest request, std::string_view credential,
                                                 const std::vector<std::string_view>& secrets) {
  http::ClientResponse resp = get_with_retry(ctx, std::move(request));
  if (resp.status == 401) return rejected_credential(vendor, credential, resp, secrets);
  return json_or_gone(vendor, resp, secrets);
}

bj::value iso_or_null(const bj::value* v) {
  if (v == nullptr || !v->is_string()) return nullptr;
  auto at = parse_iso8601(v->get_string());
  if (!at) return nullptr;
  return bj::value(format_iso8601(*at));
}

bj::value string_or_null(const bj::value* v) {
  if (v == nullptr) return nullptr;
  if (v->is_string()) return *v;
  if (v->is_int64()) return bj::value(std::to_string(v->get_int64()));
  if (v->is_uint64()) return bj::value(std::to_string(v->get_uint64()));
  return nullptr;
}

bj::value number_or_null(const bj::value* v) {
  if (v == nullptr || !v->is_number()) return nullptr;
  return *v;
}

std::optional<std::string> first_id(const bj::value& doc, std::initializer_list<std::string_view> paths) {
  for (std::string_view path : paths) {
    auto id = json::get_id(doc, path);
    if (id && !id->empty()) return id;
  }
  return std::nullopt;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (auto& ch : out)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

}  // namespace tributary::connectors::common
