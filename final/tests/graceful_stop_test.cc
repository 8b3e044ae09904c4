// The graceful stop: of the http_server program on SIGTERM, and of HttpServer::stop() in process.
// After the stop begins, a new connect is refused, an idle keep-alive connection reads EOF at
// once, a request in flight (a deferred one too) gets its whole answer with "Connection: close"
// and then EOF, what is still busy at the bound is closed by force, and the process exits 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ComputePool.h"
#include "EventLoop.h"
#include "HttpResponse.h"
#include "HttpServer.h"
#include "HttpTestUtil.h"
#include "LoopTestUtil.h"

using namespace net;
using namespace net::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

/// True when the connection was closed by the server without another byte: EOF, not a reset.
bool seesEof(Client& client, std::chrono::milliseconds timeout = 5s) {
  ReadResult rest = readToEnd(client.socket.fd(), timeout);
  return client.pending.empty() && rest.data.empty() && rest.eof && rest.error == 0;
}

/// A client that sent /hello and read the answer: open, idle, kept alive.
std::unique_ptr<Client> idleClient(uint16_t port) {
  auto client = std::make_unique<Client>(port);
  if (!client->send(get("/hello")) || !client->read()) return nullptr;
  return client;
}

/// Waits (bounded) for the process to exit by itself; its wait status.
std::optional<int> waitForExit(ServerProcess& server, std::chrono::milliseconds timeout) {
  return server.stop(/*sig=*/0, timeout);  // signal 0 sends nothing, it only checks the pid
}

bool exitedWithZero(const std::optional<int>& status) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

/// The "bytesIn" of a /stats answer fetched on `observer`; -1 if none came.
long long bytesIn(Client& observer) {
  if (!observer.send(get("/stats"))) return -1;
  auto stats = observer.read();
  const std::string key = "\"bytesIn\": ";
  size_t at = stats ? stats->body.find(key) : std::string::npos;
  return at == std::string::npos ? -1 : std::stoll(stats->body.substr(at + key.size()));
}

/// Sends `bytes` on `client` and waits until the server has read them, as its byte count tells
/// `observer` (which adds one /stats request per look): the connection is then certainly busy
/// with a request, not idle.
bool sendAndWaitUntilRead(Client& client, const std::string& bytes, Client& observer) {
  const long long request = static_cast<long long>(get("/stats").size());
  long long before = bytesIn(observer);
  if (before < 0 || !client.send(bytes)) return false;
  long long looks = 0;
  return waitUntil([&] {
    ++looks;
    return bytesIn(observer) == before + looks * request + static_cast<long long>(bytes.size());
  });
}

//! [sigtermInFlight]
TEST(GracefulStop, SigtermLetsTheRequestInFlightFinishThenExitsZero) {
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", "2", "--stop-timeout", "5"});
  ASSERT_TRUE(server.ok());
  auto idle = idleClient(server.port());
  ASSERT_TRUE(idle);
  Client busy(server.port());
  // A slow request, and one pipelined behind it that the stop leaves unanswered.
  ASSERT_TRUE(busy.send(get("/sleep?ms=600") + get("/hello")));
  // In flight once /stats counts it as deferred (its compute task is sleeping).
  auto observer = idleClient(server.port());
  ASSERT_TRUE(observer);
  ASSERT_TRUE(waitUntil([&] {
    observer->send(get("/stats"));
    auto stats = observer->read();
    return stats && stats->body.find("\"deferred\": 1") != std::string::npos;
  }));

  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(seesEof(*idle));  // idle keep-alive connections: FIN at once
  EXPECT_TRUE(seesEof(*observer));
  EXPECT_FALSE(connectTo(server.port()).valid()) << "the listening socket is still open";

  auto slept = busy.read();
  ASSERT_TRUE(slept);
  EXPECT_EQ(slept->status, 200);
  EXPECT_EQ(slept->body, "slept 600 ms\n");
  EXPECT_EQ(slept->header("Connection"), "close");
  EXPECT_TRUE(busy.closedByServer());  // the pipelined /hello is not answered

  idle.reset();  // the clients close their side, as clients do on EOF
  observer.reset();
  busy.socket = Socket();
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
}
//! [sigtermInFlight]

TEST(GracefulStop, IdleConnectionsAloneLetTheProcessExitAtOnce) {
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", "2", "--stop-timeout", "30"});
  ASSERT_TRUE(server.ok());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(idleClient(server.port()));
    ASSERT_TRUE(clients.back());
  }
  auto start = Clock::now();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  for (auto& client : clients) EXPECT_TRUE(seesEof(*client));
  clients.clear();
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
  EXPECT_LT(Clock::now() - start, 3s);  // far from the 30 s bound: nothing was busy
}

TEST(GracefulStop, AConnectionStillBusyAtTheBoundIsClosedByForce) {
  ServerProcess server(HTTP_SERVER_PATH, {"--stop-timeout", "1"});
  ASSERT_TRUE(server.ok());
  auto idle = idleClient(server.port());
  ASSERT_TRUE(idle);
  Client partial(server.port());
  ASSERT_TRUE(sendAndWaitUntilRead(partial, "GET /hello HTTP/1.1\r\nHost: t\r\n", *idle));

  auto start = Clock::now();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(seesEof(*idle));
  idle.reset();
  EXPECT_TRUE(seesEof(partial));  // after the bound: no answer, just the close
  EXPECT_GE(Clock::now() - start, 900ms);
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(GracefulStop, ASecondSignalClosesWhatIsLeftAtOnce) {
  ServerProcess server(HTTP_SERVER_PATH, {"--stop-timeout", "60"});
  ASSERT_TRUE(server.ok());
  auto idle = idleClient(server.port());
  ASSERT_TRUE(idle);
  Client partial(server.port());
  ASSERT_TRUE(sendAndWaitUntilRead(partial, "GET /hello HTTP/1.1\r\n", *idle));

  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(seesEof(*idle));  // the first signal has been handled
  auto start = Clock::now();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(seesEof(partial));
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
  EXPECT_LT(Clock::now() - start, 3s);
}

/// Everything in the files of `dir` whose names start with `prefix`, in name order.
std::string readLogs(const std::string& dir, const std::string& prefix) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::string text;
  for (const auto& path : paths) {
    std::ifstream in(path);
    text.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return text;
}

/// A temporary directory, removed with everything in it.
struct TempDir {
  TempDir() {
    char dir[] = "/tmp/graceful-stop-XXXXXX";
    if (::mkdtemp(dir) != nullptr) path = dir;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

TEST(GracefulStop, TheLogIsWrittenWholeBeforeTheProcessExits) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  ServerProcess server(HTTP_SERVER_PATH,
                       {"--threads", "2", "--log", dir.path + "/http", "--log-level", "info"});
  ASSERT_TRUE(server.ok());
  for (int i = 0; i < 3; ++i) {
    Client client(server.port());
    ASSERT_TRUE(client.send(get("/hello")));
    ASSERT_TRUE(client.read());
  }
  // The log flushes every 3 s: what is in the files now proves nothing, what is there after the
  // exit proves the stop wrote everything.
  EXPECT_TRUE(exitedWithZero(server.stop(SIGTERM, 5s)));
  std::string log = readLogs(dir.path, "http.");
  size_t lines = 0;
  for (size_t at = 0; (at = log.find("\"GET /hello HTTP/1.1\" 200 13 ", at)) != std::string::npos;
       ++at) {
    ++lines;
  }
  EXPECT_EQ(lines, 3u) << log;  // the access log: one line per request at info
  EXPECT_NE(log.find("HttpServer http: stopped"), std::string::npos) << log;
}

TEST(GracefulStop, TheDefaultLevelWritesNoAccessLog) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  ServerProcess server(HTTP_SERVER_PATH, {"--log", dir.path + "/http"});
  ASSERT_TRUE(server.ok());
  Client client(server.port());
  ASSERT_TRUE(client.send(get("/hello")));
  ASSERT_TRUE(client.read());
  client.socket = Socket();
  EXPECT_TRUE(exitedWithZero(server.stop(SIGTERM, 5s)));
  EXPECT_EQ(readLogs(dir.path, "http.").find("GET /hello"), std::string::npos);
}

/// A one-shot gate the in-process compute task waits on; opened at the latest when destroyed.
class Gate {
 public:
  ~Gate() { open(); }
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, 10s, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(GracefulStopInProcess, ADeferredAnswerStillArrivesWithConnectionClose) {
  LoopThread loop;
  ComputePool pool(1, 4);
  Gate gate;
  std::promise<void> computing;
  std::promise<void> stopped;
  std::unique_ptr<HttpServer> server;
  loop.call([&] {
    server = std::make_unique<HttpServer>(loop.loop(), InetAddress(0, true), "stop");
    server->setThreadNum(1);
    server->setAsyncHttpCallback([&](const HttpRequest& request, HttpResponder responder) {
      if (request.path() != "/compute") {
        HttpResponse response;
        response.setBody("now");
        return responder.send(std::move(response));
      }
      pool.submit([&, responder] {
        computing.set_value();
        gate.wait();
        HttpResponse response;
        response.setBody("computed");
        responder.send(std::move(response));
      });
    });
    server->start();
  });
  uint16_t port = loop.call([&] { return server->listenAddress().port(); });
  auto idle = idleClient(port);
  ASSERT_TRUE(idle);
  Client busy(port);
  ASSERT_TRUE(busy.send(get("/compute")));
  ASSERT_EQ(computing.get_future().wait_for(5s), std::future_status::ready);

  loop.call([&] { server->stop(10s, [&] { stopped.set_value(); }); });
  EXPECT_FALSE(connectTo(port).valid());
  EXPECT_TRUE(seesEof(*idle));
  idle.reset();
  auto future = stopped.get_future();
  EXPECT_EQ(future.wait_for(0s), std::future_status::timeout);  // the busy one is still open

  gate.open();
  auto computed = busy.read();
  ASSERT_TRUE(computed);
  EXPECT_EQ(computed->body, "computed");
  EXPECT_EQ(computed->header("Connection"), "close");
  EXPECT_TRUE(busy.closedByServer());
  busy.socket = Socket();
  EXPECT_EQ(future.wait_for(5s), std::future_status::ready);
  pool.stop();
  loop.call([&] { server.reset(); });
}

TEST(GracefulStopInProcess, WithoutConnectionsTheStopIsImmediate) {
  LoopThread loop;
  std::unique_ptr<HttpServer> server;
  loop.call([&] {
    server = std::make_unique<HttpServer>(loop.loop(), InetAddress(0, true), "stop");
    server->start();
  });
  bool stopped = loop.call([&] {
    bool done = false;
    server->stop(10s, [&] { done = true; });
    return done;  // called inside stop() already
  });
  EXPECT_TRUE(stopped);
  loop.call([&] { server.reset(); });
}

}  // namespace
