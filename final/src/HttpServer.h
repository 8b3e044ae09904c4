// HttpServer: an HTTP/1.1 server on top of TcpServer. Each connection carries an HttpContext
// that parses its requests; every complete request goes to the HTTP callback, and the responses
// go back in request order, those of one read in one write.
//
// A handler answers at once (HttpCallback) or later, from any thread (AsyncHttpCallback with an
// HttpResponder): work that would block the loop goes to a ComputePool, and the answer is handed
// back to the connection's loop (queueInLoop). While a connection waits for such an answer, or
// streams a file body, its later pipelined requests wait, unparsed, and are answered after it.
// Every answer carries Server and Date; at info level each one is logged (the access log).
// stop() is the graceful stop: no new connections, idle ones closed, in-flight requests finished.
//
// Owns: the TcpServer. Borrows: the base EventLoop (does not own).
// Thread rules: construct, configure, start, stop and destroy on the base loop's thread; the
// HTTP callback runs on the loop thread of the request's connection, several at once when
// setThreadNum(n > 0), so it must be thread-safe with respect to shared state. The counters
// behind stats() are atomics, updated on the loop threads and read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "TcpServer.h"
#include "TimerId.h"

namespace net {

class Buffer;
class HttpContext;
class HttpRequest;
class HttpResponse;
class HttpResponder;

/// A snapshot of an HttpServer's counters (HttpServer::stats()).
struct HttpServerStats {
  /// The connections one loop serves.
  struct Loop {
    std::string name;     ///< "base" for the base loop, else the sub loop's thread name
    int64_t connections;  ///< open on this loop now
  };
  std::chrono::steady_clock::duration uptime{};  ///< since start()
  uint64_t requests = 0;             ///< requests parsed (including ones refused as malformed)
  uint64_t bytesIn = 0;              ///< bytes read from clients
  uint64_t bytesOut = 0;             ///< bytes of responses handed to the connections
  uint64_t connectionsAccepted = 0;  ///< connections since start()
  int64_t connections = 0;           ///< open now: the sum over `loops`
  int64_t deferred = 0;              ///< requests whose answer is being computed now
  std::vector<Loop> loops;           ///< the base loop, then each sub loop in order
};

/// Serves HTTP/1.0 and 1.1 with keep-alive and pipelining; malformed requests get a 4xx/5xx
/// answer and the connection is closed once that answer is sent.
class HttpServer {
 public:
  /// The clock of uptime and stop() bounds: the timers' clock (TimerId.h).
  using Clock = ::net::Clock;
  /// Fills in the response to one request. Runs on the connection's loop thread; must not block
  /// (the loop serves every other connection of its thread meanwhile) and must not throw.
  using HttpCallback = std::function<void(const HttpRequest&, HttpResponse*)>;
  /// Answers one request through `responder`, now or later, from any thread. Runs on the
  /// connection's loop thread and must not throw. The request is valid during the call only:
  /// copy what later work needs.
  using AsyncHttpCallback = std::function<void(const HttpRequest&, HttpResponder responder)>;

  /// A server for `listenAddr` on `loop` (the base loop, which accepts), bound at once (throws
  /// std::system_error, e.g. EADDRINUSE) and listening after start(). Without an HTTP callback
  /// every request gets 404. [the base loop's thread]
  HttpServer(EventLoop* loop, const InetAddress& listenAddr, std::string name,
             bool reusePort = false);
  /// Closes every connection and joins the sub loops. Answers still being computed are dropped
  /// when they arrive (HttpResponder::send() does nothing from then on). [the base loop's thread]
  ~HttpServer();
  /// Not copyable: the TcpServer's callbacks point at this object.
  HttpServer(const HttpServer&) = delete;
  /// Not copyable: the TcpServer's callbacks point at this object.
  HttpServer& operator=(const HttpServer&) = delete;

  /// The base loop. Does not own.
  EventLoop* getLoop() const { return server_.getLoop(); }
  /// Sets the request handler that answers at once. Call before start().
  void setHttpCallback(HttpCallback cb) { httpCallback_ = std::move(cb); }
  /// Sets the request handler that may answer later; it replaces the HttpCallback. Call before
  /// start().
  void setAsyncHttpCallback(AsyncHttpCallback cb) { asyncCallback_ = std::move(cb); }
  /// Sub-reactor threads (TcpServer::setThreadNum): 0 serves everything on the base loop.
  /// Call before start().
  void setThreadNum(int numThreads) { server_.setThreadNum(numThreads); }
  /// Closes a connection that read and wrote nothing for `timeout` (TcpServer::setIdleTimeout,
  /// checked once a second); zero, the default, never. Call before start().
  void setIdleTimeout(Clock::duration timeout) { server_.setIdleTimeout(timeout); }
  /// Starts the threads and listens; the uptime counts from here. Runs on the base loop: at
  /// once when called there, else when the loop gets to it. [any thread] Idempotent.
  void start();
  /// The bound address; after start() with port 0 it tells the port the kernel chose.
  InetAddress listenAddress() const { return server_.listenAddress(); }

  /// The graceful stop, in this order: the listening socket is closed (new connects are
  /// refused); every idle keep-alive connection is shut down at once (the client reads EOF);
  /// every other connection finishes the request it is in (a deferred answer still arrives),
  /// answers it with "Connection: close" and is shut down; what is still open after `timeout` is
  /// closed by force. Then `onStopped` runs on the base loop (typically: quit it). A second call
  /// closes what is left at once. The server must stay alive until `onStopped` ran.
  /// [the base loop's thread, after start()]
  void stop(Clock::duration timeout, std::function<void()> onStopped);
  /// Whether stop() was called. [any thread]
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  /// The counters, read now (each one atomically; together they are a near-simultaneous view,
  /// not one instant). [any thread, after start() has run]
  HttpServerStats stats() const;

 private:
  struct Exchange;
  struct ConnectionState;
  struct LoopCounter;
  struct Link;
  struct AccessRecord;
  struct OwnedAccessRecord;
  friend class HttpResponder;

  static ConnectionState* stateOf(const TcpConnectionPtr& conn);
  static ConnectionState* findState(const TcpConnectionPtr& conn);
  LoopCounter* counterOf(const TcpConnectionPtr& conn) const;
  static void forgetIfIdle(const TcpConnectionPtr& conn, ConnectionState* state);
  void registerLoops();
  void onConnection(const TcpConnectionPtr& conn);
  void onMessage(const TcpConnectionPtr& conn, Buffer* buf);
  void onWriteComplete(const TcpConnectionPtr& conn);
  void onHighWaterMark(const TcpConnectionPtr& conn);
  enum class Next;
  void processRequests(const TcpConnectionPtr& conn, ConnectionState* state, Buffer* input,
                       Buffer* output);
  Next dispatch(const TcpConnectionPtr& conn, ConnectionState* state, const HttpRequest& request,
                Buffer* output);
  Next finish(const TcpConnectionPtr& conn, ConnectionState* state, HttpResponse* response,
              bool closeAfter, bool headOnly, Buffer* output, const AccessRecord* access);
  Next appendErrorResponse(const TcpConnectionPtr& conn, ConnectionState* state, Buffer* output);
  void resume(const TcpConnectionPtr& conn, ConnectionState* state, Next next, Buffer* output);
  void updateReading(const TcpConnectionPtr& conn, ConnectionState* state);
  void onDeferredResponse(const TcpConnectionPtr& conn, uint64_t id, HttpResponse response,
                          bool closeAfter, bool headOnly, const OwnedAccessRecord* access);
  void sendOutput(const TcpConnectionPtr& conn, const Buffer& output);
  void closeIfIdle(const TcpConnectionPtr& conn);
  void checkStopped(bool force);

  HttpCallback httpCallback_;
  AsyncHttpCallback asyncCallback_;
  /// What an HttpResponder reaches the server through; cut by the destructor.
  std::shared_ptr<Link> link_;

  // Counters: written on the loop threads, read by stats() on any thread (relaxed atomics:
  // each is a count on its own, no other memory is published through them).
  Clock::time_point startTime_{};  ///< set in start(), before the first connection
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> bytesIn_{0};
  std::atomic<uint64_t> bytesOut_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<int64_t> deferred_{0};
  /// One per loop, built by start() on the base loop before the first connection is accepted,
  /// read-only afterwards (the hand-off of each connection to its loop publishes it).
  std::vector<std::unique_ptr<LoopCounter>> loopCounters_;

  // The graceful stop: stopping_ is read on every loop thread; the rest is base loop only.
  std::atomic<bool> stopping_{false};
  Clock::time_point stopDeadline_{};
  std::function<void()> onStopped_;
  TimerId stopTimer_;  ///< polls checkStopped() while stopping
  bool stopped_ = false;
  bool forced_ = false;  ///< the bound passed with connections open (logged once)

  /// Declared last, so destroyed first: its connections' last callbacks (run while it closes
  /// them and joins the sub loops) still find every other member alive.
  TcpServer server_;
};

/// The way to answer one request of an AsyncHttpCallback, now or later, from any thread.
/// Copyable; all copies stand for the same request. The first send() answers; later calls do
/// nothing. If every copy is destroyed without a send(), the request is answered 500, so a lost
/// task cannot stall the connection's later requests. When the connection has closed meanwhile,
/// or the server is gone, send() drops the response.
class HttpResponder {
 public:
  /// Answers the request with `response`. On the connection's loop thread, inside the callback,
  /// the response joins the others of the same read (one write); anywhere else it is handed to
  /// that loop (queueInLoop) and sent from there, followed by the answers to the requests that
  /// waited behind it. The server still decides the framing: Content-Length, Connection (close
  /// when the request or the server asks for it), HEAD. [any thread]
  void send(HttpResponse response) const;

 private:
  friend class HttpServer;
  explicit HttpResponder(std::shared_ptr<HttpServer::Exchange> exchange)
      : exchange_(std::move(exchange)) {}

  std::shared_ptr<HttpServer::Exchange> exchange_;
};

}  // namespace net
