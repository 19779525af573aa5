#include "http/ssrf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include <gtest/gtest.h>

namespace tributary::http {
namespace {

TEST(ParseCidr, AcceptsNetworksAndPlainAddresses) {
  auto v4 = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(v4.ok()) << v4.error().message;
  EXPECT_FALSE(v4->v6);
  EXPECT_EQ(v4->prefix, 8);
  EXPECT_EQ(v4->bytes[0], 10);

  auto v6 = parse_cidr("::1/128");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->v6);
  EXPECT_EQ(v6->prefix, 128);
  EXPECT_EQ(v6->bytes[15], 1);

  auto host4 = parse_cidr("127.0.0.1");
  ASSERT_TRUE(host4.ok());
  EXPECT_EQ(host4->prefix, 32);
  auto host6 = parse_cidr("::1");
  ASSERT_TRUE(host6.ok());
  EXPECT_EQ(host6->prefix, 128);

  auto zero = parse_cidr("0.0.0.0/0");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->prefix, 0);
}

TEST(ParseCidr, ClearsHostBits) {
  auto cidr = parse_cidr("10.1.2.3/8");
  ASSERT_TRUE(cidr.ok());
  EXPECT_EQ(cidr->bytes[0], 10);
  EXPECT_EQ(cidr->bytes[1], 0);
  EXPECT_EQ(cidr->bytes[3], 0);
  auto v6 = parse_cidr("fd12:3456::1/20");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->bytes[0], 0xfd);
  EXPECT_EQ(v6->bytes[1], 0x12);
  EXPECT_EQ(v6->bytes[2], 0x30);
  EXPECT_EQ(v6->bytes[15], 0);
}

TEST(ParseCidr, RejectsGarbage) {
  for (const char* text : {"", "garbage", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "::/129", "10.0.0.0/8x",
                           "10.0.0/8", "300.0.0.0/8", "10.0.0.0/ 8", "/8", "10.0.0.0/8/9", "[::1]", "::1%lo",
                           "1.2.3.4.5", "10.0.0.0/99999999999999999999"}) {
    auto cidr = parse_cidr(text);
    EXPECT_FALSE(cidr.ok()) << "'" << text << "' parsed";
    if (!cidr.ok()) {
      EXPECT_EQ(cidr.error().kind, ErrorKind::kInvalidArgument);
    }
  }
}

TEST(NetworkGuardCreate, NamesTheBadEntry) {
  auto guard = NetworkGuard::create({"10.0.0.0/8", "192.168.1.0/33"});
  ASSERT_FALSE(guard.ok());
  EXPECT_NE(guard.error().message.find("192.168.1.0/33"), std::string::npos) << guard.error().message;

  auto good = NetworkGuard::create({"10.0.0.0/8", "::1"});
  EXPECT_TRUE(good.ok());
}

struct Case {
  const char* ip;
  const char* reason;  // empty when allowed
};

// Every blocked range with its boundaries, the IPv6 forms that embed an IPv4 address, and public addresses.
constexpr Case kCases[] = {
    // Public.
    {"8.8.8.8", ""},
    {"1.1.1.1", ""},
    {"93.184.216.34", ""},
    {"2606:4700::1", ""},
    {"2a00:1450:4001:82b::200e", ""},
    // 0.0.0.0/8
    {"0.0.0.0", "unspecified"},
    {"0.255.255.255", "unspecified"},
    {"1.0.0.0", ""},
    // 10/8
    {"9.255.255.255", ""},
    {"10.0.0.0", "private"},
    {"10.255.255.255", "private"},
    {"11.0.0.0", ""},
    // 100.64/10
    {"100.63.255.255", ""},
    {"100.64.0.0", "cgnat"},
    {"100.127.255.255", "cgnat"},
    {"100.128.0.0", ""},
    // 127/8
    {"127.0.0.1", "loopback"},
    {"127.255.255.254", "loopback"},
    {"128.0.0.0", ""},
    // 169.254/16
    {"169.253.255.255", ""},
    {"169.254.169.254", "link-local"},
    {"169.255.0.0", ""},
    // 172.16/12
    {"172.15.255.255", ""},
    {"172.16.0.0", "private"},
    {"172.31.255.255", "private"},
    {"172.32.0.0", ""},
    // 192.0.0/24, 192.0.2/24, 192.88.99/24
    {"192.0.0.1", "reserved"},
    {"192.0.1.1", ""},
    {"192.0.2.1", "documentation"},
    {"192.0.3.0", ""},
    {"192.88.99.1", "reserved"},
    {"192.88.100.1", ""},
    // 192.168/16
    {"192.167.255.255", ""},
    {"192.168.0.0", "private"},
    {"192.168.255.255", "private"},
    {"192.169.0.0", ""},
    // 198.18/15
    {"198.17.255.255", ""},
    {"198.18.0.0", "benchmarking"},
    {"198.19.255.255", "benchmarking"},
    {"198.20.0.0", ""},
    // 198.51.100/24, 203.0.113/24
    {"198.51.100.7", "documentation"},
    {"198.51.101.0", ""},
    {"203.0.113.255", "documentation"},
    {"203.0.114.0", ""},
    // 224/4, 240/4
    {"223.255.255.255", ""},
    {"224.0.0.1", "multicast"},
    {"239.255.255.255", "multicast"},
    {"240.0.0.0", "reserved"},
    {"255.255.255.254", "reserved"},
    {"255.255.255.255", "broadcast"},
    // IPv6 ranges.
    {"::", "unspecified"},
    {"::1", "loopback"},
    {"fc00::1", "private"},
    {"fdff:ffff::1", "private"},
    {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ""},
    {"fe00::1", ""},
    {"fe80::1", "link-local"},
    {"febf:ffff::1", "link-local"},
    {"fec0::1", "site-local"},
    {"feff::1", "site-local"},
    {"ff02::1", "multicast"},
    {"ff00::", "multicast"},
    {"2001:db8::1", "documentation"},
    {"2001:db9::1", ""},
    {"100::1", "discard"},
    {"100:0:0:1::1", ""},
    // IPv4-mapped ::ffff:0:0/96.
    {"::ffff:127.0.0.1", "ipv4-mapped loopback"},
    {"::ffff:7f00:1", "ipv4-mapped loopback"},
    {"::ffff:10.1.2.3", "ipv4-mapped private"},
    {"::ffff:169.254.169.254", "ipv4-mapped link-local"},
    {"::ffff:0.0.0.0", "ipv4-mapped unspecified"},
    {"::ffff:8.8.8.8", ""},
    // IPv4-compatible ::/96.
    {"::127.0.0.1", "ipv4-compatible loopback"},
    {"::a00:1", "ipv4-compatible private"},
    {"::8.8.8.8", ""},
    // NAT64.
    {"64:ff9b::a00:1", "nat64 private"},
    {"64:ff9b::127.0.0.1", "nat64 loopback"},
    {"64:ff9b::8.8.8.8", ""},
    {"64:ff9b:1::c0a8:1", "nat64 private"},
    {"64:ff9b:1:ffff::8.8.8.8", ""},
    // 6to4: the IPv4 address is in bits 16-47.
    {"2002:c0a8:0101::1", "6to4 private"},
    {"2002:7f00:1::", "6to4 loopback"},
    {"2002:0808:0808::1", ""},
    // Teredo: the client address is the last 32 bits inverted. 0x80ffffee = ~127.0.0.17, 0xf7f7f7f7 =
    // ~8.8.8.8.
    {"2001:0:4136:e378:8000:63bf:80ff:ffee", "teredo loopback"},
    {"2001:0:4136:e378:8000:63bf:f5ff:fffe", "teredo private"},
    {"2001:0:4136:e378:8000:63bf:f7f7:f7f7", ""},
};

TEST(NetworkGuard, ClassifiesAddresses) {
  NetworkGuard guard;
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.ip);
    EXPECT_EQ(guard.block_reason_text(c.ip), c.reason);
    EXPECT_EQ(guard.allows_text(c.ip), std::string_view(c.reason).empty());
  }
}

bool allows_sockaddr(const NetworkGuard& guard, const char* ip) {
  sockaddr_in in{};
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET, ip, &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    in.sin_port = htons(443);
    return guard.allows(reinterpret_cast<const sockaddr*>(&in));
  }
  EXPECT_EQ(inet_pton(AF_INET6, ip, &in6.sin6_addr), 1) << ip;
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(443);
  return guard.allows(reinterpret_cast<const sockaddr*>(&in6));
}

TEST(NetworkGuard, SockaddrAgreesWithText) {
  NetworkGuard guard;
  for (const auto& c : kCases) {
    EXPECT_EQ(allows_sockaddr(guard, c.ip), std::string_view(c.reason).empty()) << c.ip;
  }
}

TEST(NetworkGuard, RejectsUnknownFamiliesAndGarbage) {
  NetworkGuard guard;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_FALSE(guard.allows(reinterpret_cast<const sockaddr*>(&un)));
  EXPECT_FALSE(guard.allows(nullptr));
  EXPECT_FALSE(guard.allows_text("localhost"));
  EXPECT_FALSE(guard.allows_text(""));
  EXPECT_FALSE(guard.allows_text("8.8.8.8 "));
  EXPECT_EQ(guard.block_reason_text("nonsense"), "invalid address");
}

TEST(NetworkGuard, AllowListExemptsNetworksAndTheirEmbeddedForms) {
  auto guard = NetworkGuard::create({"127.0.0.0/8", "fd00:1234::/32"});
  ASSERT_TRUE(guard.ok());
  EXPECT_TRUE(guard->allows_text("127.0.0.1"));
  EXPECT_TRUE(guard->allows_text("127.9.9.9"));
  EXPECT_TRUE(guard->allows_text("::ffff:127.0.0.1"));
  EXPECT_TRUE(guard->allows_text("::ffff:7f00:1"));
  EXPECT_TRUE(allows_sockaddr(*guard, "127.0.0.1"));
  EXPECT_TRUE(allows_sockaddr(*guard, "::ffff:127.0.0.1"));
  EXPECT_EQ(guard->block_reason_text("127.0.0.1"), "");
  EXPECT_TRUE(guard->allows_text("fd00:1234::5"));
  // Only the listed networks: the rest stays blocked.
  EXPECT_FALSE(guard->allows_text("::1"));
  EXPECT_FALSE(guard->allows_text("10.0.0.1"));
  EXPECT_FALSE(guard->allows_text("::ffff:10.0.0.1"));
  EXPECT_FALSE(guard->allows_text("fd00:1235::5"));
  EXPECT_EQ(guard->block_reason_text("192.168.1.1"), "private");

  auto v6 = NetworkGuard::create({"::1/128"});
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->allows_text("::1"));
  EXPECT_FALSE(v6->allows_text("127.0.0.1"));

  // An entry in IPv4-mapped form covers the plain IPv4 address as well.
  auto mapped = NetworkGuard::create({"::ffff:10.0.0.0/104"});
  ASSERT_TRUE(mapped.ok());
  EXPECT_TRUE(mapped->allows_text("10.2.3.4"));
  EXPECT_TRUE(mapped->allows_text("::ffff:10.2.3.4"));
  EXPECT_TRUE(mapped->allows_text("11.2.3.4"));
  EXPECT_FALSE(mapped->allows_text("192.168.0.1"));
}

// `listed` is the allow list alone: a public address passes the guard but is not listed.
TEST(NetworkGuard, ListedMeansInsideTheAllowList) {
  auto guard = NetworkGuard::create({"127.0.0.0/8", "10.1.0.0/16"});
  ASSERT_TRUE(guard.ok());
  EXPECT_TRUE(guard->listed_text("127.0.0.1"));
  EXPECT_TRUE(guard->listed_text("::ffff:127.0.0.1"));
  EXPECT_TRUE(guard->listed_text("10.1.2.3"));
  EXPECT_FALSE(guard->listed_text("10.2.0.1"));
  EXPECT_FALSE(guard->listed_text("93.184.216.34"));
  EXPECT_TRUE(guard->allows_text("93.184.216.34"));
  EXPECT_FALSE(guard->listed_text("localhost"));
  EXPECT_FALSE(NetworkGuard{}.listed_text("93.184.216.34"));
}

TEST(NetworkGuard, HostIsListedWhenEveryAddressItResolvesToIs) {
  auto guard = NetworkGuard::create({"127.0.0.0/8", "::1/128"});
  ASSERT_TRUE(guard.ok());
  EXPECT_TRUE(guard->check_host_listed("127.0.0.1").ok());
  EXPECT_TRUE(guard->check_host_listed("localhost").ok());
  EXPECT_TRUE(guard->check_host_listed("[::1]").ok());
  EXPECT_TRUE(guard->check_host_listed("2130706433").ok());  // the resolver reads 127.0.0.1 in it

  auto outside = guard->check_host_listed("93.184.216.34");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().message,
            "host '93.184.216.34' resolves to 93.184.216.34, which is not in the allow list");
  auto empty_list = NetworkGuard{}.check_host_listed("127.0.0.1");
  ASSERT_FALSE(empty_list.ok());
  EXPECT_EQ(empty_list.error().message,
            "host '127.0.0.1' resolves to 127.0.0.1, which is not in the allow list");
  auto unknown = guard->check_host_listed("no-such-host.invalid");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "host 'no-such-host.invalid' does not resolve");
  EXPECT_FALSE(guard->check_host_listed("").ok());
}

}  // namespace
}  // namespace tributary::http
