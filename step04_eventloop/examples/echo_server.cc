// A non-blocking echo server on an EventLoop: one thread, every fd non-blocking, each with a
// Channel. The loop polls, dispatches and runs queued work; SIGINT/SIGTERM arrive through
// StopSignal's signalfd Channel and call quit(). (Chapter 03's server ran the poll loop itself.)
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "Channel.h"
#include "CommandLine.h"
#include "EventLoop.h"
#include "Socket.h"
#include "StopSignal.h"

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

/// A timer as an fd (timerfd_create(2)), for the accept pause: the EventLoop's poll timeout is
/// not ours to shorten, but a timer that becomes readable is one more Channel.
//! [timerFd]
Socket createTimerFd() {
  int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  return Socket(fd);  // not a socket, but Socket is our RAII owner of an fd
}

/// Makes `timerFd` readable once, `delay` from now. Called from a Channel callback, where an
/// exception would unwind through the EventLoop with nobody to handle it; and
/// timerfd_settime(2) fails only for a bad fd or value (EBADF, EINVAL), a bug: report and abort.
void armTimer(int timerFd, std::chrono::nanoseconds delay) {
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(delay.count() / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(delay.count() % 1000000000);
  if (::timerfd_settime(timerFd, 0, &spec, nullptr) != 0) {
    std::perror("echo_server: timerfd_settime");
    std::abort();
  }
}
//! [timerFd]

/// One client: its socket, its Channel, and the bytes read from it that it has not been sent
/// back yet. Not movable (the poller holds the Channel's address): kept by unique_ptr.
struct Connection {
  Connection(EventLoop* loop, Socket s) : socket(std::move(s)), channel(loop, socket.fd()) {}

  Socket socket;
  Channel channel;          ///< declared after `socket`: destroyed before the fd is closed
  std::string output;       ///< pending echo; sent from the front
  bool peerClosed = false;  ///< read() returned 0: close once `output` is sent
  bool readPaused = false;  ///< `output` reached kHighWaterMark: not reading until it drains
};

/// The whole server: a listening socket and the connections, each with a Channel on the
/// EventLoop that runs them.
class EchoServer {
 public:
  EchoServer(EventLoop* loop, const InetAddress& addr)
      : loop_(loop),
        listener_(Socket::createNonBlockingTcp(addr.family())),
        acceptTimer_(createTimerFd()),
        listenChannel_(loop, listener_.fd()),
        acceptTimerChannel_(loop, acceptTimer_.fd()) {
    listener_.setReuseAddr(true);
    listener_.bindAddress(addr);
    listener_.listen();
    listenChannel_.setReadCallback([this] { handleAccept(); });
    listenChannel_.enableReading();
    acceptTimerChannel_.setReadCallback([this] { resumeAccepting(); });
    acceptTimerChannel_.enableReading();
  }

  ~EchoServer() {
    for (auto& [fd, conn] : connections_) conn->channel.remove();
    listenChannel_.remove();
    acceptTimerChannel_.remove();
  }

  /// The bound address; tells the port when the server was asked for port 0.
  InetAddress localAddress() const { return listener_.localAddress(); }

 private:
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
      auto owned = std::make_unique<Connection>(loop_, std::move(conn));
      Connection* c = owned.get();
      c->channel.setReadCallback([this, c] { onReadable(c); });
      c->channel.setWriteCallback([this, c] { onWritable(c); });
      // EPOLLHUP without EPOLLIN: a hang-up reported while EPOLLIN is not watched (for TCP it
      // comes with EPOLLIN otherwise): the connection is over; unread input, if any, is
      // abandoned.
      c->channel.setCloseCallback([this, c] { closeConnection(c); });
      // EPOLLERR: a pending socket error (e.g. ECONNRESET) that read/write would report anyway.
      c->channel.setErrorCallback([this, c] { closeConnection(c); });
      try {
        c->channel.enableReading();
      } catch (const std::system_error&) {
        continue;  // the kernel is out of epoll watches: drop this client (owned closes it)
      }
      connections_.emplace(c->socket.fd(), std::move(owned));
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
    listenChannel_.disableReading();
    armTimer(acceptTimer_.fd(), kAcceptPause);
  }

  void resumeAccepting() {
    uint64_t expirations = 0;
    if (::read(acceptTimer_.fd(), &expirations, sizeof expirations) < 0) return;  // EAGAIN
    listenChannel_.enableReading();
  }
  //! [pauseAccepting]

  //! [onReadable]
  void onReadable(Connection* conn) {
    if (!handleRead(*conn)) return closeConnection(conn);
    afterIo(conn);
  }

  void onWritable(Connection* conn) {
    if (!handleWrite(*conn)) return closeConnection(conn);
    afterIo(conn);
  }

  void afterIo(Connection* conn) {
    if (conn->peerClosed && conn->output.empty()) return closeConnection(conn);
    updateInterest(*conn);
  }
  //! [onReadable]

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
  /// round.) The Channel calls epoll_ctl only when we change its interest.
  //! [updateInterest]
  void updateInterest(Connection& conn) {
    bool wantRead = !conn.peerClosed && !conn.readPaused;
    bool wantWrite = !conn.output.empty();
    if (wantRead && !conn.channel.isReading()) conn.channel.enableReading();
    if (!wantRead && conn.channel.isReading()) conn.channel.disableReading();
    if (wantWrite && !conn.channel.isWriting()) conn.channel.enableWriting();
    if (!wantWrite && conn.channel.isWriting()) conn.channel.disableWriting();
  }
  //! [updateInterest]

  //! [closeConnection]
  void closeConnection(Connection* conn) {
    conn->channel.remove();  // before the close: the poller must not keep a closed fd
    // Not destroyed yet: we are inside this connection's Channel::handleEvent(). The loop's
    // functor phase destroys it (closing the fd), after the dispatch of this iteration.
    auto it = connections_.find(conn->socket.fd());
    if (closed_.empty()) loop_->queueInLoop([this] { closed_.clear(); });
    closed_.push_back(std::move(it->second));
    connections_.erase(it);
  }
  //! [closeConnection]

  EventLoop* loop_;  ///< does not own
  Socket listener_;
  Socket acceptTimer_;  ///< a timerfd: readable when accepting is due to resume
  Channel listenChannel_;
  Channel acceptTimerChannel_;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;  ///< keyed by fd
  std::vector<std::unique_ptr<Connection>> closed_;  ///< closed this iteration, destroyed after it
};

}  // namespace

//! [main]
int main(int argc, char** argv) {
  int port = 9000;
  std::string address = "127.0.0.1";
  CommandLine cli("echo_server", "Non-blocking echo server: one thread, one EventLoop.");
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
    EventLoop loop;
    StopSignal stop(&loop, [&loop] { loop.quit(); });
    EchoServer server(&loop, *addr);
    announceListening(server.localAddress());
    loop.loop();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());  // e.g. "bind: Address already in use"
    return 1;
  }
  return 0;
}
//! [main]
