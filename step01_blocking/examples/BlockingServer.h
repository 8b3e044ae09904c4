// BlockingServer: the skeleton every blocking server of chapter 01 shares: listen, then accept
// connections in a loop and hand each to a handler, on a new thread or inline.
//
// Owns: the listening socket. Each accepted Socket is moved into the handler, which owns it
// (and so closes it) from then on.
// Threads: run() on one thread (main); stop() from any thread, typically StopSignal's.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <system_error>
#include <thread>
#include <utility>

#include "Socket.h"

namespace net {

/// A listening socket plus the accept loop around it. The life cycle of a blocking server,
/// socket -> bind -> listen -> accept -> (handler: read/write) -> close, in one place.
class BlockingServer {
 public:
  /// Serves one connection; returns when done with it. The Socket closes when it returns.
  using ConnectionHandler = std::function<void(Socket)>;

  /// Creates, binds and listens on `addr`, with SO_REUSEADDR so a restart does not fail on
  /// the TIME_WAIT connections of the previous run. Throws std::system_error (e.g. EADDRINUSE).
  explicit BlockingServer(const InetAddress& addr) : listener_(Socket::createTcp(addr.family())) {
    listener_.setReuseAddr(true);
    listener_.bindAddress(addr);
    listener_.listen();
  }

  /// The bound address; tells the port when the server was asked for port 0.
  InetAddress listenAddress() const { return listener_.localAddress(); }

  /// [main thread] Accepts until stop(). With `iterative`, each connection is served to the
  /// end before the next accept(); otherwise each gets a new detached thread. Connections
  /// still being served when run() returns are cut short when the process exits.
  void run(const ConnectionHandler& handler, bool iterative) {
    //! [acceptLoop]
    while (true) {
      Socket conn = listener_.accept();
      if (!conn.valid()) {
        if (stopping_) return;
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          // Out of fds: the pending connection stays queued and this loop spins until an fd
          // is free. Chapter 05 shows the cure (a reserved fd).
          std::this_thread::yield();
          continue;
        }
        std::perror("accept");
        return;
      }
      if (iterative) {
        handler(std::move(conn));  // the next client waits in the accept queue meanwhile
      } else {
        // Detached: the thread owns its connection and ends with it. Nobody joins it, so
        // nothing bounds how many exist at once: one per connected client.
        try {
          std::thread(handler, std::move(conn)).detach();
        } catch (const std::system_error& e) {
          // No thread to be had (EAGAIN: ulimit -u, kernel.threads-max or the cgroup's
          // pids.max reached): refuse this client, not every client. The Socket, moved into
          // the thread's arguments or still in conn, closes the connection.
          std::fprintf(stderr, "accept: no thread for the connection: %s\n", e.what());
        }
      }
    }
    //! [acceptLoop]
  }

  /// [any thread] Makes run() return. shutdown(2) on the listening socket wakes a thread
  /// blocked in accept() (Linux returns EINVAL), so no flag has to be polled; the fd itself
  /// stays open until the BlockingServer is destroyed, so its number cannot be reused while
  /// run() may still pass it to accept().
  void stop() {
    stopping_ = true;
    ::shutdown(listener_.fd(), SHUT_RDWR);
  }

 private:
  Socket listener_;
  std::atomic<bool> stopping_{false};
};

}  // namespace net
