// TcpConnection on its own, driven by the test as its owner (no TcpServer): the state names,
// the life of a connection that is never established, and the Channel tie that keeps a
// connection alive while its own event is dispatched.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "LoopTestUtil.h"
#include "TcpConnection.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// The server end of a fresh loopback connection, non-blocking as TcpConnection needs it, and
/// the client end.
struct AcceptedPair {
  Socket client;
  Socket server;
};

AcceptedPair acceptedPair() {
  Socket listener = listenOnLoopback();
  AcceptedPair pair;
  pair.client = connectTo(listener.localAddress().port());
  pair.server = listener.acceptNonBlocking();
  return pair;
}

TEST(TcpConnection, StateNames) {
  EXPECT_STREQ(TcpConnection::stateToString(TcpConnection::kDisconnected), "kDisconnected");
  EXPECT_STREQ(TcpConnection::stateToString(TcpConnection::kConnecting), "kConnecting");
  EXPECT_STREQ(TcpConnection::stateToString(TcpConnection::kConnected), "kConnected");
  EXPECT_STREQ(TcpConnection::stateToString(TcpConnection::kDisconnecting), "kDisconnecting");
}

TEST(TcpConnection, NeverEstablishedIsDestroyedQuietly) {
  LoopThread loop;
  AcceptedPair pair = acceptedPair();
  ASSERT_TRUE(pair.server.valid());
  int callbacks = 0;
  loop.call([&] {
    InetAddress local = pair.server.localAddress();
    InetAddress peer = pair.server.peerAddress();
    auto conn =
        std::make_shared<TcpConnection>(loop.loop(), "never", std::move(pair.server), local, peer);
    conn->setConnectionCallback([&](const TcpConnectionPtr&) { ++callbacks; });
    EXPECT_EQ(conn->state(), TcpConnection::kConnecting);
    conn->connectDestroyed();  // kConnecting -> kDisconnected: nobody saw it up, nor down
    EXPECT_TRUE(conn->disconnected());
  });
  EXPECT_EQ(callbacks, 0);
  EXPECT_TRUE(readToEnd(pair.client.fd()).eof) << "the socket is closed with the connection";
}

TEST(TcpConnection, OwnerDroppingItInsideItsMessageCallbackIsSafe) {
  // The test is the owner and holds the only reference. Inside the message callback it tears
  // the connection down and lets go of it. Only the Channel's tie keeps the connection (and
  // the Channel, a member of it) alive until Channel::handleEvent() returns; without it the
  // Channel aborts, destroyed inside its own handleEvent(), or AddressSanitizer reports the
  // use after free.
  LoopThread loop;
  AcceptedPair pair = acceptedPair();
  ASSERT_TRUE(pair.server.valid());
  EventLog log;
  TcpConnectionPtr owner;  // loop thread only
  loop.call([&] {
    InetAddress local = pair.server.localAddress();
    InetAddress peer = pair.server.peerAddress();
    owner =
        std::make_shared<TcpConnection>(loop.loop(), "owned", std::move(pair.server), local, peer);
    owner->setConnectionCallback(
        [&](const TcpConnectionPtr& conn) { log.add(conn->connected() ? "up" : "down"); });
    owner->setMessageCallback([&](const TcpConnectionPtr& conn, const char* data, size_t len) {
      log.add("message " + std::string(data, len));
      conn->connectDestroyed();  // the owner's last call: reports down, unregisters
      owner.reset();             // and its only reference goes
    });
    owner->connectEstablished();
  });
  ASSERT_TRUE(writeAll(pair.client.fd(), "bye"));
  EXPECT_EQ(log.waitFor(3), (std::vector<std::string>{"up", "message bye", "down"}));
  EXPECT_TRUE(readToEnd(pair.client.fd()).eof);
  EXPECT_EQ(loop.call([&] { return owner == nullptr; }), true);
}

}  // namespace
