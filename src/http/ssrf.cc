#include "http/ssrf.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace tributary::http {

namespace {

// A parsed address: IPv4 in the first 4 bytes, or IPv6 in all 16.
struct Address {
  bool v6 = false;
  unsigned char bytes[16] = {};
};

struct Range {
  unsigned char bytes[16];
  int prefix;
  const char* reason;
};

bool in_prefix(const unsigned char* address, const unsigned char* network, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(address, network, static_cast<std::size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (address[full] & mask) == (network[full] & mask);
}

bool contains(const Cidr& network, const Address& address) {
  return network.v6 == address.v6 && in_prefix(address.bytes, network.bytes, network.prefix);
}

// Special-purpose IPv4 ranges (IANA registry) that a delivery must never reach.
constexpr Range kBlockedV4[] = {
    {{0, 0, 0, 0}, 8, "unspecified"},        {{10, 0, 0, 0}, 8, "private"},
    {{100, 64, 0, 0}, 10, "cgnat"},          {{127, 0, 0, 0}, 8, "loopback"},
    {{169, 254, 0, 0}, 16, "link-local"},    {{172, 16, 0, 0}, 12, "private"},
    {{192, 0, 0, 0}, 24, "reserved"},        {{192, 0, 2, 0}, 24, "documentation"},
    {{192, 88, 99, 0}, 24, "reserved"},      {{192, 168, 0, 0}, 16, "private"},
    {{198, 18, 0, 0}, 15, "benchmarking"},   {{198, 51, 100, 0}, 24, "documentation"},
    {{203, 0, 113, 0}, 24, "documentation"}, {{224, 0, 0, 0}, 4, "multicast"},
    {{255, 255, 255, 255}, 32, "broadcast"}, {{240, 0, 0, 0}, 4, "reserved"},
};

constexpr Range kBlockedV6[] = {
    {{}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    {{0xfc}, 7, "private"},
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "site-local"},
    {{0xff}, 8, "multicast"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
    {{0x01, 0x00}, 64, "discard"},
};

// IPv6 forms that carry an IPv4 address the packet is ultimately delivered to.
enum class Embedding { kMapped, kCompatible, kNat64, kNat64Local, kSixToFour, kTeredo };

struct EmbeddedForm {
  unsigned char bytes[16];
  int prefix;
  Embedding kind;
  const char* name;
};

constexpr EmbeddedForm kEmbeddedForms[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, Embedding::kMapped, "ipv4-mapped"},
    {{}, 96, Embedding::kCompatible, "ipv4-compatible"},
    {{0x00, 0x64, 0xff, 0x9b}, 96, Embedding::kNat64, "nat64"},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, Embedding::kNat64Local, "nat64"},
    {{0x20, 0x02}, 16, Embedding::kSixToFour, "6to4"},
    {{0x20, 0x01, 0x00, 0x00}, 32, Embedding::kTeredo, "teredo"},
};

struct Embedded {
  Address v4;
  const char* form = nullptr;
};

std::optional<Embedded> embedded_v4(const Address& address) {
  if (!address.v6) return std::nullopt;
  for (const auto& form : kEmbeddedForms) {
    if (!in_prefix(address.bytes, form.bytes, form.prefix)) continue;
    Embedded e;
    e.form = form.name;
    switch (form.kind) {
      case Embedding::kMapped:
      case Embedding::kCompatible:
      case Embedding::kNat64:
      case Embedding::kNat64Local:
        std::memcpy(e.v4.bytes, address.bytes + 12, 4);
        break;
      case Embedding::kSixToFour:
        std::memcpy(e.v4.bytes, address.bytes + 2, 4);
        break;
      case Embedding::kTeredo:
        // The client's public address is stored inverted in the last 32 bits.
        for (int i = 0; i < 4; ++i)
          e.v4.bytes[i] = static_cast<unsigned char>(~address.bytes[12 + i]);
        break;
    }
    return e;
  }
  return std::nullopt;
}

const char* blocked_range(const Address& address) {
  if (address.v6) {
    for (const auto& range : kBlockedV6)
      if (in_prefix(address.bytes, range.bytes, range.prefix)) return range.reason;
  } else {
    for (const auto& range : kBlockedV4)
      if (in_prefix(address.bytes, range.bytes, range.prefix)) return range.reason;
  }
  return nullptr;
}

// Why the address is blocked: `form` names the IPv6 embedding when the reason comes from the embedded IPv4
// address ("ipv4-mapped" + "loopback"); both are null when the address is allowed.
struct Verdict {
  const char* form = nullptr;
  const char* reason = nullptr;
  bool blocked() const { return reason != nullptr; }
};

std::optional<Address> parse_address(std::string_view text) {
  // inet_pton needs a terminated string; anything longer than the longest textual IPv6 address is not one.
  char buffer[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buffer)) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  Address address;
  if (inet_pton(AF_INET, buffer, address.bytes) == 1) return address;
  if (inet_pton(AF_INET6, buffer, address.bytes) == 1) {
    address.v6 = true;
    return address;
  }
  return std::nullopt;
}

std::optional<Address> from_sockaddr(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  Address address;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof(in));
    std::memcpy(address.bytes, &in.sin_addr, 4);
    return address;
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof(in6));
    std::memcpy(address.bytes, &in6.sin6_addr, 16);
    address.v6 = true;
    return address;
  }
  return std::nullopt;
}

}  // namespace

Result<Cidr> parse_cidr(std::string_view text) {
  std::string_view ip = text;
  std::optional<int> prefix;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    ip = text.substr(0, slash);
    std::string_view digits = text.substr(slash + 1);
    int value = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
      return make_error(ErrorKind::kInvalidArgument,
                        "invalid prefix length in network '" + std::string(text) + "'");
    }
    prefix = value;
  }
  auto address = parse_address(ip);
  if (!address) {
    return make_error(ErrorKind::kInvalidArgument,
                      "invalid IP address in network '" + std::string(text) + "'");
  }
  int max_prefix = address->v6 ? 128 : 32;
  if (!prefix) prefix = max_prefix;
  if (*prefix < 0 || *prefix > max_prefix) {
    return make_error(ErrorKind::kInvalidArgument,
                      "prefix length out of range in network '" + std::string(text) + "'");
  }
  Cidr cidr;
  cidr.v6 = address->v6;
  cidr.prefix = *prefix;
  // Host bits are cleared, so "10.1.2.3/8" means 10.0.0.0/8.
  for (int i = 0; i < 16; ++i) {
    int bits = std::min(8, std::max(0, *prefix - i * 8));
    auto mask = static_cast<unsigned char>(bits == 0 ? 0 : 0xff << (8 - bits));
    cidr.bytes[i] = address->bytes[i] & mask;
  }
  return cidr;
}

Result<NetworkGuard> NetworkGuard::create(const std::vector<std::string>& allow_networks) {
  NetworkGuard guard;
  for (const auto& entry : allow_networks) {
    auto cidr = parse_cidr(entry);
    if (!cidr) {
      return make_error(ErrorKind::kInvalidArgument, "SSRF allow list: " + cidr.error().message);
    }
    guard.allow_.push_back(*cidr);
  }
  return guard;
}

namespace {

bool allowed_by_list(const std::vector<Cidr>& allow, const Address& address,
                     const std::optional<Embedded>& e) {
  for (const auto& network : allow) {
    if (contains(network, address)) return true;
    if (e && contains(network, e->v4)) return true;
  }
  if (!address.v6 && !allow.empty()) {
    // An IPv4 address also matches an allow-list entry written in IPv4-mapped form.
    Address mapped;
    mapped.v6 = true;
    mapped.bytes[10] = 0xff;
    mapped.bytes[11] = 0xff;
    std::memcpy(mapped.bytes + 12, address.bytes, 4);
    for (const auto& network : allow)
      if (contains(network, mapped)) return true;
  }
  return false;
}

Verdict judge(const std::vector<Cidr>& allow, const Address& address) {
  auto e = embedded_v4(address);
  if (allowed_by_list(allow, address, e)) return {};
  if (const char* reason = blocked_range(address)) return {nullptr, reason};
  if (e) {
    if (const char* reason = blocked_range(e->v4)) return {e->form, reason};
  }
  return {};
}

}  // namespace

bool NetworkGuard::allows(const sockaddr* address) const {
  auto parsed = from_sockaddr(address);
  if (!parsed) return false;  // only IPv4 and IPv6 destinations are ever allowed
  return !judge(allow_, *parsed).blocked();
}

bool NetworkGuard::allows_text(std::string_view ip) const {
  auto parsed = parse_address(ip);
  if (!parsed) return false;
  return !judge(allow_, *parsed).blocked();
}

std::string NetworkGuard::block_reason_text(std::string_view ip) const {
  auto parsed = parse_address(ip);
  if (!parsed) return "invalid address";
  Verdict verdict = judge(allow_, *parsed);
  if (!verdict.blocked()) return {};
  if (verdict.form == nullptr) return verdict.reason;
  return std::string(verdict.form) + " " + verdict.reason;
}

bool NetworkGuard::listed(const sockaddr* address) const {
  auto parsed = from_sockaddr(address);
  if (!parsed) return false;
  return allowed_by_list(allow_, *parsed, embedded_v4(*parsed));
}

bool NetworkGuard::listed_text(std::string_view ip) const {
  auto parsed = parse_address(ip);
  if (!parsed) return false;
  return allowed_by_list(allow_, *parsed, embedded_v4(*parsed));
}

Status NetworkGuard::check_host_listed(std::string_view host) const {
  std::string name(host);
  // "[::1]" as it appears in a URL.
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (name.empty() || name.find('\0') != std::string::npos ||
      getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return make_error(ErrorKind::kInvalidArgument, "host '" + name + "' does not resolve");
  }
  Status status;
  for (const addrinfo* a = found; a != nullptr && status.ok(); a = a->ai_next) {
    if (listed(a->ai_addr)) continue;
    auto parsed = from_sockaddr(a->ai_addr);
    char text[INET6_ADDRSTRLEN] = "?";
    if (parsed) inet_ntop(parsed->v6 ? AF_INET6 : AF_INET, parsed->bytes, text, sizeof(text));
    status = make_error(ErrorKind::kInvalidArgument,
                        "host '" + name + "' resolves to " + text + ", which is not in the allow list");
  }
  freeaddrinfo(found);
  return status;
}

}  // namespace tributary::http
