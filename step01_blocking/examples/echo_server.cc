// A blocking echo server: one thread per connection (default) or one connection at a time
// (--iterative). The baseline every later step is measured against.
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <thread>

#include "CommandLine.h"
#include "Socket.h"
#include "StopSignal.h"

using namespace net;

namespace {

/// Echoes until the client closes. Blocking read and write: this thread does nothing else.
void echoLoop(Socket conn) {
  char buf[16384];
  while (true) {
    ssize_t n = ::read(conn.fd(), buf, sizeof buf);
    if (n == 0) return;  // the client closed: EOF
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // ECONNRESET and friends: the connection is gone
    }
    // A blocking write returns only when everything is copied into the socket buffer
    // (or on error): no partial-write loop needed for a blocking socket without signals.
    if (::send(conn.fd(), buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) return;
  }
}

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

  Socket listener = Socket::createTcp(addr->family());
  listener.setReuseAddr(true);
  listener.bindAddress(*addr);
  listener.listen();

  // On SIGINT/SIGTERM: shutdown(2) on the listening socket makes the blocked accept() return
  // (EINVAL on Linux), so the accept loop below ends without any flag polling.
  std::atomic<bool> stopping{false};
  StopSignal stop([&] {
    stopping = true;
    ::shutdown(listener.fd(), SHUT_RDWR);
  });
  announceListening(listener.localAddress());

  while (true) {
    Socket conn = listener.accept();
    if (!conn.valid()) {
      if (stopping) break;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        // Out of fds: the pending connection stays queued; see chapter 05 for the cure.
        std::this_thread::yield();
        continue;
      }
      std::perror("accept");
      break;
    }
    if (iterative) {
      echoLoop(std::move(conn));
    } else {
      // Detached: each thread owns its connection and ends with it. Threads still echoing at
      // stop time are cut short by exit(), which closes their sockets.
      std::thread(echoLoop, std::move(conn)).detach();
    }
  }
  return 0;
}
