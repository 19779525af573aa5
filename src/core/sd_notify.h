// Notices to the service manager, systemd's sd_notify protocol without libsystemd: one datagram ("READY=1",
// "STOPPING=1", …) to the Unix socket named by $NOTIFY_SOCKET — a path, or with a leading '@' a name in the
// abstract namespace. The packaged unit is Type=notify, so `systemctl start tributary` returns once the node
// listens, and a node that fails before that fails the start. Without $NOTIFY_SOCKET (not started by systemd)
// nothing is sent. Thread-safety: callable from any thread; each call opens a socket of its own.
#pragma once

#include <string>

#include "core/result.h"

namespace tributary {

// Sends `state` to $NOTIFY_SOCKET when it is set. An error says why the notice could not be sent; the caller
// logs it and goes on (the service manager then times the start out, which is what it should see).
Status notify_service_manager(const std::string& state);

// The same to an explicit socket name (tests; the empty name sends nothing).
Status notify_service_manager(const std::string& socket_name, const std::string& state);

}  // namespace tributary
