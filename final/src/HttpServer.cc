#include "HttpServer.h"

#include <any>

#include "Buffer.h"
#include "HttpContext.h"
#include "HttpRequest.h"
#include "HttpResponse.h"
#include "TcpConnection.h"

namespace net {

namespace {

/// The answer to input the parser refused: the status, a one-line explanation, and "close"
/// (after malformed input the framing of whatever follows cannot be trusted, RFC 9112 9.3).
void appendErrorResponse(const HttpContext& context, Buffer* output) {
  HttpResponse response(/*closeConnection=*/true);
  response.setStatusCode(context.errorStatus());
  response.setContentType("text/plain");
  response.setBody(std::to_string(context.errorStatus()) + " " + response.reason() + ": " +
                   context.errorDetail() + "\n");
  response.appendToBuffer(output);
}

}  // namespace

HttpServer::HttpServer(EventLoop* loop, const InetAddress& listenAddr, std::string name,
                       bool reusePort)
    : server_(loop, listenAddr, std::move(name), reusePort) {
  server_.setConnectionCallback([this](const TcpConnectionPtr& conn) { onConnection(conn); });
  server_.setMessageCallback(
      [this](const TcpConnectionPtr& conn, Buffer* buf) { onMessage(conn, buf); });
}

void HttpServer::onConnection(const TcpConnectionPtr& conn) {
  // The parser state lives with the connection (muduo's choice too): no map, no lock, and it
  // dies with the connection.
  if (conn->connected()) conn->setContext(HttpContext());
}

//! [onMessage]
void HttpServer::onMessage(const TcpConnectionPtr& conn, Buffer* buf) {
  if (!conn->connected()) {
    // Closing (after an error or "Connection: close"): whatever else the client sends is
    // read and dropped until it closes too.
    buf->retrieveAll();
    return;
  }
  auto* context = std::any_cast<HttpContext>(conn->getMutableContext());
  // Every request complete in `buf` is answered now, in order (pipelining, RFC 9112 9.3.2),
  // and the answers leave in one send(): one write(2) for a whole pipelined batch.
  Buffer output;
  bool close = false;
  while (!close) {
    if (!context->parseRequest(buf)) {
      appendErrorResponse(*context, &output);
      close = true;
    } else if (context->gotAll()) {
      close = respond(context->request(), &output);
      context->reset();
    } else {
      break;  // the rest of a request is still on its way
    }
  }
  if (output.readableBytes() > 0) conn->send(output.view());
  if (close) conn->shutdown();  // FIN after the answers drained: the client reads them all
}
//! [onMessage]

bool HttpServer::respond(const HttpRequest& request, Buffer* output) {
  HttpResponse response(/*closeConnection=*/!request.keepAlive());
  if (httpCallback_) {
    httpCallback_(request, &response);
  } else {
    response.setStatusCode(404);
  }
  response.setHeadOnly(request.method() == "HEAD");
  // A handler may ask to close, but cannot keep open what the client asked to close.
  response.setCloseConnection(response.closeConnection() || !request.keepAlive());
  response.appendToBuffer(output);
  return response.closeConnection();
}

}  // namespace net
