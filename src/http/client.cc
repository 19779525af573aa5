#include "http/client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/mutex.h"
#include "http/message.h"

namespace tributary::http {

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return std::string_view(v);
  return std::nullopt;
}

ClientResponse HttpClient::send_sync(ClientRequest request) {
  // Shared: the callback may still be inside set_value() when the waiting caller has already returned.
  auto promise = std::make_shared<std::promise<ClientResponse>>();
  auto future = promise->get_future();
  send(std::move(request), [promise](ClientResponse response) { promise->set_value(std::move(response)); });
  return future.get();
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kStopped = "client stopped";
// A hostile server could stream headers forever; bodies are bounded by max_response_bytes.
constexpr std::size_t kMaxHeaderBytes = 256 * 1024;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("curl_global_init failed");
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ':') return false;
  }
  return true;
}

bool valid_header_value(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string address_text(const curl_sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, &address->addr, sizeof(in));
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
  } else if (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &address->addr, sizeof(in6));
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
  }
  return text;
}

struct Pending {
  ClientRequest request;
  std::function<void(ClientResponse)> done;
  Clock::time_point queued;
};

}  // namespace

struct CurlClient::Impl {
  // The connection caches: unguarded, guarded, guarded and limited to the allow list.
  enum Cache { kPlain = 0, kGuarded = 1, kListed = 2, kCaches = 3 };

  // One transfer: an easy handle kept across requests (it is recycled through a pool, so its buffers are
  // reused) plus the state of the request it is currently carrying.
  struct Transfer {
    Impl* owner = nullptr;
    CURL* easy = nullptr;
    int cache = kPlain;  // bound to one connection cache for its whole life
    std::size_t active_index = 0;
    curl_slist* header_list = nullptr;
    ClientRequest request;
    std::function<void(ClientResponse)> done;
    ClientResponse response;
    std::size_t header_bytes = 0;
    bool headers_too_large = false;
    std::string blocked;  // set by the open-socket callback when the guard refused the address
    Clock::time_point started;
    char error[CURL_ERROR_SIZE] = {};

    ~Transfer() {
      curl_slist_free_all(header_list);
      if (easy != nullptr) curl_easy_cleanup(easy);
    }
  };

  explicit Impl(CurlClientOptions o) : options(std::move(o)) {
    init_curl_once();
    multi = curl_multi_init();
    // Guarded transfers keep their connections in a cache of their own: a connection opened by an unguarded
    // request (to an address the guard would refuse) must never be reused by a guarded request to the same
    // host and port, since reuse skips the open-socket check. Likewise listed-only transfers, apart from
    // guarded ones that may have connected outside the allow list.
    if (multi == nullptr) throw std::runtime_error("curl_multi_init failed");
    for (int cache : {kGuarded, kListed}) {
      shares[cache] = curl_share_init();
      if (shares[cache] == nullptr) throw std::runtime_error("curl_share_init failed");
      curl_share_setopt(shares[cache], CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    }
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_total_connections);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.max_total_connections);
    max_active = static_cast<std::size_t>(std::max(1024L, 8 * options.max_total_connections));
    max_pooled = static_cast<std::size_t>(std::max(64L, 2 * options.max_total_connections));
    thread = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      MutexLock lock(mutex);
      stopping = true;
    }
    curl_multi_wakeup(multi);
    thread.join();
    // Easy handles first: the share cannot be freed while a handle still refers to it.
    active.clear();
    for (auto& free_list : free_lists)
      free_list.clear();
    curl_multi_cleanup(multi);
    for (CURLSH* share : shares)
      if (share != nullptr) curl_share_cleanup(share);
  }

  void submit(ClientRequest request, std::function<void(ClientResponse)> done) {
    in_flight.fetch_add(1, std::memory_order_relaxed);
    bool wake = false;
    bool rejected = false;
    {
      MutexLock lock(mutex);
      if (stopping) {
        rejected = true;
      } else {
        // The thread swaps the whole vector out, so only the first request of a batch needs to wake it.
        wake = incoming.empty();
        incoming.push_back(Pending{std::move(request), std::move(done), Clock::now()});
      }
    }
    if (rejected) {
      ClientResponse response;
      response.error = kStopped;
      complete(done, std::move(response));
    } else if (wake) {
      curl_multi_wakeup(multi);
    }
  }

  void complete(std::function<void(ClientResponse)>& done, ClientResponse response) {
    if (done) {
      try {
        done(std::move(response));
      } catch (const std::exception& e) {
        spdlog::error("http client: completion callback threw: {}", e.what());
      } catch (...) {
        spdlog::error("http client: completion callback threw");
      }
    }
    done = nullptr;
    in_flight.fetch_sub(1, std::memory_order_release);
  }

  // --- client thread ---

  void run() {
    std::vector<Pending> arrived;
    while (true) {
      {
        MutexLock lock(mutex);
        if (stopping) break;
        arrived.swap(incoming);
      }
      take(arrived);
      admit();
      int running = 0;
      curl_multi_perform(multi, &running);
      collect();
      // Finished transfers may have made room for queued ones: go round again without sleeping.
      bool more = backlog_head < backlog.size() && active.size() < max_active;
      curl_multi_poll(multi, nullptr, 0, more ? 0 : 1000, nullptr);
    }
    shut_down();
  }

  void take(std::vector<Pending>& arrived) {
    if (arrived.empty()) return;
    if (backlog_head == backlog.size()) {
      backlog.clear();
      backlog_head = 0;
      backlog.swap(arrived);  // keeps both vectors' capacity: no allocation in steady state
      return;
    }
    for (auto& p : arrived)
      backlog.push_back(std::move(p));
    arrived.clear();
  }

  void admit() {
    while (backlog_head < backlog.size() && active.size() < max_active) {
      Pending& p = backlog[backlog_head++];
      start(std::move(p));
    }
    if (backlog_head == backlog.size()) {
      backlog.clear();
      backlog_head = 0;
    } else if (backlog_head > 4096 && backlog_head * 2 > backlog.size()) {
      backlog.erase(backlog.begin(), backlog.begin() + static_cast<std::ptrdiff_t>(backlog_head));
      backlog_head = 0;
    }
  }

  static int cache_of(const ClientRequest& request) {
    if (!request.guard_ssrf) return kPlain;
    return request.listed_only ? kListed : kGuarded;
  }

  std::unique_ptr<Transfer> acquire(int cache) {
    auto& free_list = free_lists[cache];
    if (!free_list.empty()) {
      auto t = std::move(free_list.back());
      free_list.pop_back();
      return t;
    }
    auto t = std::make_unique<Transfer>();
    t->owner = this;
    t->cache = cache;
    t->easy = curl_easy_init();
    if (t->easy == nullptr) return nullptr;
    if (shares[cache] != nullptr) curl_easy_setopt(t->easy, CURLOPT_SHARE, shares[cache]);
    return t;
  }

  void release(std::unique_ptr<Transfer> t) {
    curl_slist_free_all(t->header_list);
    t->header_list = nullptr;
    auto& free_list = free_lists[t->cache];
    if (free_list.size() < max_pooled) free_list.push_back(std::move(t));
  }

  void fail_now(Pending& p, std::string error) {
    ClientResponse response;
    response.error = std::move(error);
    complete(p.done, std::move(response));
  }

  void start(Pending p) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - p.queued);
    auto remaining = p.request.timeout - elapsed;
    if (remaining.count() <= 0) {
      return fail_now(p, "timeout after " + std::to_string(p.request.timeout.count()) + " ms");
    }
    if (p.request.url.find('\0') != std::string::npos) return fail_now(p, "invalid url");
    for (const auto& [name, value] : p.request.headers) {
      if (!valid_header_name(name) || !valid_header_value(value))
        return fail_now(p, "invalid request header");
    }
    if (p.request.method.empty() || !valid_header_name(p.request.method))
      return fail_now(p, "invalid method");

    auto t = acquire(cache_of(p.request));
    if (!t) return fail_now(p, "out of memory");
    t->request = std::move(p.request);
    t->done = std::move(p.done);
    t->response = ClientResponse{};
    t->header_bytes = 0;
    t->headers_too_large = false;
    t->blocked.clear();
    t->error[0] = '\0';
    if (!configure(*t, remaining)) {
      auto done = std::move(t->done);
      release(std::move(t));
      ClientResponse response;
      response.error = "could not set up the request";
      return complete(done, std::move(response));
    }
    t->started = Clock::now();
    if (curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
      auto done = std::move(t->done);
      release(std::move(t));
      ClientResponse response;
      response.error = "could not start the request";
      return complete(done, std::move(response));
    }
    t->active_index = active.size();
    active.push_back(std::move(t));
  }

  bool configure(Transfer& t, std::chrono::milliseconds timeout) {
    CURL* e = t.easy;
    const ClientRequest& r = t.request;
    curl_easy_reset(e);
    bool has_user_agent = false;
    bool has_expect = false;
    bool has_content_type = false;
    for (const auto& [name, value] : r.headers) {
      has_user_agent = has_user_agent || iequals(name, "User-Agent");
      has_expect = has_expect || iequals(name, "Expect");
      has_content_type = has_content_type || iequals(name, "Content-Type");
      // "Name:" would make curl drop the header; "Name;" is how an empty value is sent.
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      curl_slist* next = curl_slist_append(t.header_list, line.c_str());
      if (next == nullptr) return false;
      t.header_list = next;
    }
    auto append = [&t](const char* line) {
      curl_slist* next = curl_slist_append(t.header_list, line);
      if (next != nullptr) t.header_list = next;
      return next != nullptr;
    };
    // No "Expect: 100-continue" round trip on larger bodies.
    if (!has_expect && !append("Expect:")) return false;

    bool ok = true;
    auto set = [&ok](CURLcode rc) { ok = ok && rc == CURLE_OK; };
    set(curl_easy_setopt(e, CURLOPT_URL, r.url.c_str()));
    set(curl_easy_setopt(e, CURLOPT_PRIVATE, &t));
    set(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error));
    set(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count())));
    set(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    set(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L));
    set(curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L));
    // Ignore http_proxy and friends from the environment: a proxy would connect on our behalf, past the
    // guard.
    set(curl_easy_setopt(e, CURLOPT_PROXY, ""));
    if (!has_user_agent) set(curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str()));
    set(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header));
    set(curl_easy_setopt(e, CURLOPT_HEADERDATA, &t));
    set(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body));
    set(curl_easy_setopt(e, CURLOPT_WRITEDATA, &t));
    if (r.guard_ssrf) {
      set(curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &open_socket));
      set(curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t));
    }

    const std::string& m = r.method;
    if (m == "GET" && r.body.empty()) {
      set(curl_easy_setopt(e, CURLOPT_HTTPGET, 1L));
    } else if (m == "HEAD") {
      set(curl_easy_setopt(e, CURLOPT_NOBODY, 1L));
    } else if (!r.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
      // curl would label the body application/x-www-form-urlencoded; send only what the caller said.
      if (!has_content_type && !append("Content-Type:")) return false;
      set(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size())));
      set(curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data()));
      if (m != "POST") set(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str()));
    } else {
      set(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str()));
    }
    set(curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list));
    return ok;
  }

  void collect() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      auto* raw = reinterpret_cast<Transfer*>(priv);
      CURLcode result = msg->data.result;  // read before the handle is removed: msg is invalid afterwards
      finish(*raw, result);
    }
  }

  std::unique_ptr<Transfer> detach(Transfer& t) {
    curl_multi_remove_handle(multi, t.easy);
    std::size_t index = t.active_index;
    std::unique_ptr<Transfer> owned = std::move(active[index]);
    if (index + 1 != active.size()) {
      active[index] = std::move(active.back());
      active[index]->active_index = index;
    }
    active.pop_back();
    return owned;
  }

  void finish(Transfer& t, CURLcode result) {
    ClientResponse response = std::move(t.response);
    response.latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t.started).count();
    long code = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
    if (result == CURLE_OK || (result == CURLE_WRITE_ERROR && response.body_truncated)) {
      // A truncated body is still a response: the status is what the caller needs.
      response.status = static_cast<int>(code);
    } else {
      response.status = 0;
      if (!t.blocked.empty()) {
        response.blocked_by_guard = true;
        response.error = t.blocked;
      } else {
        response.error = describe(t, result);
      }
    }
    auto done = std::move(t.done);
    auto owned = detach(t);
    owned->request = ClientRequest{};  // nothing of the request (headers may carry credentials) lingers
    release(std::move(owned));
    complete(done, std::move(response));
  }

  std::string describe(const Transfer& t, CURLcode result) const {
    std::string detail = t.error[0] != '\0' ? std::string(t.error) : std::string(curl_easy_strerror(result));
    if (t.headers_too_large) return "response headers too large";
    switch (result) {
      case CURLE_OPERATION_TIMEDOUT:
        return "timeout after " + std::to_string(t.request.timeout.count()) + " ms";
      case CURLE_COULDNT_CONNECT: {
        long os_errno = 0;
        curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == ECONNREFUSED) return "connection refused";
        return "could not connect: " + detail;
      }
      case CURLE_COULDNT_RESOLVE_HOST:
        return "could not resolve host";
      case CURLE_UNSUPPORTED_PROTOCOL:
        return "unsupported protocol";
      case CURLE_URL_MALFORMAT:
        return "malformed url";
      case CURLE_GOT_NOTHING:
        return "empty reply from server";
      case CURLE_PARTIAL_FILE:
        return "incomplete response";
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
        return "connection error: " + detail;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_CACERT_BADFILE:
        return "tls error: " + detail;
      default:
        return detail;
    }
  }

  void shut_down() {
    while (!active.empty()) {
      Transfer& t = *active.back();
      auto done = std::move(t.done);
      release(detach(t));
      ClientResponse response;
      response.error = kStopped;
      complete(done, std::move(response));
    }
    std::vector<Pending> rest;
    {
      MutexLock lock(mutex);
      rest.swap(incoming);  // stopping is set: nothing is added after this
    }
    take(rest);
    for (; backlog_head < backlog.size(); ++backlog_head)
      fail_now(backlog[backlog_head], kStopped);
    backlog.clear();
    backlog_head = 0;
  }

  // --- libcurl callbacks (client thread, inside curl_multi_perform) ---

  static size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::size_t length = size * count;
    std::string& body = t->response.body;
    std::size_t room = t->request.max_response_bytes - std::min(body.size(), t->request.max_response_bytes);
    if (length > room) {
      body.append(data, room);
      t->response.body_truncated = true;
      return 0;  // stop reading: the rest is not wanted
    }
    body.append(data, length);
    return length;
  }

  static size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::size_t length = size * count;
    t->header_bytes += length;
    if (t->header_bytes > kMaxHeaderBytes) {
      t->headers_too_large = true;
      return 0;
    }
    std::string_view line(data, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.empty()) return length;
    HeaderList& headers = t->response.headers;
    if (line.starts_with("HTTP/")) {
      headers.clear();  // a new status line: interim 1xx headers are not the response's
      return length;
    }
    if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
      if (!headers.empty()) {
        headers.back().second.push_back(' ');
        headers.back().second.append(trim(line));
      }
      return length;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return length;  // not a header: ignore it
    headers.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    return length;
  }

  static curl_socket_t open_socket(void* user, curlsocktype /*purpose*/, curl_sockaddr* address) {
    auto* t = static_cast<Transfer*>(user);
    const NetworkGuard& guard = t->owner->options.guard;
    if (!guard.allows(&address->addr)) {
      std::string ip = address_text(address);
      std::string reason = guard.block_reason_text(ip);
      if (reason.empty() || reason == "invalid address") reason = "disallowed";
      t->blocked = "blocked by SSRF guard: " + reason + " address " + ip;
      return CURL_SOCKET_BAD;
    }
    if (t->request.listed_only && !guard.listed(&address->addr)) {
      t->blocked = "blocked by SSRF guard: address " + address_text(address) + " is not in the allow list";
      return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  }

  CurlClientOptions options;
  CURLM* multi = nullptr;
  CURLSH* shares[kCaches] = {};  // none for kPlain: curl's own cache in the multi handle
  std::size_t max_active = 0;
  std::size_t max_pooled = 0;
  std::atomic<std::size_t> in_flight{0};

  Mutex mutex;
  std::vector<Pending> incoming GUARDED_BY(mutex);
  bool stopping GUARDED_BY(mutex) = false;

  // Owned by the client thread.
  std::vector<Pending> backlog;  // accepted but not yet handed to curl (max_active reached)
  std::size_t backlog_head = 0;
  std::vector<std::unique_ptr<Transfer>> active;
  std::vector<std::unique_ptr<Transfer>> free_lists[kCaches];
  std::thread thread;
};

std::optional<std::string> url_host(std::string_view url) {
  if (url.find('\0') != std::string_view::npos) return std::nullopt;
  init_curl_once();
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return std::nullopt;
  std::optional<std::string> host;
  char* text = nullptr;
  if (curl_url_set(parsed, CURLUPART_URL, std::string(url).c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &text, 0) == CURLUE_OK && text != nullptr) {
    host = text;
    if (host->size() >= 2 && host->front() == '[' && host->back() == ']')
      *host = host->substr(1, host->size() - 2);
  }
  curl_free(text);
  curl_url_cleanup(parsed);
  return host;
}

CurlClient::CurlClient(CurlClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

CurlClient::~CurlClient() = default;

void CurlClient::send(ClientRequest request, std::function<void(ClientResponse)> done) {
  impl_->submit(std::move(request), std::move(done));
}

std::size_t CurlClient::in_flight() const {
  return impl_->in_flight.load(std::memory_order_acquire);
}

}  // namespace tributary::http
