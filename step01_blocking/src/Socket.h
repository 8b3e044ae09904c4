// Socket: the RAII owner of one socket file descriptor, and the socket options of chapter 01.
//
// Owns: its fd (closed in the destructor; move-only).
// Thread safety: distinct objects are safe; one object must not be used by two threads at once.
// Errors: set-up calls (create, bind, listen) throw std::system_error naming the call; calls on
// the data path (accept, connect, shutdown) return a result and leave errno for the caller.
#pragma once

#include <optional>

#include "InetAddress.h"

namespace net {

/// Linux's TCP keepalive timers for one socket (see tcp(7)): `idleSeconds` of silence before
/// the first probe, then a probe every `intervalSeconds`, and the connection is dropped after
/// `probeCount` unanswered probes. System-wide defaults: 7200 s, 75 s, 9 probes.
struct KeepAliveParams {
  int idleSeconds = 0;
  int intervalSeconds = 0;
  int probeCount = 0;
};

/// One socket fd, closed when the Socket is destroyed. Move-only: exactly one owner.
class Socket {
 public:
  /// Takes ownership of `fd` (-1 makes an empty Socket).
  explicit Socket(int fd = -1) noexcept : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  /// A new blocking TCP socket (SOCK_CLOEXEC) of `family` (AF_INET or AF_INET6). Throws.
  static Socket createTcp(sa_family_t family);

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  /// Gives up ownership: returns the fd and leaves this Socket empty.
  int release() noexcept;

  /// bind(2). Throws std::system_error (e.g. EADDRINUSE).
  void bindAddress(const InetAddress& addr);
  /// listen(2) with the kernel's maximum backlog. Throws std::system_error.
  void listen();
  /// accept4(2) with SOCK_CLOEXEC. Returns an empty Socket on failure, with errno set.
  /// Fills `peer` when given.
  Socket accept(InetAddress* peer = nullptr);
  /// connect(2). Returns 0 or the errno value.
  int connect(const InetAddress& addr);
  /// shutdown(SHUT_WR): sends FIN after the queued data, whatever other fds share the socket.
  /// Returns 0 or the errno value.
  int shutdownWrite();
  /// shutdown(SHUT_RD): further reads return 0; data still arriving is discarded.
  int shutdownRead();

  /// The bound address (getsockname); after binding port 0 this tells the ephemeral port.
  InetAddress localAddress() const;
  /// The connected peer (getpeername).
  InetAddress peerAddress() const;
  /// SO_ERROR: the pending error of the socket, cleared by reading it.
  int pendingError() const;

  /// TCP_NODELAY: true disables Nagle's algorithm (small segments go out at once).
  void setTcpNoDelay(bool on);
  bool tcpNoDelay() const;
  /// SO_REUSEADDR: bind a listening port while old connections on it sit in TIME_WAIT.
  void setReuseAddr(bool on);
  bool reuseAddr() const;
  /// SO_REUSEPORT: several sockets bind the same ip:port; the kernel spreads incoming
  /// connections over their accept queues by a hash of the 4-tuple.
  void setReusePort(bool on);
  bool reusePort() const;
  /// SO_KEEPALIVE: probe an idle connection so a dead peer is eventually noticed.
  void setKeepAlive(bool on);
  bool keepAlive() const;
  /// TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT for this socket only.
  void setKeepAliveParams(const KeepAliveParams& params);
  KeepAliveParams keepAliveParams() const;
  /// SO_LINGER. nullopt: off (close returns at once, the kernel sends what is queued then FIN).
  /// 0: abortive close (queued data dropped, RST sent). n > 0: close blocks up to n seconds
  /// for the data to be sent and acknowledged.
  void setLinger(std::optional<int> seconds);
  std::optional<int> linger() const;

 private:
  void setIntOption(int level, int name, int value, const char* what);
  int intOption(int level, int name, const char* what) const;

  int fd_;
};

}  // namespace net
