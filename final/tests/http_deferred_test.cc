// Deferred answers (HttpServer's AsyncHttpCallback with a ComputePool), in process: a busy
// compute route does not hold up the other connections of its loop, pipelined requests behind a
// deferred one wait and are answered after it, in order and in one write, the queue bound gives
// 503, and a connection or a server that goes away while an answer is computed is no problem.
// Each compute task blocks on a Gate the test opens, so every "while busy" is certain, not timed.
#include <gtest/gtest.h>
#include <linux/tcp.h>  // tcp_info with tcpi_data_segs_in (glibc's copy lacks it)
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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

/// Counts events and lets the test wait for a number of them.
class Counter {
 public:
  void add() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    cv_.notify_all();
  }
  bool waitFor(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, 5s, [&] { return count_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int count_ = 0;
};

HttpResponse text(std::string body) {
  HttpResponse response;
  response.setContentType("text/plain");
  response.setBody(std::move(body));
  return response;
}

/// An HttpServer on a loop thread with a compute pool and these routes:
///   /compute?ID  runs on the pool, waits for the gate, answers "computed ID"
///   /drop        answers nothing and drops the responder
///   /twice       answers twice
///   anything else answers "path" at once.
class DeferredTest : public ::testing::Test {
 protected:
  void startServer(int loopThreads = 0, size_t poolThreads = 1, size_t maxQueued = 16) {
    pool = std::make_unique<ComputePool>(poolThreads, maxQueued, "test-compute");
    loop.call([&] {
      server = std::make_unique<HttpServer>(loop.loop(), InetAddress(0, true), "deferred");
      server->setThreadNum(loopThreads);
      server->setAsyncHttpCallback([this](const HttpRequest& request, HttpResponder responder) {
        route(request, responder);
      });
      server->start();
    });
    port = loop.call([&] { return server->listenAddress().port(); });
  }

  void TearDown() override {
    gate.open();
    if (pool) pool->stop();
    loop.call([&] { server.reset(); });
  }

  void route(const HttpRequest& request, HttpResponder responder) {
    if (request.path() == "/compute") {
      std::string id = request.query();
      bool accepted = pool->submit([this, responder, id] {
        started.add();
        gate.wait();
        responder.send(text("computed " + id));
      });
      if (!accepted) {
        HttpResponse busy = text("busy");
        busy.setStatusCode(503);
        responder.send(std::move(busy));
      }
    } else if (request.path() == "/drop") {
      // The responder goes out of scope unanswered.
    } else if (request.path() == "/twice") {
      responder.send(text("first"));
      responder.send(text("second"));
    } else {
      responder.send(text(request.path()));
    }
  }

  HttpServerStats stats() {
    return loop.call([&] { return server->stats(); });
  }

  LoopThread loop;
  std::unique_ptr<ComputePool> pool;
  std::unique_ptr<HttpServer> server;  // created and destroyed on the loop thread
  uint16_t port = 0;
  Gate gate;
  Counter started;  ///< compute tasks that began (and now wait for the gate)
};

/// True when nothing can be read from `fd` right now.
bool silent(const HttpClient& client) {
  return client.pending().empty() && !waitFor(client.fd(), POLLIN, 0ms);
}

//! [helloWhileBusy]
TEST_F(DeferredTest, HelloOnTheSameLoopIsAnsweredWhileAComputeRouteIsBusy) {
  startServer(/*loopThreads=*/0);  // one loop serves both connections
  HttpClient busy(port);
  ASSERT_TRUE(busy.send(httpGet("/compute?1")));
  ASSERT_TRUE(started.waitFor(1));  // the task runs, and blocks until the gate opens

  HttpClient other(port);
  ASSERT_TRUE(other.send(httpGet("/hello")));
  auto hello = other.read();  // bounded: fails after 5 s if the loop were blocked
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->body, "/hello");
  EXPECT_TRUE(silent(busy));  // the compute route is still busy

  gate.open();
  auto computed = busy.read();
  ASSERT_TRUE(computed);
  EXPECT_EQ(computed->status, 200);
  EXPECT_EQ(computed->body, "computed 1");
  EXPECT_EQ(computed->header("Connection"), "keep-alive");
}
//! [helloWhileBusy]

TEST_F(DeferredTest, PipelinedRequestsBehindADeferredOneWaitThenLeaveInOneWrite) {
  startServer();
  HttpClient client(port);
  std::string batch =
      httpGet("/first") + httpGet("/compute?2") + httpGet("/after1") + httpGet("/after2");
  ASSERT_TRUE(client.send(batch));
  ASSERT_TRUE(started.waitFor(1));
  // Once the server has read the whole batch, every answer it would give without waiting has
  // been written already (the read's callback writes before the loop runs our call).
  ASSERT_TRUE(waitUntil([&] { return stats().bytesIn == batch.size(); }));
  auto first = client.read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "/first");
  EXPECT_TRUE(silent(client)) << "a request behind the deferred one was answered before it";
  EXPECT_EQ(stats().requests, 2u);  // the two behind it are not even parsed yet

  gate.open();
  // The deferred answer and the two behind it are produced together and sent with one write:
  // on loopback they arrive together and one recv takes them all.
  ASSERT_TRUE(waitFor(client.fd(), POLLIN, 5s));
  char buf[65536];
  ssize_t n = ::recv(client.fd(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  client.pending().assign(buf, static_cast<size_t>(n));
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    auto response = client.takeResponse();  // from the bytes of that one recv only
    ASSERT_TRUE(response) << "response " << i << " was not in the first recv";
    bodies.push_back(response->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"computed 2", "/after1", "/after2"}));
  EXPECT_TRUE(client.pending().empty());
}

/// Segments carrying data that `fd` has received (tcp(7) TCP_INFO, Linux 4.6+).
uint32_t dataSegmentsIn(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return 0;
  return info.tcpi_data_segs_in;
}

TEST_F(DeferredTest, TheAnswersToOneReadLeaveInOneWrite) {
  startServer();
  HttpClient client(port);
  std::string batch;
  for (int i = 0; i < 10; ++i) batch += httpGet("/r" + std::to_string(i));
  const uint32_t segmentsBefore = dataSegmentsIn(client.fd());
  ASSERT_TRUE(client.send(batch));
  ASSERT_TRUE(waitFor(client.fd(), POLLIN, 5s));
  char buf[65536];
  ssize_t n = ::recv(client.fd(), buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  client.pending().assign(buf, static_cast<size_t>(n));
  for (int i = 0; i < 10; ++i) {
    auto response = client.takeResponse();
    ASSERT_TRUE(response) << "response " << i << " was not in the first recv";
    EXPECT_EQ(response->body, "/r" + std::to_string(i));
  }
  // A recv may gather several writes that arrived in time; the segment count tells them apart:
  // on loopback one write of these 1.6 KB is one segment, ten writes would be up to ten.
  EXPECT_EQ(dataSegmentsIn(client.fd()) - segmentsBefore, 1u);
}

TEST_F(DeferredTest, SeveralDeferredRequestsInOnePipelineAreAnsweredInOrder) {
  startServer(/*loopThreads=*/0, /*poolThreads=*/3);
  HttpClient client(port);
  ASSERT_TRUE(client.send(httpGet("/compute?a") + httpGet("/x") + httpGet("/compute?b") +
                          httpGet("/y") + httpGet("/compute?c")));
  gate.open();
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) {
    auto response = client.read();
    ASSERT_TRUE(response) << "response " << i;
    bodies.push_back(response->body);
  }
  EXPECT_EQ(bodies,
            (std::vector<std::string>{"computed a", "/x", "computed b", "/y", "computed c"}));
}

TEST_F(DeferredTest, AFullComputeQueueIsAnswered503AtOnce) {
  startServer(/*loopThreads=*/0, /*poolThreads=*/1, /*maxQueued=*/1);
  HttpClient running(port);
  ASSERT_TRUE(running.send(httpGet("/compute?run")));
  ASSERT_TRUE(started.waitFor(1));
  HttpClient queued(port);
  ASSERT_TRUE(queued.send(httpGet("/compute?queued")));
  ASSERT_TRUE(waitUntil([&] { return pool->queued() == 1; }));
  HttpClient refused(port);
  ASSERT_TRUE(refused.send(httpGet("/compute?refused")));
  auto busy = refused.read();  // while the gate is still closed
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 503);
  gate.open();
  auto first = running.read();
  auto second = queued.read();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "computed run");
  EXPECT_EQ(second->body, "computed queued");
}

TEST_F(DeferredTest, AConnectionClosedWhileItsAnswerIsComputedIsForgotten) {
  startServer();
  {
    HttpClient gone(port);
    ASSERT_TRUE(gone.send(httpGet("/compute?gone") + httpGet("/never")));
    ASSERT_TRUE(started.waitFor(1));
    EXPECT_EQ(stats().deferred, 1);
  }  // closed with the answer still being computed
  ASSERT_TRUE(waitUntil([&] { return stats().connections == 0; }));
  EXPECT_EQ(stats().deferred, 0);
  gate.open();
  pool->stop();  // the task ran and handed its answer to nobody
  HttpClient next(port);
  ASSERT_TRUE(next.send(httpGet("/still-serving")));
  auto response = next.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "/still-serving");
}

TEST_F(DeferredTest, AResponderDroppedUnansweredAnswers500AndTheConnectionGoesOn) {
  startServer();
  HttpClient client(port);
  ASSERT_TRUE(client.send(httpGet("/drop") + httpGet("/next")));
  auto dropped = client.read();
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->status, 500);
  EXPECT_EQ(dropped->header("Connection"), "keep-alive");
  auto next = client.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "/next");
}

TEST_F(DeferredTest, OnlyTheFirstAnswerCounts) {
  startServer();
  HttpClient client(port);
  ASSERT_TRUE(client.send(httpGet("/twice") + httpGet("/next")));
  auto first = client.read();
  auto next = client.read();
  ASSERT_TRUE(first && next);
  EXPECT_EQ(first->body, "first");
  EXPECT_EQ(next->body, "/next");
}

TEST_F(DeferredTest, ConnectionCloseAfterADeferredAnswerClosesAndDropsTheRest) {
  startServer();
  HttpClient client(port);
  ASSERT_TRUE(
      client.send(httpGet("/compute?last", "Connection: close\r\n") + httpGet("/unanswered")));
  gate.open();
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "computed last");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(DeferredTest, HeadOfADeferredRouteHasNoBody) {
  startServer();
  HttpClient client(port);
  ASSERT_TRUE(client.send("HEAD /compute?h HTTP/1.1\r\nHost: t\r\n\r\n" + httpGet("/next")));
  gate.open();
  auto head = client.read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->header("Content-Length"), "10");  // "computed h"
  auto next = client.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "/next");
}

TEST_F(DeferredTest, AnAnswerArrivingAfterTheServerIsGoneIsDropped) {
  startServer();
  HttpClient client(port);
  ASSERT_TRUE(client.send(httpGet("/compute?late")));
  ASSERT_TRUE(started.waitFor(1));
  loop.call([&] { server.reset(); });  // closes the connection; the task still holds a responder
  EXPECT_TRUE(readToEnd(client.fd()).eof);
  gate.open();
  pool->stop();  // the task answered into the void, without touching the destroyed server
}

TEST_F(DeferredTest, ManyConnectionsOnSubLoopsGetTheirOwnAnswers) {
  startServer(/*loopThreads=*/2, /*poolThreads=*/2, /*maxQueued=*/100);
  gate.open();
  std::vector<HttpClient> clients;
  for (int i = 0; i < 8; ++i) clients.emplace_back(port);
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      std::string id = std::to_string(i) + "-" + std::to_string(round);
      ASSERT_TRUE(clients[i].send(httpGet("/compute?" + id) + httpGet("/sync" + id)));
    }
    for (size_t i = 0; i < clients.size(); ++i) {
      std::string id = std::to_string(i) + "-" + std::to_string(round);
      auto computed = clients[i].read();
      auto sync = clients[i].read();
      ASSERT_TRUE(computed && sync);
      EXPECT_EQ(computed->body, "computed " + id);
      EXPECT_EQ(sync->body, "/sync" + id);
    }
  }
  HttpServerStats s = stats();
  EXPECT_EQ(s.requests, 48u);
  EXPECT_EQ(s.deferred, 0);
  ASSERT_EQ(s.loops.size(), 3u);
  EXPECT_EQ(s.loops[0].connections, 0);  // the base loop only accepts
  EXPECT_EQ(s.loops[1].connections, 4);
  EXPECT_EQ(s.loops[2].connections, 4);
}

}  // namespace
