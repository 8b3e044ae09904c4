// Acceptor: the listening socket of a server and the Channel that watches it.
//
// When the listening socket becomes readable, the Acceptor accepts one connection and hands the
// new Socket (non-blocking, close-on-exec) to its NewConnectionCallback, which takes ownership.
// It also implements the reserved-descriptor defence against running out of file descriptors
// (used as well when the kernel is short of memory for a new socket, ENOBUFS/ENOMEM).
// Owns: the listening Socket, its Channel and one reserved fd on /dev/null.
// Borrows: the EventLoop (does not own).
// Thread safety: created on any thread; listen(), the callback and destruction happen on the
// loop thread (asserted).
#pragma once

#include <functional>

#include "Channel.h"
#include "InetAddress.h"
#include "Socket.h"

namespace net {

class EventLoop;

/// Accepts TCP connections on one address for one EventLoop. Used by TcpServer.
class Acceptor {
 public:
  /// Receives each accepted connection: the Socket (ownership passes to the callee) and the
  /// peer's address. Runs on the loop thread.
  using NewConnectionCallback = std::function<void(Socket socket, const InetAddress& peer)>;

  /// Creates a non-blocking listening socket bound to `listenAddr` with SO_REUSEADDR, and
  /// SO_REUSEPORT when `reusePort` is true (several processes or threads may then listen on the
  /// same port). Does not listen yet. Throws std::system_error (e.g. EADDRINUSE).
  /// [any thread]
  Acceptor(EventLoop* loop, const InetAddress& listenAddr, bool reusePort);
  /// Stops watching and closes the listening socket; connections still in the kernel's accept
  /// queue are reset. [loop thread]
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  /// Sets the receiver of new connections. Without one, accepted connections are closed at
  /// once. [before listen()]
  void setNewConnectionCallback(NewConnectionCallback cb) {
    newConnectionCallback_ = std::move(cb);
  }

  /// listen(2) and start watching for connections. Call once. [loop thread]
  void listen();
  /// Stops accepting and closes the listening socket: from now on a connect is refused
  /// (ECONNREFUSED), and the connections still waiting in the kernel's accept queue are reset.
  /// Idempotent; safe inside the new-connection callback. listenAddress() no longer works.
  /// [loop thread]
  void stopListening();
  /// Whether listen() has been called and stopListening() has not. [loop thread]
  bool listening() const { return listening_; }
  /// The bound address; after binding port 0 this is where the kernel's ephemeral port shows
  /// up. [any thread]
  InetAddress listenAddress() const { return acceptSocket_.localAddress(); }

 private:
  void handleRead();
  void dropOnePendingConnection();

  EventLoop* loop_;  // does not own
  Socket acceptSocket_;
  Channel acceptChannel_;
  NewConnectionCallback newConnectionCallback_;
  bool listening_ = false;
  /// /dev/null, held in reserve for the EMFILE technique (Socket as the RAII owner of an fd).
  Socket reservedFd_;
};

}  // namespace net
