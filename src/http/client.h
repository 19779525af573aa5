// Outbound HTTP for everything Tributary calls: downstream deliveries and the tools' APIs.
// CurlClient runs the libcurl multi interface on its own thread: many requests in flight at once, keep-alive
// connections reused per host, no redirects followed, a per-request timeout. With `guard_ssrf` set on a
// request, the resolved address is checked at connect time (CURLOPT_OPENSOCKETFUNCTION) by the NetworkGuard,
// so a DNS answer cannot smuggle a private address past the check; `listed_only` narrows that to the guard's
// allow list. Guarded, listed-only and unguarded transfers keep their connections in three separate caches,
// so a connection opened under a looser rule is never reused under a stricter one. Thread-safety: send() from
// any thread.
// Completion callbacks run on the client's thread: keep them short and hand work elsewhere.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/log.h"
#include "core/result.h"
#include "http/ssrf.h"

namespace tributary::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds timeout{15000};
  bool guard_ssrf = false;   // apply the NetworkGuard to the resolved address
  bool listed_only = false;  // with guard_ssrf: connect only to addresses in the guard's allow list
  std::size_t max_response_bytes = 1 << 20;  // the body is truncated beyond this (body_truncated = true)
};

struct ClientResponse {
  int status = 0;  // 0 when no HTTP response was received (see error)
  HeaderList headers;
  std::string body;
  bool body_truncated = false;
  std::string error;  // connection refused, timeout, blocked by the SSRF guard, ...; empty on a response
  bool blocked_by_guard = false;
  std::int64_t latency_us = 0;

  std::optional<std::string_view> header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual void send(ClientRequest request, std::function<void(ClientResponse)> done) = 0;
  // Blocking convenience for callers on their own threads (reconciler, connectors). Never call it from the
  // client's own thread.
  ClientResponse send_sync(ClientRequest request);
};

// The host curl connects to for `url` ("127.0.0.1" for http://2130706433/, "::1" for http://[::1]:8/), as
// curl's own URL parser reads it; nullopt when curl cannot parse the URL.
std::optional<std::string> url_host(std::string_view url);

struct CurlClientOptions {
  NetworkGuard guard;  // used for requests with guard_ssrf
  long max_total_connections = 256;
  long max_host_connections = 32;
  std::string user_agent = "Tributary/0.1";
};

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(CurlClientOptions options);
  ~CurlClient() override;  // stops the thread; pending requests complete with error "client stopped"
  void send(ClientRequest request, std::function<void(ClientResponse)> done) override;
  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tributary::http
