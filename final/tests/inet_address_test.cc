// InetAddress: numeric parsing, formatting, byte order, and the wildcard/loopback shortcuts.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "InetAddress.h"

using namespace net;

namespace {

TEST(InetAddress, ParsesNumericIpv4) {
  auto addr = InetAddress::parse("192.0.2.7", 8080);
  ASSERT_TRUE(addr.has_value());
  EXPECT_EQ(addr->family(), AF_INET);
  EXPECT_EQ(addr->toIp(), "192.0.2.7");
  EXPECT_EQ(addr->port(), 8080);
  EXPECT_EQ(addr->toIpPort(), "192.0.2.7:8080");
  EXPECT_EQ(addr->length(), sizeof(sockaddr_in));
}

TEST(InetAddress, ParsesNumericIpv6AndBracketsItWithAPort) {
  auto addr = InetAddress::parse("2001:db8::1", 443);
  ASSERT_TRUE(addr.has_value());
  EXPECT_EQ(addr->family(), AF_INET6);
  EXPECT_EQ(addr->toIp(), "2001:db8::1");
  EXPECT_EQ(addr->toIpPort(), "[2001:db8::1]:443");
  EXPECT_EQ(addr->length(), sizeof(sockaddr_in6));
}

TEST(InetAddress, RefusesNamesAndMalformedText) {
  // No name lookup: resolving "localhost" could block, which a network library must not do
  // behind the caller's back.
  for (const char* text : {"localhost", "", "1.2.3", "256.0.0.1", "1.2.3.4:80", "::1%"}) {
    EXPECT_FALSE(InetAddress::parse(text, 1).has_value()) << text;
  }
}

TEST(InetAddress, StoresThePortInNetworkByteOrder) {
  InetAddress addr(0x1234, /*loopbackOnly=*/true);
  const auto* raw = reinterpret_cast<const sockaddr_in*>(addr.sockAddr());
  EXPECT_EQ(raw->sin_port, htons(0x1234));  // big-endian on the wire: bytes 0x12 0x34
  EXPECT_EQ(addr.port(), 0x1234);           // host order for people
}

TEST(InetAddress, WildcardAndLoopbackShortcuts) {
  EXPECT_EQ(InetAddress(80).toIpPort(), "0.0.0.0:80");
  EXPECT_EQ(InetAddress(80, /*loopbackOnly=*/true).toIpPort(), "127.0.0.1:80");
  EXPECT_EQ(InetAddress(80, false, /*ipv6=*/true).toIpPort(), "[::]:80");
  EXPECT_EQ(InetAddress(80, /*loopbackOnly=*/true, /*ipv6=*/true).toIpPort(), "[::1]:80");
}

}  // namespace
