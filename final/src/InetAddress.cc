#include "InetAddress.h"

#include <arpa/inet.h>

#include <cstring>

namespace net {

InetAddress::InetAddress(uint16_t port, bool loopbackOnly, bool ipv6) {
  if (ipv6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr_);
    a6->sin6_family = AF_INET6;
    a6->sin6_addr = loopbackOnly ? in6addr_loopback : in6addr_any;
    a6->sin6_port = htons(port);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr_);
    a4->sin_family = AF_INET;
    a4->sin_addr.s_addr = htonl(loopbackOnly ? INADDR_LOOPBACK : INADDR_ANY);
    a4->sin_port = htons(port);
  }
}

InetAddress::InetAddress(const sockaddr_storage& addr) {
  std::memcpy(&addr_, &addr, sizeof addr_);  // AF_INET or AF_INET6: the first bytes say it all
}

std::optional<InetAddress> InetAddress::parse(std::string_view ip, uint16_t port) {
  std::string text(ip);  // inet_pton needs a NUL-terminated string
  InetAddress result;
  auto* a4 = reinterpret_cast<sockaddr_in*>(&result.addr_);
  if (::inet_pton(AF_INET, text.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    return result;
  }
  result.addr_ = {};
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&result.addr_);
  if (::inet_pton(AF_INET6, text.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    return result;
  }
  return std::nullopt;
}

std::string InetAddress::toIp() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr_)->sin6_addr, buf,
                sizeof buf);
  } else {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr_)->sin_addr, buf, sizeof buf);
  }
  return buf;
}

std::string InetAddress::toIpPort() const {
  std::string port_text = std::to_string(port());
  return family() == AF_INET6 ? "[" + toIp() + "]:" + port_text : toIp() + ":" + port_text;
}

uint16_t InetAddress::port() const {
  // sin_port and sin6_port sit at the same offset, but say which one we mean.
  return family() == AF_INET6 ? ntohs(reinterpret_cast<const sockaddr_in6*>(&addr_)->sin6_port)
                              : ntohs(reinterpret_cast<const sockaddr_in*>(&addr_)->sin_port);
}

socklen_t InetAddress::length() const {
  return family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

}  // namespace net
