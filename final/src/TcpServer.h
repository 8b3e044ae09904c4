// TcpServer: accepts connections on one address and keeps them until they close.
//
// The application sets its callbacks, calls start(), and runs the loop. Each accepted socket
// becomes a TcpConnection named "<server name>#<n>", stored in the server's map until
// it closes; the application sees it through the connection and message callbacks.
// With setThreadNum(N > 0) the loop given to the constructor (the main reactor) only accepts,
// and each connection lives on one of N loop threads (the sub reactors), chosen round robin:
// all its callbacks run on that thread.
// With setIdleTimeout(), each loop that serves connections gets a TimingWheel that closes the
// connections that stay idle (no byte read or written) for the timeout.
// Owns: the Acceptor, the loop threads, the idle wheels, and a reference to every open
// connection.
// Borrows: the EventLoop (does not own); it must outlive the server.
// Thread safety: start() and listenAddress() may be called from any thread; the setters before
// start(); everything else, destruction included, on the main loop's thread (asserted).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "Callbacks.h"
#include "EventLoopThreadPool.h"
#include "InetAddress.h"
#include "Socket.h"
#include "TcpConnection.h"
#include "TimerId.h"
#include "TimingWheel.h"

namespace net {

class Acceptor;
class EventLoop;

/// A TCP server on one EventLoop: the Acceptor's new sockets become TcpConnections whose
/// events go to the application's callbacks.
class TcpServer {
 public:
  /// Binds `listenAddr` (throws std::system_error, e.g. EADDRINUSE); listening starts with
  /// start(). `name` prefixes the connections' names. `reusePort` sets SO_REUSEPORT, so several
  /// servers may share the port. [any thread]
  TcpServer(EventLoop* loop, const InetAddress& listenAddr, std::string name,
            bool reusePort = false);
  /// Stops listening and closes every connection: each is reported down on its own loop, and
  /// its socket is closed (the peer sees EOF) unless the application still holds the
  /// TcpConnectionPtr. Then quits and joins the loop threads. [loop thread]
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  /// The server's name. [any thread]
  const std::string& name() const { return name_; }
  /// The loop that accepts connections. [any thread]
  EventLoop* getLoop() const { return loop_; }
  /// The bound address, with the real port after binding port 0. [any thread]
  InetAddress listenAddress() const;

  /// Called when a connection goes up and when it goes down. [before start()]
  void setConnectionCallback(ConnectionCallback cb) { connectionCallback_ = std::move(cb); }
  /// Called with a connection's input Buffer after each read. Without one, received bytes are
  /// discarded.
  /// [before start()]
  void setMessageCallback(MessageCallback cb) { messageCallback_ = std::move(cb); }
  /// Called when a connection's output has all been written to the kernel. [before start()]
  void setWriteCompleteCallback(WriteCompleteCallback cb) {
    writeCompleteCallback_ = std::move(cb);
  }

  /// How many sub loop threads serve the connections; 0 (the default) serves them on the main
  /// loop. [before start()]
  void setThreadNum(int numThreads);
  /// Runs on each sub loop thread before its loop starts (on the main loop when there are
  /// none). [before start()]
  void setThreadInitCallback(ThreadInitCallback cb) { threadInitCallback_ = std::move(cb); }

  /// Closes a connection (forceClose) once it has read or written no byte for `timeout`,
  /// between `timeout` and `timeout + tick` after its last activity. Zero (the default) turns
  /// the check off. Each loop that serves connections (the sub loops, or the main loop without
  /// them) checks its own connections every `tick` with a TimingWheel. A call after start(),
  /// or a tick that is not positive, is a bug (aborts). [before start()]
  void setIdleTimeout(Clock::duration timeout, Clock::duration tick = std::chrono::seconds(1));

  /// Starts the loop threads, then listens. Idempotent: later calls do nothing. Runs on the
  /// main loop's thread: at once when called there, else when the loop gets to it.
  /// [any thread]
  void start();

  /// The number of open connections in the server's map. [loop thread]
  size_t connectionCount() const;

  /// Forwarded to every connection accepted from now on (TcpConnection::setHighWaterMarkCallback).
  /// [before start()]
  void setHighWaterMarkCallback(HighWaterMarkCallback cb, size_t highWaterMark) {
    highWaterMarkCallback_ = std::move(cb);
    highWaterMark_ = highWaterMark;
  }
  /// Closes the listening socket: new connects are refused, connections waiting in the accept
  /// queue are reset, open connections are not touched. The first step of a graceful stop.
  /// Idempotent. [loop thread]
  void stopAccepting();
  /// Calls `f` for each open connection, on the main loop's thread. A connection belongs to its
  /// own loop, so `f` should use the connection's [any thread] members (forceClose(), its
  /// loop's runInLoop()). `f` may close connections. [loop thread]
  void forEachConnection(const std::function<void(const TcpConnectionPtr&)>& f);
  /// The sub loops (getAllLoops(), and name() + index names their threads). [loop thread]
  EventLoopThreadPool* threadPool() const { return threadPool_.get(); }

 private:
  void newConnection(Socket socket, const InetAddress& peerAddr);
  void removeConnection(const TcpConnectionPtr& conn);
  void removeConnectionInLoop(const TcpConnectionPtr& conn);

  EventLoop* loop_;  // does not own
  const std::string name_;
  std::unique_ptr<Acceptor> acceptor_;
  const InetAddress listenAddr_;  ///< kept: the Acceptor cannot tell it once it stopped
  /// Expires when the server is gone: a removal queued on the main loop by a sub loop checks
  /// it before touching the server. Declared before threadPool_, so it outlives the threads.
  std::shared_ptr<void> alive_ = std::make_shared<char>();
  Clock::duration idleTimeout_{0};                     ///< zero: connections may stay idle forever
  Clock::duration idleTick_{std::chrono::seconds(1)};  ///< how often the wheels look
  /// One wheel per loop that serves connections, made by start() when idleTimeout_ is set.
  /// Declared before threadPool_, so destroyed after the sub loops are gone.
  std::map<EventLoop*, std::unique_ptr<TimingWheel>> idleWheels_;
  std::unique_ptr<EventLoopThreadPool> threadPool_;  ///< destroyed first: joins the threads
  ConnectionCallback connectionCallback_;
  MessageCallback messageCallback_;
  WriteCompleteCallback writeCompleteCallback_;
  HighWaterMarkCallback highWaterMarkCallback_;
  size_t highWaterMark_ = 0;
  ThreadInitCallback threadInitCallback_;
  /// What every connection gets, one copy for all; built by start(). [loop thread after start()]
  std::shared_ptr<const TcpConnection::Callbacks> connectionCallbacks_;
  std::atomic<bool> started_{false};
  int nextConnId_ = 1;  ///< [loop thread]
  /// Keyed by address rather than name: no second copy of the name per connection.
  /// [loop thread]
  std::map<const TcpConnection*, TcpConnectionPtr> connections_;
};

}  // namespace net
