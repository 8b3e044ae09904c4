// An echo server on TcpServer: accepting, reading, writing and closing now live in the library
// (Acceptor, TcpConnection, TcpServer), and the program only says what to do with the bytes.
// Chapter 04's hand-written server throttled a client that never reads; this one cannot yet
// (chapter 07's high water mark brings it back), and it refuses connections beyond the fd limit
// instead of pausing (Acceptor's reserved fd).
#include <sys/resource.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include "CommandLine.h"
#include "EventLoop.h"
#include "StopSignal.h"
#include "TcpConnection.h"
#include "TcpServer.h"

using namespace net;

namespace {

/// The open-file limit is the number of connections we can hold. The usual soft limit (1024)
/// is far below the hard one, and only the soft limit may be raised without privileges, as
/// nginx's worker_rlimit_nofile does.
//! [raiseOpenFileLimit]
void raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) std::perror("echo_server: setrlimit");
}
//! [raiseOpenFileLimit]

}  // namespace

//! [main]
int main(int argc, char** argv) {
  int port = 9000;
  std::string address = "127.0.0.1";
  CommandLine cli("echo_server", "Echo server on TcpServer: one thread, one EventLoop.");
  cli.addInt("port", &port, 0, 65535, "TCP port to listen on, 0 for an ephemeral port");
  cli.addString("address", &address, "IP address to listen on");
  cli.parse(argc, argv);
  auto addr = InetAddress::parse(address, static_cast<uint16_t>(port));
  if (!addr) {
    std::fprintf(stderr, "echo_server: '%s' is not a numeric IP address\n", address.c_str());
    return 2;
  }

  raiseOpenFileLimit();
  try {
    EventLoop loop;
    StopSignal stop(&loop, [&loop] { loop.quit(); });
    TcpServer server(&loop, *addr, "echo");
    server.setMessageCallback([](const TcpConnectionPtr& conn, const char* data, size_t len) {
      conn->send(std::string_view(data, len));
    });
    server.start();
    announceListening(server.listenAddress());
    loop.loop();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());  // e.g. "bind: Address already in use"
    return 1;
  }
  return 0;
}
//! [main]
