// Socket's life cycle: bind to an ephemeral port, listen, connect, accept, and the RAII rules
// (the destructor and move assignment close, release() gives the fd away).
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <system_error>

#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

TEST(Socket, BindingPortZeroPicksAnEphemeralPort) {
  Socket listener = listenOnLoopback();
  InetAddress local = listener.localAddress();
  EXPECT_EQ(local.toIp(), "127.0.0.1");
  EXPECT_NE(local.port(), 0);
}

TEST(Socket, AcceptReturnsTheConnectionAndThePeerAddress) {
  Socket listener = listenOnLoopback();
  Socket client = connectTo(listener.localAddress().port());
  ASSERT_TRUE(client.valid());
  InetAddress peer;
  Socket server = listener.accept(&peer);
  ASSERT_TRUE(server.valid());
  // The two ends see the same 4-tuple from opposite sides.
  EXPECT_EQ(peer.toIpPort(), client.localAddress().toIpPort());
  EXPECT_EQ(server.peerAddress().toIpPort(), client.localAddress().toIpPort());
  EXPECT_EQ(server.localAddress().toIpPort(), client.peerAddress().toIpPort());
  // And it is a working connection.
  ASSERT_TRUE(writeAll(server.fd(), "hello"));
  EXPECT_EQ(readExactly(client.fd(), 5), "hello");
}

TEST(Socket, AcceptedSocketIsCloseOnExec) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  // SOCK_CLOEXEC: a program the server execs (a CGI, a helper) must not inherit connections.
  EXPECT_TRUE(::fcntl(pair.server.fd(), F_GETFD) & FD_CLOEXEC);
}

TEST(Socket, AcceptOnASocketThatDoesNotListenFailsWithEinval) {
  Socket notListening = Socket::createTcp(AF_INET);
  notListening.bindAddress(InetAddress(0, /*loopbackOnly=*/true));
  errno = 0;
  Socket result = notListening.accept();
  EXPECT_FALSE(result.valid());
  EXPECT_EQ(errno, EINVAL);
}

TEST(Socket, ConnectToAPortNobodyListensOnIsRefused) {
  // A bound but not listening socket reserves a port that is certainly closed.
  Socket placeholder = Socket::createTcp(AF_INET);
  placeholder.bindAddress(InetAddress(0, /*loopbackOnly=*/true));
  Socket client = Socket::createTcp(AF_INET);
  EXPECT_EQ(client.connect(placeholder.localAddress()), ECONNREFUSED);
}

TEST(Socket, BindingAPortInUseThrowsEaddrinuse) {
  Socket listener = listenOnLoopback();
  Socket second = Socket::createTcp(AF_INET);
  try {
    second.bindAddress(listener.localAddress());
    FAIL() << "bind succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
    EXPECT_NE(std::string(e.what()).find("bind"), std::string::npos) << e.what();
  }
}

TEST(Socket, DestroyingTheOwnerClosesTheConnection) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  ASSERT_TRUE(pair.server.valid());
  { Socket owner = std::move(pair.server); }  // the only fd of the server end: FIN
  EXPECT_FALSE(pair.server.valid());          // moved-from is empty, and not closed twice
  EXPECT_TRUE(readToEnd(pair.client.fd()).eof);
}

TEST(Socket, MoveAssignmentClosesTheFdItReplaces) {
  Socket listener = listenOnLoopback();
  ConnectedPair first = connectPair(listener);
  ConnectedPair second = connectPair(listener);
  ASSERT_TRUE(first.server.valid() && second.server.valid());
  first.server = std::move(second.server);  // the first connection's server end is closed
  EXPECT_TRUE(readToEnd(first.client.fd()).eof);
  ASSERT_TRUE(writeAll(first.server.fd(), "second"));  // now the second connection
  EXPECT_EQ(readExactly(second.client.fd(), 6), "second");
}

TEST(Socket, ReleaseGivesTheFdAway) {
  Socket listener = listenOnLoopback();
  ConnectedPair pair = connectPair(listener);
  int fd = pair.server.release();
  EXPECT_FALSE(pair.server.valid());
  pair.server = Socket();  // destroying an empty Socket closes nothing
  ASSERT_TRUE(writeAll(fd, "still open"));
  EXPECT_EQ(readExactly(pair.client.fd(), 10), "still open");
  Socket owner(fd);  // hand it back to an owner, which closes it
}

TEST(Socket, WorksOverIpv6Loopback) {
  Socket listener = Socket::createTcp(AF_INET6);
  try {
    listener.bindAddress(InetAddress(0, /*loopbackOnly=*/true, /*ipv6=*/true));
  } catch (const std::system_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
  }
  listener.listen();
  Socket client = Socket::createTcp(AF_INET6);
  ASSERT_EQ(client.connect(listener.localAddress()), 0);
  InetAddress peer;
  Socket server = listener.accept(&peer);
  ASSERT_TRUE(server.valid());
  EXPECT_EQ(peer.family(), AF_INET6);
  EXPECT_EQ(peer.toIpPort(), "[::1]:" + std::to_string(client.localAddress().port()));
}

}  // namespace
