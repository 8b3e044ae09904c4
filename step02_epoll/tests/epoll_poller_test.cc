// EPollPoller on its own, with socketpairs and pipes: what it reports, when it reports it again
// (level-triggered), and how it refuses misuse.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <vector>

#include "EPollPoller.h"
#include "Socket.h"

using namespace net;

namespace {

/// Two connected non-blocking stream sockets; each end owned by a Socket.
struct Pair {
  Socket a;
  Socket b;
};

Pair makePair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  return {Socket(fds[0]), Socket(fds[1])};
}

/// Polls once without blocking and returns the events reported for `fd` (0 if none).
uint32_t readyEvents(EPollPoller& poller, int fd) {
  std::vector<epoll_event> ready;
  poller.poll(0, &ready);
  for (const epoll_event& event : ready) {
    if (event.data.fd == fd) return event.events;
  }
  return 0;
}

/// Writes until the socket buffer is full (EAGAIN). Returns the bytes written.
size_t fill(int fd) {
  static const char chunk[65536] = {};
  size_t total = 0;
  ssize_t n;
  while ((n = ::send(fd, chunk, sizeof chunk, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0) total += n;
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  return total;
}

TEST(EPollPoller, NothingRegisteredMeansNothingReady) {
  EPollPoller poller;
  std::vector<epoll_event> ready(3);  // stale contents must be replaced
  EXPECT_EQ(poller.poll(0, &ready), 0);
  EXPECT_TRUE(ready.empty());
}

TEST(EPollPoller, ReportsReadableFdWithItsFdInData) {
  EPollPoller poller;
  Pair p = makePair();
  poller.add(p.a.fd(), EPOLLIN);
  EXPECT_TRUE(poller.hasFd(p.a.fd()));
  EXPECT_EQ(readyEvents(poller, p.a.fd()), 0u) << "nothing sent yet";

  ASSERT_EQ(::write(p.b.fd(), "x", 1), 1);
  std::vector<epoll_event> ready;
  ASSERT_EQ(poller.poll(1000, &ready), 1);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].data.fd, p.a.fd());
  EXPECT_EQ(ready[0].events, static_cast<uint32_t>(EPOLLIN));
}

TEST(EPollPoller, LevelTriggeredReportsAgainUntilDrained) {
  EPollPoller poller;
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  Socket readEnd(fds[0]), writeEnd(fds[1]);  // Socket as a plain RAII fd owner
  poller.add(readEnd.fd(), EPOLLIN);
  ASSERT_EQ(::write(writeEnd.fd(), "ab", 2), 2);

  char c;
  EXPECT_EQ(readyEvents(poller, readEnd.fd()), static_cast<uint32_t>(EPOLLIN));
  EXPECT_EQ(readyEvents(poller, readEnd.fd()), static_cast<uint32_t>(EPOLLIN))
      << "still readable, nothing was read: reported again";
  ASSERT_EQ(::read(readEnd.fd(), &c, 1), 1);
  EXPECT_EQ(readyEvents(poller, readEnd.fd()), static_cast<uint32_t>(EPOLLIN))
      << "one byte left: still reported";
  ASSERT_EQ(::read(readEnd.fd(), &c, 1), 1);
  EXPECT_EQ(readyEvents(poller, readEnd.fd()), 0u) << "drained: no longer reported";
  EXPECT_EQ(::read(readEnd.fd(), &c, 1), -1);
  EXPECT_EQ(errno, EAGAIN) << "a non-blocking read of an empty pipe says EAGAIN";
}

TEST(EPollPoller, ReportsWritableUntilTheBufferIsFull) {
  EPollPoller poller;
  Pair p = makePair();
  poller.add(p.a.fd(), EPOLLOUT);
  EXPECT_EQ(readyEvents(poller, p.a.fd()), static_cast<uint32_t>(EPOLLOUT))
      << "an idle connected socket is writable";
  EXPECT_EQ(readyEvents(poller, p.a.fd()), static_cast<uint32_t>(EPOLLOUT))
      << "and stays so: why EPOLLOUT is watched only while output is pending";

  size_t filled = fill(p.a.fd());
  ASSERT_GT(filled, 0u);
  EXPECT_EQ(readyEvents(poller, p.a.fd()), 0u) << "full send buffer: not writable";

  std::vector<char> sink(filled);
  size_t drained = 0;
  while (drained < filled) {
    ssize_t n = ::read(p.b.fd(), sink.data(), sink.size());
    ASSERT_GT(n, 0);
    drained += static_cast<size_t>(n);
  }
  EXPECT_EQ(readyEvents(poller, p.a.fd()), static_cast<uint32_t>(EPOLLOUT))
      << "the peer read everything: writable again";
}

TEST(EPollPoller, ModifyChangesTheWatchedEvents) {
  EPollPoller poller;
  Pair p = makePair();
  poller.add(p.a.fd(), EPOLLIN);
  EXPECT_EQ(readyEvents(poller, p.a.fd()), 0u) << "writable, but only EPOLLIN is watched";

  poller.modify(p.a.fd(), EPOLLIN | EPOLLOUT);
  EXPECT_EQ(readyEvents(poller, p.a.fd()), static_cast<uint32_t>(EPOLLOUT));

  ASSERT_EQ(::write(p.b.fd(), "x", 1), 1);
  EXPECT_EQ(readyEvents(poller, p.a.fd()), static_cast<uint32_t>(EPOLLIN | EPOLLOUT));

  poller.modify(p.a.fd(), 0);
  EXPECT_EQ(readyEvents(poller, p.a.fd()), 0u) << "0: registered, but silent";
  EXPECT_TRUE(poller.hasFd(p.a.fd()));

  poller.modify(p.a.fd(), EPOLLIN);
  EXPECT_EQ(readyEvents(poller, p.a.fd()), static_cast<uint32_t>(EPOLLIN));
}

TEST(EPollPoller, RemovedFdIsNotReported) {
  EPollPoller poller;
  Pair p = makePair();
  Pair other = makePair();
  poller.add(p.a.fd(), EPOLLIN | EPOLLOUT);
  poller.add(other.a.fd(), EPOLLIN);
  ASSERT_EQ(::write(p.b.fd(), "x", 1), 1);
  ASSERT_EQ(::write(other.b.fd(), "y", 1), 1);

  poller.remove(p.a.fd());
  EXPECT_FALSE(poller.hasFd(p.a.fd()));
  std::vector<epoll_event> ready;
  ASSERT_EQ(poller.poll(1000, &ready), 1);
  EXPECT_EQ(ready[0].data.fd, other.a.fd()) << "only the fd still registered";

  poller.add(p.a.fd(), EPOLLIN);  // and it can come back
  EXPECT_EQ(readyEvents(poller, p.a.fd()), static_cast<uint32_t>(EPOLLIN));
}

TEST(EPollPoller, PeerCloseIsReportedAsReadableThenEof) {
  EPollPoller poller;
  Pair p = makePair();
  poller.add(p.a.fd(), EPOLLIN);
  p.b = Socket();  // close the peer

  uint32_t events = readyEvents(poller, p.a.fd());
  EXPECT_TRUE(events & EPOLLIN) << "EOF is readable: read() returns 0";
  EXPECT_TRUE(events & EPOLLHUP) << "reported although not asked for (epoll_ctl(2))";
  char c;
  EXPECT_EQ(::read(p.a.fd(), &c, 1), 0);
}

TEST(EPollPoller, OnePollReportsEveryReadyFdOnceItsArrayHasGrown) {
  EPollPoller poller;
  constexpr size_t kPairs = 40;  // more than the initial array of 16
  std::vector<Pair> pairs;
  for (size_t i = 0; i < kPairs; ++i) {
    pairs.push_back(makePair());
    poller.add(pairs.back().a.fd(), EPOLLIN);
    ASSERT_EQ(::write(pairs.back().b.fd(), "x", 1), 1);
  }
  std::vector<epoll_event> ready;
  std::set<int> seen;
  int calls = 0;
  int n = 0;
  while (n != static_cast<int>(kPairs) && calls < 5) {  // 16, 32, then all 40
    n = poller.poll(0, &ready);
    ++calls;
    ASSERT_EQ(ready.size(), static_cast<size_t>(n));
    for (const epoll_event& event : ready) seen.insert(event.data.fd);
  }
  EXPECT_EQ(n, static_cast<int>(kPairs)) << "after " << calls << " calls";
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(seen.size(), kPairs);
}

TEST(EPollPoller, TimesOutWhenNothingIsReady) {
  EPollPoller poller;
  Pair p = makePair();
  poller.add(p.a.fd(), EPOLLIN);
  std::vector<epoll_event> ready;
  EXPECT_EQ(poller.poll(10, &ready), 0);
  EXPECT_TRUE(ready.empty());
}

TEST(EPollPollerDeathTest, AddingAnFdTwiceAborts) {
  EPollPoller poller;
  Pair p = makePair();
  poller.add(p.a.fd(), EPOLLIN);
  EXPECT_DEATH(poller.add(p.a.fd(), EPOLLIN), "EPollPoller: add\\(fd [0-9]+\\): File exists");
}

TEST(EPollPollerDeathTest, ModifyingOrRemovingAnUnknownFdAborts) {
  EPollPoller poller;
  Pair p = makePair();
  EXPECT_DEATH(poller.modify(p.a.fd(), EPOLLIN), "modify\\(fd [0-9]+\\): No such file");
  EXPECT_DEATH(poller.remove(p.a.fd()), "remove\\(fd [0-9]+\\): No such file");
}

TEST(EPollPollerDeathTest, ClosedOrUnpollableFdAborts) {
  EPollPoller poller;
  EXPECT_DEATH(poller.add(-1, EPOLLIN), "add\\(fd -1\\): Bad file descriptor");
  // A regular file is always ready, so epoll refuses it (EPERM).
  Socket file(::open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file.valid());
  EXPECT_DEATH(poller.add(file.fd(), EPOLLIN), "add\\(fd [0-9]+\\): Operation not permitted");
}

TEST(EPollPollerDeathTest, ClosingWithoutRemoveIsCaughtWhenTheFdNumberComesBack) {
  EPollPoller poller;
  Pair p = makePair();
  int fd = p.a.fd();
  poller.add(fd, EPOLLIN);
  p.a = Socket();  // closed while registered: the kernel forgets it, the poller does not
  Pair reused = makePair();
  ASSERT_TRUE(reused.a.fd() == fd || reused.b.fd() == fd) << "the lowest free number is reused";
  EXPECT_DEATH(poller.add(fd, EPOLLIN), "add\\(fd [0-9]+\\): File exists");
}

}  // namespace
