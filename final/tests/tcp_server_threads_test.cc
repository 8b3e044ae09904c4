// TcpServer with sub loops: the main loop accepts and hands each connection to the next loop
// thread in turn; every callback of a connection runs on that connection's thread; destroying
// the server closes the connections on their threads and joins every thread.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "EventLoop.h"
#include "LoopTestUtil.h"
#include "TcpConnection.h"
#include "TcpServer.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

std::string idText(std::thread::id id) {
  std::ostringstream text;
  text << id;
  return text.str();
}

/// The server runs on a LoopThread (the main loop); every callback logs
/// "<event> <connection number> <thread id>".
class TcpServerThreadsTest : public ::testing::Test {
 protected:
  ~TcpServerThreadsTest() override { destroyServer(); }

  uint16_t startServer(int threads) {
    return main_.call([&] {
      server_ = std::make_unique<TcpServer>(main_.loop(), InetAddress(0, true), "thr");
      server_->setThreadNum(threads);
      server_->setThreadInitCallback([this](EventLoop* loop) {
        log_.add("init " + idText(std::this_thread::get_id()) +
                 (loop->isInLoopThread() ? " own" : " foreign"));
      });
      server_->setConnectionCallback([this](const TcpConnectionPtr& conn) {
        log_.add(std::string(conn->connected() ? "up " : "down ") + number(conn) + " " +
                 idText(std::this_thread::get_id()));
      });
      server_->setMessageCallback([this](const TcpConnectionPtr& conn, Buffer* buf) {
        log_.add("message " + number(conn) + " " + idText(std::this_thread::get_id()));
        conn->send(buf->retrieveAllAsString());
      });
      server_->start();
      return server_->listenAddress().port();
    });
  }

  /// "#3" -> "3": the connection's number, in accept order.
  static std::string number(const TcpConnectionPtr& conn) {
    return conn->name().substr(conn->name().rfind('#') + 1);
  }

  void destroyServer() {
    main_.call([&] { server_.reset(); });
  }

  /// The events of one kind ("up", "down", "message", "init"): connection number -> thread.
  std::multimap<std::string, std::string> eventsOf(const std::string& kind) {
    std::multimap<std::string, std::string> result;
    for (const std::string& event : log_.events()) {
      std::istringstream fields(event);
      std::string what;
      std::string first;
      std::string second;
      fields >> what >> first >> second;
      if (what == kind) result.emplace(first, second);
    }
    return result;
  }

  EventLog log_;
  LoopThread main_;
  std::unique_ptr<TcpServer> server_;
};

TEST_F(TcpServerThreadsTest, ConnectionsGoRoundRobinOverTheLoopThreads) {
  uint16_t port = startServer(4);
  std::vector<Socket> clients;
  for (int i = 1; i <= 8; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
    // One at a time, so that accept order is connection order.
    ASSERT_EQ(log_.waitForPrefix("up " + std::to_string(i) + " ").empty(), false);
  }
  auto init = eventsOf("init");
  auto up = eventsOf("up");
  ASSERT_EQ(init.size(), 4u);
  ASSERT_EQ(up.size(), 8u);
  for (const auto& [thread, where] : init) EXPECT_EQ(where, "own") << thread;
  std::set<std::string> threads;
  for (int i = 1; i <= 8; ++i) threads.insert(up.find(std::to_string(i))->second);
  EXPECT_EQ(threads.size(), 4u);
  EXPECT_EQ(threads.count(idText(main_.threadId())), 0u) << "the main loop only accepts";
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(up.find(std::to_string(i))->second, up.find(std::to_string(i + 4))->second)
        << "connections " << i << " and " << i + 4 << " share a loop";
    EXPECT_EQ(init.count(up.find(std::to_string(i))->second), 1u) << "an initialised thread";
  }
  EXPECT_EQ(threadNamesStartingWith("thr-io"), 4);
}

TEST_F(TcpServerThreadsTest, EveryCallbackOfAConnectionRunsOnItsThread) {
  uint16_t port = startServer(3);
  std::vector<Socket> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
  }
  for (int round = 0; round < 3; ++round) {
    for (Socket& client : clients) {
      ASSERT_TRUE(writeAll(client.fd(), "ping"));
      ASSERT_EQ(readExactly(client.fd(), 4), "ping");
    }
  }
  for (Socket& client : clients) client = Socket();
  for (int i = 1; i <= 6; ++i) log_.waitForPrefix("down " + std::to_string(i) + " ");
  auto up = eventsOf("up");
  auto messages = eventsOf("message");
  auto down = eventsOf("down");
  ASSERT_EQ(up.size(), 6u);
  ASSERT_EQ(down.size(), 6u);
  EXPECT_GE(messages.size(), 18u);
  for (const auto& [conn, thread] : messages) EXPECT_EQ(thread, up.find(conn)->second) << conn;
  for (const auto& [conn, thread] : down) EXPECT_EQ(thread, up.find(conn)->second) << conn;
  // After the down callback, the removal still has to hop to the main loop for the map.
  EXPECT_TRUE(
      waitUntil([&] { return main_.call([&] { return server_->connectionCount(); }) == 0; }));
}

TEST_F(TcpServerThreadsTest, DestroyingTheServerClosesConnectionsOnTheirThreadsAndJoins) {
  uint16_t port = startServer(4);
  std::vector<Socket> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
    ASSERT_TRUE(writeAll(clients.back().fd(), "hello"));
    ASSERT_EQ(readExactly(clients.back().fd(), 5), "hello");
  }
  EXPECT_EQ(threadNamesStartingWith("thr-io"), 4);
  destroyServer();
  // The destructor returned: every loop thread has been joined.
  EXPECT_EQ(threadNamesStartingWith("thr-io"), 0);
  for (Socket& client : clients) {
    ReadResult result = readToEnd(client.fd());
    EXPECT_TRUE(result.eof) << "timed out: " << result.timedOut << ", error " << result.error;
  }
  auto up = eventsOf("up");
  auto down = eventsOf("down");
  ASSERT_EQ(down.size(), 8u) << "every connection is reported down";
  for (const auto& [conn, thread] : down) EXPECT_EQ(thread, up.find(conn)->second) << conn;
}

TEST_F(TcpServerThreadsTest, WithoutThreadsEverythingRunsOnTheMainLoop) {
  uint16_t port = startServer(0);
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  ASSERT_TRUE(writeAll(client.fd(), "ping"));
  ASSERT_EQ(readExactly(client.fd(), 4), "ping");
  client = Socket();
  log_.waitForPrefix("down ");
  std::string main = idText(main_.threadId());
  EXPECT_EQ(eventsOf("init"), (std::multimap<std::string, std::string>{{main, "own"}}));
  EXPECT_EQ(eventsOf("up"), (std::multimap<std::string, std::string>{{"1", main}}));
  EXPECT_EQ(eventsOf("message"), (std::multimap<std::string, std::string>{{"1", main}}));
  EXPECT_EQ(eventsOf("down"), (std::multimap<std::string, std::string>{{"1", main}}));
  EXPECT_EQ(threadNamesStartingWith("thr-io"), 0);
}

TEST_F(TcpServerThreadsTest, PeersClosingWhileTheServerIsDestroyedIsSafe) {
  // Removals queued on the main loop by the sub loops race with the destructor: they must find
  // the server gone and do nothing (AddressSanitizer and ThreadSanitizer watch).
  uint16_t port = startServer(2);
  std::vector<Socket> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
  }
  for (int i = 1; i <= 20; ++i) log_.waitForPrefix("up " + std::to_string(i) + " ");
  std::thread closer([&] {
    for (Socket& client : clients) client = Socket();
  });
  destroyServer();
  closer.join();
  EXPECT_EQ(eventsOf("down").size(), 20u);
  EXPECT_EQ(threadNamesStartingWith("thr-io"), 0);
}

TEST(TcpServerThreads, CreatedAndDestroyedWithoutTheMainLoopEverRunning) {
  EventLoop loop;  // this thread's; loop() is never called
  {
    TcpServer server(&loop, InetAddress(0, true), "idle");
    server.setThreadNum(3);
    server.start();  // on the loop thread: runs at once, starting the sub loops
    EXPECT_EQ(threadNamesStartingWith("idle-io"), 3);
    Socket client = connectTo(server.listenAddress().port());  // queued, never accepted
    EXPECT_TRUE(client.valid());
  }
  EXPECT_EQ(threadNamesStartingWith("idle-io"), 0);
  {
    TcpServer never(&loop, InetAddress(0, true), "never");
    never.setThreadNum(3);  // never started: no thread to join
  }
}

}  // namespace
