// TcpServer::setIdleTimeout and its TimingWheel: a connection that moves no byte for the
// timeout is closed (the peer reads EOF) no earlier than the timeout after its last activity
// and within one tick after it; bytes in either direction count as activity; queued output
// that the peer does not take does not; the check is off by default; each sub loop watches
// its own connections.
//
// Timing: timeout 300 ms, tick 100 ms. Every measurement starts on the client before the
// activity it measures from (before connect(), before send()), so the server's own record of
// that activity is later still: "elapsed >= timeout" holds on any machine. The upper bound
// adds kAllowance to the tick for what follows the tick on the server (a timerfd wakeup, one
// loop round, close(), the FIN on loopback: well under a millisecond on an idle machine) and
// for a descheduled thread on a loaded one (sanitizers, one CPU). It is smaller than a tick, so
// a wheel that looked one tick late would still fail most runs.
#include <gtest/gtest.h>
#include <poll.h>

#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "EventLoop.h"
#include "LoopTestUtil.h"
#include "TcpConnection.h"
#include "TcpServer.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;
using namespace std::chrono_literals;

namespace {

constexpr Clock::duration kTimeout = 300ms;
constexpr Clock::duration kTick = 100ms;
constexpr Clock::duration kAllowance = 80ms;

std::string idText(std::thread::id id) {
  std::ostringstream text;
  text << id;
  return text.str();
}

class IdleTimeoutTest : public ::testing::Test {
 protected:
  ~IdleTimeoutTest() override {
    main_.call([&] { servers_.clear(); });
  }

  /// Starts an echo server on the main loop with `timeout` (nullopt: setIdleTimeout not
  /// called) and `threads` sub loops; every up and down is logged as
  /// "up|down <connection number> <thread id>". `configure` may add to it. Returns the port.
  uint16_t startServer(std::optional<Clock::duration> timeout, int threads = 0,
                       const std::function<void(TcpServer&)>& configure = {}) {
    return main_.call([&] {
      auto server = std::make_unique<TcpServer>(main_.loop(), InetAddress(0, true), "idle");
      server->setThreadNum(threads);
      if (timeout) server->setIdleTimeout(*timeout, kTick);
      server->setConnectionCallback([this](const TcpConnectionPtr& conn) {
        log_.add(std::string(conn->connected() ? "up " : "down ") + number(conn) + " " +
                 idText(std::this_thread::get_id()));
      });
      server->setMessageCallback([](const TcpConnectionPtr& conn, Buffer* buf) {
        conn->send(buf->retrieveAllAsString());
      });
      if (configure) configure(*server);
      server->start();
      servers_.push_back(std::move(server));
      return servers_.back()->listenAddress().port();
    });
  }

  /// "#3" -> "3": the connection's number, in accept order.
  static std::string number(const TcpConnectionPtr& conn) {
    return conn->name().substr(conn->name().rfind('#') + 1);
  }

  /// The thread that logged `event` ("up 1", "down 2") for a connection, or "" if none did.
  std::string threadOf(const std::string& event) {
    for (const std::string& line : log_.events()) {
      if (line.rfind(event + " ", 0) == 0) return line.substr(event.size() + 1);
    }
    return "";
  }

  // Declared in this order so that the servers go first (destructor), then the loop, then
  // what the callbacks write to.
  EventLog log_;
  LoopThread main_;
  std::vector<std::unique_ptr<TcpServer>> servers_;  ///< main loop thread only
};

/// Sends "ping" and reads the echo; false if the connection failed or closed.
bool pingPong(const Socket& client) {
  return writeAll(client.fd(), "ping") && readExactly(client.fd(), 4) == "ping";
}

/// Whether the peer has sent nothing, not even EOF, for `duration`: a bounded wait for an
/// event that must not come.
bool staysQuiet(const Socket& client, Clock::duration duration) {
  return !waitFor(client.fd(), POLLIN,
                  std::chrono::duration_cast<std::chrono::milliseconds>(duration));
}

TEST_F(IdleTimeoutTest, IdleConnectionIsClosedWithinOneTickAfterTheTimeout) {
  uint16_t port = startServer(kTimeout);
  Clock::time_point start = Clock::now();  // before connect(): the server starts counting later
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  ReadResult result = readToEnd(client.fd(), 5s);  // the safety net, not the measurement
  Clock::duration idle = Clock::now() - start;
  EXPECT_TRUE(result.eof);
  EXPECT_TRUE(result.data.empty());
  EXPECT_GE(idle, kTimeout);
  EXPECT_LE(idle, kTimeout + kTick + kAllowance);
  // Closed by the server as any other close: reported down, and out of the server's map.
  log_.waitForPrefix("down 1");
  EXPECT_FALSE(threadOf("down 1").empty());
  EXPECT_EQ(main_.call([&] { return servers_[0]->connectionCount(); }), 0u);
}

TEST_F(IdleTimeoutTest, ActivityMovesTheDeadlineToTimeoutAfterTheLastByte) {
  uint16_t port = startServer(kTimeout);
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  ASSERT_TRUE(staysQuiet(client, kTimeout / 2));
  Clock::time_point lastActivity = Clock::now();  // before send(): the server reads it later
  ASSERT_TRUE(pingPong(client));
  ReadResult result = readToEnd(client.fd(), 5s);
  Clock::duration idle = Clock::now() - lastActivity;
  EXPECT_TRUE(result.eof);
  EXPECT_GE(idle, kTimeout);
  EXPECT_LE(idle, kTimeout + kTick + kAllowance);
}

TEST_F(IdleTimeoutTest, ConnectionThatOnlySendsCountsAsActive) {
  // The server reads and answers nothing: only the bytes it reads keep the connection alive.
  uint16_t port = startServer(kTimeout, 0, [](TcpServer& server) {
    server.setMessageCallback([](const TcpConnectionPtr&, Buffer* buf) { buf->retrieveAll(); });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  // A message every half tick for three timeouts: at most a sixth of the timeout without
  // activity, which leaves the client thread 250 ms to be late. An EOF would end the wait.
  Clock::time_point end = Clock::now() + 3 * kTimeout;
  int messages = 0;
  while (Clock::now() < end) {
    ASSERT_TRUE(staysQuiet(client, kTick / 2)) << "closed after " << messages << " messages";
    ASSERT_TRUE(writeAll(client.fd(), "ping"));
    ++messages;
  }
  EXPECT_GE(messages, 6);
  EXPECT_TRUE(threadOf("down 1").empty());
}

TEST_F(IdleTimeoutTest, ConnectionThatOnlyReceivesCountsAsActive) {
  // The server writes every half tick; the client never sends a byte. Same margins as above.
  uint16_t port = startServer(kTimeout, 0, [](TcpServer& server) {
    server.setConnectionCallback([](const TcpConnectionPtr& conn) {
      EventLoop* loop = conn->getLoop();
      if (conn->connected()) {
        std::weak_ptr<TcpConnection> weak = conn;
        conn->setContext(loop->runEvery(kTick / 2, [weak] {
          if (auto c = weak.lock()) c->send("tick");
        }));
      } else {
        loop->cancel(std::any_cast<TimerId>(conn->getContext()));
      }
    });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  Clock::time_point end = Clock::now() + 3 * kTimeout;
  int ticks = 0;
  while (Clock::now() < end) {
    ReadResult result = readSome(client.fd(), 4, 2s);
    ASSERT_FALSE(result.eof) << "closed after " << ticks << " ticks received";
    ASSERT_EQ(result.data, "tick");
    ++ticks;
  }
  EXPECT_GE(ticks, 6);
}

TEST_F(IdleTimeoutTest, PeerThatNeverReadsIsClosedOnceOurOutputStopsMoving) {
  // Queued output is not activity: once the socket buffers are full, nothing moves, and the
  // connection is as idle as a silent one.
  uint16_t port = startServer(kTimeout, 0, [this](TcpServer& server) {
    server.setConnectionCallback([this](const TcpConnectionPtr& conn) {
      log_.add(conn->connected() ? "up" : "down");
      if (conn->connected()) conn->send(std::string(16 << 20, 'x'));  // far beyond the buffers
    });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  EXPECT_EQ(log_.waitForPrefix("down", 5s), (std::vector<std::string>{"up", "down"}));
  EXPECT_EQ(main_.call([&] { return servers_[0]->connectionCount(); }), 0u);
}

TEST_F(IdleTimeoutTest, OffByDefaultAndWithAZeroTimeout) {
  uint16_t portDefault = startServer(std::nullopt);
  uint16_t portZero = startServer(Clock::duration::zero());
  uint16_t portOn = startServer(kTimeout);
  Socket byDefault = connectTo(portDefault);
  Socket zero = connectTo(portZero);
  Socket on = connectTo(portOn);
  ASSERT_TRUE(byDefault.valid() && zero.valid() && on.valid());
  // The server with the timeout is the clock: when it has closed its connection, and one tick
  // and the allowance later, the other two have been idle as long, and are still open.
  ASSERT_TRUE(readToEnd(on.fd(), 5s).eof);
  EXPECT_TRUE(staysQuiet(byDefault, kTick + kAllowance));
  EXPECT_TRUE(staysQuiet(zero, Clock::duration::zero()));
  EXPECT_TRUE(pingPong(byDefault));
  EXPECT_TRUE(pingPong(zero));
}

TEST_F(IdleTimeoutTest, EachSubLoopClosesItsOwnIdleConnections) {
  uint16_t port = startServer(kTimeout, 2);
  // Round robin over two sub loops: 1 and 3 on one, 2 and 4 on the other. 1 and 2 stay idle,
  // 3 and 4 keep talking.
  Clock::time_point start = Clock::now();
  std::vector<Socket> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
  }
  ASSERT_EQ(log_.waitFor(4).size(), 4u);
  std::vector<std::optional<Clock::duration>> closedAfter(2);
  Clock::time_point safetyNet = start + 5s;
  while ((!closedAfter[0] || !closedAfter[1]) && Clock::now() < safetyNet) {
    pollfd idle[2] = {{clients[0].fd(), POLLIN, 0}, {clients[1].fd(), POLLIN, 0}};
    auto halfTick = std::chrono::duration_cast<std::chrono::milliseconds>(kTick / 2);
    ASSERT_GE(::poll(idle, 2, static_cast<int>(halfTick.count())), 0);
    for (int i = 0; i < 2; ++i) {
      if ((idle[i].revents & POLLIN) != 0 && !closedAfter[i]) {
        closedAfter[i] = Clock::now() - start;
        EXPECT_TRUE(readToEnd(clients[i].fd(), 1s).eof) << "connection " << i + 1;
      }
    }
    ASSERT_TRUE(pingPong(clients[2]));
    ASSERT_TRUE(pingPong(clients[3]));
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(closedAfter[i].has_value()) << "connection " << i + 1 << " was not closed";
    EXPECT_GE(*closedAfter[i], kTimeout) << "connection " << i + 1;
    EXPECT_LE(*closedAfter[i], kTimeout + kTick + kAllowance) << "connection " << i + 1;
  }
  log_.waitForPrefix("down 2");
  // Each was closed on its own loop's thread, the one it came up on, and not the main loop's.
  std::string loopA = threadOf("up 1");
  std::string loopB = threadOf("up 2");
  EXPECT_NE(loopA, loopB);
  EXPECT_NE(loopA, idText(main_.threadId()));
  EXPECT_NE(loopB, idText(main_.threadId()));
  EXPECT_EQ(threadOf("down 1"), loopA);
  EXPECT_EQ(threadOf("down 2"), loopB);
  EXPECT_EQ(threadOf("up 3"), loopA);
  EXPECT_EQ(threadOf("up 4"), loopB);
  EXPECT_TRUE(threadOf("down 3").empty());
  EXPECT_TRUE(threadOf("down 4").empty());
}

}  // namespace
