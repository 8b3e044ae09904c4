// HttpServer: an HTTP/1.1 server on top of TcpServer. Each connection carries an HttpContext
// that parses its requests; every complete request goes to the HTTP callback, and the responses
// go back in request order.
//
// Owns: the TcpServer. Borrows: the base EventLoop (does not own).
// Thread rules: construct, configure and start on the base loop's thread before loop() (as for
// TcpServer); the HTTP callback runs on the loop thread of the request's connection, several at
// once when setThreadNum(n > 0), so it must be thread-safe with respect to shared state.
#pragma once

#include <functional>
#include <string>

#include "TcpServer.h"

namespace net {

class Buffer;
class HttpRequest;
class HttpResponse;

/// Serves HTTP/1.0 and 1.1 with keep-alive and pipelining; malformed requests get a 4xx/5xx
/// answer and the connection is closed once that answer is sent.
class HttpServer {
 public:
  /// Fills in the response to one request. Runs on the connection's loop thread; must not block
  /// (the loop serves every other connection of its thread meanwhile) and must not throw.
  using HttpCallback = std::function<void(const HttpRequest&, HttpResponse*)>;

  /// A server for `listenAddr` on `loop` (the base loop, which accepts), bound at once (throws
  /// std::system_error, e.g. EADDRINUSE) and listening after start(). Without an HTTP callback
  /// every request gets 404. [the base loop's thread]
  HttpServer(EventLoop* loop, const InetAddress& listenAddr, std::string name,
             bool reusePort = false);
  /// Not copyable: the TcpServer's callbacks point at this object.
  HttpServer(const HttpServer&) = delete;
  /// Not copyable: the TcpServer's callbacks point at this object.
  HttpServer& operator=(const HttpServer&) = delete;

  /// The base loop. Does not own.
  EventLoop* getLoop() const { return server_.getLoop(); }
  /// Sets the request handler. Call before start().
  void setHttpCallback(HttpCallback cb) { httpCallback_ = std::move(cb); }
  /// Sub-reactor threads (TcpServer::setThreadNum): 0 serves everything on the base loop.
  /// Call before start().
  void setThreadNum(int numThreads) { server_.setThreadNum(numThreads); }
  /// Starts the threads and listens. [any thread] Idempotent.
  void start() { server_.start(); }
  /// The bound address; after start() with port 0 it tells the port the kernel chose.
  InetAddress listenAddress() const { return server_.listenAddress(); }

 private:
  void onConnection(const TcpConnectionPtr& conn);
  void onMessage(const TcpConnectionPtr& conn, Buffer* buf);
  bool respond(const HttpRequest& request, Buffer* output);

  TcpServer server_;
  HttpCallback httpCallback_;
};

}  // namespace net
