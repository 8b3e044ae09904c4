// Acceptor: listening, handing over each accepted socket (non-blocking, close-on-exec, with the
// peer's address), SO_REUSEPORT, and the reserved-fd defence when the process runs out of file
// descriptors.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>

#include "Acceptor.h"
#include "Channel.h"
#include "EventLoop.h"
#include "LoopTestUtil.h"
#include "TcpConnection.h"
#include "TcpServer.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

TEST(Acceptor, ListenStartsAcceptingAndHandsOverTheSocket) {
  LoopThread loop;
  std::promise<std::pair<Socket, InetAddress>> accepted;
  auto acceptor = loop.call([&] {
    auto a = std::make_unique<Acceptor>(loop.loop(), InetAddress(0, true), false);
    a->setNewConnectionCallback([&](Socket socket, const InetAddress& peer) {
      accepted.set_value({std::move(socket), peer});
    });
    return a;
  });
  uint16_t port = acceptor->listenAddress().port();
  ASSERT_NE(port, 0);
  EXPECT_FALSE(loop.call([&] { return acceptor->listening(); }));
  EXPECT_FALSE(connectTo(port).valid()) << "bound but not listening: connect is refused";

  loop.call([&] { acceptor->listen(); });
  EXPECT_TRUE(loop.call([&] { return acceptor->listening(); }));
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  auto future = accepted.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto [socket, peer] = future.get();
  ASSERT_TRUE(socket.valid());
  EXPECT_EQ(peer.toIpPort(), client.localAddress().toIpPort());
  EXPECT_TRUE(::fcntl(socket.fd(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(::fcntl(socket.fd(), F_GETFD) & FD_CLOEXEC);
  // The Socket is ours now: bytes written through it reach the client.
  ASSERT_TRUE(writeAll(socket.fd(), "hello"));
  EXPECT_EQ(readExactly(client.fd(), 5), "hello");
  loop.call([&] { acceptor.reset(); });
}

TEST(Acceptor, WithoutACallbackConnectionsAreClosed) {
  LoopThread loop;
  auto acceptor = loop.call([&] {
    auto a = std::make_unique<Acceptor>(loop.loop(), InetAddress(0, true), false);
    a->listen();
    return a;
  });
  Socket client = connectTo(acceptor->listenAddress().port());
  ASSERT_TRUE(client.valid());
  EXPECT_TRUE(readToEnd(client.fd()).eof);
  loop.call([&] { acceptor.reset(); });
}

TEST(Acceptor, ReusePortLetsTwoAcceptorsListenOnOnePort) {
  LoopThread loop;
  loop.call([&] {
    Acceptor first(loop.loop(), InetAddress(0, true), true);
    first.listen();
    InetAddress addr = first.listenAddress();
    Acceptor second(loop.loop(), addr, true);
    EXPECT_NO_THROW(second.listen());
    // SO_REUSEADDR alone does not allow it while another socket listens on the port.
    try {
      Acceptor third(loop.loop(), addr, false);
      ADD_FAILURE() << "bound a listening port without SO_REUSEPORT";
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EADDRINUSE);
    }
  });
}

// ---- running out of file descriptors (EMFILE) ----------------------------------------------
//
// The server runs in a forked child whose RLIMIT_NOFILE leaves room for exactly one connection,
// so the limit is the child's alone. The parent is the client: it connects once (served), then
// keeps connecting for 300 ms, one connection every few milliseconds; each of those can only be
// refused. The child measures how long it was running or runnable over that window (CPU time
// plus run-queue wait, as runnableMs() in TestUtil.h: a spinner fills it whatever the load) and
// reports it over a socketpair: a loop that spins on the pending connection fills the window.

/// The child's answer to every command.
struct ChildReport {
  uint16_t port = 0;     ///< the server's port (0: no answer)
  double busyMs = -1;    ///< the child's time running or runnable over the window (-1: unknown)
  long wallMicros = 0;   ///< length of the window
  long connections = 0;  ///< the server's connectionCount() at the end of the window
};

/// The calling process's time running or runnable, in ms, read through `schedstat`, an fd on
/// /proc/self/schedstat opened before the fd limit was lowered: at the limit, opening the file
/// fails like any other open. pread at offset 0 makes the kernel print fresh values.
std::optional<double> runnableMsFrom(const Socket& schedstat) {
  char text[128];
  ssize_t n = ::pread(schedstat.fd(), text, sizeof text - 1, 0);
  if (n <= 0) return std::nullopt;
  text[n] = '\0';
  long long runNs = 0;
  long long waitNs = 0;
  if (std::sscanf(text, "%lld %lld", &runNs, &waitNs) != 2) return std::nullopt;
  return static_cast<double>(runNs + waitNs) / 1e6;
}

long wallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Lowers RLIMIT_NOFILE so that exactly one more descriptor can be opened: every free slot
/// below the highest open fd is filled with /dev/null (the fillers keep them), and the limit is
/// set to leave only the slot just above it. The destructor restores the limit.
class FdLimit {
 public:
  FdLimit() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (int fd = 0; fd < 4096; ++fd) {
      if (::fcntl(fd, F_GETFD) != -1) highest = fd;
    }
    while (true) {
      int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      if (fd > highest) {
        ::close(fd);
        break;
      }
      fillers_.emplace_back(fd);
    }
    rlimit limit = saved_;
    limit.rlim_cur = static_cast<rlim_t>(highest) + 2;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(3);
  }
  ~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
  std::vector<Socket> fillers_;  // Socket only needs an fd to own and close
};

/// The child: an echo server whose loop also serves one-byte commands on `control`:
/// 'r' ready?, 'l' lower the fd limit, 's' start the window, 'e' end it, 'q' quit.
/// Everything runs on the child's one thread; returns after 'q'.
// With UndefinedBehaviorSanitizer, the first check of each polymorphic type (the shared_ptr
// control block of a TcpConnection, say) opens a pipe (sanitizer_common's
// IsAccessibleMemoryRange), which fails at the limit. So the parent warms the connection paths
// up with one connection before 'l', and the limit is lifted before the server is destroyed.
void serveEmfileChild(Socket control) {
  EventLoop loop;
  TcpServer server(&loop, InetAddress(0, true), "emfile");
  server.setMessageCallback(
      [](const TcpConnectionPtr& conn, Buffer* buf) { conn->send(buf->retrieveAllAsString()); });
  server.start();
  std::unique_ptr<FdLimit> limit;
  ChildReport report;
  report.port = server.listenAddress().port();
  Socket schedstat(::open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC));  // one thread: ours
  std::optional<double> busyStart;
  long wallStart = 0;
  Channel commands(&loop, control.fd());
  commands.setReadCallback([&] {
    char command = 0;
    if (::read(control.fd(), &command, 1) != 1 || command == 'q') {
      loop.quit();
      return;
    }
    if (command == 'l') {
      limit = std::make_unique<FdLimit>();
    } else if (command == 's') {
      busyStart = runnableMsFrom(schedstat);
      wallStart = wallMicros();
    } else if (command == 'e') {
      std::optional<double> busyEnd = runnableMsFrom(schedstat);
      if (busyStart && busyEnd) report.busyMs = *busyEnd - *busyStart;
      report.wallMicros = wallMicros() - wallStart;
      report.connections = static_cast<long>(server.connectionCount());
    }
    if (::send(control.fd(), &report, sizeof report, MSG_NOSIGNAL) != sizeof report) loop.quit();
  });
  commands.enableReading();
  loop.loop();
  limit.reset();
  commands.disableAll();
  commands.remove();
}

class EmfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      ::close(pair[0]);
      serveEmfileChild(Socket(pair[1]));
      ::_exit(0);  // not back into the test runner
    }
    ::close(pair[1]);
    control_ = Socket(pair[0]);
  }

  void TearDown() override {
    if (child_ <= 0) return;
    char quit = 'q';
    (void)::send(control_.fd(), &quit, 1, MSG_NOSIGNAL);
    int status = 0;
    // The child closes its end when it exits: a bounded wait for that, then reap it.
    if (readToEnd(control_.fd(), std::chrono::seconds(5)).timedOut) {
      ::kill(child_, SIGKILL);
      ADD_FAILURE() << "the server process did not exit";
    }
    ::waitpid(child_, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }

  /// Sends a command and returns the child's report (port 0 if it did not answer in time).
  ChildReport ask(char command) {
    ChildReport report;
    if (::send(control_.fd(), &command, 1, MSG_NOSIGNAL) != 1) return report;
    std::string answer = readExactly(control_.fd(), sizeof report, std::chrono::seconds(10));
    if (answer.size() == sizeof report) std::memcpy(&report, answer.data(), sizeof report);
    return report;
  }

  pid_t child_ = -1;
  Socket control_;
};

TEST_F(EmfileTest, RefusesWhatItCannotAcceptWithoutSpinningAndKeepsServing) {
  ChildReport ready = ask('r');
  ASSERT_NE(ready.port, 0) << "the server process did not start";
  {
    Socket warmUp = connectTo(ready.port);
    ASSERT_TRUE(writeAll(warmUp.fd(), "warm-up"));
    ASSERT_EQ(readExactly(warmUp.fd(), 7), "warm-up");
    // EOF from the server means its end is closed too: its fd is free again before 'l'.
    ASSERT_EQ(warmUp.shutdownWrite(), 0);
    ASSERT_TRUE(readToEnd(warmUp.fd()).eof);
  }
  ASSERT_NE(ask('l').port, 0);

  // The one connection there is room for: it is served.
  Socket served = connectTo(ready.port);
  ASSERT_TRUE(served.valid());
  ASSERT_TRUE(writeAll(served.fd(), "before"));
  ASSERT_EQ(readExactly(served.fd(), 6), "before");

  // Every further connection can only be refused: accepted into the reserved slot and closed
  // at once. They arrive one every 10 ms, so the window measures how the loop waits between
  // them, not how fast it can refuse.
  ASSERT_NE(ask('s').port, 0);
  std::vector<Socket> extras;
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < end) {
    extras.push_back(connectTo(ready.port));  // the kernel completes the handshake by itself
    ASSERT_TRUE(extras.back().valid());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ChildReport window = ask('e');
  ASSERT_GT(window.wallMicros, 0);
  // A loop spinning on a connection it cannot accept is running or runnable the whole window.
  // (busyMs < 0: no /proc/<pid>/task/*/schedstat on this kernel; the rest is still checked.)
  if (window.busyMs >= 0) {
    EXPECT_LT(window.busyMs * 1000, window.wallMicros / 3.0)
        << "the loop was running or runnable " << window.busyMs << " ms of "
        << window.wallMicros / 1000 << " ms";
  }
  for (size_t i = 0; i < extras.size(); ++i) {
    ReadResult result = readToEnd(extras[i].fd(), std::chrono::milliseconds(500));
    EXPECT_TRUE(result.eof || result.error == ECONNRESET)
        << "connection " << i << " of " << extras.size() << " was not refused";
  }
  EXPECT_EQ(window.connections, 1);

  // The existing connection still works.
  ASSERT_TRUE(writeAll(served.fd(), "after"));
  EXPECT_EQ(readExactly(served.fd(), 5), "after");
}

}  // namespace
