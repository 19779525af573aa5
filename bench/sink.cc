#include "sink.h"

#include <array>
#include <boost/asio.hpp>
#include <charconv>
#include <mutex>
#include <thread>

#include "stats.h"
#include "wire.h"

namespace tributary::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t kMaxRequestBytes = 4 << 20;
constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
constexpr std::string_view kOkClose =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
constexpr std::string_view kBad =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kRemoteId = "\"remote_id\":\"";

int slot_of(std::string_view target) {
  if (target.size() < 4 || target.substr(0, 3) != "/e/") return -1;
  int slot = target[3] - '0';
  return slot >= 0 && slot < Sink::kSlots ? slot : -1;
}

}  // namespace

struct Sink::Impl {
  struct Session;

  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::uint16_t port = 0;

  std::array<std::atomic<std::uint64_t>, kSlots> counts{};
  std::array<std::atomic<std::int64_t>, kSlots> first_ns{};
  std::array<std::atomic<std::int64_t>, kSlots> last_ns{};
  std::array<std::atomic<bool>, kSlots> holding{};
  std::array<std::atomic<std::size_t>, kSlots> held_count{};
  std::array<std::vector<std::shared_ptr<Session>>, kSlots> held;  // I/O thread only

  std::mutex recorder_mu;
  int recorder_slot = -1;
  std::uint64_t recorder_base = 0;
  std::vector<std::atomic<std::int64_t>>* recorder = nullptr;

  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl& impl, tcp::socket socket) : impl(impl), sock(std::move(socket)) {}
    Impl& impl;
    tcp::socket sock;
    std::string in;
    std::array<char, 16384> buf{};
    bool close_after = false;
    bool continued = false;

    void read() {
      sock.async_read_some(asio::buffer(buf),
                           [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                             if (ec) return;
                             self->in.append(self->buf.data(), n);
                             self->parse();
                           });
    }

    void parse() {
      auto head = parse_request_head(in);
      if (!head) {
        if (in.size() > kMaxRequestBytes) return write(kBad, true);
        return read();
      }
      if (head->malformed || head->chunked) return write(kBad, true);
      std::size_t total = head->head_bytes + head->content_length;
      if (total > kMaxRequestBytes) return write(kBad, true);
      if (in.size() < total) {
        if (head->expect_continue && !continued) {
          continued = true;
          auto self = shared_from_this();
          asio::async_write(sock, asio::buffer(kContinue), [self](boost::system::error_code ec, std::size_t) {
            if (!ec) self->read();
          });
          return;
        }
        return read();
      }
      continued = false;
      close_after = head->close;
      int slot = slot_of(head->target);
      if (slot >= 0) impl.arrived(slot, std::string_view(in).substr(head->head_bytes, head->content_length));
      in.erase(0, total);
      if (slot >= 0 && impl.holding[slot].load()) {
        impl.held[slot].push_back(shared_from_this());
        impl.held_count[slot].store(impl.held[slot].size());
        return;
      }
      answer();
    }

    void answer() { write(close_after ? kOkClose : kOk, close_after); }

    void write(std::string_view response, bool close) {
      asio::async_write(sock, asio::buffer(response),
                        [self = shared_from_this(), close](boost::system::error_code ec, std::size_t) {
                          if (ec) return;
                          if (close) {
                            boost::system::error_code ignored;
                            self->sock.shutdown(tcp::socket::shutdown_both, ignored);
                            return;
                          }
                          // Requests pipelined behind this one are already in the buffer.
                          if (!self->in.empty()) return self->parse();
                          self->read();
                        });
    }
  };

  void arrived(int slot, std::string_view body) {
    std::int64_t t = now_ns();
    std::int64_t zero = 0;
    first_ns[slot].compare_exchange_strong(zero, t);
    last_ns[slot].store(t);
    counts[slot].fetch_add(1);
    std::lock_guard lock(recorder_mu);
    if (recorder == nullptr || recorder_slot != slot) return;
    auto at = body.find(kRemoteId);
    if (at == std::string_view::npos) return;
    std::string_view digits = body.substr(at + kRemoteId.size());
    std::uint64_t id = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc{} || p == digits.data() || id < recorder_base ||
        id - recorder_base >= recorder->size())
      return;
    std::int64_t unset = 0;
    (*recorder)[id - recorder_base].compare_exchange_strong(unset, t);
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted) return;
        return accept();
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(*this, std::move(socket))->read();
      accept();
    });
  }
};

Sink::Sink() : impl_(std::make_unique<Impl>()) {}

Sink::~Sink() {
  stop();
}

bool Sink::start() {
  boost::system::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return false;
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
  return true;
}

void Sink::stop() {
  if (!impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    for (auto& list : impl_->held)
      list.clear();
    impl_->io.stop();
  });
  impl_->thread.join();
}

std::uint16_t Sink::port() const {
  return impl_->port;
}

std::string Sink::url(int slot) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/e/" + std::to_string(slot);
}

std::uint64_t Sink::count(int slot) const {
  return impl_->counts[slot].load();
}
std::int64_t Sink::first_arrival_ns(int slot) const {
  return impl_->first_ns[slot].load();
}
std::int64_t Sink::last_arrival_ns(int slot) const {
  return impl_->last_ns[slot].load();
}

void Sink::reset(int slot) {
  impl_->counts[slot].store(0);
  impl_->first_ns[slot].store(0);
  impl_->last_ns[slot].store(0);
}

void Sink::hold(int slot) {
  impl_->holding[slot].store(true);
}

void Sink::release(int slot) {
  impl_->holding[slot].store(false);
  asio::post(impl_->io, [this, slot] {
    auto held = std::move(impl_->held[slot]);
    impl_->held[slot].clear();
    impl_->held_count[slot].store(0);
    for (auto& session : held)
      session->answer();
  });
}

std::size_t Sink::held(int slot) const {
  return impl_->held_count[slot].load();
}

void Sink::record_arrivals(int slot, std::uint64_t base, std::vector<std::atomic<std::int64_t>>* arrivals) {
  std::lock_guard lock(impl_->recorder_mu);
  impl_->recorder_slot = slot;
  impl_->recorder_base = base;
  impl_->recorder = arrivals;
}

}  // namespace tributary::bench
