// TcpServer and TcpConnection on one loop: callbacks in order with the right bytes, connections
// leaving the server's map when they close, closing from inside a callback, the server closing
// its connections when it is destroyed, and data that arrives together with the peer's FIN.
// The loop runs on its own thread; the test talks to it through blocking client sockets.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "LoopTestUtil.h"
#include "TcpConnection.h"
#include "TcpServer.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

std::string pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + i % 23);
  return data;
}

/// Blocks the loop thread until release() so that several things happen to a socket before the
/// loop looks at it again: they arrive in one epoll_wait round.
class LoopBlocker {
 public:
  explicit LoopBlocker(LoopThread& loop) {
    std::promise<void> blocked;
    std::future<void> isBlocked = blocked.get_future();
    loop.loop()->runInLoop([this, &blocked] {
      blocked.set_value();
      release_.get_future().wait();
    });
    isBlocked.wait();
  }
  void release() { release_.set_value(); }

 private:
  std::promise<void> release_;
};

class TcpServerTest : public ::testing::Test {
 protected:
  ~TcpServerTest() override { destroyServer(); }

  /// Creates the server on the loop thread, lets `configure` set its callbacks, starts it and
  /// returns its port.
  template <typename Configure>
  uint16_t startServer(Configure configure) {
    return loop_.call([&] {
      server_ = std::make_unique<TcpServer>(loop_.loop(), InetAddress(0, true), "test");
      configure(*server_);
      server_->start();
      return server_->listenAddress().port();
    });
  }

  /// A server whose connection callback logs "up <name>" / "down <name>".
  uint16_t startLoggingServer(MessageCallback onMessage = {}) {
    return startServer([&](TcpServer& server) {
      server.setConnectionCallback([this](const TcpConnectionPtr& conn) {
        log_.add((conn->connected() ? "up " : "down ") + conn->name());
      });
      if (onMessage) server.setMessageCallback(std::move(onMessage));
    });
  }

  size_t connectionCount() {
    return loop_.call([&] { return server_->connectionCount(); });
  }

  void destroyServer() {
    loop_.call([&] { server_.reset(); });
  }

  // What the callbacks record. Members, not locals of a test, because a connection still open
  // when a test ends is reported down by the fixture's destructor.
  EventLog log_;
  std::string received_;                           ///< loop thread only
  std::map<std::string, TcpConnectionPtr> owned_;  ///< loop thread only
  LoopThread loop_;
  std::unique_ptr<TcpServer> server_;
};

TEST_F(TcpServerTest, ConnectionCallbackSeesUpThenDown) {
  uint16_t port = startServer([&](TcpServer& server) {
    server.setConnectionCallback([this](const TcpConnectionPtr& conn) {
      log_.add(conn->name() + " " + TcpConnection::stateToString(conn->state()) + " " +
               conn->peerAddress().toIpPort());
    });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  std::string prefix = "test#1 ";
  std::string peer = client.localAddress().toIpPort();
  ASSERT_EQ(log_.waitFor(1), std::vector<std::string>{prefix + "kConnected " + peer});
  client = Socket();  // close: the server reads EOF
  EXPECT_EQ(log_.waitFor(2), (std::vector<std::string>{prefix + "kConnected " + peer,
                                                       prefix + "kDisconnected " + peer}));
}

TEST_F(TcpServerTest, MessageCallbackReceivesExactlyTheBytesSent) {
  uint16_t port = startLoggingServer([&](const TcpConnectionPtr&, Buffer* buf) {
    log_.add("message of " + std::to_string(buf->readableBytes()) + " bytes");
    received_.append(buf->retrieveAllAsString());
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  std::string message = pattern(300 * 1000);
  ASSERT_TRUE(writeAll(client.fd(), message));
  ASSERT_EQ(client.shutdownWrite(), 0);
  // up, at least three reads (one read takes at most the Buffer's free space plus 64 KiB:
  // 66,552 bytes, then 132,088, then 197,624), down after the FIN
  std::vector<std::string> events = log_.waitForPrefix("down ");
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.back().rfind("down ", 0), 0u) << events.back();
  EXPECT_EQ(loop_.call([&] { return received_.size(); }), message.size());
  EXPECT_TRUE(loop_.call([&] { return received_ == message; })) << "the bytes differ";
}

TEST_F(TcpServerTest, EchoesThroughSendAndPendingOutput) {
  // The client writes 8 MiB before it reads anything: the server's replies fill the client's
  // receive buffer and the server's send buffer (tcp_wmem max is 4 MiB), so send() must keep
  // the rest and finish it on EPOLLOUT.
  uint16_t port = startLoggingServer(
      [](const TcpConnectionPtr& conn, Buffer* buf) { conn->send(buf->retrieveAllAsString()); });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  std::string message = pattern(8 << 20);
  ASSERT_TRUE(writeAll(client.fd(), message));  // the server never stops reading
  std::string echoed = readExactly(client.fd(), message.size());
  EXPECT_EQ(echoed.size(), message.size());
  EXPECT_TRUE(echoed == message) << "the echoed bytes differ";
}

TEST_F(TcpServerTest, SendKeepsWhatTheKernelCannotTakeAndReportsWriteCompleteOnce) {
  std::string message = pattern(8 << 20);
  uint16_t port = startServer([&](TcpServer& server) {
    server.setConnectionCallback([&](const TcpConnectionPtr& conn) {
      if (conn->connected()) conn->send(message);  // far more than the socket buffer holds
    });
    server.setWriteCompleteCallback(
        [this](const TcpConnectionPtr& conn) { log_.add("write complete " + conn->name()); });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  std::string received = readExactly(client.fd(), message.size());
  EXPECT_TRUE(received == message) << "got " << received.size() << " bytes";
  ASSERT_EQ(log_.waitFor(1).size(), 1u);
  // Once, although the kernel took the 8 MiB in many pieces: the callback means "all of it".
  EXPECT_EQ(loop_.call([&] { return log_.events().size(); }), 1u);
}

TEST_F(TcpServerTest, ShutdownSendsFinAfterThePendingOutput) {
  std::string message = pattern(8 << 20);
  uint16_t port = startServer([&](TcpServer& server) {
    server.setConnectionCallback([&](const TcpConnectionPtr& conn) {
      if (!conn->connected()) return;
      conn->send(message);
      conn->shutdown();
      EXPECT_EQ(conn->state(), TcpConnection::kDisconnecting);
      conn->send("dropped: after shutdown() there is nobody to send to");
    });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  ReadResult result = readToEnd(client.fd());
  EXPECT_TRUE(result.data == message) << "got " << result.data.size() << " bytes";
  EXPECT_TRUE(result.eof);
}

TEST_F(TcpServerTest, PeerCloseRemovesTheConnectionFromTheServer) {
  uint16_t port = startLoggingServer();
  std::vector<Socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
  }
  ASSERT_EQ(log_.waitFor(3).size(), 3u);
  EXPECT_EQ(connectionCount(), 3u);
  clients[1] = Socket();
  std::vector<std::string> events = log_.waitFor(4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3], "down test#2");
  // The removal ran inside the same loop round as the callback, before this call's functor.
  EXPECT_EQ(connectionCount(), 2u);
}

TEST_F(TcpServerTest, CallbackThatDropsTheLastReferenceAndClosesIsSafe) {
  // The application keeps its own references and lets go of the last one inside the message
  // callback, then keeps using the connection. Under AddressSanitizer a use after free fails.
  uint16_t port = startServer([&](TcpServer& server) {
    server.setConnectionCallback([this](const TcpConnectionPtr& conn) {
      if (conn->connected()) {
        owned_[conn->name()] = conn;
      } else {
        log_.add("down, still owned: " + std::to_string(owned_.count(conn->name())));
      }
    });
    server.setMessageCallback([this](const TcpConnectionPtr& conn, Buffer*) {
      owned_.erase(conn->name());
      conn->forceClose();
      conn->send("ignored: the connection is closing");
      log_.add(std::string("message, state ") + TcpConnection::stateToString(conn->state()));
    });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  ASSERT_TRUE(writeAll(client.fd(), "bye"));
  ReadResult result = readToEnd(client.fd());
  EXPECT_TRUE(result.eof);
  EXPECT_EQ(result.data, "");
  EXPECT_EQ(log_.waitFor(2),
            (std::vector<std::string>{"message, state kDisconnecting", "down, still owned: 0"}));
  EXPECT_EQ(connectionCount(), 0u);
}

TEST_F(TcpServerTest, ServerDestroyedInsideAMessageCallbackIsSafe) {
  // Three connections become readable in one round; the first message callback destroys the
  // server. The connection being dispatched must survive until its dispatch is over
  // (Channel::tie), and the other two must not be freed while the round's list of active
  // Channels still points at them. AddressSanitizer reports a use after free otherwise.
  uint16_t port = startLoggingServer([this](const TcpConnectionPtr&, Buffer*) {
    server_.reset();
    log_.add("server destroyed");
  });
  std::vector<Socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
  }
  ASSERT_EQ(log_.waitFor(3).size(), 3u);
  LoopBlocker blocker(loop_);
  for (Socket& client : clients) ASSERT_TRUE(writeAll(client.fd(), "quit"));
  blocker.release();
  for (Socket& client : clients) {
    // Closed by the server. Two of them with their "quit" still unread, which makes the kernel
    // answer the close with a reset (RFC 2525, section 2.17) instead of a FIN.
    ReadResult result = readToEnd(client.fd());
    EXPECT_TRUE(result.eof || result.error == ECONNRESET) << "timed out: " << result.timedOut;
  }
  std::vector<std::string> events = log_.waitFor(7);
  ASSERT_EQ(events.size(), 7u);
  for (int i = 3; i < 6; ++i) EXPECT_EQ(events[i].rfind("down ", 0), 0u) << events[i];
  EXPECT_EQ(events[6], "server destroyed") << "one message callback ran, the others were dropped";
}

TEST_F(TcpServerTest, ForceCloseFromAnotherThread) {
  std::promise<TcpConnectionPtr> accepted;
  uint16_t port = startServer([&](TcpServer& server) {
    server.setConnectionCallback([&](const TcpConnectionPtr& conn) {
      if (conn->connected()) {
        accepted.set_value(conn);
      } else {
        log_.add("down");
      }
    });
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  std::future<TcpConnectionPtr> future = accepted.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  TcpConnectionPtr conn = future.get();
  conn->forceClose();  // from the test thread
  ASSERT_EQ(log_.waitFor(1), std::vector<std::string>{"down"});
  EXPECT_TRUE(conn->disconnected());
  EXPECT_EQ(connectionCount(), 0u);
  // The socket closes with the last reference, and ours is the last one now.
  conn.reset();
  EXPECT_TRUE(readToEnd(client.fd()).eof);
}

TEST_F(TcpServerTest, DestroyingTheServerClosesEveryConnection) {
  uint16_t port = startLoggingServer();
  std::vector<Socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
  }
  ASSERT_EQ(log_.waitFor(3).size(), 3u);
  destroyServer();
  for (Socket& client : clients) {
    ReadResult result = readToEnd(client.fd());
    EXPECT_TRUE(result.eof) << "timed out: " << result.timedOut << ", error " << result.error;
  }
  std::vector<std::string> events = log_.events();
  ASSERT_EQ(events.size(), 6u);
  for (int i = 3; i < 6; ++i) EXPECT_EQ(events[i].rfind("down ", 0), 0u) << events[i];
  EXPECT_FALSE(connectTo(port).valid()) << "the listening socket is closed too";
}

TEST_F(TcpServerTest, DataAndFinInOneRoundAreDeliveredThenClosed) {
  uint16_t port = startLoggingServer([&](const TcpConnectionPtr&, Buffer* buf) {
    log_.add("message " + buf->retrieveAllAsString());
  });
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  ASSERT_EQ(log_.waitFor(1).size(), 1u);
  LoopBlocker blocker(loop_);
  ASSERT_TRUE(writeAll(client.fd(), "last words"));
  ASSERT_EQ(client.shutdownWrite(), 0);
  blocker.release();
  std::vector<std::string> events = log_.waitFor(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1], "message last words");
  EXPECT_EQ(events[2].rfind("down ", 0), 0u) << events[2];
  EXPECT_EQ(connectionCount(), 0u);
}

TEST_F(TcpServerTest, EchoToAPeerThatClosedInTheSameRoundIsSafe) {
  // The client closes its socket right after writing: the echo meets a closed peer (EPIPE or
  // RST) while the connection is still inside its own read callback.
  uint16_t port = startLoggingServer(
      [&](const TcpConnectionPtr& conn, Buffer* buf) { conn->send(buf->retrieveAllAsString()); });
  std::vector<Socket> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(connectTo(port));
    ASSERT_TRUE(clients.back().valid());
  }
  ASSERT_EQ(log_.waitFor(5).size(), 5u);
  LoopBlocker blocker(loop_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(writeAll(clients[i].fd(), pattern(1000 * (i + 1))));
    if (i % 2 == 1) clients[i].setLinger(0);  // these reset instead of sending FIN
    clients[i] = Socket();
  }
  blocker.release();
  std::vector<std::string> events = log_.waitFor(10);
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(connectionCount(), 0u);
}

TEST_F(TcpServerTest, StartIsIdempotent) {
  uint16_t port = startServer([](TcpServer& server) { server.start(); });
  server_->start();  // from another thread, after the loop started it: nothing happens
  Socket client = connectTo(port);
  ASSERT_TRUE(client.valid());
  EXPECT_EQ(loop_.call([&] { return server_->listenAddress().port(); }), port);
}

}  // namespace
