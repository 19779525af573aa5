#include "core/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace tributary {

Status notify_service_manager(const std::string& state) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  return notify_service_manager(name == nullptr ? std::string() : std::string(name), state);
}

Status notify_service_manager(const std::string& socket_name, const std::string& state) {
  if (socket_name.empty()) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_name.size() >= sizeof(addr.sun_path) || (socket_name[0] != '/' && socket_name[0] != '@'))
    return make_error(ErrorKind::kInvalidArgument, "NOTIFY_SOCKET is neither a path nor an @abstract name");
  std::memcpy(addr.sun_path, socket_name.data(), socket_name.size());
  // An abstract name starts with a NUL byte and is as long as it is, not NUL-terminated.
  if (socket_name[0] == '@') addr.sun_path[0] = '\0';
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_name.size());

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorKind::kInternal, std::string("notify socket: ") + std::strerror(errno));
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&addr), addr_len);
  const int send_errno = errno;
  ::close(fd);
  if (sent != static_cast<ssize_t>(state.size()))
    return make_error(ErrorKind::kInternal, std::string("notify ") + socket_name + ": " +
                                                (sent < 0 ? std::strerror(send_errno) : "short write"));
  return {};
}

}  // namespace tributary
