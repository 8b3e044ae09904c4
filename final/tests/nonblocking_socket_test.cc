// The two places a non-blocking socket is born, createNonBlockingTcp and acceptNonBlocking:
// each fd comes out O_NONBLOCK (fcntl F_GETFL) and close-on-exec (F_GETFD), set atomically by
// the call that creates it (socket(2) and accept4(2) flags), never by a later fcntl.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "InetAddress.h"
#include "Socket.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

bool isNonBlocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }
bool isCloseOnExec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

TEST(NonBlockingSocket, CreateNonBlockingTcpIsNonBlockingAndCloseOnExec) {
  Socket socket = Socket::createNonBlockingTcp(AF_INET);
  ASSERT_TRUE(socket.valid());
  EXPECT_TRUE(isNonBlocking(socket.fd()));
  EXPECT_TRUE(isCloseOnExec(socket.fd()));
}

TEST(NonBlockingSocket, AcceptNonBlockingIsNonBlockingAndCloseOnExec) {
  // The listener is blocking: the flags of the accepted fd come from accept4, not inherited.
  Socket listener = listenOnLoopback();
  ASSERT_FALSE(isNonBlocking(listener.fd()));
  Socket client = connectTo(listener.localAddress().port());
  ASSERT_TRUE(client.valid());
  ASSERT_TRUE(waitFor(listener.fd(), POLLIN, 5s));
  InetAddress peer;
  Socket conn = listener.acceptNonBlocking(&peer);
  ASSERT_TRUE(conn.valid()) << std::strerror(errno);
  EXPECT_TRUE(isNonBlocking(conn.fd()));
  EXPECT_TRUE(isCloseOnExec(conn.fd()));
  EXPECT_EQ(peer.port(), client.localAddress().port());
}

TEST(NonBlockingSocket, AcceptNonBlockingOnAnEmptyQueueReturnsEagain) {
  Socket listener = Socket::createNonBlockingTcp(AF_INET);
  listener.bindAddress(InetAddress(0, /*loopbackOnly=*/true));
  listener.listen();
  errno = 0;
  Socket conn = listener.acceptNonBlocking();
  EXPECT_FALSE(conn.valid());
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << std::strerror(errno);
}

}  // namespace
