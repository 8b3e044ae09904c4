// An echo server on TcpServer: accepting, reading, writing and closing live in the library
// (Acceptor, TcpConnection, TcpServer), and the program only says what to do with the bytes.
// A client that never reads its echoes is throttled again, as in chapters 02-04, now with the
// library's high-water-mark and write-complete callbacks; connections beyond the fd limit are
// refused (Acceptor's reserved fd).
// --threads N serves the connections on N loop threads while the main loop accepts.
#include <sys/resource.h>

#include <cstdio>
#include <string>
#include <system_error>

#include "Buffer.h"
#include "CommandLine.h"
#include "EventLoop.h"
#include "StopSignal.h"
#include "TcpConnection.h"
#include "TcpServer.h"

using namespace net;

namespace {

/// Queued echo above which the server stops reading from that client (backpressure): the
/// client's further bytes wait in the kernel, then in the client, instead of in our memory.
constexpr size_t kHighWaterMark = 1 << 20;

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
  int threads = 0;
  CommandLine cli("echo_server", "Echo server on TcpServer: a main loop and N sub loops.");
  cli.addInt("port", &port, 0, 65535, "TCP port to listen on, 0 for an ephemeral port");
  cli.addString("address", &address, "IP address to listen on");
  cli.addInt("threads", &threads, 0, 64, "loop threads for the connections, 0: the main loop");
  cli.parse(argc, argv);
  auto addr = InetAddress::parse(address, static_cast<uint16_t>(port));
  if (!addr) {
    std::fprintf(stderr, "echo_server: '%s' is not a numeric IP address\n", address.c_str());
    return 2;
  }

  raiseOpenFileLimit();
  try {
    EventLoop loop;
    // Before any loop thread starts: the threads inherit the blocked SIGINT/SIGTERM, so the
    // signals stay pending for the signalfd instead of killing the process on another thread.
    StopSignal stop(&loop, [&loop] { loop.quit(); });
    TcpServer server(&loop, *addr, "echo");
    server.setThreadNum(threads);
    server.setConnectionCallback([](const TcpConnectionPtr& conn) {
      if (!conn->connected()) return;
      conn->setHighWaterMarkCallback([](const TcpConnectionPtr& c, size_t) { c->stopRead(); },
                                     kHighWaterMark);
    });
    server.setMessageCallback([](const TcpConnectionPtr& conn, Buffer* buf) {
      conn->send(buf->view());
      buf->retrieveAll();
    });
    // Everything queued has reached the kernel: read again (a no-op unless reading stopped).
    server.setWriteCompleteCallback([](const TcpConnectionPtr& conn) { conn->startRead(); });
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
