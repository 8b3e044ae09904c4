#include "Socket.h"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace net {

namespace {

[[noreturn]] void throwErrno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// socket(2) for TCP with `flags` (SOCK_CLOEXEC, SOCK_NONBLOCK) in the type argument.
int openTcpSocket(sa_family_t family, int flags) {
  int fd = ::socket(family, SOCK_STREAM | flags, IPPROTO_TCP);
  if (fd < 0) throwErrno("socket");
  return fd;
}

}  // namespace

//! [raii]
Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}
//! [raii]

//! [create]
Socket Socket::createTcp(sa_family_t family) { return Socket(openTcpSocket(family, SOCK_CLOEXEC)); }

Socket Socket::createNonBlockingTcp(sa_family_t family) {
  return Socket(openTcpSocket(family, SOCK_NONBLOCK | SOCK_CLOEXEC));
}
//! [create]

int Socket::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Socket::bindAddress(const InetAddress& addr) {
  if (::bind(fd_, addr.sockAddr(), addr.length()) < 0) throwErrno("bind");
}

void Socket::listen() {
  // SOMAXCONN is only a ceiling: the kernel caps the backlog at net.core.somaxconn anyway.
  if (::listen(fd_, SOMAXCONN) < 0) throwErrno("listen");
}

//! [accept]
Socket Socket::accept(InetAddress* peer) { return acceptWithFlags(peer, SOCK_CLOEXEC); }

Socket Socket::acceptNonBlocking(InetAddress* peer) {
  return acceptWithFlags(peer, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

Socket Socket::acceptWithFlags(InetAddress* peer, int flags) {
  // STUDENT-BEGIN(socket-accept): accept4 with `flags`, fill *peer, wrap the new fd
  // STUDENT-STUB: (void)peer;
  // STUDENT-STUB: (void)flags;
  // STUDENT-STUB: return Socket();
  // sockaddr_storage is large enough for either family; the kernel says which one it wrote.
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &len, flags);
  if (fd >= 0 && peer != nullptr) *peer = InetAddress(addr);
  return Socket(fd);
  // STUDENT-END(socket-accept)
}
//! [accept]

int Socket::connect(const InetAddress& addr) {
  return ::connect(fd_, addr.sockAddr(), addr.length()) == 0 ? 0 : errno;
}

int Socket::shutdownWrite() { return ::shutdown(fd_, SHUT_WR) == 0 ? 0 : errno; }

int Socket::shutdownRead() { return ::shutdown(fd_, SHUT_RD) == 0 ? 0 : errno; }

InetAddress Socket::localAddress() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) throwErrno("getsockname");
  return InetAddress(addr);
}

InetAddress Socket::peerAddress() const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) throwErrno("getpeername");
  return InetAddress(addr);
}

int Socket::pendingError() const { return intOption(SOL_SOCKET, SO_ERROR, "SO_ERROR"); }

void Socket::setIntOption(int level, int name, int value, const char* what) {
  if (::setsockopt(fd_, level, name, &value, sizeof value) < 0) throwErrno(what);
}

int Socket::intOption(int level, int name, const char* what) const {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd_, level, name, &value, &len) < 0) throwErrno(what);
  return value;
}

void Socket::setTcpNoDelay(bool on) { setIntOption(IPPROTO_TCP, TCP_NODELAY, on, "TCP_NODELAY"); }
bool Socket::tcpNoDelay() const { return intOption(IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY"); }

void Socket::setReuseAddr(bool on) { setIntOption(SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR"); }
bool Socket::reuseAddr() const { return intOption(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"); }

void Socket::setReusePort(bool on) { setIntOption(SOL_SOCKET, SO_REUSEPORT, on, "SO_REUSEPORT"); }
bool Socket::reusePort() const { return intOption(SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT"); }

void Socket::setKeepAlive(bool on) { setIntOption(SOL_SOCKET, SO_KEEPALIVE, on, "SO_KEEPALIVE"); }
bool Socket::keepAlive() const { return intOption(SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE"); }

//! [keepalive]
void Socket::setKeepAliveParams(const KeepAliveParams& params) {
  // STUDENT-BEGIN(socket-keepalive): set the three per-socket keepalive timers (tcp(7))
  // STUDENT-STUB: (void)params;
  setIntOption(IPPROTO_TCP, TCP_KEEPIDLE, params.idleSeconds, "TCP_KEEPIDLE");
  setIntOption(IPPROTO_TCP, TCP_KEEPINTVL, params.intervalSeconds, "TCP_KEEPINTVL");
  setIntOption(IPPROTO_TCP, TCP_KEEPCNT, params.probeCount, "TCP_KEEPCNT");
  // STUDENT-END(socket-keepalive)
}
//! [keepalive]

KeepAliveParams Socket::keepAliveParams() const {
  return {intOption(IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE"),
          intOption(IPPROTO_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL"),
          intOption(IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT")};
}

//! [linger]
void Socket::setLinger(std::optional<int> seconds) {
  // STUDENT-BEGIN(socket-linger-set): fill a struct linger (l_onoff, l_linger) and set it
  // STUDENT-STUB: (void)seconds;
  struct linger value {};
  value.l_onoff = seconds.has_value();
  value.l_linger = seconds.value_or(0);
  if (::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &value, sizeof value) < 0) throwErrno("SO_LINGER");
  // STUDENT-END(socket-linger-set)
}

std::optional<int> Socket::linger() const {
  // STUDENT-BEGIN(socket-linger-get): read struct linger back; l_onoff == 0 means "off"
  // STUDENT-STUB: return std::nullopt;
  struct linger value {};
  socklen_t len = sizeof value;
  if (::getsockopt(fd_, SOL_SOCKET, SO_LINGER, &value, &len) < 0) throwErrno("SO_LINGER");
  if (!value.l_onoff) return std::nullopt;
  return value.l_linger;
  // STUDENT-END(socket-linger-get)
}
//! [linger]

}  // namespace net
