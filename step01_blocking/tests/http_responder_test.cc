// The blocking HTTP responder, driven as a process with raw sockets: exact response bytes for
// 200/404/405/400, the connection closed (EOF, not a reset) after every response, and the
// program contract.
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <string>

#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

std::string response(const std::string& statusLine, const std::string& body,
                     const std::string& extraHeaders = "", bool withBody = true) {
  return "HTTP/1.1 " + statusLine + "\r\n" + "Content-Type: text/plain\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n" + extraHeaders +
         "Connection: close\r\n\r\n" + (withBody ? body : "");
}

const std::string kHello = response("200 OK", "Hello, World!\n");
const std::string kNotFound = response("404 Not Found", "Not Found\n");
const std::string kBadRequest = response("400 Bad Request", "Bad Request\n");

class HttpResponder : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "first line was: " << server_.banner(); }

  /// Sends `request` on a new connection and reads until the server closes.
  ReadResult exchange(const std::string& request) {
    Socket client = connectTo(server_.port());
    EXPECT_TRUE(client.valid());
    EXPECT_TRUE(writeAll(client.fd(), request));
    return readToEnd(client.fd());
  }

  ServerProcess server_{HTTP_RESPONDER_PATH};
};

TEST_F(HttpResponder, AnnouncesLoopbackAddressAndPort) {
  EXPECT_EQ(server_.banner(), "listening on 127.0.0.1:" + std::to_string(server_.port()));
}

TEST_F(HttpResponder, GetRootAnswersHelloWorldThenCloses) {
  ReadResult result = exchange("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(result.data, kHello);
  EXPECT_TRUE(result.eof) << "error " << result.error;
}

TEST_F(HttpResponder, QueryStringDoesNotChangeThePath) {
  EXPECT_EQ(exchange("GET /?name=x HTTP/1.0\r\n\r\n").data, kHello);
}

TEST_F(HttpResponder, HeadAnswersTheHeadersOfGetWithoutTheBody) {
  ReadResult result = exchange("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(result.data, response("200 OK", "Hello, World!\n", "", /*withBody=*/false));
  EXPECT_TRUE(result.eof);
}

TEST_F(HttpResponder, OtherPathAnswers404) {
  ReadResult result = exchange("GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(result.data, kNotFound);
  EXPECT_TRUE(result.eof);
}

TEST_F(HttpResponder, OtherMethodAnswers405WithAllow) {
  ReadResult result = exchange("DELETE / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(result.data,
            response("405 Method Not Allowed", "Method Not Allowed\n", "Allow: GET, HEAD\r\n"));
  EXPECT_TRUE(result.eof);
}

TEST_F(HttpResponder, GarbageRequestLinesAnswer400) {
  for (const char* line :
       {"GARBAGE", "GET /", "GET  / HTTP/1.1", "GET / HTTP/1.1 extra", "get / HTTP/1.1",
        "GET missing-slash HTTP/1.1", "GET / HTTP/2.0", "GET / FTP/1.1"}) {
    ReadResult result = exchange(std::string(line) + "\r\n\r\n");
    EXPECT_EQ(result.data, kBadRequest) << line;
    EXPECT_TRUE(result.eof) << line;
  }
}

TEST_F(HttpResponder, OversizedHeadAnswers400AndTheResponseSurvives) {
  // 64 KiB and no blank line: the server gives up after 8 KiB, with most of the bytes still
  // unread in its receive buffer. A plain close() would now send RST and the client could
  // lose the response; the responder's lingering close must deliver it, then EOF.
  ReadResult result = exchange("GET / HTTP/1.1\r\nX-Filler: " + std::string(65536, 'a'));
  EXPECT_EQ(result.data, kBadRequest);
  EXPECT_TRUE(result.eof) << "error " << result.error << " (ECONNRESET is " << ECONNRESET << ")";
}

TEST_F(HttpResponder, BytesAfterTheHeadDoNotTurnTheCloseIntoAReset) {
  // A request body (ignored by this responder) or a pipelined request: unread input again.
  ReadResult result =
      exchange("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + std::string(65536, 'b'));
  EXPECT_EQ(result.data, kHello);
  EXPECT_TRUE(result.eof) << "error " << result.error;
}

TEST_F(HttpResponder, RequestArrivingByteByByteIsAnswered) {
  Socket client = connectTo(server_.port());
  ASSERT_TRUE(client.valid());
  client.setTcpNoDelay(true);  // one segment per byte, so the server sees many short reads
  for (char c : std::string("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")) {
    ASSERT_TRUE(writeAll(client.fd(), std::string(1, c)));
  }
  ReadResult result = readToEnd(client.fd());
  EXPECT_EQ(result.data, kHello);
  EXPECT_TRUE(result.eof);
}

TEST_F(HttpResponder, AClientThatLeavesEarlyDoesNotHurtTheNext) {
  {
    Socket quitter = connectTo(server_.port());  // connects, says nothing, leaves
    ASSERT_TRUE(quitter.valid());
  }
  Socket halfway = connectTo(server_.port());  // an incomplete head, then EOF: 400
  ASSERT_TRUE(writeAll(halfway.fd(), "GET / HT"));
  ASSERT_EQ(halfway.shutdownWrite(), 0);
  EXPECT_EQ(readToEnd(halfway.fd()).data, kBadRequest);
  EXPECT_EQ(exchange("GET / HTTP/1.1\r\n\r\n").data, kHello);
}

TEST_F(HttpResponder, ServesClientsConcurrently) {
  // A silent client holds its thread, not the server: the next client is answered meanwhile.
  Socket silent = connectTo(server_.port());
  ASSERT_TRUE(silent.valid());
  EXPECT_EQ(exchange("GET / HTTP/1.1\r\n\r\n").data, kHello);
}

TEST_F(HttpResponder, ExitsZeroOnSigterm) {
  Socket client = connectTo(server_.port());  // an open connection must not hold up the stop
  ASSERT_TRUE(client.valid());
  auto status = server_.stop(SIGTERM);
  ASSERT_TRUE(status.has_value()) << "did not exit within the timeout";
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(HttpResponderCommandLine, HelpExitsZeroAndABadFlagExitsTwo) {
  int status = runProgram(HTTP_RESPONDER_PATH, "--help");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  status = runProgram(HTTP_RESPONDER_PATH, "--threads 4");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
