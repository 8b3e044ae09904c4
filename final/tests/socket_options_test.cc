// The socket options and close semantics of chapter 01, each shown by its effect on a real
// loopback connection, not only by reading the option back:
//
//   TCP_NODELAY    Nagle holds a second small write until the first is acknowledged
//   SO_REUSEADDR   TIME_WAIT blocks a new listener unless both listeners set it; Linux never
//                  lets 127.0.0.1:p be bound while 0.0.0.0:p listens
//   SO_REUSEPORT   two listeners share a port; the kernel spreads connections over them
//   SO_KEEPALIVE   the defaults come from the sysctls; enabling it arms a timer
//   SO_LINGER      {1,0} resets the connection; the default close delivers everything
//   shutdown       SHUT_WR sends FIN to the peer yet keeps reading; SHUT_RD discards nothing
//   close vs shutdown, graceful close (unread data turns close into RST)
//
// Linux behaviour, checked on Linux; the chapter says where other systems differ.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "TestUtil.h"

using namespace net;
using namespace net::test;
using std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

/// The integer in a /proc or /sys file, or nothing when the file cannot be read.
std::optional<long> readNumberFile(const std::string& path) {
  std::ifstream in(path);
  long value = 0;
  if (!(in >> value)) return std::nullopt;
  return value;
}

/// bind() and report the errno it failed with, 0 on success.
int bindErrno(Socket& socket, const InetAddress& addr) {
  try {
    socket.bindAddress(addr);
    return 0;
  } catch (const std::system_error& e) {
    return e.code().value();
  }
}

InetAddress loopback(uint16_t port) { return InetAddress(port, /*loopbackOnly=*/true); }

/// One line of /proc/net/tcp: a TCP socket's state and its pending timer, as `ss -tao` shows.
struct TcpRow {
  int state = 0;        ///< include/net/tcp_states.h: 1 ESTABLISHED, 6 TIME_WAIT, 10 LISTEN
  int timer = 0;        ///< 0 none, 1 retransmit, 2 keepalive (sk_timer), 3 TIME_WAIT, 4 probe
  long timerTicks = 0;  ///< time left on the timer, in clock ticks (sysconf(_SC_CLK_TCK))
};
constexpr int kEstablished = 1;
constexpr int kTimeWait = 6;

/// "0100007F:1F90": how /proc/net/tcp writes an IPv4 address (the raw 32-bit value) and port.
std::string procAddress(const InetAddress& addr) {
  const auto* in = reinterpret_cast<const sockaddr_in*>(addr.sockAddr());
  char text[16];
  std::snprintf(text, sizeof text, "%08X:%04X", in->sin_addr.s_addr, addr.port());
  return text;
}

/// The rows of /proc/net/tcp whose local address is `local` (and remote is `remote`, if given).
std::vector<TcpRow> tcpRows(const InetAddress& local, const InetAddress* remote = nullptr) {
  std::vector<TcpRow> rows;
  const std::string localKey = procAddress(local);
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    if (line.find(localKey) == std::string::npos) continue;  // cheap filter: many rows
    std::istringstream fields(line);
    std::string slot, localText, remoteText, state, queues, timer;
    fields >> slot >> localText >> remoteText >> state >> queues >> timer;
    if (localText != localKey) continue;
    if (remote != nullptr && remoteText != procAddress(*remote)) continue;
    TcpRow row;
    row.state = std::stoi(state, nullptr, 16);
    row.timer = std::stoi(timer.substr(0, 2), nullptr, 16);
    row.timerTicks = std::stol(timer.substr(3), nullptr, 16);
    rows.push_back(row);
  }
  return rows;
}

bool hasRowInState(const InetAddress& local, int state) {
  for (const TcpRow& row : tcpRows(local)) {
    if (row.state == state) return true;
  }
  return false;
}

/// A listening socket's accept queue length: what `ss -lnt` shows as Recv-Q. For a listener,
/// TCP_INFO reports it in tcpi_unacked (tcp_get_info() in net/ipv4/tcp.c).
unsigned acceptQueueLength(const Socket& listener) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(listener.fd(), IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_unacked;
}

/// Sends until send() would block: the sender's send buffer and the receiver's receive buffer
/// are then full (the receiver reads nothing meanwhile). Returns the bytes the kernel took.
/// A small SO_SNDBUF keeps the amount, and the test, small.
size_t fillUntilBlocked(Socket& sender) {
  int sndbuf = 64 * 1024;
  ::setsockopt(sender.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  std::string chunk(16 * 1024, 'x');
  size_t total = 0;
  while (true) {
    ssize_t n = ::send(sender.fd(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

/// send() that reports the errno, 0 on success (for the "writing after shutdown" checks).
int sendErrno(const Socket& socket, std::string_view data) {
  ssize_t n = ::send(socket.fd(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n < 0 ? errno : 0;
}

// ---------------------------------------------------------------------------------------------
// TCP_NODELAY

TEST(TcpNoDelay, SetAndReadBack) {
  Socket socket = Socket::createTcp(AF_INET);
  EXPECT_FALSE(socket.tcpNoDelay());  // Nagle is on by default
  socket.setTcpNoDelay(true);
  EXPECT_TRUE(socket.tcpNoDelay());
  socket.setTcpNoDelay(false);
  EXPECT_FALSE(socket.tcpNoDelay());
}

/// What the sender's kernel did with two 1-byte writes made back to back.
struct TwoTinyWrites {
  int unsent = -1;  ///< bytes queued but not yet sent (SIOCOUTQNSD, <linux/sockios.h>)
  std::chrono::microseconds secondArrival{};  ///< from the first write to the second byte
};

//! [twoTinyWrites]
TwoTinyWrites writeTwoTinySegments(bool noDelay) {
  // Retry when the test thread was descheduled for long enough that the receiver's delayed
  // ACK could have fired between the writes and the ioctl: then the count proves nothing.
  for (int attempt = 0;; ++attempt) {
    Socket listener = listenOnLoopback();
    ConnectedPair pair = connectPair(listener);
    EXPECT_TRUE(pair.server.valid());
    // The receiver delays its ACKs, as a server does in an interactive exchange. A fresh
    // connection starts in quick-ACK mode, which on loopback would hide Nagle entirely.
    int quickAck = 0;
    ::setsockopt(pair.server.fd(), IPPROTO_TCP, TCP_QUICKACK, &quickAck, sizeof quickAck);
    pair.client.setTcpNoDelay(noDelay);

    TwoTinyWrites result;
    auto start = steady_clock::now();
    EXPECT_EQ(::send(pair.client.fd(), "a", 1, 0), 1);  // nothing in flight: goes out at once
    EXPECT_EQ(::send(pair.client.fd(), "b", 1, 0), 1);  // Nagle: wait for the ACK of "a"
    ::ioctl(pair.client.fd(), SIOCOUTQNSD, &result.unsent);
    if (steady_clock::now() - start > 10ms && attempt < 5) continue;
    EXPECT_EQ(readExactly(pair.server.fd(), 2), "ab");
    result.secondArrival =
        std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now() - start);
    return result;
  }
}
//! [twoTinyWrites]

TEST(TcpNoDelay, NagleHoldsASecondSmallWriteUntilTheFirstIsAcknowledged) {
  TwoTinyWrites result = writeTwoTinySegments(/*noDelay=*/false);
  EXPECT_EQ(result.unsent, 1) << "\"b\" should wait in the send queue";
  // It leaves only when the delayed ACK of "a" comes back: Linux delays an ACK at least
  // TCP_DELACK_MIN = 40 ms (include/net/tcp.h). This is the Nagle + delayed-ACK stall.
  EXPECT_GE(result.secondArrival, 20ms);
  RecordProperty("second_byte_after_us", std::to_string(result.secondArrival.count()));
}

TEST(TcpNoDelay, NoDelaySendsTheSecondSmallWriteAtOnce) {
  TwoTinyWrites result = writeTwoTinySegments(/*noDelay=*/true);
  EXPECT_EQ(result.unsent, 0) << "with TCP_NODELAY nothing should wait";
  RecordProperty("second_byte_after_us", std::to_string(result.secondArrival.count()));
}

// ---------------------------------------------------------------------------------------------
// SO_REUSEADDR

TEST(ReuseAddr, SetAndReadBack) {
  Socket socket = Socket::createTcp(AF_INET);
  EXPECT_FALSE(socket.reuseAddr());
  socket.setReuseAddr(true);
  EXPECT_TRUE(socket.reuseAddr());
  socket.setReuseAddr(false);
  EXPECT_FALSE(socket.reuseAddr());
}

/// Runs one connection on a listener of 127.0.0.1:p and closes it from the server side first
/// (the active close), so the server's end of it sits in TIME_WAIT, holding 127.0.0.1:p for
/// 2*MSL (60 s on Linux). Then closes the listener too and returns p.
uint16_t leaveServerEndInTimeWait(bool listenerReuseAddr) {
  Socket listener = listenOnLoopback([&](Socket& s) { s.setReuseAddr(listenerReuseAddr); });
  InetAddress local = listener.localAddress();
  ConnectedPair pair = connectPair(listener);
  EXPECT_TRUE(pair.server.valid());
  pair.server = Socket();                        // server: FIN -> FIN_WAIT1 -> FIN_WAIT2
  EXPECT_TRUE(readToEnd(pair.client.fd()).eof);  // client: got FIN -> CLOSE_WAIT
  pair.client = Socket();                        // client: FIN; server: -> TIME_WAIT
  EXPECT_TRUE(waitUntil([&] { return hasRowInState(local, kTimeWait); }))
      << "the server end never reached TIME_WAIT";
  return local.port();
}

TEST(ReuseAddr, TimeWaitBlocksANewListenerWithoutTheOption) {
  uint16_t port = leaveServerEndInTimeWait(/*listenerReuseAddr=*/false);
  Socket restarted = Socket::createTcp(AF_INET);
  EXPECT_EQ(bindErrno(restarted, loopback(port)), EADDRINUSE);
}

TEST(ReuseAddr, TimeWaitDoesNotBlockWhenBothListenersSetIt) {
  uint16_t port = leaveServerEndInTimeWait(/*listenerReuseAddr=*/true);
  Socket restarted = Socket::createTcp(AF_INET);
  restarted.setReuseAddr(true);
  ASSERT_EQ(bindErrno(restarted, loopback(port)), 0);
  restarted.listen();
  ConnectedPair pair = connectPair(restarted);  // and it serves
  EXPECT_TRUE(pair.server.valid());
}

TEST(ReuseAddr, OnLinuxTheOldListenerMustHaveSetItToo) {
  // The TIME_WAIT entry keeps the flag of the socket it came from (inet_twsk_alloc copies
  // sk_reuse), and the bind check wants the flag on both sides: a server that starts without
  // SO_REUSEADDR blocks its own restart even if the restart sets it.
  uint16_t port = leaveServerEndInTimeWait(/*listenerReuseAddr=*/false);
  Socket restarted = Socket::createTcp(AF_INET);
  restarted.setReuseAddr(true);
  EXPECT_EQ(bindErrno(restarted, loopback(port)), EADDRINUSE);
}

// The study notes' point 1 ("with 0.0.0.0 bound, other addresses can still be bound") is the
// BSD rule. socket(7) on Linux: "a socket may bind, except when there is an active listening
// socket bound to the address". These two tests bind 0.0.0.0 for a moment, on an ephemeral port
// nobody connects to.
TEST(ReuseAddr, WildcardAndLoopbackShareAPortWhileNeitherListens) {
  Socket wildcard = Socket::createTcp(AF_INET);
  wildcard.setReuseAddr(true);
  wildcard.bindAddress(InetAddress(0));
  uint16_t port = wildcard.localAddress().port();

  Socket withoutOption = Socket::createTcp(AF_INET);
  EXPECT_EQ(bindErrno(withoutOption, loopback(port)), EADDRINUSE);

  Socket specific = Socket::createTcp(AF_INET);
  specific.setReuseAddr(true);
  EXPECT_EQ(bindErrno(specific, loopback(port)), 0);
  // Both bound, but only one of them may listen: the second listen() re-checks and fails.
  specific.listen();
  try {
    wildcard.listen();
    ADD_FAILURE() << "two listeners on 0.0.0.0:p and 127.0.0.1:p";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
  }
}

TEST(ReuseAddr, OnLinuxNothingBindsThePortOfAListeningWildcard) {
  Socket wildcard = Socket::createTcp(AF_INET);
  wildcard.setReuseAddr(true);
  wildcard.bindAddress(InetAddress(0));
  wildcard.listen();
  Socket specific = Socket::createTcp(AF_INET);
  specific.setReuseAddr(true);
  EXPECT_EQ(bindErrno(specific, loopback(wildcard.localAddress().port())), EADDRINUSE);
}

// ---------------------------------------------------------------------------------------------
// SO_REUSEPORT

TEST(ReusePort, SetAndReadBack) {
  Socket socket = Socket::createTcp(AF_INET);
  EXPECT_FALSE(socket.reusePort());
  socket.setReusePort(true);
  EXPECT_TRUE(socket.reusePort());
}

void setReusePort(Socket& socket) { socket.setReusePort(true); }

TEST(ReusePort, WithoutTheOptionOnBothTheSecondBindFails) {
  Socket first = listenOnLoopback(setReusePort);
  uint16_t port = first.localAddress().port();
  Socket without = Socket::createTcp(AF_INET);
  EXPECT_EQ(bindErrno(without, loopback(port)), EADDRINUSE);

  // "must be set on each socket (including the first socket)" (socket(7)).
  Socket plain = listenOnLoopback();
  Socket with = Socket::createTcp(AF_INET);
  with.setReusePort(true);
  EXPECT_EQ(bindErrno(with, loopback(plain.localAddress().port())), EADDRINUSE);
}

/// Two listeners in one SO_REUSEPORT group on 127.0.0.1:p.
struct ReusePortGroup {
  Socket first = listenOnLoopback(setReusePort);
  uint16_t port = first.localAddress().port();
  Socket second = listenOnLoopback(setReusePort, port);
};

constexpr int kConnections = 64;

// The kernel picks the listener of each new connection from a hash of its 4-tuple
// (reuseport_select_sock() in net/core/sock_reuseport.c). The clients' source ports differ, so
// each connection lands on either listener with probability ~1/2, independently: all 64 on the
// same one has probability 2 * 2^-64 = 2^-63. Not a flaky test.
TEST(ReusePort, TheKernelSpreadsConnectionsOverBothListeners) {
  ReusePortGroup group;
  std::vector<Socket> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(connectTo(group.port));
    ASSERT_TRUE(clients.back().valid());
  }
  // Each listener has its own accept queue: accept from whichever is ready until all are in.
  Socket* listeners[2] = {&group.first, &group.second};
  int accepted[2] = {0, 0};
  std::vector<Socket> servers;
  while (accepted[0] + accepted[1] < kConnections) {
    pollfd fds[2] = {{group.first.fd(), POLLIN, 0}, {group.second.fd(), POLLIN, 0}};
    ASSERT_GT(::poll(fds, 2, 5000), 0) << "connections missing after 5 s";
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      servers.push_back(listeners[i]->accept());
      ASSERT_TRUE(servers.back().valid());
      ++accepted[i];
    }
  }
  EXPECT_GT(accepted[0], 0);
  EXPECT_GT(accepted[1], 0);
  RecordProperty("split", std::to_string(accepted[0]) + "/" + std::to_string(accepted[1]));
}

TEST(ReusePort, ClosingAListenerResetsTheConnectionsQueuedOnIt) {
  if (readNumberFile("/proc/sys/net/ipv4/tcp_migrate_req").value_or(0) != 0) {
    GTEST_SKIP() << "net.ipv4.tcp_migrate_req=1 moves them to the other listener instead";
  }
  ReusePortGroup group;
  std::vector<Socket> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(connectTo(group.port));
    ASSERT_TRUE(clients.back().valid());
  }
  ASSERT_TRUE(waitUntil([&] {
    return acceptQueueLength(group.first) + acceptQueueLength(group.second) == kConnections;
  }));
  unsigned onSecond = acceptQueueLength(group.second);
  ASSERT_GT(onSecond, 0u);  // same probability argument as above

  group.second = Socket();  // its queued, never accepted connections die with it

  std::set<uint16_t> survivors;  // client ports of the connections queued on the first
  for (unsigned i = 0; i < kConnections - onSecond; ++i) {
    InetAddress peer;
    Socket server = group.first.accept(&peer);
    ASSERT_TRUE(server.valid());
    survivors.insert(peer.port());
  }
  unsigned reset = 0;
  for (Socket& client : clients) {
    if (survivors.count(client.localAddress().port()) != 0) continue;
    EXPECT_EQ(readSome(client.fd(), 1).error, ECONNRESET);
    ++reset;
  }
  EXPECT_EQ(reset, onSecond);
}

// ---------------------------------------------------------------------------------------------
// SO_KEEPALIVE and TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT

TEST(KeepAlive, SetAndReadBack) {
  Socket socket = Socket::createTcp(AF_INET);
  EXPECT_FALSE(socket.keepAlive());
  socket.setKeepAlive(true);
  EXPECT_TRUE(socket.keepAlive());
}

TEST(KeepAlive, ANewSocketUsesTheSystemWideTimers) {
  // Linux ships 7200 s, 75 s and 9 probes (tcp(7)); the study notes' "8" is wrong. Read the
  // machine's values rather than assume them: an administrator may have changed them.
  auto idle = readNumberFile("/proc/sys/net/ipv4/tcp_keepalive_time");
  auto interval = readNumberFile("/proc/sys/net/ipv4/tcp_keepalive_intvl");
  auto probes = readNumberFile("/proc/sys/net/ipv4/tcp_keepalive_probes");
  ASSERT_TRUE(idle && interval && probes) << "cannot read /proc/sys/net/ipv4/tcp_keepalive_*";
  RecordProperty("sysctls", std::to_string(*idle) + " s, " + std::to_string(*interval) + " s, " +
                                std::to_string(*probes) + " probes");

  KeepAliveParams params = Socket::createTcp(AF_INET).keepAliveParams();
  EXPECT_EQ(params.idleSeconds, *idle);
  EXPECT_EQ(params.intervalSeconds, *interval);
  EXPECT_EQ(params.probeCount, *probes);
}

TEST(KeepAlive, PerSocketTimersOverrideTheDefaultsForThatSocketOnly) {
  Socket tuned = Socket::createTcp(AF_INET);
  tuned.setKeepAliveParams({60, 10, 5});
  KeepAliveParams params = tuned.keepAliveParams();
  EXPECT_EQ(params.idleSeconds, 60);
  EXPECT_EQ(params.intervalSeconds, 10);
  EXPECT_EQ(params.probeCount, 5);
  EXPECT_EQ(Socket::createTcp(AF_INET).keepAliveParams().idleSeconds,
            readNumberFile("/proc/sys/net/ipv4/tcp_keepalive_time").value_or(-1));
}

TEST(KeepAlive, OutOfRangeTimersAreRefused) {
  Socket socket = Socket::createTcp(AF_INET);
  for (KeepAliveParams bad : {KeepAliveParams{0, 10, 5}, KeepAliveParams{60, 0, 5},
                              KeepAliveParams{60, 10, 0}, KeepAliveParams{60, 10, 128}}) {
    try {
      socket.setKeepAliveParams(bad);
      ADD_FAILURE() << "accepted " << bad.idleSeconds << "/" << bad.intervalSeconds << "/"
                    << bad.probeCount;
    } catch (const std::system_error& e) {
      EXPECT_EQ(e.code().value(), EINVAL);
    }
  }
}

TEST(KeepAlive, EnablingItArmsTheKeepaliveTimer) {
  // The probe itself needs at least a second of idleness and a peer that vanished, so this
  // shows the next best thing: the timer that will send it, as /proc/net/tcp (and
  // `ss -to`) reports it: timer 2 = keepalive, due in TCP_KEEPIDLE seconds.
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  InetAddress local = pair.client.localAddress();
  InetAddress remote = pair.client.peerAddress();
  auto row = [&] {
    std::vector<TcpRow> rows = tcpRows(local, &remote);
    return rows.empty() ? TcpRow{} : rows.front();
  };
  ASSERT_EQ(row().state, kEstablished);
  EXPECT_EQ(row().timer, 0) << "an idle connection without keepalive runs no timer";

  pair.client.setKeepAlive(true);
  pair.client.setKeepAliveParams({600, 60, 5});
  TcpRow armed = row();
  long ticksPerSecond = ::sysconf(_SC_CLK_TCK);
  EXPECT_EQ(armed.timer, 2);
  EXPECT_GT(armed.timerTicks, 590 * ticksPerSecond);
  EXPECT_LE(armed.timerTicks, 600 * ticksPerSecond);

  pair.client.setKeepAlive(false);
  EXPECT_EQ(row().timer, 0);
}

// ---------------------------------------------------------------------------------------------
// SO_LINGER

TEST(Linger, SetAndReadBack) {
  Socket socket = Socket::createTcp(AF_INET);
  EXPECT_EQ(socket.linger(), std::nullopt);  // off by default
  socket.setLinger(0);
  EXPECT_EQ(socket.linger(), 0);
  socket.setLinger(5);
  EXPECT_EQ(socket.linger(), 5);
  socket.setLinger(std::nullopt);
  EXPECT_EQ(socket.linger(), std::nullopt);
}

TEST(Linger, ZeroTimeoutMakesThePeersReadFailWithReset) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  pair.server.setLinger(0);
  pair.server = Socket();  // abortive close: RST, no FIN
  ReadResult result = readToEnd(pair.client.fd());
  EXPECT_FALSE(result.eof);
  EXPECT_EQ(result.error, ECONNRESET);
}

TEST(Linger, ZeroTimeoutLeavesNoTimeWaitBehind) {
  // Why people reach for {1, 0}, and why it is an abort: the connection goes straight to
  // CLOSED. A normal active close leaves the closer's end in TIME_WAIT for 60 s.
  Socket listener = listenOnLoopback();
  ConnectedPair aborted = connectPair(listener);
  ConnectedPair closed = connectPair(listener);
  ASSERT_TRUE(aborted.server.valid() && closed.server.valid());
  InetAddress abortedLocal = aborted.server.localAddress();
  InetAddress abortedPeer = aborted.server.peerAddress();
  InetAddress closedLocal = closed.server.localAddress();
  InetAddress closedPeer = closed.server.peerAddress();

  aborted.server.setLinger(0);
  aborted.server = Socket();
  EXPECT_EQ(readToEnd(aborted.client.fd()).error, ECONNRESET);
  EXPECT_TRUE(tcpRows(abortedLocal, &abortedPeer).empty()) << "the aborted end left a trace";

  closed.server = Socket();
  EXPECT_TRUE(readToEnd(closed.client.fd()).eof);
  closed.client = Socket();
  EXPECT_TRUE(waitUntil([&] {
    std::vector<TcpRow> rows = tcpRows(closedLocal, &closedPeer);
    return !rows.empty() && rows.front().state == kTimeWait;
  }));
}

TEST(Linger, ZeroTimeoutDropsTheDataNotYetSent) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  size_t sent = fillUntilBlocked(pair.server);  // part of it still sits in the send buffer
  pair.server.setLinger(0);
  pair.server = Socket();
  ReadResult result = readToEnd(pair.client.fd());
  EXPECT_LT(result.data.size(), sent) << "the unsent tail should have been dropped";
  EXPECT_EQ(result.error, ECONNRESET);
}

TEST(Linger, DefaultCloseReturnsAtOnceAndStillDeliversEverythingThenEof) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  size_t sent = fillUntilBlocked(pair.server);
  // This thread is also the reader: had close() waited for the data to be delivered, it would
  // never return. The kernel keeps sending from the orphaned socket after close().
  pair.server = Socket();
  ReadResult result = readToEnd(pair.client.fd());
  EXPECT_EQ(result.data.size(), sent);
  EXPECT_TRUE(result.eof);
  EXPECT_EQ(result.error, 0);
}

TEST(Linger, ShutdownDoesNotLingerOnLinux) {
  // socket(7) says "a close(2) or shutdown(2) will not return until..."; Linux's TCP waits
  // in close only (tcp_close() -> sk_stream_wait_close()). With a full send buffer that the
  // peer does not drain, a lingering shutdown would take the whole second.
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  size_t sent = fillUntilBlocked(pair.server);
  pair.server.setLinger(1);
  auto start = steady_clock::now();
  ASSERT_EQ(pair.server.shutdownWrite(), 0);
  EXPECT_LT(steady_clock::now() - start, 500ms);
  ReadResult result = readToEnd(pair.client.fd());  // and the FIN follows all the data
  EXPECT_EQ(result.data.size(), sent);
  EXPECT_TRUE(result.eof);
}

// Slow (about 1 s: SO_LINGER counts in whole seconds), so it runs only on request: set
// NET_SLOW_TESTS=1 and run build/step01_blocking/tests/step01_blocking_socket_options_test
// --gtest_filter='Linger.*'.
TEST(Linger, TimeoutBlocksCloseEvenOnANonBlockingSocketThenLetsTheDataGo) {
  if (std::getenv("NET_SLOW_TESTS") == nullptr) GTEST_SKIP() << "slow: set NET_SLOW_TESTS=1";
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  size_t sent = fillUntilBlocked(pair.server);  // the peer reads nothing: no ACK for the FIN
  pair.server.setLinger(1);
  ::fcntl(pair.server.fd(), F_SETFL, O_NONBLOCK);  // BSD would fail with EWOULDBLOCK here
  auto start = steady_clock::now();
  int rc = ::close(pair.server.release());
  auto blocked = steady_clock::now() - start;
  EXPECT_EQ(rc, 0) << "Linux reports no error when the linger time runs out";
  EXPECT_GE(blocked, 900ms);
  EXPECT_LT(blocked, 3s);
  // No RST at the deadline: the kernel goes on sending from the orphaned socket.
  ReadResult result = readToEnd(pair.client.fd());
  EXPECT_EQ(result.data.size(), sent);
  EXPECT_TRUE(result.eof);
}

// ---------------------------------------------------------------------------------------------
// shutdown

TEST(Shutdown, WriteSideSendsFinWhileTheSocketStillReads) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  ASSERT_EQ(pair.server.shutdownWrite(), 0);
  EXPECT_TRUE(readToEnd(pair.client.fd()).eof);           // the peer sees FIN: EOF
  EXPECT_EQ(sendErrno(pair.server, "more"), EPIPE);       // no more writing...
  ASSERT_TRUE(writeAll(pair.client.fd(), "answer"));      // ...but the peer may still talk
  EXPECT_EQ(readExactly(pair.server.fd(), 6), "answer");  // and we still read
}

TEST(Shutdown, ReadSideOnLinuxDiscardsNothingAndTellsThePeerNothing) {
  // The study notes say SHUT_RD discards the receive buffer: that is BSD (soshutdown() calls
  // sorflush()). Linux only marks the socket: read() returns 0 once the queue is empty.
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  ASSERT_TRUE(writeAll(pair.client.fd(), "queued"));
  ASSERT_TRUE(waitFor(pair.server.fd(), POLLIN, 5s));
  ASSERT_EQ(pair.server.shutdownRead(), 0);
  EXPECT_EQ(readExactly(pair.server.fd(), 6), "queued");  // queued data is still there
  ReadResult empty = readSome(pair.server.fd(), 1);
  EXPECT_TRUE(empty.eof);  // then EOF instead of blocking

  EXPECT_EQ(sendErrno(pair.client, "later"), 0);  // the peer is not refused...
  auto queued = [&] {
    int n = 0;
    ::ioctl(pair.server.fd(), FIONREAD, &n);
    return n;
  };
  ASSERT_TRUE(waitUntil([&] { return queued() == 5; }));  // ...its data is accepted...
  EXPECT_EQ(readExactly(pair.server.fd(), 5), "later");   // ...and readable
  EXPECT_TRUE(readSome(pair.client.fd(), 1, 200ms).timedOut) << "no FIN, no RST to the peer";
}

// ---------------------------------------------------------------------------------------------
// close vs shutdown: close drops one reference to the socket; shutdown acts on the socket

TEST(CloseVsShutdown, ClosingOneOfTwoDescriptorsSendsNoFin) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  Socket duplicate(::dup(pair.server.fd()));  // two fds, one open file description, one socket
  pair.server = Socket();
  // Nothing may arrive; 200 ms of silence is the evidence (on loopback a FIN takes microseconds).
  EXPECT_TRUE(readSome(pair.client.fd(), 1, 200ms).timedOut);
  ASSERT_TRUE(writeAll(duplicate.fd(), "still open"));  // the connection works through the copy
  EXPECT_EQ(readExactly(pair.client.fd(), 10), "still open");
  duplicate = Socket();  // the last reference: now FIN
  EXPECT_TRUE(readToEnd(pair.client.fd()).eof);
}

TEST(CloseVsShutdown, ShutdownThroughOneDescriptorSendsFinForAll) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  Socket duplicate(::dup(pair.server.fd()));
  ASSERT_EQ(duplicate.shutdownWrite(), 0);
  EXPECT_TRUE(readToEnd(pair.client.fd()).eof);   // FIN, though pair.server is still open
  EXPECT_EQ(sendErrno(pair.server, "x"), EPIPE);  // the socket is shut, whichever fd
  ASSERT_TRUE(writeAll(pair.client.fd(), "y"));
  EXPECT_EQ(readExactly(pair.server.fd(), 1), "y");  // and both fds still exist and read
  EXPECT_NO_THROW(pair.server.localAddress());
}

// ---------------------------------------------------------------------------------------------
// Graceful close: close() with unread input is an abort

/// A connection where the client sent "request" + "extra" and the server read only "request",
/// then queued a response bigger than the buffers can hold while the client reads nothing.
struct UnreadInput {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  size_t responseBytes = 0;

  UnreadInput() {
    EXPECT_TRUE(writeAll(pair.client.fd(), "requestextra"));
    char request[7];
    EXPECT_EQ(::recv(pair.server.fd(), request, sizeof request, MSG_WAITALL), 7);
    responseBytes = fillUntilBlocked(pair.server);
  }
};

TEST(GracefulClose, CloseWithUnreadInputSendsResetAndLosesTheTail) {
  UnreadInput conn;
  conn.pair.server = Socket();  // RFC 1122 4.2.2.13: unread data at close -> RST
  ReadResult result = readToEnd(conn.pair.client.fd());
  EXPECT_LT(result.data.size(), conn.responseBytes);
  EXPECT_EQ(result.error, ECONNRESET);
}

TEST(GracefulClose, ShutdownThenReadToEofThenCloseDeliversEverything) {
  UnreadInput conn;
  ASSERT_EQ(conn.pair.server.shutdownWrite(), 0);  // 1. FIN after the response
  ReadResult atClient = readToEnd(conn.pair.client.fd());
  EXPECT_EQ(atClient.data.size(), conn.responseBytes);
  EXPECT_TRUE(atClient.eof);
  conn.pair.client = Socket();                             // the client is done and closes
  ReadResult atServer = readToEnd(conn.pair.server.fd());  // 2. drain until the peer's EOF
  EXPECT_EQ(atServer.data, "extra");
  EXPECT_TRUE(atServer.eof);
  conn.pair.server = Socket();  // 3. close: FIN is out, nothing is unread: just release
}

}  // namespace
