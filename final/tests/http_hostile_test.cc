// Hostile clients against the http_server program, driven as a process over loopback: a
// thousand concurrent keep-alive connections, slowloris clients that trickle their requests, a
// client that pipelines requests and never reads the answers, clients that reset the
// connection in the middle of a response, the same two with a large static file (where the
// server has --root), and garbage or oversized input.
//
// "Does not delay others" is asserted by order, never by a stopwatch: the well-behaved client
// gets its whole answer while the hostile one is still connected, its request incomplete or its
// answers unread. What the hostile client took is checked too: the server's open descriptors
// (/proc/<pid>/fd) come back to where they were, its resident memory (/proc/<pid>/status) stays
// bounded.
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "HttpTestUtil.h"
#include "LogTestUtil.h"
#include "LoopTestUtil.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

// ---------------------------------------------------------------------------------------------
// What the kernel can tell about the server process and its sockets.

/// Resident memory of process `pid` in KiB (VmRSS in /proc/<pid>/status, proc(5)); -1 if
/// unreadable.
long residentKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

/// The kernel's queues of one TCP socket.
struct TcpQueues {
  unsigned long send = 0;     ///< written by the process, not yet acknowledged by the peer
  unsigned long receive = 0;  ///< received, not yet read by the process
};

/// The queues of the server's end of the loopback connection whose client end is `clientFd`:
/// the tx_queue and rx_queue columns of /proc/net/tcp (proc(5)). Nothing if it is not listed.
std::optional<TcpQueues> serverQueues(uint16_t serverPort, int clientFd) {
  sockaddr_in client{};
  socklen_t length = sizeof client;
  if (::getsockname(clientFd, reinterpret_cast<sockaddr*>(&client), &length) != 0) return {};
  const unsigned clientPort = ntohs(client.sin_port);
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the column titles
  while (std::getline(in, line)) {
    unsigned localPort = 0;
    unsigned remotePort = 0;
    TcpQueues queues;
    if (std::sscanf(line.c_str(), " %*u: %*x:%x %*x:%x %*x %lx:%lx", &localPort, &remotePort,
                    &queues.send, &queues.receive) == 4 &&
        localPort == serverPort && remotePort == clientPort) {
      return queues;
    }
  }
  return {};
}

/// Bytes received on `fd` and not yet read (SIOCINQ, tcp(7)).
unsigned long unread(int fd) {
  int bytes = 0;
  if (::ioctl(fd, SIOCINQ, &bytes) != 0) return 0;
  return static_cast<unsigned long>(bytes);
}

/// Bytes `fd` has handed to the kernel that its peer has not acknowledged yet (SIOCOUTQ,
/// tcp(7)): they are still ours, not yet in the peer's receive queue.
unsigned long unacknowledged(int fd) {
  int bytes = 0;
  if (::ioctl(fd, SIOCOUTQ, &bytes) != 0) return 0;
  return static_cast<unsigned long>(bytes);
}

/// The TCP state of `fd` (tcpi_state of TCP_INFO, tcp(7)): TCP_ESTABLISHED while neither side
/// has closed, TCP_CLOSE_WAIT once the peer sent FIN.
int tcpState(int fd) {
  tcp_info info{};
  socklen_t length = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) return -1;
  return info.tcpi_state;
}

/// Raises this process's soft RLIMIT_NOFILE to its hard limit and returns the new soft limit.
/// The server started afterwards inherits it (fork and execve keep resource limits).
rlim_t raiseFdLimit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

/// Closes `socket` abortively: with SO_LINGER {on, 0} close(2) drops whatever is queued and
/// sends RST instead of FIN (socket(7)).
void resetConnection(Socket& socket) {
  socket.setLinger(0);
  socket = Socket();
}

/// Reads on all of `clients` at once, one poll(2) over their sockets, appending to each one's
/// pending bytes, until `done(i)` holds for every index. `eof[i]` is set when client i's peer
/// closed. False when a connection ended before it was done, or all stayed silent for
/// `silence`.
bool readUntil(std::vector<HttpClient>& clients, std::vector<bool>& eof,
               const std::function<bool(size_t)>& done,
               std::chrono::milliseconds silence = std::chrono::seconds(10)) {
  std::vector<size_t> waiting;
  for (size_t i = 0; i < clients.size(); ++i) {
    if (!done(i)) waiting.push_back(i);
  }
  std::vector<pollfd> pfds;
  char buf[65536];
  while (!waiting.empty()) {
    pfds.clear();
    for (size_t i : waiting) pfds.push_back({clients[i].fd(), POLLIN, 0});
    int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(silence.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    std::vector<size_t> still;
    for (size_t k = 0; k < waiting.size(); ++k) {
      size_t i = waiting[k];
      if (pfds[k].revents != 0) {
        ssize_t got = ::recv(clients[i].fd(), buf, sizeof buf, MSG_DONTWAIT);
        if (got > 0) {
          clients[i].pending().append(buf, static_cast<size_t>(got));
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          eof[i] = true;
        }
      }
      if (done(i)) continue;
      if (eof[i]) return false;
      still.push_back(i);
    }
    waiting.swap(still);
  }
  return true;
}

/// The "connections" count of the server's GET /stats, asked on `client`; nothing when the
/// server has no /stats (the program before the final one answers 404).
std::optional<long long> statsConnections(HttpClient& client) {
  return statsField(client, "connections");
}

/// Waits until the server's /stats counts exactly `expected` connections (the asking one
/// included); true at once when the server has no /stats.
bool statsConnectionsBecome(HttpClient& client, long long expected) {
  if (!statsConnections(client)) return true;
  return waitUntil([&] { return statsConnections(client) == expected; });
}

const std::string kHello = "Hello, World!";

/// Names the parameter --threads N of a test: "MainLoopOnly" for 0, "SubLoops2" for 2.
std::string threadsName(const ::testing::TestParamInfo<int>& param) {
  return param.param == 0 ? std::string("MainLoopOnly") : "SubLoops" + std::to_string(param.param);
}

/// One request for "/", the largest built-in answer (about ten times the request's size).
const std::string kIndexRequest = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

// ---------------------------------------------------------------------------------------------
// 1. Many concurrent connections.

/// Parameter: the server's --threads.
class HostileManyConnections : public ::testing::TestWithParam<int> {};

TEST_P(HostileManyConnections, ThousandKeepAliveClientsEachGetExactlyTheirAnswers) {
  constexpr size_t kClients = 1000;
  // Each connection costs a descriptor here and one in the server, plus a few of each's own.
  const rlim_t limit = raiseFdLimit();
  if (limit < 2 * kClients + 100) {
    GTEST_SKIP() << "RLIMIT_NOFILE hard limit is " << limit << "; " << 2 * kClients + 100
                 << " descriptors are needed (ulimit -Hn)";
  }
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", std::to_string(GetParam())});
  ASSERT_TRUE(server.ok()) << "first line was: " << server.banner();
  const int idleFds = openFdCount(server.pid());

  std::vector<HttpClient> clients;
  clients.reserve(kClients);
  for (size_t i = 0; i < kClients; ++i) {
    clients.emplace_back(server.port());
    ASSERT_TRUE(clients.back().valid()) << "connection " << i << ": " << std::strerror(errno);
  }
  // All connect before any sends: the server holds a thousand open connections at once.
  for (HttpClient& client : clients) ASSERT_TRUE(client.send(httpGet("/hello")));
  std::vector<bool> eof(kClients);
  std::vector<ParsedResponse> responses(kClients);
  ASSERT_TRUE(readUntil(clients, eof, [&](size_t i) {
    return parseResponse(clients[i].pending(), &responses[i]) > 0;
  })) << "some connection got no complete answer";
  for (size_t i = 0; i < kClients; ++i) {
    ASSERT_EQ(responses[i].status, 200) << "client " << i;
    ASSERT_EQ(responses[i].body, kHello) << "client " << i;
    ASSERT_EQ(responses[i].header("Connection"), "keep-alive") << "client " << i;
    clients[i].pending().erase(0, parseResponse(clients[i].pending(), &responses[i]));
  }

  // The second request asks to close, so each stream ends where the server says it does: the
  // bytes up to EOF must be exactly one more answer, nothing duplicated, nothing lost.
  for (HttpClient& client : clients) {
    ASSERT_TRUE(client.send(httpGet("/hello", "Connection: close\r\n")));
  }
  ASSERT_TRUE(readUntil(clients, eof, [&](size_t i) { return static_cast<bool>(eof[i]); }))
      << "some connection was not answered and closed";
  for (size_t i = 0; i < kClients; ++i) {
    const std::string& rest = clients[i].pending();
    const size_t length = parseResponse(rest, &responses[i]);
    ASSERT_TRUE(length > 0 && length == rest.size()) << "client " << i << ": " << rest;
    ASSERT_EQ(responses[i].body, kHello) << "client " << i;
    ASSERT_EQ(responses[i].header("Connection"), "close") << "client " << i;
  }
  clients.clear();

  // Every connection is given back, and the server still takes new ones.
  EXPECT_TRUE(waitUntil([&] { return openFdCount(server.pid()) == idleFds; }))
      << "open descriptors: " << openFdCount(server.pid()) << ", idle: " << idleFds;
  HttpClient last(server.port());
  auto answer = last.roundTrip(httpGet("/hello"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, kHello);
  EXPECT_TRUE(statsConnectionsBecome(last, 1)) << "/stats: " << statsConnections(last).value_or(-1);
}

INSTANTIATE_TEST_SUITE_P(Threads, HostileManyConnections, ::testing::Values(0, 2), threadsName);

// ---------------------------------------------------------------------------------------------
// 2. Slowloris: requests that arrive a byte at a time, or never finish.

TEST(HostileSlowloris, ByteByByteRequestDoesNotDelayAnotherClientOnTheSameLoop) {
  ServerProcess server(HTTP_SERVER_PATH);  // --threads 0: both clients share the one loop
  ASSERT_TRUE(server.ok());
  HttpClient slow(server.port());
  HttpClient other(server.port());
  ASSERT_TRUE(slow.valid() && other.valid());
  int one = 1;
  ::setsockopt(slow.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // one byte, one segment
  const std::string request = httpGet(
      "/hello",
      "User-Agent: slowloris\r\nAccept: */*\r\nX-Padding: " + std::string(40, 'p') + "\r\n");
  for (size_t i = 0; i + 1 < request.size(); ++i) {
    ASSERT_TRUE(slow.send(request.substr(i, 1)));
    // Between two bytes of the slow request, a whole request of the other client is answered.
    auto answer = other.roundTrip(httpGet("/hello"));
    ASSERT_TRUE(answer) << "no answer after " << i + 1 << " bytes of the slow request";
    ASSERT_EQ(answer->body, kHello);
    ASSERT_EQ(tcpState(slow.fd()), TCP_ESTABLISHED) << "the slow client was closed at byte " << i;
  }
  ASSERT_FALSE(waitFor(slow.fd(), POLLIN, std::chrono::milliseconds(0)))
      << "the slow client got something before its request was complete";
  ASSERT_TRUE(slow.send(request.substr(request.size() - 1)));
  auto answer = slow.read();
  ASSERT_TRUE(answer) << "the slow request, once complete, was not answered";
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, kHello);
}

TEST(HostileSlowloris, ManyUnfinishedRequestsDoNotDelayAnotherClient) {
  constexpr size_t kSlow = 200;  // within the default RLIMIT_NOFILE of 1024, both processes
  ServerProcess server(HTTP_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  const std::string request = httpGet("/hello", "X-Slow: yes\r\n");
  const size_t cut = request.size() - 3;  // the last field line is not even complete
  std::vector<HttpClient> slow;
  for (size_t i = 0; i < kSlow; ++i) {
    slow.emplace_back(server.port());
    ASSERT_TRUE(slow.back().valid());
    ASSERT_TRUE(slow.back().send(request.substr(0, cut)));
  }
  HttpClient other(server.port());
  for (int i = 0; i < 10; ++i) {
    auto answer = other.roundTrip(httpGet("/hello"));
    ASSERT_TRUE(answer) << "request " << i << " of the other client";
    ASSERT_EQ(answer->body, kHello);
  }
  for (HttpClient& client : slow) {
    ASSERT_EQ(tcpState(client.fd()), TCP_ESTABLISHED);
    ASSERT_FALSE(waitFor(client.fd(), POLLIN, std::chrono::milliseconds(0)))
        << "a slow client got something before its request was complete";
  }
  for (HttpClient& client : slow) ASSERT_TRUE(client.send(request.substr(cut)));
  std::vector<bool> eof(kSlow);
  std::vector<ParsedResponse> responses(kSlow);
  ASSERT_TRUE(readUntil(slow, eof, [&](size_t i) {
    return parseResponse(slow[i].pending(), &responses[i]) > 0;
  })) << "a completed slow request was not answered";
  for (const ParsedResponse& response : responses) EXPECT_EQ(response.body, kHello);
}

// ---------------------------------------------------------------------------------------------
// 3. A client that pipelines requests and never reads the answers.

// 300,000 requests for "/" are 9 MB to send and about 67 MB of answers. A server that answers
// everything it reads holds those answers in memory for as long as the client does not read:
// its memory is the client's to choose. The cure is backpressure: once a connection's unsent
// output passes a high-water mark, stop reading it (TcpConnection::stopRead() from the
// high-water-mark callback) and read again when the output has drained (startRead() from the
// write-complete callback). Then the server holds at most the mark, the answers to one read
// (about 128 KiB of requests, about 1 MB of answers) and the input buffer: with a 1 MiB mark it
// grows by about 2.5 MiB here. The bound of 16 MiB leaves room for a mark of a few MiB and for
// allocator slack, and is a quarter of what the server without backpressure holds.
//
// Sanitizers change what resident memory means: ASan keeps freed blocks in a quarantine (256 MiB
// by default) and both ASan and TSan add shadow memory. The server is built with the same
// sanitizer as this test, so the bound follows the build: with backpressure a sanitized server
// grows by 10-40 MiB here, without it by over 300 MiB.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NET_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NET_TEST_SANITIZED 1
#endif
#endif
#ifdef NET_TEST_SANITIZED
constexpr long kUnreadGrowthLimitKb = 128 * 1024;
#else
constexpr long kUnreadGrowthLimitKb = 16 * 1024;
#endif
constexpr size_t kUnreadRequests = 300000;

TEST(HostileNeverReads, PipelinedClientThatReadsNothingNeitherDelaysOthersNorGrowsTheServer) {
  ServerProcess server(HTTP_SERVER_PATH);  // --threads 0: both clients share the one loop
  ASSERT_TRUE(server.ok());
  HttpClient other(server.port());
  ASSERT_TRUE(other.roundTrip(httpGet("/hello")));  // the loop has run and served once
  const long residentBefore = residentKb(server.pid());
  ASSERT_GT(residentBefore, 0);

  HttpClient hostile(server.port());
  ASSERT_TRUE(hostile.valid());
  std::string batch;
  batch.reserve(kIndexRequest.size() * kUnreadRequests);
  for (size_t i = 0; i < kUnreadRequests; ++i) batch += kIndexRequest;

  size_t written = 0;
  // Bytes the server has read from the hostile connection: what was written, less what is still
  // on its way (our unacknowledged bytes) or waiting in the server's receive queue.
  auto consumed = [&] {
    return written - unacknowledged(hostile.fd()) -
           serverQueues(server.port(), hostile.fd()).value_or(TcpQueues()).receive;
  };
  auto growthKb = [&] { return residentKb(server.pid()) - residentBefore; };
  bool stoppedReading = false;
  bool overBound = false;  // already known to fail: no need to send the rest
  size_t nextCheck = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (written < batch.size() && !overBound) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "wrote " << written << " bytes";
    ssize_t n = ::send(hostile.fd(), batch.data() + written, batch.size() - written,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      written += static_cast<size_t>(n);
      if (written >= nextCheck) {
        overBound = growthKb() > kUnreadGrowthLimitKb;
        nextCheck = written + 256 * 1024;
      }
      continue;
    }
    ASSERT_TRUE(n < 0 && (errno == EAGAIN || errno == EINTR)) << std::strerror(errno);
    if (waitFor(hostile.fd(), POLLOUT, std::chrono::milliseconds(20))) continue;
    // The socket stays full: the server is either still busy with what it read or has stopped
    // reading this connection. Two round trips of the other client tell which: the loop
    // iteration that reads the first of them also sees the hostile connection readable (its
    // bytes are waiting), and the second round trip starts only after that iteration ended.
    auto queues = serverQueues(server.port(), hostile.fd());
    ASSERT_TRUE(queues) << "the server's end of the hostile connection is not in /proc/net/tcp";
    if (queues->receive == 0) continue;
    const size_t before = consumed();
    for (int i = 0; i < 2; ++i) {
      auto answer = other.roundTrip(httpGet("/hello"));
      ASSERT_TRUE(answer) << "the other client was not answered while the hostile one waited";
      ASSERT_EQ(answer->body, kHello);
    }
    if (consumed() == before) {
      stoppedReading = true;
      break;
    }
  }
  if (!stoppedReading && !overBound) {
    // All written: the server read everything. Measure once it has read it all.
    ASSERT_TRUE(
        waitUntil([&] { return consumed() == batch.size(); }, std::chrono::milliseconds(60000)))
        << "the server read " << consumed() << " of " << batch.size() << " bytes";
  }

  // The other client is answered while the hostile one is connected with its answers unread.
  ASSERT_EQ(tcpState(hostile.fd()), TCP_ESTABLISHED);
  auto answer = other.roundTrip(httpGet("/hello"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, kHello);
  const long growth = growthKb();
  EXPECT_TRUE(stoppedReading) << "the server read " << consumed() << " of the " << written
                              << " bytes of requests sent by a client that reads none of the "
                              << "answers; it must stop reading a connection whose unsent "
                              << "output passes a high-water mark";
  EXPECT_LE(growth, kUnreadGrowthLimitKb)
      << "resident memory grew by " << growth / 1024 << " MiB after reading " << consumed()
      << " bytes of requests";
}

// ---------------------------------------------------------------------------------------------
// 4. Clients that reset the connection in the middle of a response.

/// Parameter: the server's --threads.
class HostileResetMidResponse : public ::testing::TestWithParam<int> {};

TEST_P(HostileResetMidResponse, ServerStaysUpServesOthersAndGivesBackTheConnections) {
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", std::to_string(GetParam())});
  ASSERT_TRUE(server.ok());
  const int idleFds = openFdCount(server.pid());
  HttpClient other(server.port());
  ASSERT_TRUE(other.valid());

  // Answers of about 700 KB per victim: more than loopback's socket buffers take at first, so
  // the server still has output to send when the reset arrives.
  constexpr size_t kBatch = 3000;
  std::string batch;
  for (size_t i = 0; i < kBatch; ++i) batch += kIndexRequest;
  for (int round = 0; round < 6; ++round) {
    HttpClient victim(server.port());
    ASSERT_TRUE(victim.valid());
    // Sends what the socket takes without waiting: a server that stops reading a connection
    // with a large backlog may leave the rest of the batch unsent.
    ssize_t sent = ::send(victim.fd(), batch.data(), batch.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ASSERT_GT(sent, 0);
    if (round % 2 == 0) {
      // Mid-response: part of the answers read, the rest still coming.
      ReadResult start = readSome(victim.fd(), 64 * 1024);
      ASSERT_GE(start.data.size(), 64u * 1024) << "round " << round;
      ASSERT_LT(start.data.size(), kBatch * 200) << "round " << round << ": not mid-response";
      ASSERT_EQ(start.data.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    } else {
      // Mid-batch: the answers have started, none has been read.
      ASSERT_TRUE(waitFor(victim.fd(), POLLIN, std::chrono::seconds(5))) << "round " << round;
    }
    resetConnection(victim.socket());
    auto answer = other.roundTrip(httpGet("/hello"));
    ASSERT_TRUE(answer) << "no answer after reset " << round;
    ASSERT_EQ(answer->body, kHello);
  }
  EXPECT_TRUE(waitUntil([&] { return openFdCount(server.pid()) == idleFds + 1; }))
      << "open descriptors: " << openFdCount(server.pid())
      << ", idle plus one client: " << idleFds + 1;
  EXPECT_TRUE(statsConnectionsBecome(other, 1))
      << "/stats: " << statsConnections(other).value_or(-1);
  HttpClient fresh(server.port());
  auto answer = fresh.roundTrip(httpGet("/hello"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, kHello);
}

INSTANTIATE_TEST_SUITE_P(Threads, HostileResetMidResponse, ::testing::Values(0, 2), threadsName);

// ---------------------------------------------------------------------------------------------
// 5. Large files (--root): a client that never reads one, clients that reset in the middle.

// Larger than any bound on memory below, sanitized or not: a server that loads a file whole
// fails the bound by far. Sparse (truncate(2) allocates no blocks), so it costs no disk or time.
constexpr uintmax_t kLargeFileSize = uintmax_t{256} << 20;

/// A server started with --root on a directory that holds big.bin (kLargeFileSize zero bytes);
/// skipped where http_server has no --root yet. Parameter: the server's --threads.
class HostileLargeFile : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    // Flags are taken in order: without --root the program exits 2 before it sees --help.
    int status = runProgram(HTTP_SERVER_PATH, "--root / --help");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      GTEST_SKIP() << "http_server has no --root option (static files) yet";
    }
    ASSERT_FALSE(dir_.path().empty());
    std::ofstream(dir_ / "big.bin").close();
    std::filesystem::resize_file(dir_ / "big.bin", kLargeFileSize);
    server_.emplace(HTTP_SERVER_PATH, std::vector<std::string>{"--root", dir_.path(), "--threads",
                                                               std::to_string(GetParam())});
    ASSERT_TRUE(server_->ok()) << "first line was: " << server_->banner();
  }

  /// The first bytes of the answer waiting on `fd`, left unread (MSG_PEEK).
  static std::string peekStatusLine(int fd) {
    char buf[17] = {};
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
  }

  TempDir dir_;
  std::optional<ServerProcess> server_;
};

TEST_P(HostileLargeFile, ClientThatNeverReadsALargeFileDoesNotGrowTheServer) {
  ServerProcess& server = *server_;
  HttpClient other(server.port());
  ASSERT_TRUE(other.roundTrip(httpGet("/hello")));
  const long residentBefore = residentKb(server.pid());

  HttpClient hostile(server.port());
  ASSERT_TRUE(hostile.send(httpGet("/big.bin") + httpGet("/big.bin") + httpGet("/big.bin")));
  ASSERT_TRUE(waitFor(hostile.fd(), POLLIN, std::chrono::seconds(5)));
  ASSERT_EQ(peekStatusLine(hostile.fd()), "HTTP/1.1 200 OK\r\n");
  // The server sends until the kernel takes no more: then what it has handed over (unread here,
  // or unacknowledged in its send queue) stays the same through two round trips of the other
  // client, the first of which runs in a loop iteration that would also have sent more.
  auto handedOver = [&] {
    return unread(hostile.fd()) +
           serverQueues(server.port(), hostile.fd()).value_or(TcpQueues()).send;
  };
  bool full = false;
  for (int i = 0; i < 1000 && !full; ++i) {
    const unsigned long before = handedOver();
    for (int k = 0; k < 2; ++k) {
      auto answer = other.roundTrip(httpGet("/hello"));
      ASSERT_TRUE(answer) << "the other client was not answered while the file was sent";
      ASSERT_EQ(answer->body, kHello);
    }
    full = handedOver() == before;
  }
  ASSERT_TRUE(full) << "the server's sending never settled: " << handedOver() << " bytes";
  ASSERT_EQ(tcpState(hostile.fd()), TCP_ESTABLISHED);
  const long growthKb = residentKb(server.pid()) - residentBefore;
  EXPECT_LE(growthKb, kUnreadGrowthLimitKb)
      << "resident memory grew by " << growthKb / 1024 << " MiB while a " << (kLargeFileSize >> 20)
      << " MiB file waited for a client that reads nothing";
}

TEST_P(HostileLargeFile, ResetsInTheMiddleOfAFileGiveBackTheConnectionAndTheFile) {
  ServerProcess& server = *server_;
  const int idleFds = openFdCount(server.pid());
  HttpClient other(server.port());
  for (int round = 0; round < 5; ++round) {
    HttpClient victim(server.port());
    ASSERT_TRUE(victim.send(httpGet("/big.bin")));
    ReadResult start = readSome(victim.fd(), 256 * 1024);
    ASSERT_GE(start.data.size(), 256u * 1024) << "round " << round;
    ASSERT_EQ(start.data.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    resetConnection(victim.socket());
    auto answer = other.roundTrip(httpGet("/hello"));
    ASSERT_TRUE(answer) << "no answer after reset " << round;
    ASSERT_EQ(answer->body, kHello);
  }
  // Each aborted transfer held a connection and an open file: both must be closed.
  EXPECT_TRUE(waitUntil([&] { return openFdCount(server.pid()) == idleFds + 1; }))
      << "open descriptors: " << openFdCount(server.pid())
      << ", idle plus one client: " << idleFds + 1;
  EXPECT_TRUE(statsConnectionsBecome(other, 1))
      << "/stats: " << statsConnections(other).value_or(-1);
}

INSTANTIATE_TEST_SUITE_P(Threads, HostileLargeFile, ::testing::Values(0, 2), threadsName);

// ---------------------------------------------------------------------------------------------
// 6. Garbage and oversized input.

/// One row of the table: what the attacker sends and the status it must get.
struct HostileInput {
  const char* name;                    ///< the test's name suffix
  std::function<std::string()> bytes;  ///< builds the bytes (some are large: built on use)
  int status;                          ///< the expected error status
};

/// 64 KiB from a fixed-seed generator.
std::string randomBytes() {
  std::mt19937 generator(20240501);  // fixed: the same bytes, and the same verdict, every run
  std::string bytes(64 * 1024, '\0');
  for (char& c : bytes) c = static_cast<char>(generator() & 0xff);
  return bytes;
}

/// A GET with `count` extra header fields of `valueSize` bytes each.
std::string headerFields(size_t count, size_t valueSize) {
  std::string request = "GET / HTTP/1.1\r\nHost: test\r\n";
  for (size_t i = 0; i < count; ++i) {
    request += "X-Field-" + std::to_string(i) + ": " + std::string(valueSize, 'v') + "\r\n";
  }
  return request + "\r\n";
}

/// A POST whose Content-Length field is `value`, and no body.
std::string withContentLength(const std::string& value) {
  return "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: " + value + "\r\n\r\n";
}

/// Each row against a fresh server.
class HostileGarbage : public ::testing::TestWithParam<HostileInput> {};

TEST_P(HostileGarbage, GetsAnErrorStatusAndACloseWhileOthersAreServed) {
  ServerProcess server(HTTP_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  HttpClient bystander(server.port());  // connected before the attack, served after it
  HttpClient attacker(server.port());
  ASSERT_TRUE(bystander.valid() && attacker.valid());

  ReadResult result = sendAndReadToEnd(attacker.fd(), GetParam().bytes());
  ParsedResponse response;
  size_t length = parseResponse(result.data, &response);
  ASSERT_GT(length, 0u) << "no complete response; got " << result.data.size() << " bytes"
                        << (result.timedOut ? ", then silence" : "");
  EXPECT_EQ(response.status, GetParam().status) << response.body;
  EXPECT_EQ(response.header("Connection"), "close");
  EXPECT_EQ(length, result.data.size()) << "bytes after the error response";
  EXPECT_TRUE(result.eof || result.error == ECONNRESET) << "the server did not close";

  auto answer = bystander.roundTrip(httpGet("/hello"));
  ASSERT_TRUE(answer) << "the other client was not served after the attack";
  EXPECT_EQ(answer->body, kHello);
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, HostileGarbage,
    ::testing::Values(
        HostileInput{"RandomBytes", randomBytes, 400},
        HostileInput{"RequestLineOf100KiB",
                     [] { return httpGet("/" + std::string(100 * 1024, 'a')); }, 414},
        // 256 fields of 4 KiB: each line is within the line limit, the section is not.
        HostileInput{"HeaderSectionOf1MiB", [] { return headerFields(256, 4096 - 20); }, 431},
        HostileInput{"HeaderLineOf64KiB", [] { return headerFields(1, 64 * 1024); }, 431},
        HostileInput{"TenThousandHeaderFields", [] { return headerFields(10000, 1); }, 431},
        HostileInput{"ContentLengthOf10To18",
                     [] { return withContentLength("1000000000000000000"); }, 413},
        HostileInput{"NegativeContentLength", [] { return withContentLength("-1"); }, 400},
        HostileInput{"NonAsciiMethod",
                     [] { return std::string("G\xc3\x89T / HTTP/1.1\r\nHost: test\r\n\r\n"); },
                     400},
        HostileInput{"NulInTarget",
                     [] {
                       static const char kRequest[] = "GET /a\0b HTTP/1.1\r\nHost: test\r\n\r\n";
                       return std::string(kRequest, sizeof kRequest - 1);
                     },
                     400},
        HostileInput{"LoneNewlines", [] { return std::string("\n\n"); }, 400}),
    [](const ::testing::TestParamInfo<HostileInput>& param) { return param.param.name; });

}  // namespace
