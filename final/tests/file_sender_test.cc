// FileSender through a real TcpServer connection, the test's own thread playing the client: a
// large file reaches a slow reader byte for byte while the connection's output Buffer never
// reaches a high-water mark of 1 MiB (chunks go out only when the previous ones reached the
// kernel); a second file can follow the first as soon as the first is handed over; a file that
// fits in one chunk is done at once; a peer that resets mid-file leaves neither connection nor
// FileSender nor fd behind; a file that shrinks while it is being sent ends the connection
// rather than the response lying about its length. The server keeps each connection's
// FileSender in the connection's context and forwards the write-complete callback to it, as
// HttpServer does. THREADED: the server runs on a loop thread.
#include "FileSender.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <any>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "Buffer.h"
#include "LoopTestUtil.h"
#include "TcpConnection.h"
#include "TcpServer.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

// The large file must exceed what the kernel buffers on both sides many times over (see
// tcp_connection_test.cc); under a sanitizer, where every byte copied costs several times more,
// a quarter of it still makes the point.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr uint64_t kLargeFile = 16 << 20;
#else
constexpr uint64_t kLargeFile = 64 << 20;
#endif
constexpr size_t kHighWaterMark = 1 << 20;

/// The byte at `offset` of the test files: a hash of the 8-byte word it belongs to, so a chunk
/// that is shifted, repeated or dropped shows, and no file has to be held in memory to check.
char patternByte(uint64_t offset, uint64_t seed = 0) {
  uint64_t x = (offset >> 3) + seed * 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;  // splitmix64's finaliser
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  return static_cast<char>(x >> ((offset & 7) * 8));
}

/// FNV-1a, 64 bits: the checksum both ends compute.
uint64_t fnv1a(uint64_t hash, const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 0x100000001b3ull;
  }
  return hash;
}
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;

/// A temporary file of `size` pattern bytes, unlinked at once: it lives as long as its fd.
UniqueFd makeFile(uint64_t size, uint64_t seed = 0) {
  char path[] = "/tmp/file_sender_test.XXXXXX";
  UniqueFd fd(::mkostemp(path, O_CLOEXEC));
  if (!fd.valid()) return fd;
  ::unlink(path);
  std::string block(1 << 20, '\0');
  for (uint64_t offset = 0; offset < size; offset += block.size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), size - offset));
    for (size_t i = 0; i < n; ++i) block[i] = patternByte(offset + i, seed);
    if (::pwrite(fd.get(), block.data(), n, static_cast<off_t>(offset)) !=
        static_cast<ssize_t>(n)) {
      return UniqueFd();
    }
  }
  return fd;
}

/// A second owner of the same open file (pread needs no shared offset).
UniqueFd dupFd(const UniqueFd& fd) { return UniqueFd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0)); }

/// The checksum of the file's first `size` bytes, read back from the file itself.
uint64_t fileChecksum(const UniqueFd& fd, uint64_t size) {
  std::string block(1 << 20, '\0');
  uint64_t hash = kFnvBasis;
  for (uint64_t offset = 0; offset < size;) {
    ssize_t n = ::pread(fd.get(), block.data(), block.size(), static_cast<off_t>(offset));
    if (n <= 0) break;
    hash = fnv1a(hash, block.data(), static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return hash;
}

std::string headFor(uint64_t size) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n";
}

/// What HttpServer keeps per connection for this purpose: the FileSender streaming right now.
/// std::any needs a copyable type, hence the shared_ptr.
struct ConnectionState {
  std::shared_ptr<FileSender> sender;
};

/// A TcpServer on its own loop thread whose write-complete callback drives each connection's
/// FileSender, with the counters the tests assert on.
class SenderFixture {
 public:
  /// Called on the loop thread with each state a FileSender returns.
  using ProgressCallback = std::function<void(const TcpConnectionPtr&, FileSender::State)>;

  ~SenderFixture() {
    loop_.call([this] { server_.reset(); });
  }

  /// Starts the server; `onConnected` runs on the loop thread for each new connection.
  void start(std::function<void(const TcpConnectionPtr&)> onConnected,
             ProgressCallback onProgress = {}) {
    onProgress_ = std::move(onProgress);
    loop_.call([&] {
      server_ =
          std::make_unique<TcpServer>(loop_.loop(), InetAddress(0, /*loopbackOnly=*/true), "file");
      server_->setConnectionCallback([this, onConnected](const TcpConnectionPtr& conn) {
        if (conn->connected()) {
          conn->setContext(ConnectionState());
          conn->setHighWaterMarkCallback(
              [this](const TcpConnectionPtr&, size_t) {
                ++highWaterMarks_;
                log_.add("high water");
              },
              kHighWaterMark);
          onConnected(conn);
        } else {
          log_.add("down");
        }
      });
      server_->setWriteCompleteCallback([this](const TcpConnectionPtr& conn) {
        auto* state = std::any_cast<ConnectionState>(conn->getMutableContext());
        if (state == nullptr || !state->sender) return;
        ++writeCompletes_;
        report(conn, state->sender->onWriteComplete(conn));
      });
      server_->setMessageCallback([](const TcpConnectionPtr&, Buffer* buf) { buf->retrieveAll(); });
      server_->start();
    });
  }

  /// Starts streaming `file` on `conn` after `head`. [loop thread]
  FileSender::State send(const TcpConnectionPtr& conn, UniqueFd file, uint64_t size,
                         const std::string& head,
                         size_t chunkSize = FileSender::kDefaultChunkSize) {
    auto sender = std::make_shared<FileSender>(std::move(file), size, chunkSize);
    std::any_cast<ConnectionState>(conn->getMutableContext())->sender = sender;
    lastSender_ = sender;
    FileSender::State state = sender->start(conn, head);
    report(conn, state);
    return state;
  }

  uint16_t port() const { return server_->listenAddress().port(); }
  size_t connectionCount() {
    return loop_.call([this] { return server_->connectionCount(); });
  }
  /// The FileSender created last, if it still exists. [any thread, after it was created]
  std::weak_ptr<FileSender> lastSender() {
    return loop_.call([this] { return lastSender_; });
  }

  std::atomic<int> highWaterMarks_{0};
  std::atomic<int> writeCompletes_{0};
  std::atomic<int> done_{0};
  std::atomic<int> aborted_{0};
  EventLog log_;

 private:
  void report(const TcpConnectionPtr& conn, FileSender::State state) {
    if (state == FileSender::State::kDone) {
      ++done_;
      log_.add("done");
    } else if (state == FileSender::State::kAborted) {
      ++aborted_;
      log_.add("aborted");
    }
    if (onProgress_) onProgress_(conn, state);
    // A finished sender is dropped, as the server drops it before answering the next request.
    if (state == FileSender::State::kDone || state == FileSender::State::kAborted) {
      std::any_cast<ConnectionState>(conn->getMutableContext())->sender.reset();
    }
  }

  LoopThread loop_;
  std::unique_ptr<TcpServer> server_;
  ProgressCallback onProgress_;           ///< set before start(); read on the loop thread
  std::weak_ptr<FileSender> lastSender_;  ///< loop thread
};

/// Waits (bounded) until `log` has an event starting with `prefix`; true if it came.
bool waitForEvent(EventLog& log, const std::string& prefix) {
  for (const std::string& event : log.waitForPrefix(prefix)) {
    if (event.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

/// A client whose receive buffer is a few KiB, set before connect() so the window advertised
/// in the handshake is already small (socket(7)): the server must wait for it again and again.
Socket connectSlowReader(uint16_t port) {
  Socket client = Socket::createTcp(AF_INET);
  int size = 4096;
  ::setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (client.connect(InetAddress(port, /*loopbackOnly=*/true)) != 0) return Socket();
  return client;
}

/// What a client received of a file: how many bytes matched the pattern before the first
/// difference (or the end), and the checksum of everything received.
struct Received {
  uint64_t matching = 0;
  uint64_t total = 0;
  uint64_t checksum = kFnvBasis;
};

/// Reads up to `size` bytes of pattern `seed` in 4 KiB reads (a slow reader), comparing each
/// byte with the pattern. Stops at EOF, an error, a mismatch or 10 s of silence.
Received readPattern(int fd, uint64_t size, uint64_t seed = 0) {
  Received result;
  char buf[4096];
  bool same = true;
  while (result.total < size && waitFor(fd, POLLIN, 10s)) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf, size - result.total));
    ssize_t n = ::recv(fd, buf, want, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n && same; ++i) {
      if (buf[i] != patternByte(result.total + static_cast<uint64_t>(i), seed)) {
        same = false;
        result.matching = result.total + static_cast<uint64_t>(i);
      }
    }
    result.checksum = fnv1a(result.checksum, buf, static_cast<size_t>(n));
    result.total += static_cast<uint64_t>(n);
  }
  if (same) result.matching = result.total;
  return result;
}

/// Reads exactly `n` bytes, never more (the file's bytes follow the head on the socket).
/// Returns what arrived before EOF, an error or 10 s of silence.
std::string readHead(int fd, size_t n) {
  std::string data;
  char buf[512];
  while (data.size() < n && waitFor(fd, POLLIN, 10s)) {
    ssize_t got = ::recv(fd, buf, std::min(sizeof buf, n - data.size()), MSG_DONTWAIT);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (got <= 0) break;
    data.append(buf, static_cast<size_t>(got));
  }
  return data;
}

TEST(FileSender, StateNames) {
  EXPECT_STREQ(FileSender::stateToString(FileSender::State::kIdle), "kIdle");
  EXPECT_STREQ(FileSender::stateToString(FileSender::State::kSending), "kSending");
  EXPECT_STREQ(FileSender::stateToString(FileSender::State::kDone), "kDone");
  EXPECT_STREQ(FileSender::stateToString(FileSender::State::kAborted), "kAborted");
}

TEST(FileSender, LargeFileReachesASlowReaderWhileTheOutputBufferStaysSmall) {
  UniqueFd file = makeFile(kLargeFile);
  ASSERT_TRUE(file.valid());
  const std::string head = headFor(kLargeFile);
  SenderFixture fixture;
  fixture.start([&](const TcpConnectionPtr& conn) {
    EXPECT_EQ(fixture.send(conn, dupFd(file), kLargeFile, head), FileSender::State::kSending);
  });
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_EQ(readHead(peer.fd(), head.size()), head);
  Received received = readPattern(peer.fd(), kLargeFile);

  EXPECT_EQ(received.total, kLargeFile);
  EXPECT_EQ(received.matching, kLargeFile) << "first differing byte";
  EXPECT_EQ(received.checksum, fileChecksum(file, kLargeFile));
  ASSERT_TRUE(waitForEvent(fixture.log_, "done"));
  EXPECT_EQ(fixture.done_, 1);
  EXPECT_EQ(fixture.aborted_, 0);
  // The output Buffer never held 1 MiB: the file went out in 64 KiB chunks, each after the
  // kernel took the previous ones.
  EXPECT_EQ(fixture.highWaterMarks_, 0);
  // One write-complete per chunk after the first: each chunk waited for the previous ones.
  EXPECT_GE(fixture.writeCompletes_,
            static_cast<int>(kLargeFile / FileSender::kDefaultChunkSize) - 1);
  peer = Socket();
  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));
  EXPECT_EQ(fixture.connectionCount(), 0u);
}

TEST(FileSender, SmallFileGoesWithItsHeadInOneSendAndIsDoneAtOnce) {
  constexpr uint64_t kSize = 1000;
  UniqueFd file = makeFile(kSize, /*seed=*/7);
  ASSERT_TRUE(file.valid());
  const std::string head = headFor(kSize);
  std::atomic<bool> lateCallbackHarmless{false};
  SenderFixture fixture;
  fixture.start([&](const TcpConnectionPtr& conn) {
    auto sender = std::make_shared<FileSender>(dupFd(file), kSize);
    EXPECT_EQ(sender->start(conn, head), FileSender::State::kDone);
    EXPECT_EQ(sender->bytesSent(), kSize);
    // A write-complete that arrives after the end changes nothing and sends nothing.
    lateCallbackHarmless = sender->onWriteComplete(conn) == FileSender::State::kDone;
    conn->shutdown();  // FIN after the bytes: the client sees exactly head + file, then EOF
  });
  Socket peer = connectTo(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_EQ(readHead(peer.fd(), head.size()), head);
  Received received = readPattern(peer.fd(), kSize, /*seed=*/7);
  EXPECT_EQ(received.matching, kSize);
  ReadResult rest = readToEnd(peer.fd());
  EXPECT_TRUE(rest.eof);
  EXPECT_EQ(rest.data, "") << "bytes after the file";
  EXPECT_TRUE(lateCallbackHarmless);
}

TEST(FileSender, EmptyFileSendsOnlyTheHead) {
  UniqueFd file = makeFile(0);
  ASSERT_TRUE(file.valid());
  SenderFixture fixture;
  fixture.start([&](const TcpConnectionPtr& conn) {
    EXPECT_EQ(fixture.send(conn, dupFd(file), 0, headFor(0)), FileSender::State::kDone);
    conn->shutdown();
  });
  Socket peer = connectTo(fixture.port());
  ASSERT_TRUE(peer.valid());
  ReadResult all = readToEnd(peer.fd());
  EXPECT_TRUE(all.eof);
  EXPECT_EQ(all.data, headFor(0));
}

TEST(FileSender, NextFileFollowsAsSoonAsTheFirstIsHandedOver) {
  // What a pipelined second request needs: the owner learns that the first file has been
  // handed over (kDone) and sends the next response, whose bytes follow the file's.
  constexpr uint64_t kFirst = (3 << 20) + 12345;  // not a whole number of chunks
  constexpr uint64_t kSecond = (1 << 20) + 777;
  UniqueFd first = makeFile(kFirst, /*seed=*/1);
  UniqueFd second = makeFile(kSecond, /*seed=*/2);
  ASSERT_TRUE(first.valid() && second.valid());
  SenderFixture fixture;
  std::atomic<int> started{0};  // loop thread only, atomic for the final check
  fixture.start(
      [&](const TcpConnectionPtr& conn) {
        ++started;
        fixture.send(conn, dupFd(first), kFirst, headFor(kFirst));
      },
      [&](const TcpConnectionPtr& conn, FileSender::State state) {
        if (state == FileSender::State::kDone && started == 1) {
          ++started;
          // Called from inside report(), before it drops the finished sender: queue the next
          // one on the loop so the context is not replaced under its feet.
          conn->getLoop()->queueInLoop([&fixture, &second, conn] {
            fixture.send(conn, dupFd(second), kSecond, headFor(kSecond));
          });
        }
      });
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_EQ(readHead(peer.fd(), headFor(kFirst).size()), headFor(kFirst));
  EXPECT_EQ(readPattern(peer.fd(), kFirst, 1).matching, kFirst);
  ASSERT_EQ(readHead(peer.fd(), headFor(kSecond).size()), headFor(kSecond));
  EXPECT_EQ(readPattern(peer.fd(), kSecond, 2).matching, kSecond);
  EXPECT_TRUE(waitUntil([&] { return fixture.done_ == 2; }));
  EXPECT_EQ(fixture.highWaterMarks_, 0);
  EXPECT_EQ(started, 2);
}

TEST(FileSender, PeerResetMidFileLeavesNothingBehind) {
  constexpr uint64_t kSize = 16 << 20;
  UniqueFd file = makeFile(kSize);
  ASSERT_TRUE(file.valid());
  SenderFixture fixture;
  fixture.start([&](const TcpConnectionPtr& conn) {
    fixture.send(conn, dupFd(file), kSize, headFor(kSize));
  });
  int fdsBefore = openFdCount();  // the loop's and the listener's fds are open by now
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_EQ(readHead(peer.fd(), headFor(kSize).size()), headFor(kSize));
  ASSERT_EQ(readPattern(peer.fd(), 256 << 10).matching, 256u << 10);
  std::weak_ptr<FileSender> sender = fixture.lastSender();
  // SO_LINGER {1, 0}: close() sends RST. The server's next write fails (EPIPE or ECONNRESET,
  // without SIGPIPE) or its next read sees the reset; either way the connection goes down.
  peer.setLinger(0);
  peer = Socket();

  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));
  EXPECT_EQ(fixture.connectionCount(), 0u);
  EXPECT_EQ(fixture.done_, 0);
  // The FileSender lived in the connection's context and holds no reference to the connection,
  // so it dies with it, and its file with it.
  EXPECT_TRUE(waitUntil([&] { return sender.expired(); })) << "FileSender outlived its connection";
  EXPECT_TRUE(waitUntil([&] { return openFdCount() == fdsBefore; })) << "an fd was left open";
}

TEST(FileSender, FileThatShrinksWhileSendingEndsTheConnection) {
  // The head promised kSize bytes; after the first chunk the file is cut to 100 KiB. The
  // response can no longer keep its promise, so the connection is closed: the client sees
  // fewer bytes than Content-Length, then the end, and knows the response is incomplete.
  constexpr uint64_t kSize = 4 << 20;
  constexpr uint64_t kCut = 100 << 10;
  UniqueFd file = makeFile(kSize);
  ASSERT_TRUE(file.valid());
  SenderFixture fixture;
  fixture.start([&](const TcpConnectionPtr& conn) {
    EXPECT_EQ(fixture.send(conn, dupFd(file), kSize, headFor(kSize)), FileSender::State::kSending);
    EXPECT_EQ(::ftruncate(file.get(), kCut), 0);
  });
  Socket peer = connectSlowReader(fixture.port());
  ASSERT_TRUE(peer.valid());
  ASSERT_EQ(readHead(peer.fd(), headFor(kSize).size()), headFor(kSize));
  Received received = readPattern(peer.fd(), kSize);
  EXPECT_EQ(received.matching, received.total) << "what did arrive is right";
  EXPECT_LE(received.total, kCut);
  ASSERT_TRUE(waitForEvent(fixture.log_, "down"));
  EXPECT_EQ(fixture.aborted_, 1);
  EXPECT_EQ(fixture.done_, 0);
}

}  // namespace
