// The echo server under the program contract: it announces its port, echoes bytes, refuses a
// bad flag with exit code 2, and exits 0 on SIGTERM and SIGINT. The same file runs in every
// step, against that step's echo_server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

int runQuietly(const std::string& args) {
  std::string command = std::string(ECHO_SERVER_PATH) + " " + args + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

TEST(EchoServer, AnnouncesLoopbackAddressAndPort) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok()) << "first line was: " << server.banner();
  EXPECT_EQ(server.banner(), "listening on 127.0.0.1:" + std::to_string(server.port()));
}

TEST(EchoServer, EchoesEveryByteBack) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  Socket client = connectTo(server.port());
  ASSERT_TRUE(client.valid());
  std::string message(100000, '\0');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(writeAll(client.fd(), message));
  EXPECT_EQ(readExactly(client.fd(), message.size()), message);
}

TEST(EchoServer, ServesSeveralClientsAtOnce) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  std::vector<Socket> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(connectTo(server.port()));
    ASSERT_TRUE(clients.back().valid());
  }
  // Talk to them in reverse order of connection: a server that serves one client at a time
  // would never answer the last one while the first is still open.
  for (int i = 9; i >= 0; --i) {
    std::string message = "client " + std::to_string(i);
    ASSERT_TRUE(writeAll(clients[i].fd(), message));
    EXPECT_EQ(readExactly(clients[i].fd(), message.size()), message);
  }
}

TEST(EchoServer, PeerSeesEofAfterOwnShutdown) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  Socket client = connectTo(server.port());
  ASSERT_TRUE(writeAll(client.fd(), "last words"));
  ASSERT_EQ(client.shutdownWrite(), 0);
  ReadResult result = readToEnd(client.fd());
  EXPECT_EQ(result.data, "last words");
  EXPECT_TRUE(result.eof);
}

TEST(EchoServer, ExitsZeroOnSigterm) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  Socket client = connectTo(server.port());  // an open connection must not hold up the stop
  ASSERT_TRUE(client.valid());
  auto status = server.stop(SIGTERM);
  ASSERT_TRUE(status.has_value()) << "did not exit within the timeout";
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(EchoServer, ExitsZeroOnSigint) {
  ServerProcess server(ECHO_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  auto status = server.stop(SIGINT);
  ASSERT_TRUE(status.has_value()) << "did not exit within the timeout";
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(EchoServer, BadFlagExitsTwo) {
  int status = runQuietly("--no-such-flag");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  status = runQuietly("--port 70000");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

TEST(EchoServer, HelpExitsZero) {
  int status = runQuietly("--help");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
