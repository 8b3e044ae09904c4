// The epoll echo server as a process: many clients at once on one thread, a client that never
// reads is throttled without hurting the others (again since chapter 07: the high water mark),
// resets do not break it, and an idle server sleeps. What we observe: bytes on sockets, and the
// server's /proc entries (threads, memory, CPU time, open fds). (Chapters 02-04 also paused
// accepting at the fd limit; the echo server on TcpServer refuses instead, see chapter 05:
// acceptor_test.cc covers the fd limit.)
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// The soft open-file limit up to the hard one: 1000 clients need 1000 fds in this process too.
void raiseOpenFileLimit() {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
}

std::string procPath(pid_t pid, const char* entry) {
  return "/proc/" + std::to_string(pid) + "/" + entry;
}

/// A number from /proc/<pid>/status: "Threads", or "VmRSS" in kB. -1 if absent.
long procStatus(pid_t pid, const std::string& field) {
  std::ifstream in(procPath(pid, "status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

/// The fd numbers the process has open, ascending.
std::vector<int> openFds(pid_t pid) {
  std::vector<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator(procPath(pid, "fd"))) {
    fds.push_back(std::stoi(entry.path().filename().string()));
  }
  std::sort(fds.begin(), fds.end());
  return fds;
}

/// The byte at `offset` of an endless, non-repeating-looking test stream.
char patternByte(size_t offset) { return static_cast<char>((offset * 131 + offset / 251) % 256); }

/// Sends the pattern stream as fast as the socket takes it, never reading, until the socket has
/// stayed full for `stall` (the server stopped reading) or `limit` bytes went out. `meanwhile`
/// runs after every MiB sent and each time the socket is full. Returns the bytes sent.
template <typename F>
size_t sendUntilStalled(int fd, size_t limit, std::chrono::milliseconds stall, F meanwhile) {
  std::string chunk(65536, '\0');
  size_t sent = 0;
  while (sent < limit) {
    for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = patternByte(sent + i);
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      if ((sent + static_cast<size_t>(n)) >> 20 != sent >> 20) meanwhile();
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN) {
      ADD_FAILURE() << "send: " << std::strerror(errno);
      break;
    }
    meanwhile();
    if (!waitFor(fd, POLLOUT, stall)) break;
  }
  return sent;
}

/// One short round trip; the server must answer within `timeout`.
void expectEcho(int fd, const std::string& message, std::chrono::milliseconds timeout = 2s) {
  ASSERT_TRUE(writeAll(fd, message));
  EXPECT_EQ(readExactly(fd, message.size(), timeout), message);
}

TEST(EpollEcho, ServesAThousandConcurrentClientsOnOneThread) {
  raiseOpenFileLimit();
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  constexpr int kClients = 1000;
  std::vector<Socket> clients;
  std::vector<std::string> messages;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(connectTo(server.port()));
    ASSERT_TRUE(clients.back().valid()) << "client " << i << ": " << std::strerror(errno);
    messages.push_back("client " + std::to_string(i) + " " + std::string(i % 97, 'a' + i % 26));
  }
  // Everyone speaks before anyone listens: all 1000 connections are open and pending at once.
  for (int i = 0; i < kClients; ++i) ASSERT_TRUE(writeAll(clients[i].fd(), messages[i]));
  for (int i = 0; i < kClients; ++i) {
    ASSERT_EQ(readExactly(clients[i].fd(), messages[i].size()), messages[i]) << "client " << i;
  }
  EXPECT_EQ(procStatus(server.pid(), "Threads"), 1);
  EXPECT_GE(openFds(server.pid()).size(), static_cast<size_t>(kClients))
      << "every connection is still held open by the server";
}

TEST(EpollEcho, ClientThatNeverReadsIsThrottledAndOthersStillServed) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  Socket hog = connectTo(server.port());
  Socket other = connectTo(server.port());
  ASSERT_TRUE(hog.valid() && other.valid());
  expectEcho(other.fd(), "warm-up");
  long rssBeforeKb = procStatus(server.pid(), "VmRSS");

  // While the hog streams, and once its socket is full, the other client is answered promptly.
  int echoes = 0;
  constexpr size_t kLimit = size_t{256} << 20;
  size_t sent = sendUntilStalled(
      hog.fd(), kLimit, 300ms, [&] { expectEcho(other.fd(), "ping " + std::to_string(echoes++)); });
  EXPECT_LT(sent, kLimit) << "the server kept reading from a client that never reads";
  EXPECT_GT(echoes, 1);
  long rssGrowthKb = procStatus(server.pid(), "VmRSS") - rssBeforeKb;
  EXPECT_LT(rssGrowthKb, 16 * 1024) << "the server buffered " << sent << " bytes sent";
  EXPECT_EQ(procStatus(server.pid(), "Threads"), 1);

  // Once the hog reads, it gets every byte back in order: throttling lost nothing, and the
  // server resumed reading what it had left in the socket.
  std::string back = readExactly(hog.fd(), sent);
  ASSERT_EQ(back.size(), sent);
  size_t mismatch = 0;
  while (mismatch < sent && back[mismatch] == patternByte(mismatch)) ++mismatch;
  EXPECT_EQ(mismatch, sent) << "first wrong byte at this offset";
  expectEcho(hog.fd(), "and the hog is served like anyone else");
}

TEST(EpollEcho, ClientResetsDoNotHurtTheServer) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  const size_t idleFds = openFds(server.pid()).size();
  for (int i = 0; i < 10; ++i) {
    Socket victim = connectTo(server.port());
    ASSERT_TRUE(victim.valid());
    if (i % 2 == 0) {
      // Not read by us: the server is left holding unsent echo when the reset comes.
      ASSERT_TRUE(writeAll(victim.fd(), std::string(512 * 1024, 'r')));
    } else {
      expectEcho(victim.fd(), "short");
    }
    victim.setLinger(0);  // close() now sends RST instead of FIN
  }
  // The kernel offers no event for "another process closed an fd": watch /proc.
  EXPECT_TRUE(waitUntil([&] { return openFds(server.pid()).size() == idleFds; }))
      << "every reset connection is closed by the server: " << openFds(server.pid()).size()
      << " fds open, " << idleFds << " when idle";
  Socket client = connectTo(server.port());
  ASSERT_TRUE(client.valid());
  expectEcho(client.fd(), "still here");
  int status = 0;
  EXPECT_EQ(::waitpid(server.pid(), &status, WNOHANG), 0) << "the server must still be running";
}

TEST(EpollEcho, IdleConnectionsCostNoCpu) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  Socket client = connectTo(server.port());
  ASSERT_TRUE(client.valid());
  expectEcho(client.fd(), std::string(200000, 'w'));  // a write path that needed EPOLLOUT
  std::optional<double> before = runnableMs(server.pid());
  if (!before) GTEST_SKIP() << "no /proc/<pid>/task/*/schedstat on this kernel";
  // A server that kept EPOLLOUT on a writable socket would spin here at 100% CPU.
  EXPECT_FALSE(waitFor(client.fd(), POLLIN, 300ms)) << "nothing was sent, nothing comes back";
  EXPECT_LT(runnableMs(server.pid()).value_or(0) - *before, 100)
      << "ms running or runnable in 300 ms of idling";
}

}  // namespace
