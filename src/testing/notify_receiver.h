// Test support for the service-manager notices (core/sd_notify.h): a Unix datagram socket standing in for
// systemd's $NOTIFY_SOCKET, bound to a path in a temp dir or to a random abstract name, that reads the
// notices sent to it. Header-only, used by tests only. Thread-safety: one test thread.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

namespace tributary::notify_testing {

class NotifyReceiver {
 public:
  // Bound at `dir`/notify when `dir` is given, else at an abstract name ("@tributary-test-<random>").
  explicit NotifyReceiver(const std::filesystem::path& dir = {}) {
    name_ =
        dir.empty() ? "@tributary-test-" + std::to_string(std::random_device{}()) : (dir / "notify").string();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name_.data(), name_.size());
    if (name_[0] == '@') addr.sun_path[0] = '\0';
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0)
      throw std::runtime_error("cannot bind " + name_ + ": " + std::strerror(errno));
  }
  ~NotifyReceiver() { ::close(fd_); }
  NotifyReceiver(const NotifyReceiver&) = delete;
  NotifyReceiver& operator=(const NotifyReceiver&) = delete;

  // The value for $NOTIFY_SOCKET.
  const std::string& name() const { return name_; }

  // The next notice, or nothing when none comes within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_ = -1;
};

}  // namespace tributary::notify_testing
