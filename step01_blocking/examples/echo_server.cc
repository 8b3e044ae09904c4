// A blocking echo server: one thread per connection (default) or one connection at a time
// (--iterative). The baseline every later step is measured against.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

#include "BlockingServer.h"
#include "CommandLine.h"
#include "Socket.h"
#include "StopSignal.h"

using namespace net;

namespace {

//! [echoLoop]
/// Echoes until the client closes. Blocking read and write: this thread does nothing else.
void echoLoop(Socket conn) {
  // STUDENT-BEGIN(echo-loop): read, write back what was read, until EOF or an error
  // STUDENT-STUB: (void)conn;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(conn.fd(), buf, sizeof buf);
    if (n == 0) return;  // the client closed: EOF
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // ECONNRESET and friends: the connection is gone
    }
    // A blocking send returns only when everything is copied into the socket buffer, or on
    // an error; a signal could cut it short, but this thread blocks SIGINT/SIGTERM (see
    // StopSignal). MSG_NOSIGNAL: a peer that reset gives EPIPE here, not a process-killing
    // SIGPIPE.
    if (::send(conn.fd(), buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) return;
  }
  // STUDENT-END(echo-loop)
}
//! [echoLoop]

}  // namespace

int main(int argc, char** argv) {
  int port = 9000;
  std::string address = "127.0.0.1";
  bool iterative = false;
  CommandLine cli("echo_server", "Blocking echo server: one thread per connection.");
  cli.addInt("port", &port, 0, 65535, "TCP port to listen on, 0 for an ephemeral port");
  cli.addString("address", &address, "IP address to listen on");
  cli.addSwitch("iterative", &iterative, "serve one connection at a time, no threads");
  cli.parse(argc, argv);
  auto addr = InetAddress::parse(address, static_cast<uint16_t>(port));
  if (!addr) {
    std::fprintf(stderr, "echo_server: '%s' is not a numeric IP address\n", address.c_str());
    return 2;
  }

  try {
    BlockingServer server(*addr);
    StopSignal stop([&server] { server.stop(); });
    announceListening(server.listenAddress());
    server.run(echoLoop, iterative);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "echo_server: %s\n", e.what());  // e.g. "bind: Address already in use"
    return 1;
  }
  return 0;
}
