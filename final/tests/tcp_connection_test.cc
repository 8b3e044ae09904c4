// TcpConnection on its own, driven by the test as its owner (no TcpServer): the state names,
// the life of a connection that is never established, and the Channel tie that keeps a
// connection alive while its own event is dispatched. Then, behind a TcpServer, the buffered
// write path and graceful close of chapter 07, observed from a real peer socket: a slow reader
// gets every byte of a large send (high water mark and write complete fire once each), data
// sent just before shutdown() all arrives before EOF, sends from another thread keep their
// order, a peer that resets mid-write or a forceClose() leaves nothing behind, and the input
// Buffer keeps a partial message for the next read.
#include <gtest/gtest.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "Buffer.h"
#include "LoopTestUtil.h"
#include "TcpConnection.h"
#include "TcpServer.h"
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
    InetAddress peer = pair.server.peerAddress();
    auto conn = std::make_shared<TcpConnection>(loop.loop(), "never", std::move(pair.server), peer);
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
    InetAddress peer = pair.server.peerAddress();
    owner = std::make_shared<TcpConnection>(loop.loop(), "owned", std::move(pair.server), peer);
    owner->setConnectionCallback(
        [&](const TcpConnectionPtr& conn) { log.add(conn->connected() ? "up" : "down"); });
    owner->setMessageCallback([&](const TcpConnectionPtr& conn, Buffer* buf) {
      log.add("message " + buf->retrieveAllAsString());
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

// The large transfer must exceed what the kernel buffers on both sides (net.ipv4.tcp_wmem's
// maximum is 4 MiB by default, plus the peer's small receive buffer) many times over, so that
// almost all of it goes through TcpConnection's output Buffer and EPOLLOUT. 64 MiB is 16 times
// that; under a sanitizer, where every byte copied costs several times more, 16 MiB (4 times)
// still makes the point and keeps the test near a second.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr size_t kLargeTransfer = 16 << 20;
#else
constexpr size_t kLargeTransfer = 64 << 20;
#endif
constexpr size_t kHighWaterMark = 1 << 20;

/// Waits (bounded) until `log` has an event starting with `prefix`; true if it came.
bool waitForEvent(EventLog& log, const std::string& prefix) {
  for (const std::string& event : log.waitForPrefix(prefix)) {
    if (event.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

/// Bytes that differ from position to position (a shifted, dropped or repeated chunk shows).
std::string makePayload(size_t size) {
  std::string payload(size, '\0');
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    payload[i] = static_cast<char>(x);
  }
  return payload;
}

/// A TcpServer on its own loop thread, with the counters the tests assert on. The test's own
/// thread plays the peer.
class ServerFixture {
 public:
  ~ServerFixture() {
    loop_.call([this] { server_.reset(); });
  }

  /// Creates and starts the server on the loop thread; `onConnected` runs for each connection.
  void start(std::function<void(const TcpConnectionPtr&)> onConnected,
             MessageCallback onMessage = {}) {
    loop_.call([&] {
      server_ =
          std::make_unique<TcpServer>(loop_.loop(), InetAddress(0, /*loopbackOnly=*/true), "test");
      server_->setConnectionCallback([this, onConnected](const TcpConnectionPtr& conn) {
        if (conn->connected()) {
          conn->setHighWaterMarkCallback(
              [this](const TcpConnectionPtr&, size_t queued) {
                onLoopThread_ = onLoopThread_ && std::this_thread::get_id() == loop_.threadId();
                highWaterQueued_ = queued;
                ++highWaterMarks_;
                log_.add("high water");
              },
              kHighWaterMark);
          onConnected(conn);
        } else {
          ++disconnects_;
          log_.add("down");
        }
      });
      server_->setWriteCompleteCallback([this](const TcpConnectionPtr&) {
        onLoopThread_ = onLoopThread_ && std::this_thread::get_id() == loop_.threadId();
        ++writeCompletes_;
        log_.add("write complete");
      });
      server_->setMessageCallback(
          onMessage ? std::move(onMessage)
                    : [](const TcpConnectionPtr&, Buffer* buf) { buf->retrieveAll(); });
      server_->start();
    });
  }

  uint16_t port() const { return server_->listenAddress().port(); }
  size_t connectionCount() {
    return loop_.call([this] { return server_->connectionCount(); });
  }
  EventLoop* loop() const { return loop_.loop(); }

  std::atomic<int> highWaterMarks_{0};
  std::atomic<size_t> highWaterQueued_{0};
  std::atomic<int> writeCompletes_{0};
  std::atomic<int> disconnects_{0};
  std::atomic<bool> onLoopThread_{true};
  EventLog log_;

 private:
  LoopThread loop_;
  std::unique_ptr<TcpServer> server_;
};

/// A client whose receive buffer is a few KiB: the kernel can hold little for it, so the server
/// must keep the rest in its output Buffer. SO_RCVBUF is set before connect() so that the window
/// advertised in the handshake is already small (socket(7)).
Socket connectSlowReader(uint16_t port) {
  Socket client = Socket::createTcp(AF_INET);
  int size = 4096;
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (client.connect(InetAddress(port, /*loopbackOnly=*/true)) != 0) return Socket();
  return client;
}

/// Reads 4 KiB at a time until `expected` has arrived (or EOF, an error, 10 s of silence),
/// comparing as it goes. Returns how many bytes matched.
size_t readAndCompare(int fd, const std::string& expected) {
  char buf[4096];
  size_t received = 0;
  while (received < expected.size() && waitFor(fd, POLLIN, 10s)) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      break;
    }
    if (received + static_cast<size_t>(n) > expected.size() ||
        std::memcmp(buf, expected.data() + received, static_cast<size_t>(n)) != 0) {
      break;
    }
    received += static_cast<size_t>(n);
  }
  return received;
}

TEST(TcpConnectionWrite, SlowReaderGetsEveryByteAndEachCallbackFiresOnce) {
  const std::string payload = makePayload(kLargeTransfer);
  ServerFixture fixture;
  fixture.start([&payload](const TcpConnectionPtr& conn) {
    // Two sends: the kernel takes the first few MiB of the first one directly (on loopback the
    // send buffer starts at about 2.5 MiB), the rest is queued, and the second send is appended
    // behind it. Every later byte leaves through handleWrite().
    std::string_view data(payload);
    conn->send(data.substr(0, data.size() / 2));
    conn->send(data.substr(data.size() / 2));
  });
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  // Start reading only once the server has queued both sends: a reader that drained the socket
  // while send() was still copying could let the kernel take everything at once.
  ASSERT_TRUE(waitForEvent(fixture.log_, "high water"));

  EXPECT_EQ(readAndCompare(peer.fd(), payload), payload.size());
  ASSERT_TRUE(waitForEvent(fixture.log_, "write complete"));
  peer = Socket();  // close; the disconnect runs after every callback queued before it
  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));

  EXPECT_EQ(fixture.highWaterMarks_, 1);
  EXPECT_GE(fixture.highWaterQueued_, kHighWaterMark);
  EXPECT_EQ(fixture.writeCompletes_, 1);
  EXPECT_TRUE(fixture.onLoopThread_);
  EXPECT_EQ(fixture.connectionCount(), 0u);
}

TEST(TcpConnectionWrite, SmallSendGoesOutDirectlyAndCompletesOnce) {
  ServerFixture fixture;
  fixture.start([](const TcpConnectionPtr& conn) { conn->send("hello"); });
  Socket peer = connectTo(fixture.port());
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(readExactly(peer.fd(), 5), "hello");
  ASSERT_TRUE(waitForEvent(fixture.log_, "write complete"));
  peer = Socket();
  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));
  EXPECT_EQ(fixture.writeCompletes_, 1);
  EXPECT_EQ(fixture.highWaterMarks_, 0);
}

TEST(TcpConnectionShutdown, DataSentJustBeforeShutdownArrivesThenEof) {
  const std::string payload = makePayload(8 << 20);
  ServerFixture fixture;
  fixture.start([&payload](const TcpConnectionPtr& conn) {
    conn->send(payload);  // most of it is still queued when shutdown() is called
    conn->shutdown();
    conn->send("too late");  // after shutdown(): not sent
  });
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  EXPECT_EQ(readAndCompare(peer.fd(), payload), payload.size());
  ReadResult rest = readToEnd(peer.fd());
  EXPECT_TRUE(rest.eof) << "no FIN after the data";
  EXPECT_EQ(rest.data, "");

  // Half-closed: the server still reads until the peer closes its side too.
  peer = Socket();
  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));
  EXPECT_EQ(fixture.disconnects_, 1);
  EXPECT_EQ(fixture.connectionCount(), 0u);
}

TEST(TcpConnectionSend, SendsFromAnotherThreadArriveInOrder) {
  constexpr int kMessages = 20000;
  std::promise<TcpConnectionPtr> connection;
  ServerFixture fixture;
  fixture.start([&connection](const TcpConnectionPtr& conn) { connection.set_value(conn); });
  Socket peer = connectTo(fixture.port());
  ASSERT_TRUE(peer.valid());
  TcpConnectionPtr conn = connection.get_future().get();

  std::string expected;
  for (int i = 0; i < kMessages; ++i) expected += std::to_string(i) + "\n";
  std::thread sender([conn, &fixture] {
    ASSERT_FALSE(fixture.loop()->isInLoopThread());
    for (int i = 0; i < kMessages; ++i) conn->send(std::to_string(i) + "\n");
    conn->shutdown();  // queued behind every send above
  });
  ReadResult result = readToEnd(peer.fd());
  sender.join();
  EXPECT_TRUE(result.eof);
  EXPECT_EQ(result.data.size(), expected.size());
  EXPECT_TRUE(result.data == expected) << "messages arrived out of order or damaged";

  conn.reset();
  peer = Socket();
  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));
  EXPECT_EQ(fixture.connectionCount(), 0u);
}

TEST(TcpConnectionClose, PeerResetDuringWriteIsHandled) {
  const std::string payload = makePayload(16 << 20);
  ServerFixture fixture;
  fixture.start([&payload](const TcpConnectionPtr& conn) { conn->send(payload); });
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_EQ(readAndCompare(peer.fd(), payload.substr(0, 65536)), 65536u);
  // SO_LINGER {1, 0}: close() sends RST and drops what is queued. The server's next write
  // fails with EPIPE or ECONNRESET (without SIGPIPE, which would end this test process).
  peer.setLinger(0);
  peer = Socket();

  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));
  EXPECT_EQ(fixture.disconnects_, 1);
  EXPECT_EQ(fixture.writeCompletes_, 0);
  EXPECT_EQ(fixture.connectionCount(), 0u);
}

TEST(TcpConnectionClose, ForceCloseDropsQueuedOutput) {
  const std::string payload = makePayload(16 << 20);
  ServerFixture fixture;
  fixture.start([&payload](const TcpConnectionPtr& conn) {
    conn->send(payload);
    conn->forceClose();
  });
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));  // closed before the peer read a byte
  size_t received = readAndCompare(peer.fd(), payload);
  EXPECT_LT(received, payload.size());  // only what the kernel held arrives; the queue was dropped
  ReadResult rest = readToEnd(peer.fd());
  EXPECT_TRUE(rest.eof || rest.error == ECONNRESET);
  EXPECT_EQ(fixture.disconnects_, 1);
  EXPECT_EQ(fixture.writeCompletes_, 0);
  EXPECT_EQ(fixture.connectionCount(), 0u);
}

TEST(TcpConnectionRead, InputBufferKeepsAPartialMessageForTheNextRead) {
  EventLog partial;
  ServerFixture fixture;
  fixture.start([](const TcpConnectionPtr&) {},
                [&partial](const TcpConnectionPtr& conn, Buffer* buf) {
                  // A line protocol: answer complete lines, leave a partial one in the buffer.
                  while (const char* crlf = buf->findCRLF()) {
                    conn->send("got:" + std::string(buf->peek(), crlf) + "\r\n");
                    buf->retrieveUntil(crlf + 2);
                  }
                  if (buf->readableBytes() > 0) partial.add("kept " + std::string(buf->view()));
                });
  Socket peer = connectTo(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_TRUE(writeAll(peer.fd(), "hel"));
  ASSERT_TRUE(waitForEvent(partial, "kept hel"));  // the server read "hel" and kept it
  ASSERT_TRUE(writeAll(peer.fd(), "lo\r\nworld\r\n"));
  EXPECT_EQ(readExactly(peer.fd(), 22), "got:hello\r\ngot:world\r\n");
}

}  // namespace
