// A non-blocking echo server: one thread, one epoll instance (level-triggered), every fd
// non-blocking. The listening socket, each connection and a signalfd for SIGINT/SIGTERM sit in
// the same interest list, and one loop reacts to whichever is ready.
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "CommandLine.h"
#include "EPollPoller.h"
#include "Socket.h"

using namespace net;

namespace {

/// Stop reading from a connection whose unsent echo reaches this size, until it is all sent:
/// a client that sends but never reads then costs at most this much memory.
constexpr size_t kHighWaterMark = 1 << 20;
/// How long to stop accepting after running out of fds (nginx waits accept_mutex_delay, 500 ms).
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

/// The open-file limit is the number of connections we can hold. The usual soft limit (1024)
/// is far below the hard one, and only the soft limit may be raised without privileges, as
/// nginx's worker_rlimit_nofile does.
//! [raiseOpenFileLimit]
void raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) std::perror("echo_server: setrlimit");
}
//! [raiseOpenFileLimit]

/// SIGINT and SIGTERM as a readable fd. The signals are blocked first, so they stay pending
/// (and make the fd readable) instead of running their default action, which would kill us.
/// The mask is per thread and this program has only one.
//! [signalFd]
Socket openStopSignalFd() {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, SIGINT);
  ::sigaddset(&set, SIGTERM);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    throw std::system_error(errno, std::generic_category(), "sigprocmask");
  }
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
  return Socket(fd);  // not a socket, but Socket is our RAII owner of an fd
}
//! [signalFd]

/// One client: its socket and the bytes read from it that it has not been sent back yet.
struct Connection {
  Socket socket;
  std::string output;       ///< pending echo; sent from the front
  bool peerClosed = false;  ///< read() returned 0: close once `output` is sent
  bool readPaused = false;  ///< `output` reached kHighWaterMark: not reading until it drains
  uint32_t registered = 0;  ///< the events the poller currently watches for this fd
};

/// The whole server: a listening socket, a signalfd and the connections, all watched by one
/// EPollPoller and served by the thread that calls run().
class EchoServer {
 public:
  explicit EchoServer(const InetAddress& addr)
      : listener_(Socket::createNonBlockingTcp(addr.family())), stop_(openStopSignalFd()) {
    listener_.setReuseAddr(true);
    listener_.bindAddress(addr);
    listener_.listen();
    poller_.add(listener_.fd(), EPOLLIN);
    poller_.add(stop_.fd(), EPOLLIN);
  }

  /// The bound address; tells the port when the server was asked for port 0.
  InetAddress localAddress() const { return listener_.localAddress(); }

  /// Serves until SIGINT or SIGTERM arrives.
  void run() {
    std::vector<epoll_event> ready;
    while (!stopping_) {
      poller_.poll(pollTimeoutMs(), &ready);
      for (const epoll_event& event : ready) {
        int fd = event.data.fd;
        if (fd == listener_.fd()) {
          handleAccept();
        } else if (fd == stop_.fd()) {
          handleStopSignal();
        } else {
          handleConnection(fd, event.events);
        }
      }
      resumeAcceptingWhenDue();
    }
  }

 private:
  using Clock = std::chrono::steady_clock;

  //! [handleAccept]
  void handleAccept() {
    // STUDENT-BEGIN(accept-loop): accept until EAGAIN, register each for EPOLLIN; EMFILE: pause
    // STUDENT-STUB: return;
    // Take every pending connection now: each accept4 is one system call, each trip through
    // epoll_wait costs one more. Level-triggered, stopping early would also be correct.
    while (true) {
      Socket conn = listener_.acceptNonBlocking();
      if (!conn.valid()) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // the queue is empty
        // Out of fds (EMFILE, ENFILE) or of kernel memory (ENOBUFS, ENOMEM): the connection
        // stays queued, and retrying at once would fail the same way, round after round.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          return pauseAccepting();
        }
        // ECONNABORTED, EINTR, and the network errors accept(2) passes on: try the next one.
        if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK) {
          std::perror("echo_server: accept4");  // a bug, not a client's doing
          std::abort();
        }
        continue;
      }
      int fd = conn.fd();
      try {
        poller_.add(fd, EPOLLIN);
      } catch (const std::system_error&) {
        continue;  // the kernel is out of epoll watches: drop this client (conn closes it)
      }
      connections_.emplace(fd, Connection{std::move(conn), {}, false, false, EPOLLIN});
    }
    // STUDENT-END(accept-loop)
  }
  //! [handleAccept]

  /// Out of fds or memory, the pending connection cannot be taken, and the listening socket
  /// stays readable: level-triggered epoll would report it again at once, forever (a 100% CPU
  /// loop). So stop watching it for a moment, as nginx does when out of fds
  /// (ngx_event_accept.c), and keep the clients waiting in the accept queue. Chapter 05 shows
  /// another cure for the fd case, a reserved fd.
  //! [pauseAccepting]
  void pauseAccepting() {
    std::perror("echo_server: accept4 (pausing)");
    poller_.modify(listener_.fd(), 0);
    resumeAcceptAt_ = Clock::now() + kAcceptPause;
    acceptPaused_ = true;
  }

  void resumeAcceptingWhenDue() {
    if (acceptPaused_ && Clock::now() >= resumeAcceptAt_) {
      poller_.modify(listener_.fd(), EPOLLIN);
      acceptPaused_ = false;
    }
  }

  /// Block until something happens, or until accepting is due to resume.
  int pollTimeoutMs() const {
    if (!acceptPaused_) return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(resumeAcceptAt_ - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  }
  //! [pauseAccepting]

  void handleStopSignal() {
    signalfd_siginfo info{};
    if (::read(stop_.fd(), &info, sizeof info) == sizeof info) stopping_ = true;
  }

  //! [handleConnection]
  void handleConnection(int fd, uint32_t events) {
    auto it = connections_.find(fd);
    // Cannot miss: a connection is closed only from its own event, and epoll_wait reports
    // each fd at most once per call, so no later event in this batch names a closed fd.
    if (it == connections_.end()) return;
    Connection& conn = it->second;
    // EPOLLERR: a pending socket error (e.g. ECONNRESET) that read/write would report anyway;
    // EPOLLHUP without EPOLLIN: a hang-up reported while EPOLLIN is not watched (for TCP it
    // comes with EPOLLIN otherwise): the connection is over; unread input, if any, is abandoned.
    if ((events & EPOLLERR) || ((events & EPOLLHUP) && !(events & EPOLLIN))) {
      return closeConnection(fd);
    }
    if ((events & EPOLLIN) && !handleRead(conn)) return closeConnection(fd);
    if ((events & EPOLLOUT) && !handleWrite(conn)) return closeConnection(fd);
    if (conn.peerClosed && conn.output.empty()) return closeConnection(fd);
    updateInterest(fd, conn);
  }
  //! [handleConnection]

  /// One read per readiness report (fair to the other connections: level-triggered epoll
  /// reports us again if more is waiting), then echo straight back what the socket takes.
  /// Returns false when the connection is broken.
  //! [handleRead]
  bool handleRead(Connection& conn) {
    // STUDENT-BEGIN(read-echo): read once; EOF, EAGAIN/EINTR, errors; send now, queue the rest
    // STUDENT-STUB: (void)conn;
    // STUDENT-STUB: return true;
    char buf[65536];
    ssize_t n = ::read(conn.socket.fd(), buf, sizeof buf);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    if (n == 0) {  // EOF: the client shut down its sending side; finish echoing, then close
      conn.peerClosed = true;
      return true;
    }
    size_t sent = 0;
    if (conn.output.empty()) {  // nothing queued ahead of these bytes: try the socket now
      ssize_t w = ::send(conn.socket.fd(), buf, static_cast<size_t>(n), MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      sent = w > 0 ? static_cast<size_t>(w) : 0;
    }
    conn.output.append(buf + sent, static_cast<size_t>(n) - sent);
    if (conn.output.size() >= kHighWaterMark) conn.readPaused = true;
    return true;
    // STUDENT-END(read-echo)
  }
  //! [handleRead]

  /// Sends what the socket takes of the pending echo. Returns false when the connection is
  /// broken (EPIPE, ECONNRESET).
  //! [handleWrite]
  bool handleWrite(Connection& conn) {
    ssize_t n = ::send(conn.socket.fd(), conn.output.data(), conn.output.size(), MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    // Moves the rest to the front: a copy per write, which chapter 07's Buffer avoids.
    conn.output.erase(0, static_cast<size_t>(n));
    if (conn.output.empty()) conn.readPaused = false;  // drained: read again
    return true;
  }
  //! [handleWrite]

  /// Watch for what the connection can use now: EPOLLIN unless the client is done or we hold
  /// too much of its data, EPOLLOUT only while output is pending. (A connected socket is
  /// nearly always writable, so EPOLLOUT left on would wake the loop for nothing, round after
  /// round.) epoll_ctl runs only when the set changes.
  //! [updateInterest]
  void updateInterest(int fd, Connection& conn) {
    uint32_t wanted = 0;
    if (!conn.peerClosed && !conn.readPaused) wanted |= EPOLLIN;
    if (!conn.output.empty()) wanted |= EPOLLOUT;
    if (wanted != conn.registered) {
      poller_.modify(fd, wanted);
      conn.registered = wanted;
    }
  }
  //! [updateInterest]

  void closeConnection(int fd) {
    poller_.remove(fd);      // before the close: the poller must not keep a closed fd
    connections_.erase(fd);  // ~Socket closes it
  }

  EPollPoller poller_;
  Socket listener_;
  Socket stop_;                                      ///< the signalfd
  std::unordered_map<int, Connection> connections_;  ///< keyed by fd
  bool stopping_ = false;
  bool acceptPaused_ = false;
  Clock::time_point resumeAcceptAt_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 9000;
  std::string address = "127.0.0.1";
  CommandLine cli("echo_server", "Non-blocking echo server: one thread, epoll (level-triggered).");
  cli.addInt("port", &port, 0, 65535, "TCP port to listen on, 0 for an ephemeral port");
  cli.addString("address", &address, "IP address to listen on");
  cli.parse(argc, argv);
  auto addr = InetAddress::parse(address, static_cast<uint16_t>(port));
  if (!addr) {
    std::fprintf(stderr, "echo_server: '%s' is not a numeric IP address\n", address.c_str());
    return 2;
  }

  raiseOpenFileLimit();
  try {
    EchoServer server(*addr);
    announceListening(server.localAddress());
    server.run();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());  // e.g. "bind: Address already in use"
    return 1;
  }
  return 0;
}
