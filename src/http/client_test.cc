#include "http/client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http/message.h"

namespace tributary::http {
namespace {

using namespace std::chrono_literals;

// What the test server received.
struct Seen {
  std::string method;
  std::string target;
  HeaderList headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (iequals(k, name)) return v;
    return std::nullopt;
  }
};

// What it answers.
struct Reply {
  int status = 200;
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds delay{0};
};

// A small HTTP/1.1 server on 127.0.0.1: one thread per connection, keep-alive, scripted replies. It counts
// the connections it accepted so tests can see reuse (or that nothing connected at all).
class TestServer {
 public:
  using Script = std::function<Reply(const Seen&)>;

  explicit TestServer(Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listen_fd_, 512) != 0) {
      ADD_FAILURE() << "cannot listen: " << std::strerror(errno);
      return;
    }
    socklen_t length = sizeof(address);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (int fd : open_fds_)
        ::shutdown(fd, SHUT_RDWR);
    }
    stop_cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& t : threads)
      t.join();
    ::close(listen_fd_);
  }

  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  std::vector<Seen> requests() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }

 private:
  void accept_loop() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR) continue;
        return;  // shut down
      }
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      accepted_.fetch_add(1);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      open_fds_.push_back(fd);
      threads_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[16384];
    while (true) {
      // Read one request: head, then Content-Length bytes of body.
      std::size_t head_end;
      while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return finish(fd);
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      Seen seen;
      std::string_view head(buffer.data(), head_end);
      auto line_end = head.find("\r\n");
      std::string_view request_line = head.substr(0, line_end);
      auto sp1 = request_line.find(' ');
      auto sp2 = request_line.rfind(' ');
      if (sp1 == std::string_view::npos || sp2 == sp1) return finish(fd);
      seen.method = std::string(request_line.substr(0, sp1));
      seen.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
      std::size_t content_length = 0;
      std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        auto end = head.find("\r\n", pos);
        if (end == std::string_view::npos) end = head.size();
        std::string_view line = head.substr(pos, end - pos);
        pos = end + 2;
        auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(line.substr(0, colon));
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
          value.remove_prefix(1);
        if (iequals(name, "Content-Length")) content_length = std::stoul(std::string(value));
        seen.headers.emplace_back(std::move(name), std::string(value));
      }
      std::size_t total = head_end + 4 + content_length;
      while (buffer.size() < total) {
        ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0) return finish(fd);
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      seen.body = buffer.substr(head_end + 4, content_length);
      buffer.erase(0, total);

      Reply reply = script_(seen);
      {
        std::unique_lock lock(mutex_);
        seen_.push_back(std::move(seen));
        if (reply.delay.count() > 0) {
          // Interruptible: the server's destructor must not wait for a scripted delay.
          stop_cv_.wait_for(lock, reply.delay, [this] { return stopping_; });
        }
        if (stopping_) return finish_locked(fd, lock);
      }
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n";
      for (const auto& [k, v] : reply.headers)
        out += k + ": " + v + "\r\n";
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
      out += reply.body;
      std::size_t sent = 0;
      while (sent < out.size()) {
        ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return finish(fd);
        sent += static_cast<std::size_t>(n);
      }
    }
  }

  void finish(int fd) {
    std::unique_lock lock(mutex_);
    finish_locked(fd, lock);
  }
  void finish_locked(int fd, std::unique_lock<std::mutex>&) {
    std::erase(open_fds_, fd);
    ::close(fd);
  }

  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::vector<Seen> seen_;
};

Reply ok(std::string body = "ok") {
  Reply r;
  r.body = std::move(body);
  return r;
}

// Collects asynchronous completions; wait() blocks until n arrived or the deadline passed.
class Collector {
 public:
  std::function<void(ClientResponse)> add(std::size_t slot) {
    return [this, slot](ClientResponse response) {
      std::lock_guard lock(mutex_);
      responses_[slot] = std::move(response);
      cv_.notify_all();
    };
  }
  bool wait(std::size_t n, std::chrono::milliseconds deadline = 10s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, deadline, [&] { return responses_.size() >= n; });
  }
  std::map<std::size_t, ClientResponse> responses() {
    std::lock_guard lock(mutex_);
    return responses_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::size_t, ClientResponse> responses_;
};

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds deadline = 5s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return predicate();
}

int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);  // bound but never listening: connections to it are refused
  return ntohs(address.sin_port);
}

CurlClientOptions allow_loopback() {
  CurlClientOptions options;
  auto guard = NetworkGuard::create({"127.0.0.0/8"});
  EXPECT_TRUE(guard.ok());
  options.guard = *guard;
  return options;
}

TEST(CurlClient, GetRoundTripWithHeadersInOrder) {
  TestServer server([](const Seen&) {
    Reply r = ok("hello");
    r.headers = {
        {"X-One", "1"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"Content-Type", "text/weird"}};
    return r;
  });
  CurlClient client({});
  ClientRequest request;
  request.url = server.url("/path?q=1");
  request.headers = {{"X-Test", "abc"}, {"X-Empty", ""}};
  ClientResponse response = client.send_sync(request);

  EXPECT_EQ(response.error, "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello");
  EXPECT_FALSE(response.body_truncated);
  EXPECT_FALSE(response.blocked_by_guard);
  EXPECT_GT(response.latency_us, 0);
  EXPECT_EQ(response.header("x-one"), "1");
  EXPECT_EQ(response.header("content-type"), "text/weird");
  std::vector<std::string> cookies;
  for (const auto& [k, v] : response.headers)
    if (k == "Set-Cookie") cookies.push_back(v);
  EXPECT_EQ(cookies, (std::vector<std::string>{"a=1", "b=2"}));
  // Headers keep the server's order.
  ASSERT_GE(response.headers.size(), 4u);
  EXPECT_EQ(response.headers[0].first, "X-One");

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/path?q=1");
  EXPECT_EQ(seen[0].header("X-Test"), "abc");
  EXPECT_EQ(seen[0].header("X-Empty"), "");
  EXPECT_EQ(seen[0].header("User-Agent"), "Tributary/0.1");
  EXPECT_EQ(seen[0].body, "");
}

TEST(CurlClient, PostAndPutSendTheBodyWithoutExpectContinue) {
  TestServer server([](const Seen& s) { return ok("got " + std::to_string(s.body.size())); });
  CurlClient client({});

  ClientRequest post;
  post.method = "POST";
  post.url = server.url("/hook");
  post.headers = {{"Content-Type", "application/json"}, {"User-Agent", "custom/1"}};
  post.body = R"({"a":1})";
  ClientResponse response = client.send_sync(post);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "got 7");

  // A body large enough that curl would otherwise ask for 100-continue.
  ClientRequest put;
  put.method = "PUT";
  put.url = server.url("/big");
  put.body = std::string(2 << 20, 'x');
  response = client.send_sync(put);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "got " + std::to_string(2 << 20));

  ClientRequest del;
  del.method = "DELETE";
  del.url = server.url("/thing");
  response = client.send_sync(del);
  EXPECT_EQ(response.status, 200);

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, R"({"a":1})");
  EXPECT_EQ(seen[0].header("Content-Type"), "application/json");
  EXPECT_EQ(seen[0].header("User-Agent"), "custom/1");
  EXPECT_EQ(seen[0].header("Expect"), std::nullopt);
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].body.size(), std::size_t{2 << 20});
  EXPECT_EQ(seen[1].header("Expect"), std::nullopt);
  EXPECT_EQ(seen[1].header("Content-Type"), std::nullopt);  // no invented form encoding
  EXPECT_EQ(seen[2].method, "DELETE");
  EXPECT_EQ(seen[2].body, "");
}

TEST(CurlClient, RedirectIsNotFollowed) {
  TestServer server([](const Seen& s) {
    if (s.target == "/elsewhere") return ok("followed");
    Reply r;
    r.status = 302;
    r.headers = {{"Location", "/elsewhere"}};
    return r;
  });
  CurlClient client({});
  ClientRequest request;
  request.url = server.url("/start");
  ClientResponse response = client.send_sync(request);
  EXPECT_EQ(response.error, "");
  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.header("Location"), "/elsewhere");
  EXPECT_EQ(server.request_count(), 1u);
}

TEST(CurlClient, TimeoutWithASlowServer) {
  TestServer server([](const Seen&) {
    Reply r = ok();
    r.delay = 10s;
    return r;
  });
  CurlClient client({});
  ClientRequest request;
  request.url = server.url();
  request.timeout = 200ms;
  auto started = std::chrono::steady_clock::now();
  ClientResponse response = client.send_sync(request);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "timeout after 200 ms");
  EXPECT_GE(response.latency_us, 190'000);
  EXPECT_LT(took, 5s);
}

TEST(CurlClient, ConnectionRefused) {
  CurlClient client({});
  ClientRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  ClientResponse response = client.send_sync(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "connection refused");
  EXPECT_FALSE(response.blocked_by_guard);
}

TEST(CurlClient, TruncatesLargeBodiesAndStillReportsTheStatus) {
  const std::string huge(4 << 20, 'z');
  TestServer server([&huge](const Seen& s) {
    Reply r;
    r.status = s.target == "/huge" ? 201 : 200;
    r.body = s.target == "/huge" ? huge : std::string(1000, 'y');
    return r;
  });
  CurlClient client({});
  ClientRequest request;
  request.url = server.url("/huge");
  request.max_response_bytes = 1000;
  ClientResponse response = client.send_sync(request);
  EXPECT_EQ(response.error, "");
  EXPECT_EQ(response.status, 201);
  EXPECT_TRUE(response.body_truncated);
  EXPECT_EQ(response.body, std::string(1000, 'z'));

  // Exactly at the limit is not truncated.
  request.url = server.url("/exact");
  response = client.send_sync(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.body_truncated);
  EXPECT_EQ(response.body.size(), 1000u);
}

TEST(CurlClient, ReusesKeepAliveConnections) {
  TestServer server([](const Seen& s) { return ok(s.target); });
  CurlClient client({});
  for (int i = 0; i < 100; ++i) {
    ClientRequest request;
    request.url = server.url("/" + std::to_string(i));
    ClientResponse response = client.send_sync(request);
    ASSERT_EQ(response.status, 200) << response.error;
    ASSERT_EQ(response.body, "/" + std::to_string(i));
  }
  EXPECT_EQ(server.request_count(), 100u);
  EXPECT_LE(server.accepted(), 2);
}

TEST(CurlClient, ManyConcurrentRequestsAllComplete) {
  TestServer server([](const Seen& s) { return ok(s.target); });
  CurlClientOptions options;
  options.max_host_connections = 8;  // most requests wait for a connection inside the client
  CurlClient client(options);
  Collector collector;
  constexpr std::size_t kCount = 200;
  for (std::size_t i = 0; i < kCount; ++i) {
    ClientRequest request;
    request.url = server.url("/n/" + std::to_string(i));
    client.send(std::move(request), collector.add(i));
  }
  ASSERT_TRUE(collector.wait(kCount));
  auto responses = collector.responses();
  ASSERT_EQ(responses.size(), kCount);
  for (const auto& [i, response] : responses) {
    EXPECT_EQ(response.status, 200) << i << ": " << response.error;
    EXPECT_EQ(response.body, "/n/" + std::to_string(i));
  }
  EXPECT_TRUE(eventually([&] { return client.in_flight() == 0; }));
  EXPECT_LE(server.accepted(), 8);
}

TEST(CurlClient, ThousandsQueuedAllComplete) {
  TestServer server([](const Seen& s) { return ok(s.target); });
  CurlClientOptions options;
  options.max_total_connections = 4;  // more requests than the client hands to curl at once
  options.max_host_connections = 4;
  CurlClient client(options);
  constexpr std::size_t kCount = 3000;
  std::atomic<std::size_t> good{0};
  std::atomic<std::size_t> done{0};
  for (std::size_t i = 0; i < kCount; ++i) {
    ClientRequest request;
    request.url = server.url("/q/" + std::to_string(i));
    client.send(std::move(request), [&good, &done, i](ClientResponse response) {
      if (response.status == 200 && response.body == "/q/" + std::to_string(i)) good.fetch_add(1);
      done.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return done.load() == kCount; }, 20s));
  EXPECT_EQ(good.load(), kCount);
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_LE(server.accepted(), 4);
}

TEST(CurlClient, InFlightCountsUncompletedRequests) {
  TestServer server([](const Seen& s) {
    Reply r = ok();
    if (s.target == "/slow") r.delay = 10s;
    return r;
  });
  CurlClient client({});
  EXPECT_EQ(client.in_flight(), 0u);
  Collector collector;
  ClientRequest request;
  request.url = server.url("/slow");
  request.timeout = 300ms;
  client.send(request, collector.add(0));
  EXPECT_EQ(client.in_flight(), 1u);
  ASSERT_TRUE(collector.wait(1));
  EXPECT_TRUE(eventually([&] { return client.in_flight() == 0; }));
}

TEST(CurlClient, GuardBlocksLoopbackBeforeConnecting) {
  TestServer server([](const Seen&) { return ok(); });
  CurlClient client({});  // default guard: nothing allowed beyond public addresses
  ClientRequest request;
  request.url = server.url("/");
  request.guard_ssrf = true;
  ClientResponse response = client.send_sync(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.blocked_by_guard);
  EXPECT_EQ(response.error, "blocked by SSRF guard: loopback address 127.0.0.1");

  // The IPv6 spellings of loopback are refused the same way.
  request.url = "http://[::ffff:127.0.0.1]:" + std::to_string(server.port()) + "/";
  response = client.send_sync(request);
  EXPECT_TRUE(response.blocked_by_guard);
  EXPECT_EQ(response.error, "blocked by SSRF guard: ipv4-mapped loopback address ::ffff:127.0.0.1");
  request.url = "http://[::1]:" + std::to_string(server.port()) + "/";
  response = client.send_sync(request);
  EXPECT_TRUE(response.blocked_by_guard);
  EXPECT_EQ(response.error, "blocked by SSRF guard: loopback address ::1");

  EXPECT_EQ(server.accepted(), 0);
  EXPECT_EQ(server.request_count(), 0u);
}

TEST(CurlClient, GuardAllowListLetsLoopbackThroughAndReusesConnections) {
  TestServer server([](const Seen&) { return ok("allowed"); });
  CurlClient client(allow_loopback());
  for (int i = 0; i < 5; ++i) {
    ClientRequest request;
    request.url = server.url("/");
    request.guard_ssrf = true;
    ClientResponse response = client.send_sync(request);
    EXPECT_EQ(response.error, "");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "allowed");
    EXPECT_FALSE(response.blocked_by_guard);
  }
  EXPECT_EQ(server.accepted(), 1);
}

TEST(CurlClient, GuardedRequestNeverReusesAnUnguardedConnection) {
  TestServer server([](const Seen&) { return ok(); });
  CurlClient client({});
  ClientRequest request;
  request.url = server.url("/");
  ClientResponse response = client.send_sync(request);
  ASSERT_EQ(response.status, 200) << response.error;
  ASSERT_EQ(server.accepted(), 1);

  // Same host and port, now guarded: the idle keep-alive connection must not be used. Repeated, so that the
  // later requests run on recycled easy handles.
  request.guard_ssrf = true;
  for (int i = 0; i < 3; ++i) {
    response = client.send_sync(request);
    EXPECT_TRUE(response.blocked_by_guard);
    EXPECT_EQ(response.status, 0);
  }
  EXPECT_EQ(server.request_count(), 1u);

  // And the unguarded connection is still there for unguarded requests.
  request.guard_ssrf = false;
  response = client.send_sync(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(server.accepted(), 1);
}

// listed_only narrows the guard to its allow list: a public address, which the guard lets through, is refused
// before any packet is sent; a listed one is reached.
TEST(CurlClient, ListedOnlyConnectsOnlyInsideTheAllowList) {
  TestServer server([](const Seen&) { return ok("listed"); });
  CurlClient client(allow_loopback());
  ClientRequest request;
  request.url = "http://93.184.216.34:9/";
  request.timeout = 2000ms;
  request.guard_ssrf = true;
  request.listed_only = true;
  ClientResponse response = client.send_sync(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_TRUE(response.blocked_by_guard);
  EXPECT_EQ(response.error, "blocked by SSRF guard: address 93.184.216.34 is not in the allow list");

  request.url = server.url("/");
  response = client.send_sync(request);
  EXPECT_EQ(response.status, 200) << response.error;
  EXPECT_EQ(response.body, "listed");
}

TEST(UrlHost, ReadsTheHostAsCurlConnectsToIt) {
  EXPECT_EQ(url_host("http://127.0.0.1:8080/x"), "127.0.0.1");
  EXPECT_EQ(url_host("http://user:pw@tool.example.com/x"), "tool.example.com");
  EXPECT_EQ(url_host("http://[::1]:8/"), "::1");
  EXPECT_EQ(url_host("http://2130706433/"), "127.0.0.1");
  EXPECT_EQ(url_host("http://0177.0.0.1/"), "127.0.0.1");
  EXPECT_EQ(url_host("http://0x7f.1/"), "127.0.0.1");
  EXPECT_EQ(url_host("not a url"), std::nullopt);
}

TEST(CurlClient, OnlyHttpAndHttpsSchemes) {
  CurlClient client({});
  for (const char* url :
       {"file:///etc/passwd", "ftp://127.0.0.1:1/", "gopher://127.0.0.1:1/", "dict://127.0.0.1:1/"}) {
    ClientRequest request;
    request.url = url;
    ClientResponse response = client.send_sync(request);
    EXPECT_EQ(response.status, 0) << url;
    EXPECT_EQ(response.error, "unsupported protocol") << url;
    EXPECT_TRUE(response.body.empty()) << url;
  }
}

TEST(CurlClient, RejectsHeaderInjection) {
  TestServer server([](const Seen&) { return ok(); });
  CurlClient client({});
  ClientRequest request;
  request.url = server.url("/");
  request.headers = {{"X-Evil", "a\r\nX-Injected: 1"}};
  ClientResponse response = client.send_sync(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_EQ(response.error, "invalid request header");

  request.headers = {{"Bad Name", "x"}};
  response = client.send_sync(request);
  EXPECT_EQ(response.error, "invalid request header");
  EXPECT_EQ(server.request_count(), 0u);
}

TEST(CurlClient, DestructorCompletesPendingRequestsWithClientStopped) {
  TestServer server([](const Seen&) {
    Reply r = ok();
    r.delay = 10s;
    return r;
  });
  Collector collector;
  constexpr std::size_t kCount = 50;
  {
    CurlClientOptions options;
    options.max_host_connections = 2;  // most stay queued inside the client
    CurlClient client(options);
    for (std::size_t i = 0; i < kCount; ++i) {
      ClientRequest request;
      request.url = server.url("/");
      client.send(std::move(request), collector.add(i));
    }
    ASSERT_TRUE(eventually([&] { return server.request_count() >= 2; }));
  }
  // All callbacks ran before the destructor returned.
  auto responses = collector.responses();
  ASSERT_EQ(responses.size(), kCount);
  for (const auto& [i, response] : responses) {
    EXPECT_EQ(response.status, 0);
    EXPECT_EQ(response.error, "client stopped");
  }
}

TEST(CurlClient, CallbacksMaySendMoreRequests) {
  TestServer server([](const Seen& s) { return ok(s.target); });
  CurlClient client({});
  Collector collector;
  ClientRequest first;
  first.url = server.url("/first");
  client.send(first, [&](ClientResponse response) {
    collector.add(0)(std::move(response));
    ClientRequest second;
    second.url = server.url("/second");
    client.send(second, collector.add(1));
  });
  ASSERT_TRUE(collector.wait(2));
  auto responses = collector.responses();
  EXPECT_EQ(responses[0].body, "/first");
  EXPECT_EQ(responses[1].body, "/second");
}

// Throughput check for the delivery path: run with --gtest_also_run_disabled_tests.
TEST(CurlClient, DISABLED_Throughput) {
  TestServer server([](const Seen&) { return ok(); });
  CurlClientOptions options = allow_loopback();  // deliveries are guarded
  options.max_host_connections = 16;
  CurlClient client(options);
  constexpr std::size_t kCount = 50'000;
  std::atomic<std::size_t> done{0};
  std::atomic<std::size_t> failed{0};
  auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kCount; ++i) {
    ClientRequest request;
    request.method = "POST";
    request.url = server.url("/hook");
    request.headers = {{"Content-Type", "application/json"}, {"Webhook-Id", "msg_" + std::to_string(i)}};
    request.body = R"({"type":"candidate.hired","data":{"id":"c_123"}})";
    request.guard_ssrf = true;
    client.send(std::move(request), [&](ClientResponse response) {
      if (response.status != 200) failed.fetch_add(1);
      done.fetch_add(1);
    });
  }
  ASSERT_TRUE(eventually([&] { return done.load() == kCount; }, 60s));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%zu requests in %.2f s: %.0f requests/s, %d connections\n", kCount, seconds, kCount / seconds,
              server.accepted());
  EXPECT_EQ(failed.load(), 0u);
}

}  // namespace
}  // namespace tributary::http
