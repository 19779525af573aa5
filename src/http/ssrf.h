// The SSRF guard: decides whether Tributary may connect to an address when delivering to an operator's URL.
// Blocked: loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10), CGNAT (100.64/10),
// multicast, unspecified, broadcast, reserved/documentation ranges, and the IPv6 forms that embed an IPv4
// address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16,
// Teredo 2001::/32) when the embedded address is blocked. Networks in the allow list are exempt. The same
// guard covers calls to the tools' APIs (an integration's remote_base_url), where a plain-http call, which
// carries the tool's credentials in clear, may only reach an allow-listed address (`listed`). Thread-safety:
// immutable after construction; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct sockaddr;

namespace tributary::http {

struct Cidr {
  bool v6 = false;
  unsigned char bytes[16] = {};  // v4 uses the first 4
  int prefix = 0;
};

Result<Cidr> parse_cidr(std::string_view text);

class NetworkGuard {
 public:
  NetworkGuard() = default;
  static Result<NetworkGuard> create(const std::vector<std::string>& allow_networks);

  // True when a connection to this address is allowed.
  bool allows(const sockaddr* address) const;
  // For tests and messages: "127.0.0.1" / "::1" textual addresses; false for unparseable text.
  bool allows_text(std::string_view ip) const;
  // Why an address is blocked ("loopback", "private", ...) or empty when allowed.
  std::string block_reason_text(std::string_view ip) const;
  // True when the address lies in a network of the allow list (not merely outside the blocked ranges).
  bool listed(const sockaddr* address) const;
  bool listed_text(std::string_view ip) const;
  // Resolves `host` (a name, or an IP address in any form the resolver accepts) and checks that every
  // address it resolves to is listed; kInvalidArgument saying which address is not, or that it does not
  // resolve. Blocking (DNS): for request validation, not for the client's thread.
  Status check_host_listed(std::string_view host) const;

 private:
  std::vector<Cidr> allow_;
};

}  // namespace tributary::http
