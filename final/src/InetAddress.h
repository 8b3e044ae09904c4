// InetAddress: an IPv4 or IPv6 socket address (ip + port), a value type.
//
// Thread safety: distinct objects are safe; a shared object is safe to read from any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace net {

/// An IPv4 or IPv6 endpoint. Copyable, no resources; wraps `sockaddr_in` / `sockaddr_in6` so the
/// socket calls can take it directly.
class InetAddress {
 public:
  /// The wildcard (0.0.0.0 / ::) or loopback (127.0.0.1 / ::1) address with `port`.
  /// Port 0 asks the kernel for an ephemeral port at bind time.
  explicit InetAddress(uint16_t port = 0, bool loopbackOnly = false, bool ipv6 = false);

  /// Wraps an address returned by the kernel (accept, getsockname...). Only AF_INET and
  /// AF_INET6 are meaningful.
  explicit InetAddress(const sockaddr_storage& addr);

  /// Parses a numeric IPv4 ("127.0.0.1") or IPv6 ("::1") address; no name lookup.
  /// Returns nothing when `ip` is not a numeric address.
  static std::optional<InetAddress> parse(std::string_view ip, uint16_t port);

  /// AF_INET or AF_INET6.
  sa_family_t family() const { return addr_.sin6_family; }
  /// "127.0.0.1" or "::1".
  std::string toIp() const;
  /// "127.0.0.1:80" or "[::1]:80".
  std::string toIpPort() const;
  /// The port in host byte order.
  uint16_t port() const;

  /// The address as the socket calls take it (bind, connect, sendto).
  const sockaddr* sockAddr() const { return reinterpret_cast<const sockaddr*>(&addr_); }
  /// The address as a call that fills it takes it (with length() as the buffer size).
  sockaddr* sockAddr() { return reinterpret_cast<sockaddr*>(&addr_); }
  /// The length to pass with sockAddr(): sizeof(sockaddr_in) or sizeof(sockaddr_in6).
  socklen_t length() const;

 private:
  // Large enough for both families (sin6_family and sin_family share the first field), and
  // 100 bytes smaller than sockaddr_storage: a connection keeps two of these.
  sockaddr_in6 addr_{};
};

}  // namespace net
