// The http_server program end to end, through raw sockets: responses in order for pipelined
// requests, HEAD, keep-alive and the two ways a connection ends (Connection: close, HTTP/1.0),
// malformed input answered with an error status and a close, Date and Server on every answer,
// "Expect: 100-continue", the program's flags, and one request made by curl.
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "HttpDate.h"
#include "HttpTestUtil.h"

using namespace net;
using namespace net::test;

namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  ServerProcess server{HTTP_SERVER_PATH};
  void SetUp() override { ASSERT_TRUE(server.ok()) << "first line was: " << server.banner(); }
};

TEST_F(HttpServerTest, ServesTheRoutesOnOneKeepAliveConnection) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/hello")));
  auto hello = client.read();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->status, 200);
  EXPECT_EQ(hello->body, "Hello, World!");
  EXPECT_EQ(hello->header("Content-Type"), "text/plain");
  EXPECT_EQ(hello->header("Content-Length"), "13");
  EXPECT_EQ(hello->header("Connection"), "keep-alive");

  ASSERT_TRUE(client.send(httpGet("/")));
  auto index = client.read();
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<html>"), std::string::npos);

  ASSERT_TRUE(client.send(httpGet("/missing")));
  auto missing = client.read();
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->header("Connection"), "keep-alive");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsInTurn) {
  HttpClient client(server.port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.send(httpGet("/hello")));
    auto response = client.read();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->body, "Hello, World!");
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/hello") + httpGet("/missing") + httpGet("/")));
  std::vector<int> statuses;
  for (int i = 0; i < 3; ++i) {
    auto response = client.read();
    ASSERT_TRUE(response);
    statuses.push_back(response->status);
    if (i == 2) {
      EXPECT_NE(response->body.find("<html>"), std::string::npos);
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 404, 200}));
}

TEST_F(HttpServerTest, ALargePipelinedBatchIsAnsweredInOrder) {
  // 2000 requests in one write: they span many reads on the server, so requests are cut at
  // arbitrary points, and the answers (about 200 KB) exceed what one write(2) takes.
  std::string batch;
  for (int i = 0; i < 2000; ++i) batch += httpGet(i % 3 == 0 ? "/missing" : "/hello");
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(batch));
  for (int i = 0; i < 2000; ++i) {
    auto response = client.read();
    ASSERT_TRUE(response) << "response " << i;
    ASSERT_EQ(response->status, i % 3 == 0 ? 404 : 200) << "response " << i;
  }
}

TEST_F(HttpServerTest, RequestTrickledByteByByteIsServed) {
  HttpClient client(server.port());
  int one = 1;
  ::setsockopt(client.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  for (char c : httpGet("/hello")) ASSERT_TRUE(client.send(std::string(1, c)));
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "Hello, World!");
}

TEST_F(HttpServerTest, HeadSendsTheHeadersOfGetWithoutTheBody) {
  HttpClient client(server.port());
  // Pipelined: if HEAD's answer carried a body, it would be read as the start of the next one.
  ASSERT_TRUE(client.send("HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n" + httpGet("/hello")));
  auto head = client.read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "13");
  auto body = client.read();
  ASSERT_TRUE(body);
  EXPECT_EQ(body->status, 200);
  EXPECT_EQ(body->body, "Hello, World!");
}

TEST_F(HttpServerTest, ConnectionCloseIsAnsweredThenClosed) {
  HttpClient client(server.port());
  // The request after the "close" one must not be answered.
  ASSERT_TRUE(client.send(httpGet("/hello", "Connection: close\r\n") + httpGet("/")));
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "Hello, World!");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpServerTest, Http10ClosesAfterTheResponse) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send("GET /hello HTTP/1.0\r\n\r\n"));
  auto response = client.read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "Hello, World!");
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpServerTest, Http10WithKeepAliveStaysOpen) {
  HttpClient client(server.port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto response = client.read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("Connection"), "keep-alive");
  }
}

TEST_F(HttpServerTest, OtherMethodsGet405WithAllow) {
  HttpClient client(server.port());
  // The body must be consumed as the body, not read as the next request.
  ASSERT_TRUE(
      client.send("POST /hello HTTP/1.1\r\nHost: test\r\nContent-Length: 14\r\n\r\nGET / HTTP/1.1" +
                  httpGet("/hello")));
  auto post = client.read();
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->header("Allow"), "GET, HEAD");
  auto next = client.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "Hello, World!");
}

struct BadRequest {
  const char* name;
  const char* request;
  int status;
};

class HttpServerErrors : public HttpServerTest, public ::testing::WithParamInterface<BadRequest> {};

TEST_P(HttpServerErrors, AreAnsweredWithTheirStatusThenClosed) {
  HttpClient client(server.port());
  // A good request first: the error must not disturb the answer already due.
  ASSERT_TRUE(client.send(httpGet("/hello") + GetParam().request));
  auto first = client.read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto error = client.read();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->status, GetParam().status);
  EXPECT_EQ(error->header("Connection"), "close");
  EXPECT_TRUE(client.closedByServer());
}

std::string badRequestName(const ::testing::TestParamInfo<BadRequest>& param) {
  return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, HttpServerErrors,
    ::testing::Values(BadRequest{"Garbage", "GARBAGE\r\n\r\n", 400},
                      BadRequest{"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
                      BadRequest{"MissingHost", "GET / HTTP/1.1\r\n\r\n", 400},
                      BadRequest{"Http2", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
                      BadRequest{"UnknownTransferCoding",
                                 "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, "
                                 "chunked\r\n\r\n",
                                 501},
                      BadRequest{"TransferEncodingWithContentLength",
                                 "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                 "Content-Length: 3\r\n\r\nabc",
                                 400}),
    badRequestName);

TEST(HttpServerThreads, SubReactorsServeConcurrentConnections) {
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", "2"});
  ASSERT_TRUE(server.ok());
  std::vector<HttpClient> clients;
  for (int i = 0; i < 4; ++i) clients.emplace_back(server.port());
  for (HttpClient& client : clients) ASSERT_TRUE(client.send(httpGet("/hello")));
  for (HttpClient& client : clients) {
    auto response = client.read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "Hello, World!");
  }
}

TEST_F(HttpServerTest, EveryAnswerCarriesDateAndServer) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/hello") + httpGet("/missing") + "GARBAGE\r\n\r\n"));
  for (int i = 0; i < 3; ++i) {
    auto response = client.read();
    ASSERT_TRUE(response) << "response " << i;
    EXPECT_EQ(response->header("Server"), "net/final");
    auto date = parseHttpDate(response->header("Date"));
    ASSERT_TRUE(date) << "'" << response->header("Date") << "' is no IMF-fixdate";
    EXPECT_LE(std::abs(std::difftime(*date, std::time(nullptr))), 5.0);
  }
}

/// The interim response, byte for byte.
const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string expectingPost(const std::string& path, size_t length,
                          const std::string& version = "HTTP/1.1") {
  return "POST " + path + " " + version +
         "\r\nHost: t\r\nContent-Length: " + std::to_string(length) +
         "\r\nExpect: 100-continue\r\n\r\n";
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyThenTheAnswer) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(expectingPost("/hello", 5)));
  EXPECT_EQ(client.take(kContinue.size()), kContinue);
  // Nothing else can come before the body: the request is not complete.
  EXPECT_FALSE(waitFor(client.fd(), POLLIN, std::chrono::milliseconds(50)));
  ASSERT_TRUE(client.send("hello" + httpGet("/hello")));
  auto post = client.read();
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);  // POST /hello: the final answer, after the body
  auto next = client.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "Hello, World!");  // and no second 100 anywhere
}

TEST_F(HttpServerTest, ContinueFollowsTheAnswersPipelinedBeforeIt) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/hello") + expectingPost("/hello", 3)));
  auto hello = client.read();
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->body, "Hello, World!");
  EXPECT_EQ(client.take(kContinue.size()), kContinue);
}

TEST_F(HttpServerTest, ContinueWaitsBehindADeferredAnswer) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/sleep?ms=200") + expectingPost("/hello", 3)));
  auto slept = client.read();
  ASSERT_TRUE(slept);
  EXPECT_EQ(slept->body, "slept 200 ms\n");
  EXPECT_EQ(client.take(kContinue.size()), kContinue);
}

TEST_F(HttpServerTest, ABodyTooLargeGets413AndNo100) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(expectingPost("/hello", 2 << 20)));
  auto refused = client.read();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(HttpServerTest, NoContinueForABodySentAlreadyNorForHttp10) {
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(expectingPost("/hello", 3) + "abc"));
  auto whole = client.read();
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 405);
  HttpClient old(server.port());
  ASSERT_TRUE(old.send(expectingPost("/hello", 3, "HTTP/1.0")));
  EXPECT_FALSE(waitFor(old.fd(), POLLIN, std::chrono::milliseconds(50)));
  ASSERT_TRUE(old.send("abc"));
  auto answer = old.read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 405);
}

TEST(HttpServerFlags, BadValuesExitWithStatus2AndHelpWith0) {
  for (const char* args : {"--threads -1", "--threads 65", "--compute-threads x",
                           "--stop-timeout -1", "--address nowhere", "--no-such-flag"}) {
    int status = runProgram(HTTP_SERVER_PATH, std::string("--port 0 ") + args);
    ASSERT_TRUE(WIFEXITED(status)) << args;
    EXPECT_EQ(WEXITSTATUS(status), 2) << args;
  }
  int status = runProgram(HTTP_SERVER_PATH, "--help");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(HttpServerFlags, IdleTimeoutClosesAConnectionThatStaysIdle) {
  ServerProcess server(HTTP_SERVER_PATH, {"--idle-timeout", "1"});
  ASSERT_TRUE(server.ok());
  auto start = std::chrono::steady_clock::now();
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/hello")));
  ASSERT_TRUE(client.read());
  EXPECT_TRUE(client.closedByServer());  // within readToEnd's 5 s
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
}

TEST(HttpServerFlags, ABadLogLevelOrLogDirectoryExitsWithStatus2) {
  for (const char* args : {"--log-level nonsense", "--log /nonexistent-dir-of-test/access"}) {
    int status = runProgram(HTTP_SERVER_PATH, std::string("--port 0 ") + args);
    ASSERT_TRUE(WIFEXITED(status)) << args;
    EXPECT_EQ(WEXITSTATUS(status), 2) << args;
  }
}

TEST_F(HttpServerTest, AnswersCurl) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "curl is not installed (apt-get install curl)";
  }
  std::string command =
      "curl -s -i --max-time 5 http://127.0.0.1:" + std::to_string(server.port()) + "/hello";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  EXPECT_EQ(::pclose(pipe), 0);
  EXPECT_EQ(output.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << output;
  EXPECT_NE(output.find("Content-Length: 13\r\n"), std::string::npos) << output;
  EXPECT_EQ(output.substr(output.size() - 17), "\r\n\r\nHello, World!") << output;
}

}  // namespace
