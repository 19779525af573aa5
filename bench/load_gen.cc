#include "load_gen.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "wire.h"

namespace tributary::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A connection the server refuses or drops is retried this often before it gives up for the run.
constexpr int kMaxReconnects = 50;
// Answers larger than this are treated as broken: nothing in the benchmark answers with more than a few KB.
constexpr std::size_t kMaxAnswerBytes = 1 << 20;

struct Shared {
  const LoadOptions& options;
  const RequestFactory& make;
  const SendHook& on_send;
  tcp::endpoint endpoint;
  std::atomic<std::uint64_t> next_seq{0};
  std::int64_t start_ns = 0;
  std::int64_t window_begin_ns = 0;
  std::int64_t window_end_ns = 0;
  std::int64_t drain_end_ns = 0;
};

class Worker {
 public:
  Worker(Shared& shared, int connections, double rate)
      : shared_(shared), rate_(rate), tick_(io_), deadline_(io_) {
    for (int i = 0; i < connections; ++i)
      conns_.push_back(std::make_unique<Conn>(io_));
    rtt_ns_.reserve(1 << 16);
  }

  void run() {
    active_ = static_cast<int>(conns_.size());
    for (auto& c : conns_)
      connect(*c);
    if (rate_ > 0) arm_tick();
    deadline_.expires_after(std::chrono::nanoseconds(shared_.drain_end_ns - now_ns()));
    deadline_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      for (auto& c : conns_) {
        if (c->busy) ++result_.unanswered;
        finish(*c);
      }
    });
    io_.run();
  }

  LoadResult& result() { return result_; }
  std::vector<std::int64_t>& rtt_ns() { return rtt_ns_; }

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : sock(io), retry(io) {}
    tcp::socket sock;
    asio::steady_timer retry;
    std::string out;
    std::string in;
    std::array<char, 16384> buf{};
    std::int64_t send_ns = 0;
    bool busy = false;
    bool finished = false;
    int reconnects = 0;
  };

  bool sending_over() const { return sending_stopped_ || now_ns() >= shared_.window_end_ns; }

  void connect(Conn& c) {
    boost::system::error_code ignored;
    c.sock.close(ignored);
    c.in.clear();
    c.sock.async_connect(shared_.endpoint, [this, &c](boost::system::error_code ec) {
      if (c.finished) return;
      if (ec) {
        ++result_.errors;
        return reconnect_later(c);
      }
      boost::system::error_code ignored2;
      c.sock.set_option(tcp::no_delay(true), ignored2);
      ready(c);
    });
  }

  void reconnect_later(Conn& c) {
    boost::system::error_code ignored;
    c.sock.close(ignored);
    if (++c.reconnects > kMaxReconnects || sending_over()) return finish(c);
    c.retry.expires_after(std::chrono::milliseconds(10));
    c.retry.async_wait([this, &c](boost::system::error_code ec) {
      if (!ec && !c.finished) connect(c);
    });
  }

  void ready(Conn& c) {
    if (rate_ <= 0) return issue(c);
    if (sending_over()) return finish(c);
    if (backlog_ > 0) {
      --backlog_;
      return issue(c);
    }
    idle_.push_back(&c);
  }

  void issue(Conn& c) {
    if (sending_over()) return finish(c);
    std::uint64_t seq = shared_.next_seq.fetch_add(1, std::memory_order_relaxed);
    if (seq >= shared_.options.max_requests) {
      sending_stopped_ = true;
      return finish(c);
    }
    c.out = shared_.make(seq);
    c.send_ns = now_ns();
    if (shared_.on_send) shared_.on_send(seq, c.send_ns);
    c.busy = true;
    ++result_.sent;
    asio::async_write(c.sock, asio::buffer(c.out), [this, &c](boost::system::error_code ec, std::size_t) {
      if (c.finished) return;
      if (ec) return fail(c);
      read(c);
    });
  }

  void read(Conn& c) {
    c.sock.async_read_some(asio::buffer(c.buf), [this, &c](boost::system::error_code ec, std::size_t n) {
      if (c.finished) return;
      if (ec) return fail(c);
      c.in.append(c.buf.data(), n);
      parse(c);
    });
  }

  void parse(Conn& c) {
    auto head = parse_response_head(c.in);
    if (!head) {
      if (c.in.size() > kMaxAnswerBytes) return fail(c);
      return read(c);
    }
    if (head->malformed) return fail(c);
    std::size_t total = head->head_bytes + head->content_length;
    if (head->chunked) {
      auto body = chunked_body_size(std::string_view(c.in).substr(head->head_bytes));
      if (!body) return c.in.size() > kMaxAnswerBytes ? fail(c) : read(c);
      if (*body == 0) return fail(c);
      total = head->head_bytes + *body;
    }
    if (c.in.size() < total) {
      if (total > kMaxAnswerBytes) return fail(c);
      return read(c);
    }
    if (head->status == 100) {  // an interim answer: the real one follows
      c.in.erase(0, total);
      return parse(c);
    }
    complete(c, head->status, head->close);
    c.in.erase(0, total);
    if (head->close) {
      if (sending_over()) return finish(c);
      return connect(c);
    }
    next(c);
  }

  void complete(Conn& c, int status, bool /*close*/) {
    std::int64_t t = now_ns();
    c.busy = false;
    if (status >= 200 && status < 300) {
      ++result_.ok;
      if (t >= shared_.window_begin_ns && t <= shared_.window_end_ns) {
        ++result_.measured;
        rtt_ns_.push_back(t - c.send_ns);
      }
    } else {
      ++result_.non_2xx;
      if (result_.first_bad_status == 0) result_.first_bad_status = status;
    }
  }

  void next(Conn& c) {
    if (rate_ <= 0) return issue(c);
    if (sending_over()) return finish(c);
    if (backlog_ > 0) {
      --backlog_;
      return issue(c);
    }
    idle_.push_back(&c);
  }

  void fail(Conn& c) {
    ++result_.errors;
    c.busy = false;
    reconnect_later(c);
  }

  void finish(Conn& c) {
    if (c.finished) return;
    c.finished = true;
    c.busy = false;
    boost::system::error_code ignored;
    c.sock.close(ignored);
    c.retry.cancel();
    if (--active_ == 0) {
      tick_.cancel();
      deadline_.cancel();
    }
  }

  // Open loop: every millisecond, the requests that fell due go out on free connections; the rest wait.
  void arm_tick() {
    tick_.expires_after(std::chrono::milliseconds(1));
    tick_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      std::int64_t now = now_ns();
      if (now >= shared_.window_end_ns) {
        sending_stopped_ = true;
        backlog_ = 0;
        std::deque<Conn*> idle;
        idle.swap(idle_);
        for (Conn* c : idle)
          finish(*c);
        return;
      }
      auto due = static_cast<std::uint64_t>(static_cast<double>(now - shared_.start_ns) / 1e9 * rate_);
      if (due > scheduled_) {
        backlog_ += due - scheduled_;
        scheduled_ = due;
      }
      while (backlog_ > 0 && !idle_.empty()) {
        Conn* c = idle_.front();
        idle_.pop_front();
        --backlog_;
        issue(*c);
      }
      result_.max_backlog = std::max<std::uint64_t>(result_.max_backlog, backlog_);
      arm_tick();
    });
  }

  Shared& shared_;
  double rate_;
  asio::io_context io_;
  asio::steady_timer tick_;
  asio::steady_timer deadline_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::deque<Conn*> idle_;
  std::uint64_t scheduled_ = 0;
  std::uint64_t backlog_ = 0;
  bool sending_stopped_ = false;
  int active_ = 0;
  LoadResult result_;
  std::vector<std::int64_t> rtt_ns_;
};

}  // namespace

LoadResult run_load(const LoadOptions& options, const RequestFactory& make, const SendHook& on_send) {
  Shared shared{options, make, on_send, {}, {}, 0, 0, 0, 0};
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  LoadResult total;
  if (ec) {
    total.errors = 1;
    return total;
  }
  shared.endpoint = tcp::endpoint(address, options.port);
  shared.start_ns = now_ns();
  shared.window_begin_ns = shared.start_ns + std::chrono::nanoseconds(options.warmup).count();
  shared.window_end_ns = shared.window_begin_ns + std::chrono::nanoseconds(options.duration).count();
  shared.drain_end_ns = shared.window_end_ns + std::chrono::nanoseconds(options.drain).count();

  int threads = std::max(1, std::min(options.threads, options.connections));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < threads; ++t) {
    int conns = options.connections / threads + (t < options.connections % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(shared, conns, options.rate / threads));
  }
  std::vector<std::thread> running;
  for (auto& w : workers)
    running.emplace_back([&w] { w->run(); });
  for (auto& t : running)
    t.join();
  std::int64_t end_ns = now_ns();

  std::vector<std::int64_t> rtt;
  for (auto& w : workers) {
    const LoadResult& r = w->result();
    total.sent += r.sent;
    total.ok += r.ok;
    total.non_2xx += r.non_2xx;
    total.errors += r.errors;
    total.unanswered += r.unanswered;
    total.measured += r.measured;
    total.max_backlog += r.max_backlog;
    if (total.first_bad_status == 0) total.first_bad_status = r.first_bad_status;
    rtt.insert(rtt.end(), w->rtt_ns().begin(), w->rtt_ns().end());
  }
  // A run that stopped early (max_requests reached) is measured up to its last answer.
  std::int64_t window_end = std::min(shared.window_end_ns, end_ns);
  total.measured_seconds = static_cast<double>(window_end - shared.window_begin_ns) / 1e9;
  total.wall_seconds = static_cast<double>(end_ns - shared.start_ns) / 1e9;
  total.rtt = percentiles(rtt);
  return total;
}

}  // namespace tributary::bench
