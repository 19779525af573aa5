#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/router.h"

namespace tributary::http {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  HeaderList headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (iequals(k, name)) return v;
    return std::nullopt;
  }
  std::string error_code() const {
    auto v = boost::json::parse(body);
    return std::string(v.at("error").at("code").as_string());
  }
};

// A deliberately small blocking HTTP/1.1 client on raw sockets, so these tests depend on nothing but the
// server.
class Connection {
 public:
  explicit Connection(std::uint16_t port, bool ipv6 = false) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    int rc;
    if (ipv6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      addr.sin6_addr = in6addr_loopback;
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    if (rc != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response (interim 1xx responses included). `head` = the request was HEAD: no body follows.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = 5s, bool head = false) {
    const auto deadline = SteadyClock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawResponse r;
    std::string_view head_text(buffer_.data(), end);
    auto line_end = head_text.find("\r\n");
    std::string_view status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return std::nullopt;
    r.status = std::stoi(std::string(status_line.substr(9, 3)));
    std::string_view rest = line_end == std::string_view::npos ? "" : head_text.substr(line_end + 2);
    while (!rest.empty()) {
      auto eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
          value.remove_prefix(1);
        r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
      }
      if (eol == std::string_view::npos) break;
      rest.remove_prefix(eol + 2);
    }
    buffer_.erase(0, end + 4);
    if (r.status >= 100 && r.status < 200) return r;
    std::size_t length = 0;
    if (auto cl = r.header("Content-Length")) length = std::stoul(*cl);
    if (head) return r;
    while (buffer_.size() < length) {
      if (!fill(deadline)) return std::nullopt;
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  // True when the server closes the connection (EOF or reset) within the timeout; data before that is
  // skipped.
  bool wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc == 0) return false;
      if (rc < 0) continue;
      char tmp[4096];
      const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return true;
    }
  }

 private:
  bool fill(SteadyClock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char tmp[16384];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buffer_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

// Responders parked by handlers, to be answered by the test from its own thread.
class ResponderBox {
 public:
  void put(Responder r) {
    std::lock_guard lock(mu_);
    parked_.push_back(std::move(r));
    cv_.notify_all();
  }
  // Waits (bounded) until a responder is parked and takes it.
  std::optional<Responder> take(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !parked_.empty(); })) return std::nullopt;
    Responder r = std::move(parked_.front());
    parked_.pop_front();
    return r;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Responder> parked_;
};

struct Rejected {
  Request request;
  int status;
  std::string reason;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    options_.threads = 2;
    options_.read_timeout = 2s;
    options_.write_timeout = 2s;
    options_.idle_timeout = 5s;
    options_.handler_timeout = 5s;
    options_.shutdown_grace = 5s;
    options_.on_rejected = [this](const Request& request, int status, std::string_view reason) {
      std::lock_guard lock(mu_);
      rejected_.push_back(Rejected{request, status, std::string(reason)});
    };

    router_.add_sync("GET", "/echo/{name}", [this](const Request& r, const Params& p) {
      handled_++;
      std::string body = r.method + "|" + r.path + "|" + p.at("name") + "|" + r.remote_address;
      for (const auto& [k, v] : r.query)
        body += "|" + k + "=" + v;
      return Response::text(200, body).with_header("X-Seen", std::string(r.header("x-test").value_or("-")));
    });
    router_.add_sync("POST", "/upload", [this](const Request& r, const Params&) {
      handled_++;
      return Response::text(200, "got " + std::to_string(r.body.size()) + ":" + r.body.substr(0, 16));
    });
    router_.add_sync("POST", "/small", [this](const Request& r, const Params&) {
      handled_++;
      return Response::text(200, "small " + std::to_string(r.body.size()));
    });
    router_.add("GET", "/park", [this](Request, Params, Responder respond) { box_.put(std::move(respond)); });
    router_.add("GET", "/drop", [](Request, Params, Responder) {});
    router_.add("GET", "/twice", [](Request, Params, Responder respond) {
      respond(Response::text(200, "first"));
      respond(Response::text(200, "second"));
    });
    router_.add_sync("GET", "/throw", [](const Request&, const Params&) -> Response {
      throw std::runtime_error("handler bug");
    });
    router_.add_sync("GET", "/bad-header", [](const Request&, const Params&) {
      return Response::text(200, "ok").with_header("X-Bad", "a\r\nInjected: 1").with_header("X-Good", "yes");
    });
    router_.add_sync("GET", "/status/{code}", [](const Request&, const Params& p) {
      return Response::text(std::stoi(p.at("code")), "body");
    });
  }

  ~ServerTest() override {
    if (server_) server_->stop();
  }

  Server& start() {
    server_ = std::make_unique<Server>(options_, router_.as_handler());
    auto status = server_->start();
    EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
    EXPECT_NE(server_->port(), 0);
    return *server_;
  }

  std::vector<Rejected> rejected() {
    std::lock_guard lock(mu_);
    return rejected_;
  }

  ServerOptions options_;
  Router router_;
  ResponderBox box_;
  std::atomic<int> handled_{0};
  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::vector<Rejected> rejected_;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra_headers) + "\r\n";
}

std::string post(std::string_view target, std::string_view body, std::string_view extra_headers = "") {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(body);
}

TEST_F(ServerTest, GetRoundTripWithHeadersAndDecodedQuery) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get("/echo/a%20b?x=1&y=hello+world&z=%41%26", "X-Test: abc\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET|/echo/a b|a b|127.0.0.1|x=1|y=hello world|z=A&");
  EXPECT_EQ(r->header("X-Seen"), "abc");
  EXPECT_EQ(r->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r->header("Content-Length"), std::to_string(r->body.size()));
}

TEST_F(ServerTest, PostBodyReachesHandler) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(post("/upload", "hello body")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "got 10:hello body");
}

TEST_F(ServerTest, ChunkedBodyWithinLimitIsAccepted) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(
      c.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "got 11:hello world");
}

TEST_F(ServerTest, KeepAliveServesSequentialRequestsOnOneConnection) {
  auto& server = start();
  Connection c(server.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get("/echo/n" + std::to_string(i))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.substr(0, 13), "GET|/echo/n" + std::to_string(i) + "|");
    EXPECT_FALSE(r->header("Connection").has_value());
  }
  EXPECT_EQ(handled_.load(), 3);
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/echo/x", "Connection: close\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.wait_closed(2s));
}

TEST_F(ServerTest, Http10WithoutKeepAliveIsClosed) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send("GET /echo/x HTTP/1.0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.wait_closed(2s));
}

TEST_F(ServerTest, HeadGetsLengthButNoBody) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send("HEAD /status/200 HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = c.read_response(5s, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Content-Length"), "4");
  // The next response must start right after the header: no stray body bytes in between.
  ASSERT_TRUE(c.send(get("/status/201")));
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 201);
  EXPECT_EQ(next->body, "body");
}

TEST_F(ServerTest, NoContentHasNoBodyAndKeepsConnection) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/status/204")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_FALSE(r->header("Content-Length").has_value());
  ASSERT_TRUE(c.send(get("/status/200")));
  auto next = c.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, InvalidStatusFromHandlerBecomes500) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/status/42")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

TEST_F(ServerTest, RouterErrorsAreServed) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/nowhere")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->error_code(), "NOT_FOUND");
  ASSERT_TRUE(c.send(post("/echo/x", "")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "GET, HEAD");
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(
      c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("abcde"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "got 5:abcde");
}

TEST_F(ServerTest, BodyOverLimitByContentLengthIs413WithoutCallingHandler) {
  options_.max_body_bytes = 1024;
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(post("/upload", std::string(4096, 'x'), "X-Test: 1\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->error_code(), "PAYLOAD_TOO_LARGE");
  auto error = boost::json::parse(r->body).at("error");
  EXPECT_EQ(error.at("title").as_string(), "Payload too large");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_EQ(handled_.load(), 0);
  auto rej = rejected();
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].status, 413);
  EXPECT_EQ(rej[0].request.method, "POST");
  EXPECT_EQ(rej[0].request.path, "/upload");
  EXPECT_EQ(rej[0].request.header("X-Test"), "1");
  EXPECT_EQ(rej[0].request.remote_address, "127.0.0.1");
}

TEST_F(ServerTest, BodyOverLimitAnnouncedWithExpectIsRefusedBeforeContinue) {
  options_.max_body_bytes = 1024;
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(
      c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  options_.max_body_bytes = 1024;
  auto& server = start();
  Connection c(server.port());
  std::string request = "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i)
    request += "200\r\n" + std::string(512, 'y') + "\r\n";
  request += "0\r\n\r\n";
  ASSERT_TRUE(c.send(request));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->error_code(), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(handled_.load(), 0);
  auto rej = rejected();
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].status, 413);
  EXPECT_EQ(rej[0].request.path, "/upload");
}

TEST_F(ServerTest, PerPathBodyLimit) {
  options_.max_body_bytes = 1 << 20;
  options_.body_limit_for = [](std::string_view path) -> std::size_t { return path == "/small" ? 10 : 0; };
  auto& server = start();
  {
    Connection c(server.port());
    ASSERT_TRUE(c.send(post("/small", std::string(11, 's'))));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  {
    Connection c(server.port());
    ASSERT_TRUE(c.send(post("/small", std::string(10, 's'))));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "small 10");
    ASSERT_TRUE(c.send(post("/upload", std::string(5000, 'u'))));
    r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body.substr(0, 9), "got 5000:");
  }
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  options_.max_header_bytes = 1024;
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/echo/big?q=1", "X-Fill: " + std::string(4096, 'h') + "\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->error_code(), "HEADERS_TOO_LARGE");
  EXPECT_TRUE(c.wait_closed(3s));
  auto rej = rejected();
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].status, 431);
  EXPECT_EQ(rej[0].request.method, "GET");
  EXPECT_EQ(rej[0].request.path, "/echo/big");
  EXPECT_EQ(rej[0].request.target, "/echo/big?q=1");
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send("GET /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: nope\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->error_code(), "BAD_REQUEST");
  EXPECT_TRUE(c.wait_closed(3s));
  auto rej = rejected();
  ASSERT_EQ(rej.size(), 1u);
  EXPECT_EQ(rej[0].status, 400);
  EXPECT_EQ(rej[0].request.method, "GET");

  Connection garbage(server.port());
  ASSERT_TRUE(garbage.send("\x01\x02 not http at all\r\n\r\n"));
  r = garbage.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(ServerTest, SlowClientIsDisconnectedAfterReadTimeout) {
  options_.read_timeout = 300ms;
  auto& server = start();
  Connection c(server.port());
  const auto started = SteadyClock::now();
  ASSERT_TRUE(c.send("GET /echo/x HTTP/1.1\r\nHost: t\r\n"));  // half a header, then silence
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_GE(SteadyClock::now() - started, 250ms);
  EXPECT_EQ(handled_.load(), 0);
  EXPECT_TRUE(rejected().empty());
}

// Polls `pred` until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
  for (const auto deadline = SteadyClock::now() + timeout; !pred();) {
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A slowloris client keeps a request going by sending its header a byte at a time: the header deadline
// cuts it off long before the whole-request deadline would, and the server answers others meanwhile.
TEST_F(ServerTest, AHeaderTrickledInByteByByteIsCutOffAtTheHeaderDeadline) {
  options_.read_timeout = 30s;
  options_.header_timeout = 400ms;
  auto& server = start();
  Connection slow(server.port());
  const std::string header = "GET /echo/slow HTTP/1.1\r\nHost: t\r\nX-Padding: " + std::string(200, 'p');
  const auto started = SteadyClock::now();
  bool closed = false;
  for (std::size_t i = 0; i < header.size() && !closed; ++i) {
    if (!slow.send(header.substr(i, 1))) break;
    // One byte every 100 ms, watching for the server's close meanwhile.
    closed = slow.wait_closed(100ms);
    if (i == 1) {
      Connection other(server.port());
      ASSERT_TRUE(other.send(get("/echo/other")));
      auto r = other.read_response();
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
    }
  }
  closed = closed || slow.wait_closed(3s);
  const auto took = SteadyClock::now() - started;
  EXPECT_TRUE(closed);
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 5s);  // the request deadline (30 s) did not decide it
  EXPECT_EQ(handled_.load(), 1);
}

// The screen refuses a request on its header: the handler never runs and the body is never waited for.
TEST_F(ServerTest, ARequestTheScreenRefusesIsAnsweredWithoutReadingItsBody) {
  options_.screen = [](const Request& header) -> std::optional<Response> {
    if (header.header("Authorization") == "Bearer good") return std::nullopt;
    return error_response(401, "UNAUTHORIZED", "no key");
  };
  auto& server = start();
  Connection c(server.port());
  // 100 kB announced (within the body limit), 10 bytes sent: an answer can only come from the header.
  ASSERT_TRUE(c.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n0123456789"));
  auto r = c.read_response(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->error_code(), "UNAUTHORIZED");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_EQ(handled_.load(), 0);
  EXPECT_EQ(server.stats().screened, 1u);
  EXPECT_TRUE(rejected().empty());  // a screen's refusal is not a malformed request

  // A refused request without a body keeps its connection; the next one, with the key, goes through.
  Connection kept(server.port());
  ASSERT_TRUE(kept.send(get("/echo/a")));
  auto refused = kept.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  ASSERT_TRUE(kept.send(post("/upload", "abc", "Authorization: Bearer good\r\n")));
  auto ok = kept.read_response();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "got 3:abc");
}

// Over the per-address limit, the connection that has waited longest without a request makes room; when
// every connection is busy with a request, the new one is refused with 503 and closed.
TEST_F(ServerTest, OverTheConnectionLimitTheLongestWaitingConnectionMakesRoomElseANewOneIsRefused) {
  options_.max_connections_per_address = 3;
  auto& server = start();
  std::vector<std::unique_ptr<Connection>> idle;
  for (std::uint64_t i = 1; i <= 3; ++i) {
    idle.push_back(std::make_unique<Connection>(server.port()));
    ASSERT_TRUE(idle.back()->connected());
    ASSERT_TRUE(eventually([&] { return server.stats().open == i; }));  // accepted in this order
  }
  Connection fresh(server.port());
  ASSERT_TRUE(fresh.send(get("/echo/fresh")));
  auto r = fresh.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(idle[0]->wait_closed(3s));  // the oldest waiting one
  EXPECT_EQ(server.stats().evicted, 1u);
  EXPECT_TRUE(eventually([&] { return server.stats().open == 3; }));
  // The two younger idle ones are still served.
  for (std::size_t i = 1; i < 3; ++i) {
    ASSERT_TRUE(idle[i]->send(get("/echo/still")));
    auto again = idle[i]->read_response();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
  }

  // Three connections busy with a request each: nothing can make room.
  idle.clear();
  std::vector<std::unique_ptr<Connection>> busy;
  std::vector<Responder> parked;
  ASSERT_TRUE(eventually([&] { return server.stats().open == 1; }));
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<Connection>(server.port()));
    ASSERT_TRUE(busy.back()->send(get("/park")));
    auto respond = box_.take();
    ASSERT_TRUE(respond);
    parked.push_back(std::move(*respond));
  }
  ASSERT_TRUE(fresh.send(get("/park")));
  auto respond = box_.take();
  ASSERT_TRUE(respond);
  parked.push_back(std::move(*respond));
  Connection refused(server.port());
  auto busy_answer = refused.read_response();
  ASSERT_TRUE(busy_answer);
  EXPECT_EQ(busy_answer->status, 503);
  EXPECT_EQ(busy_answer->header("Retry-After"), "1");
  EXPECT_EQ(busy_answer->header("Connection"), "close");
  EXPECT_TRUE(refused.wait_closed(3s));
  EXPECT_EQ(server.stats().refused, 1u);
  for (auto& p : parked)
    p(Response::text(200, "done"));
  for (auto& b : busy) {
    auto done = b->read_response();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->status, 200);
  }
}

// An idle socket of the test's own, its connect bounded in time.
int open_idle_socket(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// 10,000 idle connections from one address (fewer when this process may not open that many files: the
// test's own sockets and the server's share its descriptor limit) leave the server answering, and holding
// no more connections than its limit.
TEST_F(ServerTest, TenThousandIdleConnectionsLeaveTheServerAnswering) {
  constexpr std::size_t kCap = 256;
  options_.max_connections = 2 * kCap;
  options_.max_connections_per_address = kCap;
  options_.read_timeout = 60s;  // no deadline frees a descriptor during the test
  options_.header_timeout = 60s;
  options_.idle_timeout = 60s;
  rlimit lim{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised{lim.rlim_max, lim.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  const std::size_t fds = lim.rlim_cur == RLIM_INFINITY ? 1'000'000 : static_cast<std::size_t>(lim.rlim_cur);
  const std::size_t wanted = std::min<std::size_t>(10000, fds > 2 * kCap + 512 ? fds - 2 * kCap - 512 : 0);
  if (wanted < 2000) GTEST_SKIP() << "ulimit -n " << fds << " allows only " << wanted << " idle sockets";
  auto& server = start();
  struct Sockets {
    std::vector<int> fds;
    void close_all() {
      for (int fd : fds)
        ::close(fd);
      fds.clear();
    }
    ~Sockets() { close_all(); }
  } idle;
  auto& sockets = idle.fds;
  sockets.reserve(wanted);
  const auto deadline = SteadyClock::now() + 90s;
  while (sockets.size() < wanted && SteadyClock::now() < deadline) {
    const int fd = open_idle_socket(server.port());
    if (fd < 0) break;
    sockets.push_back(fd);
  }
  const std::size_t opened = sockets.size();
  std::cout << "[ idle    ] " << opened << " idle connections opened (ulimit -n " << fds << ")\n";
  EXPECT_EQ(opened, wanted);
  Connection genuine(server.port());
  ASSERT_TRUE(genuine.send(get("/echo/genuine")));
  auto r = genuine.read_response();
  // Once the connections it chose to close are gone, no more are open than the limit, the genuine one
  // included, while every idle socket of the test is still open.
  const bool within_limit = eventually([&] { return server.stats().open <= kCap; });
  idle.close_all();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(within_limit) << server.stats().open;
  EXPECT_GE(server.stats().evicted, opened - kCap);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  options_.idle_timeout = 200ms;
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/echo/x")));
  ASSERT_TRUE(c.read_response());
  const auto started = SteadyClock::now();
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_GE(SteadyClock::now() - started, 150ms);
}

TEST_F(ServerTest, ResponderCalledLaterFromAnotherThread) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/park")));
  auto respond = box_.take();
  ASSERT_TRUE(respond);
  EXPECT_FALSE(c.read_response(50ms));  // nothing yet: the handler has not answered
  std::thread other([r = std::move(*respond)] { r(Response::text(202, "later")); });
  other.join();
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "later");
  // The connection is still good for the next request.
  ASSERT_TRUE(c.send(get("/echo/y")));
  ASSERT_TRUE(c.read_response());
}

TEST_F(ServerTest, DroppedResponderAnswers500) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/drop")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);

  ASSERT_TRUE(c.send(get("/park")));
  auto respond = box_.take();
  ASSERT_TRUE(respond);
  respond.reset();  // dropped later, off the I/O threads
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

TEST_F(ServerTest, HandlerExceptionAnswers500) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/throw")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
}

TEST_F(ServerTest, SecondAnswerIsIgnored) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/twice")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "first");
  ASSERT_TRUE(c.send(get("/status/201")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "body");
}

TEST_F(ServerTest, InvalidResponseHeadersAreDropped) {
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/bad-header")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->header("X-Bad").has_value());
  EXPECT_FALSE(r->header("Injected").has_value());
  EXPECT_EQ(r->header("X-Good"), "yes");
}

TEST_F(ServerTest, HandlerThatNeverAnswersGets503) {
  options_.handler_timeout = 200ms;
  auto& server = start();
  Connection c(server.port());
  ASSERT_TRUE(c.send(get("/park")));
  auto r = c.read_response(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->error_code(), "HANDLER_TIMEOUT");
  // A late answer is dropped, and the connection serves the next request with its own answer.
  auto late = box_.take();
  ASSERT_TRUE(late);
  (*late)(Response::text(200, "too late"));
  ASSERT_TRUE(c.send(get("/status/201")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "body");
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequestAndRefusesNewConnections) {
  auto& server = start();
  const auto port = server.port();
  Connection idle(port);
  ASSERT_TRUE(idle.send(get("/echo/x")));
  ASSERT_TRUE(idle.read_response());
  Connection busy(port);
  ASSERT_TRUE(busy.send(get("/park")));
  auto respond = box_.take();
  ASSERT_TRUE(respond);

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server.stop();
    stopped = true;
  });
  // Idle keep-alive connections are closed at once; new connections are refused.
  EXPECT_TRUE(idle.wait_closed(3s));
  bool refused = false;
  for (const auto deadline = SteadyClock::now() + 3s; SteadyClock::now() < deadline;) {
    Connection fresh(port);
    if (!fresh.connected()) {
      refused = true;
      break;
    }
    std::this_thread::yield();
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(stopped.load());  // still waiting for the in-flight request

  (*respond)(Response::text(200, "finished"));
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "finished");
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(busy.wait_closed(3s));
  stopper.join();
  EXPECT_TRUE(stopped.load());
  server.stop();  // idempotent
}

TEST_F(ServerTest, StopClosesEverythingAfterGrace) {
  options_.shutdown_grace = 300ms;
  auto& server = start();
  Connection busy(server.port());
  ASSERT_TRUE(busy.send(get("/park")));
  auto respond = box_.take();
  ASSERT_TRUE(respond);
  const auto started = SteadyClock::now();
  server.stop();
  const auto took = SteadyClock::now() - started;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(busy.wait_closed(2s));
  (*respond)(Response::text(200, "after stop"));  // harmless
  server_.reset();
  respond.reset();  // destroyed after the server: must not touch it
}

TEST_F(ServerTest, ResponderOutlivingServerIsHarmless) {
  options_.shutdown_grace = 0ms;
  auto& server = start();
  Connection busy(server.port());
  ASSERT_TRUE(busy.send(get("/park")));
  auto respond = box_.take();
  ASSERT_TRUE(respond);
  server_.reset();  // destructor stops
  (*respond)(Response::text(200, "nobody listens"));
  EXPECT_TRUE(busy.wait_closed(2s));
}

TEST_F(ServerTest, ManyClientsWithAnswersFromAnotherThread) {
  options_.threads = 2;
  // Every other request is answered by a worker thread, the rest synchronously.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<Responder, std::string>> queue;
  bool done = false;
  router_.add("POST", "/mixed", [&](Request request, Params, Responder respond) {
    if (request.body.back() % 2 == 0) {
      respond(Response::text(200, request.body));
      return;
    }
    std::lock_guard lock(mu);
    queue.emplace_back(std::move(respond), std::move(request.body));
    cv.notify_one();
  });
  std::thread worker([&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return done || !queue.empty(); });
      if (queue.empty()) return;
      auto [respond, body] = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      respond(Response::text(200, body));
      lock.lock();
    }
  });
  auto& server = start();
  constexpr int kClients = 4;
  constexpr int kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Connection c(server.port());
      for (int j = 0; j < kRequests; ++j) {
        const std::string body = "c" + std::to_string(i) + "r" + std::to_string(j);
        if (!c.send(post("/mixed", body))) return;
        auto r = c.read_response();
        if (!r || r->status != 200 || r->body != body) return;
        ok++;
      }
    });
  }
  for (auto& t : clients)
    t.join();
  {
    std::lock_guard lock(mu);
    done = true;
  }
  cv.notify_one();
  worker.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST_F(ServerTest, ListensOnIpv6Loopback) {
  options_.host = "::1";
  Server server(options_, router_.as_handler());
  auto status = server.start();
  if (!status.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << status.error().message;
  Connection c(server.port(), /*ipv6=*/true);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get("/echo/six")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GET|/echo/six|six|::1");
}

TEST_F(ServerTest, StartFailsWhenPortIsTaken) {
  auto& first = start();
  options_.port = first.port();
  Server second(options_, router_.as_handler());
  auto status = second.start();
  EXPECT_FALSE(status.ok());
  second.stop();  // never started: a no-op
}

}  // namespace
}  // namespace tributary::http
