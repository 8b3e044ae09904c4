// Buffer: the index arithmetic (prepend, retrieve, compaction before growth), CRLF search,
// readFd's one-call read into the writable space plus the 64 KiB stack buffer, and the storage
// that exists only between the first write and releaseIfEmpty().
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include "Buffer.h"
#include "Socket.h"

using namespace net;

namespace {

/// A recognisable pattern, so a byte that moved to the wrong place shows.
std::string pattern(size_t len, unsigned seed = 1) {
  std::string s(len, '\0');
  for (size_t i = 0; i < len; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

/// Both ends of a connected AF_UNIX stream pair, each owned by a Socket.
struct SocketPair {
  Socket a, b;
  explicit SocketPair(int flags = 0) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0, fds) == 0) {
      a = Socket(fds[0]);
      b = Socket(fds[1]);
    }
  }
};

TEST(Buffer, AllocatesNothingUntilTheFirstWrite) {
  Buffer buf;
  EXPECT_EQ(buf.readableBytes(), 0u);
  EXPECT_EQ(buf.writableBytes(), 0u);
  EXPECT_EQ(buf.prependableBytes(), 0u);
  EXPECT_EQ(buf.internalCapacity(), 0u);

  buf.append("x");  // the first write brings the cheap prepend area and the initial size
  EXPECT_EQ(buf.internalCapacity(), Buffer::kCheapPrepend + Buffer::kInitialSize);
  EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend);
  EXPECT_EQ(buf.writableBytes(), Buffer::kInitialSize - 1);
  EXPECT_EQ(buf.view(), "x");
}

TEST(Buffer, ReadingAnEmptyBufferAllocatesNothing) {
  Buffer buf;
  EXPECT_EQ(buf.view(), "");
  EXPECT_EQ(buf.findCRLF(), nullptr);
  EXPECT_EQ(buf.retrieveAllAsString(), "");
  buf.retrieve(0);
  buf.retrieveAll();
  EXPECT_EQ(buf.internalCapacity(), 0u);
  EXPECT_EQ(buf.prependableBytes(), 0u);
  EXPECT_EQ(buf.writableBytes(), 0u);
}

TEST(Buffer, AFirstWriteLargerThanTheInitialSizeAllocatesWhatItNeeds) {
  Buffer buf;
  const std::string data = pattern(5000);
  buf.append(data);
  EXPECT_EQ(buf.internalCapacity(), Buffer::kCheapPrepend + 5000);
  EXPECT_EQ(buf.view(), data);
}

TEST(Buffer, ReleaseIfEmptyFreesTheStorageAndTheNextWriteBringsItBack) {
  Buffer buf;
  buf.append(pattern(3000));  // grown beyond the initial size
  buf.retrieveAll();
  ASSERT_EQ(buf.internalCapacity(), Buffer::kCheapPrepend + 3000);  // retrieveAll keeps it

  buf.releaseIfEmpty();
  EXPECT_EQ(buf.internalCapacity(), 0u);
  EXPECT_EQ(buf.readableBytes(), 0u);
  EXPECT_EQ(buf.writableBytes(), 0u);
  EXPECT_EQ(buf.prependableBytes(), 0u);
  buf.releaseIfEmpty();  // nothing to free: still fine
  EXPECT_EQ(buf.internalCapacity(), 0u);

  buf.append("again");  // back to the initial size, not to what it had grown to
  EXPECT_EQ(buf.internalCapacity(), Buffer::kCheapPrepend + Buffer::kInitialSize);
  EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend);
  EXPECT_EQ(buf.retrieveAllAsString(), "again");
}

TEST(Buffer, ReleaseIfEmptyKeepsUnreadBytes) {
  Buffer buf;
  const std::string data = pattern(700);
  buf.append(data);
  buf.retrieve(300);
  const size_t capacity = buf.internalCapacity();
  buf.releaseIfEmpty();
  EXPECT_EQ(buf.internalCapacity(), capacity);
  EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend + 300);
  EXPECT_EQ(buf.view(), data.substr(300));
}

TEST(Buffer, PrependOnABufferWithoutStorageAllocatesIt) {
  for (bool released : {false, true}) {
    Buffer buf;
    if (released) {
      buf.append("old");
      buf.retrieveAll();
      buf.releaseIfEmpty();
    }
    const uint64_t length = 0;  // e.g. the length header of an empty message
    buf.prepend(&length, sizeof length);
    EXPECT_EQ(buf.readableBytes(), sizeof length);
    EXPECT_EQ(buf.prependableBytes(), 0u);
    EXPECT_EQ(buf.view(), std::string(sizeof length, '\0'));
  }
}

TEST(Buffer, PartialRetrieveMovesOnlyTheReaderIndex) {
  Buffer buf;
  const std::string data = pattern(200);
  buf.append(data);
  EXPECT_EQ(buf.readableBytes(), 200u);
  EXPECT_EQ(buf.writableBytes(), Buffer::kInitialSize - 200);

  EXPECT_EQ(buf.retrieveAsString(50), data.substr(0, 50));
  EXPECT_EQ(buf.readableBytes(), 150u);
  EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend + 50);
  EXPECT_EQ(buf.writableBytes(), Buffer::kInitialSize - 200);
  EXPECT_EQ(buf.view(), data.substr(50));
}

TEST(Buffer, RetrievingEverythingRewindsBothIndices) {
  Buffer buf;
  buf.append(pattern(300));
  buf.retrieve(100);
  EXPECT_EQ(buf.retrieveAllAsString(), pattern(300).substr(100));
  EXPECT_EQ(buf.readableBytes(), 0u);
  EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend);
  EXPECT_EQ(buf.writableBytes(), Buffer::kInitialSize);

  buf.append(pattern(10));
  buf.retrieve(10);  // retrieving exactly what is readable also rewinds
  EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend);
}

TEST(Buffer, GrowsWhenTheDataDoesNotFit) {
  Buffer buf;
  const std::string first = pattern(400, 1), second = pattern(1000, 2);
  buf.append(first);
  buf.append(second);
  EXPECT_EQ(buf.readableBytes(), 1400u);
  EXPECT_EQ(buf.internalCapacity(),
            Buffer::kCheapPrepend + 1400);  // grew by what was needed
  EXPECT_EQ(buf.view(), first + second);
}

TEST(Buffer, CompactsInsteadOfGrowingWhenTheConsumedFrontIsEnough) {
  Buffer buf;
  const std::string data = pattern(800);
  buf.append(data);
  buf.retrieve(500);
  ASSERT_EQ(buf.writableBytes(), 224u);
  ASSERT_EQ(buf.prependableBytes(), 508u);

  const std::string more = pattern(600, 3);  // 600 > 224 writable, but 224 + 500 consumed fit
  buf.append(more);
  EXPECT_EQ(buf.internalCapacity(),
            Buffer::kCheapPrepend + Buffer::kInitialSize);  // no growth
  EXPECT_EQ(buf.prependableBytes(),
            Buffer::kCheapPrepend);  // data slid back to the front
  EXPECT_EQ(buf.readableBytes(), 900u);
  EXPECT_EQ(buf.view(), data.substr(500) + more);
}

TEST(Buffer, CompactionBoundaryIsExact) {
  // Free space in total = writable + (prependable - kCheapPrepend). Asking for exactly that
  // compacts; one byte more grows.
  for (size_t extra : {0, 1}) {
    Buffer buf;
    buf.append(pattern(600));
    buf.retrieve(400);
    const size_t free = buf.writableBytes() + buf.prependableBytes() - Buffer::kCheapPrepend;
    buf.ensureWritableBytes(free + extra);
    EXPECT_GE(buf.writableBytes(), free + extra);
    EXPECT_EQ(buf.view(), pattern(600).substr(400));
    if (extra == 0) {
      EXPECT_EQ(buf.internalCapacity(), Buffer::kCheapPrepend + Buffer::kInitialSize);
      EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend);
    } else {
      EXPECT_GT(buf.internalCapacity(), Buffer::kCheapPrepend + Buffer::kInitialSize);
    }
  }
}

TEST(Buffer, EnsureWritableBytesLeavesRoomForDirectWrites) {
  Buffer buf;
  buf.ensureWritableBytes(5000);
  ASSERT_GE(buf.writableBytes(), 5000u);
  std::memset(buf.beginWrite(), 'x', 5000);
  buf.hasWritten(5000);
  EXPECT_EQ(buf.retrieveAllAsString(), std::string(5000, 'x'));
}

TEST(Buffer, AppendAfterPartialRetrieveKeepsOrder) {
  Buffer buf;
  buf.append("hello ");
  buf.append("wor");
  EXPECT_EQ(buf.retrieveAsString(3), "hel");
  buf.append("ld");
  EXPECT_EQ(buf.retrieveAllAsString(), "lo world");
}

TEST(Buffer, PrependWritesInFrontOfTheData) {
  Buffer buf;
  buf.append("payload");
  const uint32_t length = 7;
  buf.prepend(&length, sizeof length);
  EXPECT_EQ(buf.readableBytes(), 7u + sizeof length);
  EXPECT_EQ(buf.prependableBytes(), Buffer::kCheapPrepend - sizeof length);
  uint32_t header = 0;
  std::memcpy(&header, buf.peek(), sizeof header);
  EXPECT_EQ(header, 7u);
  buf.retrieve(sizeof header);
  EXPECT_EQ(buf.retrieveAllAsString(), "payload");
}

TEST(Buffer, PrependMayUseTheSpaceAlreadyRetrieved) {
  Buffer buf;
  buf.append(pattern(100));
  buf.retrieve(50);
  const std::string header(Buffer::kCheapPrepend + 50, 'H');
  buf.prepend(header.data(), header.size());
  EXPECT_EQ(buf.prependableBytes(), 0u);
  EXPECT_EQ(buf.view(), header + pattern(100).substr(50));
}

TEST(BufferDeathTest, RetrievingMoreThanReadableAborts) {
  Buffer buf;
  buf.append("abc");
  EXPECT_DEATH(buf.retrieve(4), "retrieve");
  EXPECT_DEATH(buf.prepend("0123456789", 10), "prepend");
}

TEST(Buffer, FindCRLF) {
  Buffer buf;
  buf.append("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  const char* first = buf.findCRLF();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first - buf.peek(), 14);
  const char* second = buf.findCRLF(first + 2);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(std::string(first + 2, second), "Host: a");
  const char* third = buf.findCRLF(second + 2);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third, second + 2);  // the empty line ending the header section
  EXPECT_EQ(buf.findCRLF(third + 2), nullptr);

  buf.retrieveUntil(first + 2);
  EXPECT_EQ(buf.findCRLF(), buf.peek() + 7);
}

TEST(Buffer, FindCRLFNeedsBothBytes) {
  Buffer buf;
  buf.append("no line end\r");
  EXPECT_EQ(buf.findCRLF(), nullptr);
  buf.append("\n");
  ASSERT_NE(buf.findCRLF(), nullptr);
  EXPECT_EQ(buf.findCRLF() - buf.peek(), 11);

  Buffer lf;
  lf.append("bare\nlf\n");
  EXPECT_EQ(lf.findCRLF(), nullptr);
  Buffer empty;
  EXPECT_EQ(empty.findCRLF(), nullptr);
}

TEST(Buffer, ReadFdTakesMoreThan64KiBInOneCall) {
  SocketPair pair;
  ASSERT_TRUE(pair.a.valid());
  const std::string data = pattern(100000);
  ASSERT_EQ(::write(pair.a.fd(), data.data(), data.size()), static_cast<ssize_t>(data.size()));

  Buffer buf;
  buf.ensureWritableBytes(Buffer::kInitialSize);  // storage to fill before the stack buffer
  const size_t writable = buf.writableBytes();
  int savedErrno = 0;
  ssize_t n = buf.readFd(pair.b.fd(), &savedErrno);
  // One readv: the writable space (1024 bytes) plus the whole 64 KiB stack buffer.
  ASSERT_EQ(n, static_cast<ssize_t>(writable + 65536));
  EXPECT_EQ(buf.readableBytes(), static_cast<size_t>(n));
  // The buffer grew by exactly what arrived, not to some power of two.
  EXPECT_EQ(buf.internalCapacity(), Buffer::kCheapPrepend + static_cast<size_t>(n));
  EXPECT_EQ(buf.view(), data.substr(0, static_cast<size_t>(n)));

  n = buf.readFd(pair.b.fd(), &savedErrno);
  EXPECT_EQ(n, static_cast<ssize_t>(data.size() - writable - 65536));
  EXPECT_EQ(buf.retrieveAllAsString(), data);
}

TEST(Buffer, ReadFdUsesTheWritableSpaceFirst) {
  SocketPair pair;
  ASSERT_TRUE(pair.a.valid());
  const std::string data = pattern(500);
  ASSERT_EQ(::write(pair.a.fd(), data.data(), data.size()), 500);

  Buffer buf;
  buf.append("old:");
  int savedErrno = 0;
  EXPECT_EQ(buf.readFd(pair.b.fd(), &savedErrno), 500);
  EXPECT_EQ(buf.internalCapacity(),
            Buffer::kCheapPrepend + Buffer::kInitialSize);  // no growth
  EXPECT_EQ(buf.retrieveAllAsString(), "old:" + data);
}

TEST(Buffer, ReadFdIntoABufferWithoutStorageAllocatesWhatArrived) {
  SocketPair pair;
  ASSERT_TRUE(pair.a.valid());
  const std::string data = pattern(100000);
  ASSERT_EQ(::write(pair.a.fd(), data.data(), data.size()), static_cast<ssize_t>(data.size()));

  Buffer small;
  SocketPair other;
  ASSERT_TRUE(other.a.valid());
  ASSERT_EQ(::write(other.a.fd(), "GET / HTTP/1.1\r\n", 16), 16);
  int savedErrno = 0;
  EXPECT_EQ(small.readFd(other.b.fd(), &savedErrno), 16);
  EXPECT_EQ(small.internalCapacity(), Buffer::kCheapPrepend + Buffer::kInitialSize);
  EXPECT_EQ(small.view(), "GET / HTTP/1.1\r\n");

  Buffer buf;  // no writable space: one call takes what fits the 64 KiB stack buffer
  ssize_t n = buf.readFd(pair.b.fd(), &savedErrno);
  ASSERT_EQ(n, 65536);
  EXPECT_EQ(buf.internalCapacity(), Buffer::kCheapPrepend + 65536);
  EXPECT_EQ(buf.view(), data.substr(0, 65536));
  buf.retrieveAll();
  buf.releaseIfEmpty();
  n = buf.readFd(pair.b.fd(), &savedErrno);
  EXPECT_EQ(n, static_cast<ssize_t>(data.size() - 65536));
  EXPECT_EQ(buf.retrieveAllAsString(), data.substr(65536));
}

TEST(Buffer, ReadFdReportsEagainAndEof) {
  SocketPair pair(SOCK_NONBLOCK);
  ASSERT_TRUE(pair.a.valid());
  Buffer buf;
  int savedErrno = 0;
  EXPECT_EQ(buf.readFd(pair.b.fd(), &savedErrno), -1);
  EXPECT_EQ(savedErrno, EAGAIN);
  EXPECT_EQ(buf.readableBytes(), 0u);
  EXPECT_EQ(buf.internalCapacity(), 0u);  // nothing arrived, nothing allocated

  ASSERT_EQ(::write(pair.a.fd(), "x", 1), 1);
  pair.a = Socket();  // close: the next read after the data sees EOF
  EXPECT_EQ(buf.readFd(pair.b.fd(), &savedErrno), 1);
  EXPECT_EQ(buf.readFd(pair.b.fd(), &savedErrno), 0);
  EXPECT_EQ(buf.retrieveAllAsString(), "x");
}

// A long random mix of appends, retrieves and releases against a std::string model: whatever
// compaction, growth and release do, the readable bytes must always equal the model.
TEST(Buffer, RandomOperationsMatchAStringModel) {
  std::mt19937 rng(12345);
  Buffer buf;
  std::string model;
  int released = 0;
  for (int i = 0; i < 20000; ++i) {
    if (rng() % 8 == 0) {
      buf.releaseIfEmpty();
      if (model.empty()) {
        ASSERT_EQ(buf.internalCapacity(), 0u);
        ++released;
      }
    } else if (rng() % 2 == 0) {
      std::string chunk = pattern(rng() % 3000, static_cast<unsigned>(i));
      buf.append(chunk);
      model += chunk;
    } else {
      size_t n = model.empty() ? 0 : rng() % (model.size() + 1);
      ASSERT_EQ(buf.retrieveAsString(n), model.substr(0, n));
      model.erase(0, n);
    }
    ASSERT_EQ(buf.readableBytes(), model.size());
    if (buf.internalCapacity() > 0) {
      ASSERT_GE(buf.prependableBytes(), Buffer::kCheapPrepend);
    }
  }
  EXPECT_GT(released, 0);  // the mix did reach the empty, released state
  EXPECT_EQ(buf.retrieveAllAsString(), model);
}

}  // namespace
