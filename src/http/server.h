// HTTP/1.1 server on Boost.Beast with C++20 coroutines.
// Limits: header bytes, body bytes (per path, so ingress and API can differ), deadlines on every read and
// write (a shorter one for the header than for the whole request), keep-alive with an idle deadline, and
// open connections in total and per source address (IPv6: per /64). Over a connection limit, the connection
// that has waited longest without a request — idle between keep-alive requests, or still sending its header
// (a slowloris client) — is closed to make room; if every one is busy, the new connection is answered 503
// and closed at once. A screen hook sees each request's header before any of its body is read, so a request
// it refuses (the API without a valid key) costs no body. stop() stops accepting, lets in-flight requests
// finish within the grace period, then closes every connection. Handlers run on the server's I/O threads and
// may answer later from any thread through their Responder.
//
// Thread-safety: start()/stop()/port() from one owning thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace tributary::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = pick a free port (tests)
  int threads = 2;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  // Optional per-path body limit (e.g. the ingress limit for /ingress/...); returns 0 to use max_body_bytes.
  std::function<std::size_t(std::string_view path)> body_limit_for;
  std::chrono::milliseconds read_timeout{30000};    // whole request, headers and body
  std::chrono::milliseconds header_timeout{10000};  // the header, from the connection's start or first byte
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};     // between keep-alive requests
  std::chrono::milliseconds handler_timeout{60000};  // a handler that never answers gets a 503
  std::chrono::milliseconds shutdown_grace{10000};
  std::size_t max_connections = 0;              // open at once; 0 = no limit
  std::size_t max_connections_per_address = 0;  // open at once from one source address; 0 = no limit
  // Called (on an I/O thread) with a request whose header is in (body empty, not read yet). An answer
  // refuses the request: the handler never sees it, and if a body follows it is not read (the answer goes
  // with `Connection: close`). nullopt lets the request through.
  std::function<std::optional<Response>(const Request& header)> screen;
  // Called (on an I/O thread) when the server itself rejects a request before any handler runs: 413 for a
  // body over the limit, 431 for headers over the limit, 400 for a malformed request. `request` holds what
  // was parsed (method, target, path, headers; the body is empty). These answers, and the server's own 500 (a
  // Responder dropped unanswered, a handler that threw) and 503 (handler_timeout), use the router's error
  // envelope with codes PAYLOAD_TOO_LARGE, HEADERS_TOO_LARGE, BAD_REQUEST, INTERNAL and HANDLER_TIMEOUT;
  // refused requests are answered with `Connection: close`.
  std::function<void(const Request& request, int status, std::string_view reason)> on_rejected;
};

struct ServerStats {
  std::uint64_t open = 0;      // connections open now
  std::uint64_t refused = 0;   // connections refused over a limit (503, closed)
  std::uint64_t evicted = 0;   // waiting connections closed to make room for new ones
  std::uint64_t screened = 0;  // requests refused by the screen before their body
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  Status start();              // binds, listens, starts the I/O threads
  std::uint16_t port() const;  // the bound port (after start)
  ServerStats stats() const;   // from any thread
  void stop();                 // graceful; idempotent; blocks until the threads have joined

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::http
