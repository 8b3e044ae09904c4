// echo_server --threads 4: the contract still holds with the connections spread over four loop
// threads, and the process really has them.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "LoopTestUtil.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

TEST(EchoServerThreads, RunsFourLoopThreadsNamedAfterTheServer) {
  ServerProcess server(ECHO_SERVER_PATH, {"--threads", "4"});
  ASSERT_TRUE(server.ok()) << "first line was: " << server.banner();
  // The pool is started before the server listens, so the threads exist by now.
  EXPECT_EQ(threadNamesStartingWith("echo-io", server.pid()), 4);
  // 1 main thread + 4 loop threads (+ whatever a sanitizer runtime adds).
  std::ifstream status("/proc/" + std::to_string(server.pid()) + "/status");
  std::string line;
  int threads = 0;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) threads = std::stoi(line.substr(8));
  }
  EXPECT_GE(threads, 5);
}

TEST(EchoServerThreads, EchoesOnEveryThread) {
  ServerProcess server(ECHO_SERVER_PATH, {"--threads", "4"});
  ASSERT_TRUE(server.ok());
  std::vector<Socket> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(connectTo(server.port()));
    ASSERT_TRUE(clients.back().valid());
  }
  std::string message(200000, '\0');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>(i * 13);
  for (int i = 7; i >= 0; --i) {
    ASSERT_TRUE(writeAll(clients[i].fd(), message));
    EXPECT_TRUE(readExactly(clients[i].fd(), message.size()) == message) << "client " << i;
  }
}

TEST(EchoServerThreads, ExitsZeroOnSigtermWithOpenConnections) {
  ServerProcess server(ECHO_SERVER_PATH, {"--threads", "4"});
  ASSERT_TRUE(server.ok());
  std::vector<Socket> clients;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(connectTo(server.port()));
    ASSERT_TRUE(writeAll(clients.back().fd(), "x"));
    ASSERT_EQ(readExactly(clients.back().fd(), 1), "x");
  }
  auto status = server.stop(SIGTERM);
  ASSERT_TRUE(status.has_value()) << "did not exit within the timeout";
  ASSERT_TRUE(WIFEXITED(status.value()));
  EXPECT_EQ(WEXITSTATUS(status.value()), 0);
  for (Socket& client : clients) EXPECT_TRUE(readToEnd(client.fd()).eof);
}

}  // namespace
