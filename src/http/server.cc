#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <condition_variable>
#include <exception>
#include <future>
#include <limits>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/mutex.h"
#include "core/rate_limit.h"
#include "http/request_parse.h"
#include "http/router.h"

namespace tributary::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;
// After refusing a request we keep reading (and discarding) for a short while before closing: closing a
// socket with unread input makes the kernel send a reset, which can destroy our error response before the
// client has read it (the client is typically still sending the body we refused).
constexpr std::chrono::milliseconds kMaxLinger{2000};
constexpr std::size_t kMaxLingerBytes = 64 * 1024 * 1024;
constexpr std::chrono::milliseconds kForcedCloseWait{2000};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Connection lifecycle as seen by stop(): idle and reading connections are closed at once, busy ones (a
// handler has the request, or its answer is being written) get to finish. Idle and header-reading ones are
// also those a connection limit may close to make room ("waiting": no request of theirs is under way).
enum class Phase { kIdle, kReadingHeader, kReadingBody, kRejecting, kHandling, kWriting };

// Lets Responders that outlive the server become no-ops instead of posting into a destroyed io_context.
struct Gate {
  Mutex mu;
  bool open GUARDED_BY(mu) = true;
};

// One connection. Every member is touched only on `strand`, except the immutable ones.
struct Session {
  Session(Strand s, tcp::socket socket, std::string remote)
      : strand(std::move(s)), stream(std::move(socket)), signal(strand), remote_address(std::move(remote)) {}

  const Strand strand;
  beast::tcp_stream stream;
  beast::flat_buffer buffer;  // bytes read ahead of the request being parsed
  asio::steady_timer signal;  // woken when the handler's answer arrives
  const std::string remote_address;
  Phase phase = Phase::kIdle;
  // What the connection limits read from other threads: whether it is waiting, and since when.
  std::atomic<bool> waiting{true};
  std::atomic<SteadyClock::rep> waiting_since{SteadyClock::now().time_since_epoch().count()};
  bool closing = false;   // stop() was called: close after the in-flight response
  bool forced = false;    // the shutdown grace is over: drop everything
  std::uint64_t seq = 0;  // the request being handled; answers for older requests are ignored
  std::optional<Response> answer;

  void deliver(std::uint64_t for_seq, Response response) {
    if (phase != Phase::kHandling || for_seq != seq || answer) return;  // late (after a 503) or forced close
    answer = std::move(response);
    signal.cancel();
  }

  // Waiting runs from the accept, or from the end of the previous request, to a complete header.
  void set_phase(Phase p) {
    const bool now_waiting = p == Phase::kIdle || p == Phase::kReadingHeader;
    if (now_waiting && !waiting.load()) waiting_since.store(SteadyClock::now().time_since_epoch().count());
    phase = p;
    waiting.store(now_waiting);
  }

  // Closed to make room for a new connection, if it is still waiting; false when a request came meanwhile.
  bool evict() {
    if (phase != Phase::kIdle && phase != Phase::kReadingHeader) return false;
    beast::error_code ec;
    stream.socket().close(ec);
    return true;
  }

  void begin_shutdown() {
    closing = true;
    if (phase == Phase::kIdle || phase == Phase::kReadingHeader || phase == Phase::kReadingBody ||
        phase == Phase::kRejecting) {
      beast::error_code ec;
      stream.socket().close(ec);
    }
  }

  void force_close() {
    closing = true;
    forced = true;
    beast::error_code ec;
    stream.socket().close(ec);
    signal.cancel();
  }
};

// A request read off a connection, with what its answer needs to know of it.
struct Incoming {
  Request request;
  bool keep_alive = false;
  unsigned version = 11;
  bool head = false;
  std::optional<Response> answer;  // the screen's, for a request without a body: no handler runs
};

// The session whose handler is running on this thread right now (see PendingAnswer::send).
thread_local Session* tl_handling = nullptr;

// Shared by every copy of one request's Responder. The first answer wins; if the last copy goes away
// unanswered the client gets a 500 rather than waiting for the handler timeout.
class PendingAnswer {
 public:
  PendingAnswer(std::shared_ptr<Gate> gate, const std::shared_ptr<Session>& session, std::uint64_t seq)
      : gate_(std::move(gate)), session_(session), raw_(session.get()), seq_(seq) {}
  PendingAnswer(const PendingAnswer&) = delete;
  PendingAnswer& operator=(const PendingAnswer&) = delete;

  ~PendingAnswer() {
    if (answered_.exchange(true)) return;
    try {
      send(error_response(500, "INTERNAL", "The request handler did not answer"));
    } catch (const std::exception& e) {
      spdlog::error("http server: could not send the fallback answer: {}", e.what());
    }
  }

  void answer(Response response) {
    if (answered_.exchange(true)) {
      spdlog::warn("http server: a handler answered the same request twice; the second answer is ignored");
      return;
    }
    send(std::move(response));
  }

 private:
  void send(Response response) {
    if (tl_handling != nullptr && tl_handling == raw_) {
      // Answered synchronously from inside the handler, already on the connection's strand.
      tl_handling->deliver(seq_, std::move(response));
      return;
    }
    MutexLock lock(gate_->mu);
    if (!gate_->open) return;
    std::shared_ptr<Session> session = session_.lock();
    if (!session) return;  // the connection is gone
    Session* raw = session.get();
    asio::post(raw->strand,
               [session = std::move(session), seq = seq_, response = std::move(response)]() mutable {
                 session->deliver(seq, std::move(response));
               });
  }

  std::shared_ptr<Gate> gate_;
  std::weak_ptr<Session> session_;
  const Session* const raw_;  // identity only; dereferenced only when tl_handling proves it is alive
  const std::uint64_t seq_;
  std::atomic<bool> answered_{false};
};

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::string address_text(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

bhttp::response<bhttp::string_body> to_beast(Response response, unsigned version, bool keep_alive,
                                             bool head) {
  bhttp::response<bhttp::string_body> out;
  int status = response.status;
  if (status < 200 || status > 599) {
    spdlog::error("http server: handler answered with status {}; sending 500", status);
    response = error_response(500, "INTERNAL", "The request handler gave an invalid answer");
    status = 500;
  }
  out.result(static_cast<unsigned>(status));
  out.version(version == 10 ? 10 : 11);
  for (auto& [name, value] : response.headers) {
    if (!valid_header_name(name) || !valid_header_value(value)) {
      spdlog::warn("http server: dropping an invalid response header");
      continue;
    }
    // Framing is ours to decide.
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Connection")) {
      continue;
    }
    out.insert(name, value);
  }
  out.keep_alive(keep_alive);
  if (status != 204 && status != 304) {
    out.content_length(response.body.size());
    if (!head) out.body() = std::move(response.body);
  }
  return out;
}

// The answer to a connection over a limit, written without waiting (it fits any empty socket buffer).
const std::string& busy_response() {
  static const std::string text = [] {
    std::ostringstream os;
    os << to_beast(error_response(503, "TOO_MANY_CONNECTIONS", "Too many open connections; retry")
                       .with_header("Retry-After", "1"),
                   11, false, false);
    return os.str();
  }();
  return text;
}

bool expects_continue(const bhttp::request<bhttp::string_body>& message) {
  if (message.version() < 11) return false;
  const auto it = message.find(bhttp::field::expect);
  return it != message.end() && iequals(it->value(), "100-continue");
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {}
  ~Impl() {
    stop();
    MutexLock lock(gate->mu);
    gate->open = false;
  }

  Status start();
  void stop();
  asio::awaitable<void> accept_loop();
  void start_session(Strand strand, tcp::socket socket);
  bool make_room(const std::string& source, std::shared_ptr<Session>& victim) REQUIRES(mu);
  void refuse_connection(tcp::socket& socket);
  void eviction_declined(Session* session);
  void session_ended(Session* session);
  asio::awaitable<void> serve(std::shared_ptr<Session> s);
  // The steps of serve() for one request: wait for it (keep-alive), read it, have it handled.
  asio::awaitable<bool> await_next(std::shared_ptr<Session> s);
  asio::awaitable<std::optional<Incoming>> read_request(std::shared_ptr<Session> s,
                                                        SteadyClock::time_point header_deadline,
                                                        SteadyClock::time_point read_deadline);
  std::optional<Response> screen(const Request& request);
  asio::awaitable<std::optional<Response>> handle(std::shared_ptr<Session> s, Request request);
  asio::awaitable<void> reject(std::shared_ptr<Session> s, Request partial, Rejection rejection);
  asio::awaitable<void> refuse(std::shared_ptr<Session> s, Response response);
  std::vector<std::shared_ptr<Session>> live_sessions();
  bool wait_until_drained(SteadyClock::time_point deadline);
  void run_io();

  const ServerOptions options;
  const Handler handler;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::atomic<std::uint16_t> bound_port{0};
  bool started = false;  // owner thread only
  bool stopped = false;  // owner thread only

  Mutex mu;
  std::condition_variable drained;
  bool stopping GUARDED_BY(mu) = false;
  // Every open connection, with the source address it counts under and whether it is being closed to make
  // room (it still counts until it has ended, but no longer against the limits).
  struct Entry {
    std::weak_ptr<Session> session;
    std::string source;
    bool evicting = false;
  };
  struct SourceCount {
    std::size_t open = 0;
    std::size_t evicting = 0;
  };
  std::unordered_map<Session*, Entry> sessions GUARDED_BY(mu);
  std::unordered_map<std::string, SourceCount> per_source GUARDED_BY(mu);
  std::size_t evicting_total GUARDED_BY(mu) = 0;
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> evicted{0};
  std::atomic<std::uint64_t> screened{0};

  // Destroyed before everything above: destroying the io_context destroys suspended connections and queued
  // handlers, which must find the rest of the server still intact.
  asio::io_context ioc{std::max(1, options.threads)};
  Strand accept_strand{asio::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  std::vector<std::thread> threads;
};

Status Server::Impl::start() {
  if (started) return make_error(ErrorKind::kInvalidArgument, "http server already started");
  std::string host = options.host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  beast::error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options.port);
  } else {
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      return make_error(ErrorKind::kInvalidArgument, "cannot resolve listen host '" + host + "'");
    }
    endpoint = results.begin()->endpoint();
  }

  const auto fail = [&](std::string_view what) {
    const std::string message =
        fmt::format("http server: {} {}:{}: {}", what, host, options.port, ec.message());
    beast::error_code ignored;
    acceptor.close(ignored);
    return make_error(ErrorKind::kUnavailable, message);
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("cannot open a socket for");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("cannot set SO_REUSEADDR on");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("cannot bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on");
  bound_port = acceptor.local_endpoint(ec).port();

  asio::co_spawn(accept_strand, accept_loop(), [](std::exception_ptr e) {
    if (e) spdlog::error("http server: accept loop failed: {}", describe(e));
  });
  const int n = std::max(1, options.threads);
  threads.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    threads.emplace_back([this] { run_io(); });
  started = true;
  spdlog::debug("http server: listening on {}:{}", host, bound_port.load());
  return {};
}

void Server::Impl::run_io() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http server: I/O thread caught: {}", e.what());
    } catch (...) {
      spdlog::error("http server: I/O thread caught an unknown exception");
    }
  }
}

asio::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    Strand strand = asio::make_strand(ioc);
    auto [ec, socket] = co_await acceptor.async_accept(asio::any_io_executor(strand), kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // E.g. out of file descriptors: back off instead of spinning on the same error.
      spdlog::warn("http server: accept failed: {}", ec.message());
      asio::steady_timer backoff(accept_strand, std::chrono::milliseconds(50));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    start_session(std::move(strand), std::move(socket));
  }
}

void Server::Impl::start_session(Strand strand, tcp::socket socket) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // already disconnected
  std::string address = address_text(remote);
  std::string source = source_key(address);
  auto session = std::make_shared<Session>(std::move(strand), std::move(socket), std::move(address));
  std::shared_ptr<Session> victim;
  bool admitted = false;
  {
    MutexLock lock(mu);
    if (stopping) return;
    admitted = make_room(source, victim);
    if (admitted) {
      sessions.emplace(session.get(), Entry{session, source});
      ++per_source[source].open;
    }
  }
  if (!admitted) {
    refuse_connection(session->stream.socket());  // never started: this thread is its only user
    return;
  }
  if (victim) {
    Session* raw = victim.get();
    asio::post(raw->strand, [this, victim = std::move(victim)] {
      if (!victim->evict()) eviction_declined(victim.get());
    });
  }
  Session* key = session.get();
  const Strand on = session->strand;
  asio::co_spawn(on, serve(std::move(session)), [this, key](std::exception_ptr e) {
    if (e) spdlog::error("http server: connection failed: {}", describe(e));
    session_ended(key);
  });
}

// Whether a new connection from `source` fits the limits, once `victim` (when set) is closed: over a limit,
// the connection that has waited longest without a request — of the same source when that source is over
// its own limit — makes room. False when none can.
bool Server::Impl::make_room(const std::string& source, std::shared_ptr<Session>& victim) {
  const auto found = per_source.find(source);
  const SourceCount count = found == per_source.end() ? SourceCount{} : found->second;
  const bool over_total =
      options.max_connections > 0 && sessions.size() - evicting_total >= options.max_connections;
  const bool over_source = options.max_connections_per_address > 0 &&
                           count.open - count.evicting >= options.max_connections_per_address;
  if (!over_total && !over_source) return true;
  Entry* chosen = nullptr;
  auto oldest = std::numeric_limits<SteadyClock::rep>::max();
  for (auto& [raw, entry] : sessions) {
    if (entry.evicting || (over_source && entry.source != source)) continue;
    auto candidate = entry.session.lock();
    if (!candidate || !candidate->waiting.load()) continue;
    const auto since = candidate->waiting_since.load();
    if (since < oldest) {
      oldest = since;
      chosen = &entry;
      victim = std::move(candidate);
    }
  }
  if (chosen == nullptr) return false;
  chosen->evicting = true;
  ++evicting_total;
  ++per_source[chosen->source].evicting;
  evicted.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// Over the limits with no connection to close instead: a 503 written without waiting, then closed.
void Server::Impl::refuse_connection(tcp::socket& socket) {
  refused.fetch_add(1, std::memory_order_relaxed);
  beast::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(busy_response()), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

// A connection chosen to make room had started a request by the time its strand ran: it stays, and counts.
void Server::Impl::eviction_declined(Session* session) {
  MutexLock lock(mu);
  auto it = sessions.find(session);
  if (it == sessions.end() || !it->second.evicting) return;
  it->second.evicting = false;
  --evicting_total;
  if (auto c = per_source.find(it->second.source); c != per_source.end() && c->second.evicting > 0)
    --c->second.evicting;
  evicted.fetch_sub(1, std::memory_order_relaxed);
}

void Server::Impl::session_ended(Session* session) {
  MutexLock lock(mu);
  auto it = sessions.find(session);
  if (it != sessions.end()) {
    if (auto c = per_source.find(it->second.source); c != per_source.end()) {
      --c->second.open;
      if (it->second.evicting) --c->second.evicting;
      if (c->second.open == 0) per_source.erase(c);
    }
    if (it->second.evicting) --evicting_total;
    sessions.erase(it);
  }
  if (sessions.empty()) drained.notify_all();
}

asio::awaitable<void> Server::Impl::serve(std::shared_ptr<Session> s) {
  // The first request's deadlines run from the accept, so a client that connects and trickles bytes is cut
  // off: its header within header_timeout, the whole request within read_timeout.
  auto started = SteadyClock::now();
  for (bool first = true;; first = false) {
    s->set_phase(Phase::kIdle);
    if (s->closing) break;
    if (!first) {
      if (!co_await await_next(s)) break;
      started = SteadyClock::now();
    }
    auto incoming =
        co_await read_request(s, started + options.header_timeout, started + options.read_timeout);
    if (!incoming) break;
    std::optional<Response> response = std::move(incoming->answer);
    if (!response) response = co_await handle(s, std::move(incoming->request));
    if (!response) break;
    s->set_phase(Phase::kWriting);
    const bool keep_alive = incoming->keep_alive && !s->closing;
    auto out = to_beast(std::move(*response), incoming->version, keep_alive, incoming->head);
    s->stream.expires_after(options.write_timeout);
    auto [ec, n] = co_await bhttp::async_write(s->stream, out, kNoThrow);
    if (ec || !keep_alive) break;
  }
  beast::error_code ec;
  s->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  s->stream.socket().close(ec);
}

// Between keep-alive requests: waits for the first byte of the next one with the idle deadline (unless it
// was read ahead already); false when none came.
asio::awaitable<bool> Server::Impl::await_next(std::shared_ptr<Session> s) {
  if (s->buffer.size() != 0) co_return true;
  s->stream.expires_after(options.idle_timeout);
  auto [ec, n] = co_await s->stream.async_read_some(s->buffer.prepare(kReadChunk), kNoThrow);
  if (ec) co_return false;
  s->buffer.commit(n);
  co_return true;
}

// Reads one request, its body within the limit of its path, by `read_deadline`. nullopt: the connection ends
// here (closed, timed out, or refused, the refusal already answered).
asio::awaitable<std::optional<Incoming>> Server::Impl::read_request(std::shared_ptr<Session> s,
                                                                    SteadyClock::time_point header_deadline,
                                                                    SteadyClock::time_point read_deadline) {
  s->set_phase(Phase::kReadingHeader);
  s->stream.expires_at(std::min(header_deadline, read_deadline));
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(boost::none);  // the real limit depends on the path, known once the header is in
  {
    auto [ec, n] = co_await bhttp::async_read_header(s->stream, s->buffer, parser, kNoThrow);
    if (ec) {
      if (auto rejection = rejection_for(ec))
        co_await reject(s, request_from_raw(s->buffer, parser.get(), s->remote_address), *rejection);
      co_return std::nullopt;
    }
  }
  s->set_phase(Phase::kReadingBody);
  s->stream.expires_at(read_deadline);
  Request request = request_from_header(parser.get(), s->remote_address);
  if (auto refusal = screen(request)) {
    // Refused on its header: a request without a body is answered as usual, one with a body is answered
    // without reading it, and the connection closed.
    if (parser.is_done()) {
      const auto& message = parser.get();
      co_return Incoming{std::move(request), message.keep_alive(), message.version(),
                         message.method() == bhttp::verb::head, std::move(refusal)};
    }
    co_await refuse(s, std::move(*refusal));
    co_return std::nullopt;
  }
  std::size_t limit = options.body_limit_for ? options.body_limit_for(request.path) : 0;
  if (limit == 0) limit = options.max_body_bytes;
  if (const auto length = parser.content_length(); length && *length > limit) {
    // Refuse on the announced length alone, before reading a byte of the body.
    co_await reject(s, std::move(request), payload_too_large());
    co_return std::nullopt;
  }
  parser.body_limit(limit);
  if (!parser.is_done()) {
    if (expects_continue(parser.get())) {
      s->stream.expires_after(options.write_timeout);
      auto [ec, n] = co_await asio::async_write(s->stream, asio::buffer(kContinue), kNoThrow);
      if (ec) co_return std::nullopt;
      s->stream.expires_at(read_deadline);
    }
    auto [ec, n] = co_await bhttp::async_read(s->stream, s->buffer, parser, kNoThrow);
    if (ec) {
      if (auto rejection = rejection_for(ec)) co_await reject(s, std::move(request), *rejection);
      co_return std::nullopt;
    }
  }
  auto& message = parser.get();
  request.body = std::move(message.body());
  co_return Incoming{std::move(request), message.keep_alive(), message.version(),
                     message.method() == bhttp::verb::head};
}

// Hands the request over and waits for the answer, which may come from any thread: a 503 when none came
// within the handler timeout, nullopt when the connection is being dropped (the shutdown grace is over).
asio::awaitable<std::optional<Response>> Server::Impl::handle(std::shared_ptr<Session> s, Request request) {
  s->set_phase(Phase::kHandling);
  const std::uint64_t seq = ++s->seq;
  s->answer.reset();
  s->stream.expires_never();
  {
    Responder responder = [pending = std::make_shared<PendingAnswer>(gate, s, seq)](Response response) {
      pending->answer(std::move(response));
    };
    tl_handling = s.get();
    try {
      handler(std::move(request), std::move(responder));
    } catch (const std::exception& e) {
      spdlog::error("http server: handler threw: {}", e.what());
    } catch (...) {
      spdlog::error("http server: handler threw an unknown exception");
    }
  }
  tl_handling = nullptr;
  const auto handler_deadline = SteadyClock::now() + options.handler_timeout;
  while (!s->answer && !s->forced && SteadyClock::now() < handler_deadline) {
    s->signal.expires_at(handler_deadline);
    co_await s->signal.async_wait(kNoThrow);
  }
  if (s->forced) co_return std::nullopt;
  if (!s->answer) {
    spdlog::warn("http server: no answer within {} ms; sending 503", options.handler_timeout.count());
    co_return error_response(503, "HANDLER_TIMEOUT", "The request was not answered in time");
  }
  std::optional<Response> response = std::move(s->answer);
  s->answer.reset();
  co_return response;
}

std::optional<Response> Server::Impl::screen(const Request& request) {
  if (!options.screen) return std::nullopt;
  std::optional<Response> refusal;
  try {
    refusal = options.screen(request);
  } catch (const std::exception& e) {
    spdlog::error("http server: screen threw: {}", e.what());
    refusal = error_response(500, "INTERNAL", "The request could not be checked");
  }
  if (refusal) screened.fetch_add(1, std::memory_order_relaxed);
  return refusal;
}

asio::awaitable<void> Server::Impl::reject(std::shared_ptr<Session> s, Request partial, Rejection rejection) {
  spdlog::debug("http server: {} {} from {}: {}", rejection.status, rejection.code, s->remote_address,
                rejection.message);
  if (options.on_rejected) {
    try {
      options.on_rejected(partial, rejection.status, rejection.message);
    } catch (const std::exception& e) {
      spdlog::error("http server: on_rejected threw: {}", e.what());
    }
  }
  co_await refuse(s, error_response(rejection.status, rejection.code, rejection.message));
}

// Answers with `Connection: close` and closes, reading (and discarding) what the client still sends for a
// short while first, so that the answer is not lost to a reset.
asio::awaitable<void> Server::Impl::refuse(std::shared_ptr<Session> s, Response response) {
  s->set_phase(Phase::kRejecting);
  auto out = to_beast(std::move(response), 11, false, false);
  s->stream.expires_after(options.write_timeout);
  if (auto [ec, n] = co_await bhttp::async_write(s->stream, out, kNoThrow); ec) co_return;

  beast::error_code ec;
  s->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  s->stream.expires_after(std::min<std::chrono::milliseconds>(options.read_timeout, kMaxLinger));
  std::vector<char> sink(kReadChunk);
  std::size_t drained_bytes = 0;
  while (drained_bytes < kMaxLingerBytes && !s->closing) {
    auto [rec, n] = co_await s->stream.async_read_some(asio::buffer(sink), kNoThrow);
    if (rec) break;
    drained_bytes += n;
  }
}

std::vector<std::shared_ptr<Session>> Server::Impl::live_sessions() {
  std::vector<std::shared_ptr<Session>> out;
  MutexLock lock(mu);
  out.reserve(sessions.size());
  for (auto& [key, entry] : sessions) {
    if (auto s = entry.session.lock()) out.push_back(std::move(s));
  }
  return out;
}

bool Server::Impl::wait_until_drained(SteadyClock::time_point deadline) {
  MutexLock lock(mu);
  return lock.wait_until(drained, deadline, [this]() REQUIRES(mu) { return sessions.empty(); });
}

void Server::Impl::stop() {
  if (!started || stopped) return;
  stopped = true;
  const auto grace_deadline = SteadyClock::now() + options.shutdown_grace;
  {
    MutexLock lock(mu);
    stopping = true;
  }

  // Stop accepting at once.
  auto closed = std::make_shared<std::promise<void>>();
  auto closed_future = closed->get_future();
  asio::post(accept_strand, [this, closed] {
    beast::error_code ec;
    acceptor.close(ec);
    closed->set_value();
  });
  closed_future.wait_until(grace_deadline);

  // Idle connections close now; busy ones after their in-flight response.
  for (auto& s : live_sessions()) {
    Session* raw = s.get();
    asio::post(raw->strand, [s = std::move(s)] { s->begin_shutdown(); });
  }
  if (!wait_until_drained(grace_deadline)) {
    spdlog::warn("http server: shutdown grace over; closing the remaining connections");
    for (auto& s : live_sessions()) {
      Session* raw = s.get();
      asio::post(raw->strand, [s = std::move(s)] { s->force_close(); });
    }
    wait_until_drained(SteadyClock::now() + kForcedCloseWait);
  }

  ioc.stop();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
  threads.clear();
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

Status Server::start() {
  return impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->bound_port.load();
}

ServerStats Server::stats() const {
  ServerStats out;
  {
    MutexLock lock(impl_->mu);
    out.open = impl_->sessions.size();
  }
  out.refused = impl_->refused.load(std::memory_order_relaxed);
  out.evicted = impl_->evicted.load(std::memory_order_relaxed);
  out.screened = impl_->screened.load(std::memory_order_relaxed);
  return out;
}

void Server::stop() {
  impl_->stop();
}

}  // namespace tributary::http
