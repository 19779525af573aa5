#include "http/router.h"

#include <algorithm>
#include <boost/json.hpp>
#include <stdexcept>
#include <string_view>

namespace tributary::http {
namespace {

enum class SegmentKind { kLiteral = 0, kParam = 1, kRest = 2 };

SegmentKind kind_of(std::string_view segment) {
  if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
    return segment.ends_with("...}") ? SegmentKind::kRest : SegmentKind::kParam;
  }
  return SegmentKind::kLiteral;
}

std::string_view param_name(std::string_view segment, SegmentKind kind) {
  segment = segment.substr(1, segment.size() - 2);
  if (kind == SegmentKind::kRest) segment.remove_suffix(3);
  return segment;
}

// "/a/b/" -> {"a", "b", ""}; "/" -> {}. Views into `path`, which starts with '/'.
std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  if (path.empty()) return out;
  for (;;) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// The request path as matched: raw segments (from the target, so that "%2F" stays inside its segment) and
// their decoded forms.
struct PathView {
  std::string_view raw;
  std::vector<std::string_view> raw_segments;
  std::vector<std::string> segments;
  bool decode = true;
};

PathView view_of(const Request& request) {
  PathView v;
  std::string_view raw = target_path(request.target);
  if (raw.empty() || raw.front() != '/') {
    raw = request.path;  // a Request built without a target: the path is already decoded
    v.decode = false;
  }
  v.raw = raw;
  v.raw_segments = split_segments(raw);
  v.segments.reserve(v.raw_segments.size());
  for (auto s : v.raw_segments)
    v.segments.push_back(v.decode ? percent_decode(s, false) : std::string(s));
  return v;
}

// Fills params and a rank (lower is more specific) when the pattern matches the path.
bool match(const std::vector<std::string>& pattern, const PathView& path, Params& params,
           std::vector<int>& rank) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const SegmentKind kind = kind_of(pattern[i]);
    rank.push_back(static_cast<int>(kind));
    if (kind == SegmentKind::kRest) {
      if (i >= path.raw_segments.size()) return false;
      const auto offset = static_cast<std::size_t>(path.raw_segments[i].data() - path.raw.data());
      const std::string_view rest = path.raw.substr(offset);
      if (rest.empty()) return false;
      params.insert_or_assign(std::string(param_name(pattern[i], kind)),
                              path.decode ? percent_decode(rest, false) : std::string(rest));
      return true;
    }
    if (i >= path.segments.size()) return false;
    if (kind == SegmentKind::kParam) {
      if (path.segments[i].empty()) return false;
      params.insert_or_assign(std::string(param_name(pattern[i], kind)), path.segments[i]);
    } else if (path.segments[i] != pattern[i]) {
      return false;
    }
  }
  return pattern.size() == path.segments.size();
}

}  // namespace

void Router::add(std::string method, std::string pattern, RouteHandler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  Route route{std::move(method), {}, std::move(handler)};
  const auto segments = split_segments(pattern);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const SegmentKind kind = kind_of(segments[i]);
    if (kind != SegmentKind::kLiteral && param_name(segments[i], kind).empty()) {
      throw std::invalid_argument("route parameter without a name: " + pattern);
    }
    if (kind == SegmentKind::kRest && i + 1 != segments.size()) {
      throw std::invalid_argument("{name...} must be the last segment: " + pattern);
    }
    route.segments.emplace_back(segments[i]);
  }
  routes_.push_back(std::move(route));
}

void Router::add_sync(std::string method, std::string pattern,
                      std::function<Response(const Request&, const Params&)> handler) {
  add(std::move(method), std::move(pattern),
      [handler = std::move(handler)](Request request, Params params, Responder respond) {
        respond(handler(request, params));
      });
}

void Router::dispatch(Request request, Responder respond) const {
  const PathView path = view_of(request);
  const Route* best = nullptr;
  bool best_exact_method = false;
  std::vector<int> best_rank;
  Params best_params;
  std::vector<std::string_view> allowed;

  for (const Route& route : routes_) {
    Params params;
    std::vector<int> rank;
    if (!match(route.segments, path, params, rank)) continue;
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end())
      allowed.push_back(route.method);
    const bool exact_method = route.method == request.method;
    if (!exact_method && !(request.method == "HEAD" && route.method == "GET")) continue;
    // An exact method beats HEAD served by GET; then the more literal pattern wins.
    if (best == nullptr || (exact_method && !best_exact_method) ||
        (exact_method == best_exact_method && rank < best_rank)) {
      best = &route;
      best_exact_method = exact_method;
      best_rank = std::move(rank);
      best_params = std::move(params);
    }
  }

  if (best != nullptr) {
    best->handler(std::move(request), std::move(best_params), std::move(respond));
    return;
  }
  if (allowed.empty()) {
    respond(error_response(404, "NOT_FOUND", "No resource at this path"));
    return;
  }
  const bool has_get = std::find(allowed.begin(), allowed.end(), "GET") != allowed.end();
  const bool has_head = std::find(allowed.begin(), allowed.end(), "HEAD") != allowed.end();
  if (has_get && !has_head) allowed.push_back("HEAD");
  std::string allow;
  for (auto m : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  Response response = error_response(405, "METHOD_NOT_ALLOWED",
                                     "Method " + request.method + " is not allowed here; use " + allow);
  response.with_header("Allow", std::move(allow));
  respond(std::move(response));
}

Handler Router::as_handler() const {
  return [this](Request request, Responder respond) { dispatch(std::move(request), std::move(respond)); };
}

std::string_view status_title(int status) {
  switch (status) {
    case 400:
      return "Bad request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method not allowed";
    case 408:
      return "Request timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length required";
    case 413:
      return "Payload too large";
    case 415:
      return "Unsupported media type";
    case 422:
      return "Unprocessable entity";
    case 429:
      return "Too many requests";
    case 431:
      return "Request header fields too large";
    case 500:
      return "Internal server error";
    case 501:
      return "Not implemented";
    case 502:
      return "Bad gateway";
    case 503:
      return "Service unavailable";
    case 504:
      return "Gateway timeout";
    default:
      return "Error";
  }
}

Response error_response(int status, std::string_view code, std::string_view message) {
  boost::json::object error;
  error["code"] = code;
  error["title"] = status_title(status);
  error["message"] = message;
  boost::json::object envelope;
  envelope["status"] = "error";
  envelope["error"] = std::move(error);
  return Response::json(status, boost::json::serialize(envelope));
}

}  // namespace tributary::http

namespace tributary::http {

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) {
    std::string pattern;
    for (const auto& segment : route.segments) {
      pattern.push_back('/');
      pattern.append(segment);
    }
    if (pattern.empty()) pattern.push_back('/');
    out.emplace_back(route.method, std::move(pattern));
  }
  return out;
}

}  // namespace tributary::http
