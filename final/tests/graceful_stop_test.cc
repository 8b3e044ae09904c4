// The graceful stop: of the http_server program on SIGTERM, and of HttpServer::stop() in process.
// After the stop begins, a new connect is refused, an idle keep-alive connection reads EOF at
// once, a request in flight (a deferred one too) gets its whole answer with "Connection: close"
// and then EOF, what is still busy at the bound is closed by force, and the process exits 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "ComputePool.h"
#include "EventLoop.h"
#include "HttpResponse.h"
#include "HttpServer.h"
#include "HttpTestUtil.h"
#include "LogTestUtil.h"
#include "LoopTestUtil.h"

using namespace net;
using namespace net::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

/// A client that sent /hello and read the answer: open, idle, kept alive.
std::unique_ptr<HttpClient> idleClient(uint16_t port) {
  auto client = std::make_unique<HttpClient>(port);
  if (!client->roundTrip(httpGet("/hello"))) return nullptr;
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
long long bytesIn(HttpClient& observer) { return statsField(observer, "bytesIn").value_or(-1); }

/// Sends `bytes` on `client` and waits until the server has read them, as its byte count tells
/// `observer` (which adds one /stats request per look): the connection is then certainly busy
/// with a request, not idle.
bool sendAndWaitUntilRead(HttpClient& client, const std::string& bytes, HttpClient& observer) {
  const long long request = static_cast<long long>(httpGet("/stats").size());
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
  HttpClient busy(server.port());
  // A slow request, and one pipelined behind it that the stop leaves unanswered.
  ASSERT_TRUE(busy.send(httpGet("/sleep?ms=600") + httpGet("/hello")));
  // In flight once /stats counts it as deferred (its compute task is sleeping).
  auto observer = idleClient(server.port());
  ASSERT_TRUE(observer);
  ASSERT_TRUE(waitUntil([&] {
    observer->send(httpGet("/stats"));
    auto stats = observer->read();
    return stats && stats->body.find("\"deferred\": 1") != std::string::npos;
  }));

  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(idle->closedByServer());  // idle keep-alive connections: FIN at once
  EXPECT_TRUE(observer->closedByServer());
  EXPECT_FALSE(connectTo(server.port()).valid()) << "the listening socket is still open";

  auto slept = busy.read();
  ASSERT_TRUE(slept);
  EXPECT_EQ(slept->status, 200);
  EXPECT_EQ(slept->body, "slept 600 ms\n");
  EXPECT_EQ(slept->header("Connection"), "close");
  EXPECT_TRUE(busy.closedByServer());  // the pipelined /hello is not answered

  idle.reset();  // the clients close their side, as clients do on EOF
  observer.reset();
  busy.close();
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
}
//! [sigtermInFlight]

TEST(GracefulStop, IdleConnectionsAloneLetTheProcessExitAtOnce) {
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", "2", "--stop-timeout", "30"});
  ASSERT_TRUE(server.ok());
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(idleClient(server.port()));
    ASSERT_TRUE(clients.back());
  }
  auto start = Clock::now();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  for (auto& client : clients) EXPECT_TRUE(client->closedByServer());
  clients.clear();
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
  EXPECT_LT(Clock::now() - start, 3s);  // far from the 30 s bound: nothing was busy
}

TEST(GracefulStop, AConnectionStillBusyAtTheBoundIsClosedByForce) {
  ServerProcess server(HTTP_SERVER_PATH, {"--stop-timeout", "1"});
  ASSERT_TRUE(server.ok());
  auto idle = idleClient(server.port());
  ASSERT_TRUE(idle);
  HttpClient partial(server.port());
  ASSERT_TRUE(sendAndWaitUntilRead(partial, "GET /hello HTTP/1.1\r\nHost: t\r\n", *idle));

  auto start = Clock::now();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(idle->closedByServer());
  idle.reset();
  EXPECT_TRUE(partial.closedByServer());  // after the bound: no answer, just the close
  EXPECT_GE(Clock::now() - start, 900ms);
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(GracefulStop, ASecondSignalClosesWhatIsLeftAtOnce) {
  ServerProcess server(HTTP_SERVER_PATH, {"--stop-timeout", "60"});
  ASSERT_TRUE(server.ok());
  auto idle = idleClient(server.port());
  ASSERT_TRUE(idle);
  HttpClient partial(server.port());
  ASSERT_TRUE(sendAndWaitUntilRead(partial, "GET /hello HTTP/1.1\r\n", *idle));

  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(idle->closedByServer());  // the first signal has been handled
  auto start = Clock::now();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  EXPECT_TRUE(partial.closedByServer());
  EXPECT_TRUE(exitedWithZero(waitForExit(server, 3s)));
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(GracefulStop, TheLogIsWrittenWholeBeforeTheProcessExits) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ServerProcess server(HTTP_SERVER_PATH,
                       {"--threads", "2", "--log", dir / "http", "--log-level", "info"});
  ASSERT_TRUE(server.ok());
  for (int i = 0; i < 3; ++i) {
    HttpClient client(server.port());
    ASSERT_TRUE(client.send(httpGet("/hello")));
    ASSERT_TRUE(client.read());
  }
  // The log flushes every 3 s: what is in the files now proves nothing, what is there after the
  // exit proves the stop wrote everything.
  EXPECT_TRUE(exitedWithZero(server.stop(SIGTERM, 5s)));
  std::string log = readAll(dir.path());
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
  ASSERT_FALSE(dir.path().empty());
  ServerProcess server(HTTP_SERVER_PATH, {"--log", dir / "http"});
  ASSERT_TRUE(server.ok());
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/hello")));
  ASSERT_TRUE(client.read());
  client.close();
  EXPECT_TRUE(exitedWithZero(server.stop(SIGTERM, 5s)));
  EXPECT_EQ(readAll(dir.path()).find("GET /hello"), std::string::npos);
}

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
  HttpClient busy(port);
  ASSERT_TRUE(busy.send(httpGet("/compute")));
  ASSERT_EQ(computing.get_future().wait_for(5s), std::future_status::ready);

  loop.call([&] { server->stop(10s, [&] { stopped.set_value(); }); });
  EXPECT_FALSE(connectTo(port).valid());
  EXPECT_TRUE(idle->closedByServer());
  idle.reset();
  auto future = stopped.get_future();
  EXPECT_EQ(future.wait_for(0s), std::future_status::timeout);  // the busy one is still open

  gate.open();
  auto computed = busy.read();
  ASSERT_TRUE(computed);
  EXPECT_EQ(computed->body, "computed");
  EXPECT_EQ(computed->header("Connection"), "close");
  EXPECT_TRUE(busy.closedByServer());
  busy.close();
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
