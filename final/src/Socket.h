// Socket: the RAII owner of one socket file descriptor, and the socket options of chapter 01.
//
// Owns: its fd (closed in the destructor; move-only).
// Thread safety: distinct objects are safe; one object must not be used by two threads at once.
// Errors: set-up calls (create, bind, listen) and the option setters throw std::system_error
// naming the call; calls on the data path (accept, connect, shutdown) return a result and leave
// errno for the caller.
#pragma once

#include <optional>

#include "InetAddress.h"

namespace net {

/// Linux's TCP keepalive timers for one socket (see tcp(7)): `idleSeconds` of silence before
/// the first probe, then a probe every `intervalSeconds`, and the connection is dropped after
/// `probeCount` unanswered probes. System-wide defaults: 7200 s, 75 s, 9 probes.
struct KeepAliveParams {
  int idleSeconds = 0;      ///< TCP_KEEPIDLE: idle time before the first probe, 1..32767 s
  int intervalSeconds = 0;  ///< TCP_KEEPINTVL: time between probes, 1..32767 s
  int probeCount = 0;       ///< TCP_KEEPCNT: unanswered probes before the drop, 1..127
};

/// One socket fd, closed when the Socket is destroyed. Move-only: exactly one owner.
class Socket {
 public:
  /// Takes ownership of `fd` (-1 makes an empty Socket).
  explicit Socket(int fd = -1) noexcept : fd_(fd) {}
  /// Closes the fd, if any. close(2) only drops this reference to the socket: the connection
  /// ends (FIN) when the last fd referring to it is closed.
  ~Socket();
  /// Takes over `other`'s fd, leaving `other` empty.
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  /// Closes the fd this Socket held, then takes over `other`'s.
  Socket& operator=(Socket&& other) noexcept;
  /// Not copyable: two owners would close one fd twice.
  Socket(const Socket&) = delete;
  /// Not copyable: two owners would close one fd twice.
  Socket& operator=(const Socket&) = delete;

  /// A new blocking TCP socket (SOCK_CLOEXEC) of `family` (AF_INET or AF_INET6). Throws.
  static Socket createTcp(sa_family_t family);
  /// A new non-blocking TCP socket (SOCK_NONBLOCK | SOCK_CLOEXEC) of `family`. Throws.
  static Socket createNonBlockingTcp(sa_family_t family);

  /// The fd, still owned by this Socket (-1 when empty). For system calls Socket does not wrap.
  int fd() const { return fd_; }
  /// True when this Socket holds an fd.
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
  /// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: the connection is non-blocking from its
  /// first instant, in one system call. Returns an empty Socket on failure, with errno set
  /// (EAGAIN: nothing left to accept). Fills `peer` when given.
  Socket acceptNonBlocking(InetAddress* peer = nullptr);
  /// connect(2). Returns 0 or the errno value.
  int connect(const InetAddress& addr);
  /// shutdown(SHUT_WR): sends FIN after the queued data, whatever other fds share the socket.
  /// Returns 0 or the errno value.
  int shutdownWrite();
  /// shutdown(SHUT_RD): reads return 0 (EOF) once the receive queue is empty. On Linux, data
  /// already queued and data the peer still sends are NOT discarded, and the peer is not told
  /// anything (see chapter 01). Returns 0 or the errno value.
  int shutdownRead();

  /// The bound address (getsockname); after binding port 0 this tells the ephemeral port.
  InetAddress localAddress() const;
  /// The connected peer (getpeername).
  InetAddress peerAddress() const;
  /// SO_ERROR: the pending error of the socket, cleared by reading it.
  int pendingError() const;

  /// TCP_NODELAY: true disables Nagle's algorithm (small segments go out at once).
  void setTcpNoDelay(bool on);
  /// Reads TCP_NODELAY back (off by default: Nagle is on).
  bool tcpNoDelay() const;
  /// SO_REUSEADDR: bind a listening port while old connections on it sit in TIME_WAIT. On Linux
  /// both the old and the new socket must have it (a server sets it on every listener).
  void setReuseAddr(bool on);
  /// Reads SO_REUSEADDR back (off by default).
  bool reuseAddr() const;
  /// SO_REUSEPORT: several sockets bind the same ip:port; the kernel spreads incoming
  /// connections over their accept queues by a hash of the 4-tuple.
  void setReusePort(bool on);
  /// Reads SO_REUSEPORT back (off by default).
  bool reusePort() const;
  /// SO_KEEPALIVE: probe an idle connection so a dead peer is eventually noticed.
  void setKeepAlive(bool on);
  /// Reads SO_KEEPALIVE back (off by default).
  bool keepAlive() const;
  /// TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT for this socket only (the sysctls
  /// net.ipv4.tcp_keepalive_* stay untouched). Throws on a value out of range (EINVAL).
  void setKeepAliveParams(const KeepAliveParams& params);
  /// The keepalive timers in effect: the per-socket values, or the system-wide defaults.
  KeepAliveParams keepAliveParams() const;
  /// SO_LINGER. nullopt: off (close returns at once, the kernel sends what is queued then FIN).
  /// 0: abortive close (queued data dropped, RST sent). n > 0: close blocks up to n seconds
  /// until the data and the FIN are acknowledged; on Linux also for a non-blocking socket, and
  /// on timeout close returns 0 while the kernel goes on sending in the background.
  void setLinger(std::optional<int> seconds);
  /// Reads SO_LINGER back: nullopt when off, else the timeout in seconds.
  std::optional<int> linger() const;

 private:
  Socket acceptWithFlags(InetAddress* peer, int flags);
  void setIntOption(int level, int name, int value, const char* what);
  int intOption(int level, int name, const char* what) const;

  int fd_;
};

}  // namespace net
