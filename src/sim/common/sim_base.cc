#include "sim/common/sim_base.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "core/clock.h"
#include "core/json.h"
#include "http/server.h"

namespace tributary::sim {

namespace bj = boost::json;

namespace {

std::string_view code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "SIM.BAD_REQUEST";
    case ErrorKind::kNotFound:
      return "SIM.NOT_FOUND";
    case ErrorKind::kForbidden:
      return "SIM.FORBIDDEN";
    case ErrorKind::kConflict:
      return "SIM.CONFLICT";
    default:
      return "SIM.ERROR";
  }
}

bool plausible_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == ':' || c == '[' || c == ']';
  });
}

}  // namespace

http::Response error_reply(const Error& error) {
  return http::error_response(http_status(error.kind), code_for(error.kind), error.message);
}

http::Response json_reply(int status, const bj::value& body) {
  return http::Response::json(status, json::serialize(body));
}

Result<bj::object> parse_object_body(std::string_view body) {
  if (body.empty()) return make_error(ErrorKind::kInvalidArgument, "the body must be a JSON object");
  auto parsed = json::parse(body);
  if (!parsed.ok()) return parsed.error();
  if (!parsed->is_object()) return make_error(ErrorKind::kInvalidArgument, "the body must be a JSON object");
  return std::move(parsed->get_object());
}

SimulatorBase::SimulatorBase(std::string tool, SimOptions options, std::vector<std::string> models)
    : tool_(std::move(tool)), options_(std::move(options)), models_(std::move(models)) {
  double scale = options_.retry_scale.has_value() && *options_.retry_scale > 0 ? *options_.retry_scale
                                                                               : retry_scale_from_env();
  sender_ = std::make_unique<WebhookSender>(tool_, deliveries_, scale);
  add_control_routes();
}

SimulatorBase::~SimulatorBase() {
  SimulatorBase::stop();
}

// A listener on the simulator's address for `router`, faults applied to every vendor request.
std::unique_ptr<http::Server> SimulatorBase::listener(std::uint16_t port, int threads, http::Router& router) {
  http::ServerOptions so;
  so.host = options_.host;
  so.port = port;
  so.threads = threads;
  so.read_timeout = std::chrono::milliseconds{10000};
  so.shutdown_grace = std::chrono::milliseconds{2000};
  return std::make_unique<http::Server>(std::move(so),
                                        [this, &router](http::Request r, http::Responder respond) {
                                          if (auto fault = take_fault(r)) return respond(std::move(*fault));
                                          if (&router == &router_ && limit(r, respond)) return;
                                          if (hold(r, respond, router)) return;
                                          router.dispatch(std::move(r), std::move(respond));
                                        });
}

Status SimulatorBase::start() {
  if (server_) return {};
  if (auto st = sender_->start(); !st.ok()) return st;
  auto server = listener(options_.port, 2, router_);
  if (auto st = server->start(); !st.ok()) {
    sender_->stop();
    return st;
  }
  if (has_auth_host_) {
    auto auth = listener(0, 1, auth_router_);
    if (auto st = auth->start(); !st.ok()) {
      server->stop();
      sender_->stop();
      return st;
    }
    auth_server_ = std::move(auth);
  }
  server_ = std::move(server);
  spdlog::info("sim {}: listening on {} (retry scale {})", tool_, base_url(), sender_->retry_scale());
  return {};
}

std::uint16_t SimulatorBase::port() const {
  return server_ ? server_->port() : 0;
}

void SimulatorBase::stop() {
  // The sender first: a ping still in flight then completes (as failed) while the server can still answer the
  // control request waiting for it. Requests arriving meanwhile record their webhooks as not sent.
  sender_->stop();
  release_held(/*refuse=*/true);
  if (server_) server_->stop();
  server_.reset();
  if (auth_server_) auth_server_->stop();
  auth_server_.reset();
}

std::string SimulatorBase::auth_base_url() const {
  if (!auth_server_) return "";
  return "http://127.0.0.1:" + std::to_string(auth_server_->port());
}

std::string SimulatorBase::public_base(const http::Request& request) const {
  if (auto host = request.header("Host"); host && plausible_host(*host))
    return "http://" + std::string(*host);
  return base_url();
}

Result<bj::object> SimulatorBase::sim_publish(std::string_view, bool) {
  return make_error(ErrorKind::kNotFound, tool_ + " has no job publishing");
}

void SimulatorBase::sim_register_webhook(const bj::object&, std::function<void(Result<bj::object>)> done) {
  done(make_error(ErrorKind::kNotFound,
                  tool_ + " subscribes through its own API; POST /_sim/webhooks is for manual tools"));
}

http::Response SimulatorBase::fault_unauthorized() const {
  return json_reply(401,
                    bj::object{{"error", "unauthorized"}, {"message", "invalid or expired credentials"}});
}

http::Response SimulatorBase::fault_rate_limited(int retry_after_seconds) const {
  return json_reply(429, bj::object{{"error", "rate_limited"}, {"message", "too many requests"}})
      .with_header("Retry-After", std::to_string(retry_after_seconds));
}

std::optional<http::Response> SimulatorBase::take_fault(const http::Request& request) {
  if (request.path == "/_sim" || request.path.rfind("/_sim/", 0) == 0) return std::nullopt;
  int retry_after = 0;
  {
    MutexLock lock(faults_mu_);
    if (faults_.window_requests > 0) {
      const std::int64_t now = monotonic_us() / 1000;
      auto& arrivals = faults_.arrivals;
      while (!arrivals.empty() && arrivals.front() <= now - faults_.window_ms)
        arrivals.pop_front();
      arrivals.push_back(now);
      ++faults_.total;
      faults_.max_seen = std::max(faults_.max_seen, static_cast<int>(arrivals.size()));
      if (static_cast<int>(arrivals.size()) > faults_.window_requests) {
        ++faults_.rejected;
        const auto& oldest =
            arrivals[arrivals.size() - static_cast<std::size_t>(faults_.window_requests) - 1];
        retry_after = std::max(1, static_cast<int>((oldest + faults_.window_ms - now + 999) / 1000));
      }
    }
    if (retry_after > 0) {
      // refused by the window (below, without the lock)
    } else if (faults_.unauthorized) {
      retry_after = -1;
    } else if (faults_.rate_limit_count > 0) {
      --faults_.rate_limit_count;
      retry_after = faults_.retry_after_seconds;
    } else {
      return std::nullopt;
    }
  }
  if (retry_after < 0) return fault_unauthorized();
  return fault_rate_limited(retry_after);
}

bool SimulatorBase::limit(const http::Request& request, http::Responder& respond) {
  if (request.path == "/_sim" || request.path.rfind("/_sim/", 0) == 0) return false;
  auto admission = limiter_.admit(request.method, request.path);
  if (admission.retry_after_seconds > 0) {
    http::Response refused = fault_rate_limited(admission.retry_after_seconds);
    refused.status = admission.refusal_status;
    for (auto& [name, value] : admission.headers)
      refused.with_header(name, value);
    respond(std::move(refused));
    return true;
  }
  if (admission.headers.empty() && !admission.slot) return false;
  respond = [inner = std::move(respond), headers = std::move(admission.headers),
             slot = std::move(admission.slot)](http::Response response) mutable {
    slot.reset();  // answered: no longer in the tool
    for (auto& [name, value] : headers)
      response.with_header(name, value);
    inner(std::move(response));
  };
  return false;
}

bool SimulatorBase::hold(http::Request& request, http::Responder& respond, http::Router& router) {
  if (request.path == "/_sim" || request.path.rfind("/_sim/", 0) == 0) return false;
  MutexLock lock(faults_mu_);
  if (faults_.hold_prefix.empty() || request.path.rfind(faults_.hold_prefix, 0) != 0) return false;
  held_.push_back(Held{std::move(request), std::move(respond), &router});
  ++held_total_;
  return true;
}

void SimulatorBase::release_held(bool refuse) {
  std::vector<Held> released;
  {
    MutexLock lock(faults_mu_);
    const std::string& prefix = faults_.hold_prefix;
    auto still_held = [&](const Held& h) {
      return !refuse && !prefix.empty() && h.request.path.rfind(prefix, 0) == 0;
    };
    auto keep = std::stable_partition(held_.begin(), held_.end(), still_held);
    std::move(keep, held_.end(), std::back_inserter(released));
    held_.erase(keep, held_.end());
  }
  // Dispatched with the lock released: the tool's handlers take locks of their own, and may answer at once.
  for (auto& h : released) {
    if (refuse) {
      h.respond(
          json_reply(503, bj::object{{"error", "unavailable"}, {"message", "the simulator is stopping"}}));
    } else {
      h.router->dispatch(std::move(h.request), std::move(h.respond));
    }
  }
}

Status SimulatorBase::check_model(std::string_view model) const {
  if (std::find(models_.begin(), models_.end(), model) != models_.end()) return {};
  bool known =
      std::find(std::begin(kUnifiedModels), std::end(kUnifiedModels), model) != std::end(kUnifiedModels);
  if (!known) return make_error(ErrorKind::kNotFound, "unknown model '" + std::string(model) + "'");
  std::string covered;
  for (const auto& m : models_)
    covered += (covered.empty() ? "" : ", ") + m;
  return make_error(ErrorKind::kNotFound,
                    tool_ + " does not cover " + std::string(model) + " (it covers " + covered + ")");
}

void SimulatorBase::add_control_routes() {
  router_.add("POST", "/_sim/{name}",
              [this](http::Request req, http::Params params, http::Responder respond) {
                post_control(params.at("name"), req, std::move(respond));
              });
  router_.add_sync("GET", "/_sim/{name}", [this](const http::Request&, const http::Params& params) {
    return get_control(params.at("name"));
  });
  add_control_record_routes();
}

// POST /_sim/{name}: the fixed names first, then a model.
void SimulatorBase::post_control(const std::string& name, const http::Request& req, http::Responder respond) {
  auto body = parse_object_body(req.body);
  if (!body.ok()) return respond(error_reply(body.error()));
  if (name == "permissions") return respond(set_permissions(*body));
  if (name == "faults") return respond(set_faults(*body));
  if (name == "limits") {
    auto r = limiter_.control(*body);
    return respond(r.ok() ? json_reply(200, *r) : error_reply(r.error()));
  }
  if (name == "webhooks") {
    sim_register_webhook(*body, [respond](Result<bj::object> r) {
      respond(r.ok() ? json_reply(200, *r) : error_reply(r.error()));
    });
    return;
  }
  if (auto st = check_model(name); !st.ok()) return respond(error_reply(st.error()));
  auto r = sim_create(name, *body);
  respond(r.ok() ? json_reply(200, *r) : error_reply(r.error()));
}

http::Response SimulatorBase::set_permissions(const bj::object& body) {
  const auto* v = body.if_contains("webhooks");
  if (v == nullptr || !v->is_bool())
    return error_reply(make_error(ErrorKind::kInvalidArgument, "expected {\"webhooks\": true|false}"));
  webhooks_permission_.store(v->get_bool());
  return json_reply(200, bj::object{{"webhooks", v->get_bool()}});
}

http::Response SimulatorBase::set_faults(const bj::object& body) {
  Faults next;
  if (const auto* u = body.if_contains("unauthorized")) {
    if (!u->is_bool())
      return error_reply(make_error(ErrorKind::kInvalidArgument, "unauthorized must be a boolean"));
    next.unauthorized = u->get_bool();
  }
  if (const auto* rl = body.if_contains("rate_limit"); rl != nullptr && !rl->is_null()) {
    const auto* count = rl->is_object() ? rl->get_object().if_contains("count") : nullptr;
    const auto* after = rl->is_object() ? rl->get_object().if_contains("retry_after_seconds") : nullptr;
    if (count == nullptr || !count->is_int64() || count->get_int64() < 0 || count->get_int64() > 1000000 ||
        (after != nullptr && (!after->is_int64() || after->get_int64() < 0 || after->get_int64() > 86400)))
      return error_reply(
          make_error(ErrorKind::kInvalidArgument,
                     "rate_limit must be {\"count\": 0..1000000, \"retry_after_seconds\": 0..86400}"));
    next.rate_limit_count = static_cast<int>(count->get_int64());
    next.retry_after_seconds = after != nullptr ? static_cast<int>(after->get_int64()) : 1;
  }
  if (const auto* w = body.if_contains("window"); w != nullptr && !w->is_null()) {
    const auto* requests = w->is_object() ? w->get_object().if_contains("requests") : nullptr;
    const auto* window = w->is_object() ? w->get_object().if_contains("window_ms") : nullptr;
    if (requests == nullptr || !requests->is_int64() || requests->get_int64() < 1 ||
        requests->get_int64() > 100000 || window == nullptr || !window->is_int64() ||
        window->get_int64() < 1 || window->get_int64() > 3600000)
      return error_reply(make_error(ErrorKind::kInvalidArgument,
                                    "window must be {\"requests\": 1..100000, \"window_ms\": 1..3600000}"));
    next.window_requests = static_cast<int>(requests->get_int64());
    next.window_ms = window->get_int64();
  }
  if (const auto* h = body.if_contains("hold"); h != nullptr && !h->is_null()) {
    if (!h->is_string() || h->get_string().empty() || h->get_string().front() != '/' ||
        h->get_string().rfind("/_sim", 0) == 0)
      return error_reply(make_error(ErrorKind::kInvalidArgument,
                                    "hold must be a path prefix such as \"/v2/webhooks\" (outside /_sim)"));
    next.hold_prefix = std::string(h->get_string());
  }
  bj::object answer;
  {
    MutexLock lock(faults_mu_);
    faults_ = next;
  }
  release_held(/*refuse=*/false);
  {
    MutexLock lock(faults_mu_);
    answer = faults_json(faults_, held_.size(), held_total_);
  }
  return json_reply(200, answer);
}

bj::object SimulatorBase::faults_json(const Faults& faults, std::size_t held, std::uint64_t held_total) {
  return bj::object{
      {"unauthorized", faults.unauthorized},
      {"rate_limit",
       bj::object{{"count", faults.rate_limit_count}, {"retry_after_seconds", faults.retry_after_seconds}}},
      {"window", faults.window_requests > 0 ? bj::value(bj::object{{"requests", faults.window_requests},
                                                                   {"window_ms", faults.window_ms},
                                                                   {"max_seen", faults.max_seen},
                                                                   {"rejected", faults.rejected},
                                                                   {"total", faults.total}})
                                            : bj::value(nullptr)},
      {"hold", faults.hold_prefix.empty() ? bj::value(nullptr) : bj::value(faults.hold_prefix)},
      {"held", static_cast<std::int64_t>(held)},
      {"held_total", static_cast<std::int64_t>(held_total)}};
}

void SimulatorBase::note_secret(std::string kind, std::string value) {
  MutexLock lock(secrets_mu_);
  if (secrets_.size() == kMaxNotedSecrets) secrets_.pop_front();
  secrets_.push_back(IssuedSecret{std::move(kind), std::move(value)});
}

// GET /_sim/{name}: the fixed names first, then a model's records.
http::Response SimulatorBase::get_control(const std::string& name) {
  if (name == "subscriptions") return json_reply(200, sim_subscriptions());
  if (name == "deliveries") return json_reply(200, deliveries_.to_json());
  if (name == "sender")
    return json_reply(200, bj::object{{"pending", static_cast<std::int64_t>(sender_->pending())}});
  if (name == "permissions") return json_reply(200, bj::object{{"webhooks", webhooks_permitted()}});
  if (name == "limits") return json_reply(200, limiter_.to_json());
  if (name == "hosts") {
    const std::string auth = auth_base_url();
    return json_reply(
        200, bj::object{{"api", base_url()}, {"auth", auth.empty() ? bj::value(nullptr) : bj::value(auth)}});
  }
  if (name == "faults") {
    MutexLock lock(faults_mu_);
    return json_reply(200, faults_json(faults_, held_.size(), held_total_));
  }
  if (name == "secrets") {
    bj::array out;
    MutexLock lock(secrets_mu_);
    for (const IssuedSecret& s : secrets_)
      out.push_back(bj::object{{"kind", s.kind}, {"value", s.value}});
    return json_reply(200, out);
  }
  if (auto st = check_model(name); !st.ok()) return error_reply(st.error());
  return json_reply(200, sim_list(name));
}

// One record of a model: read, change, delete, and (jobs) publish or unpublish.
void SimulatorBase::add_control_record_routes() {
  router_.add_sync("GET", "/_sim/{model}/{remote_id}",
                   [this](const http::Request&, const http::Params& params) {
                     const std::string& model = params.at("model");
                     if (auto st = check_model(model); !st.ok()) return error_reply(st.error());
                     auto r = sim_get(model, params.at("remote_id"));
                     return r.ok() ? json_reply(200, *r) : error_reply(r.error());
                   });

  router_.add_sync("PATCH", "/_sim/{model}/{remote_id}",
                   [this](const http::Request& req, const http::Params& params) {
                     const std::string& model = params.at("model");
                     if (auto st = check_model(model); !st.ok()) return error_reply(st.error());
                     auto body = parse_object_body(req.body);
                     if (!body.ok()) return error_reply(body.error());
                     auto r = sim_update(model, params.at("remote_id"), *body);
                     return r.ok() ? json_reply(200, *r) : error_reply(r.error());
                   });

  router_.add_sync("DELETE", "/_sim/{model}/{remote_id}",
                   [this](const http::Request&, const http::Params& params) {
                     const std::string& model = params.at("model");
                     if (auto st = check_model(model); !st.ok()) return error_reply(st.error());
                     auto r = sim_delete(model, params.at("remote_id"));
                     return r.ok() ? json_reply(200, *r) : error_reply(r.error());
                   });

  router_.add_sync("POST", "/_sim/{model}/{remote_id}/{op}",
                   [this](const http::Request&, const http::Params& params) {
                     const std::string& model = params.at("model");
                     const std::string& op = params.at("op");
                     if (op != "publish" && op != "unpublish")
                       return error_reply(make_error(ErrorKind::kNotFound, "unknown operation '" + op + "'"));
                     if (model != "ats_jobs")
                       return error_reply(
                           make_error(ErrorKind::kNotFound, "only ats_jobs can be published or unpublished"));
                     if (auto st = check_model(model); !st.ok()) return error_reply(st.error());
                     auto r = sim_publish(params.at("remote_id"), op == "publish");
                     return r.ok() ? json_reply(200, *r) : error_reply(r.error());
                   });
}

}  // namespace tributary::sim
