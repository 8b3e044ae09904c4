// A tiny blocking HTTP/1.1 responder: one thread per connection, one request per connection.
//
// GET / (or HEAD /) answers "Hello, World!\n"; another path 404, another method 405, a request
// line that is not `METHOD SP /target SP HTTP/1.x`, or a head over 8 KiB, 400. Every response
// says `Connection: close`, and the server closes after it: no keep-alive, no request body, no
// header parsing. This is the "before" picture of chapter 08, which parses HTTP properly on the
// event loop.
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include "BlockingServer.h"
#include "CommandLine.h"
#include "Socket.h"
#include "StopSignal.h"

using namespace net;

namespace {

// The request head (request line + header fields + blank line) must fit in this; nginx's
// default for a whole head is 8 KiB too (large_client_header_buffers 4 8k).
constexpr size_t kMaxHeadBytes = 8192;
// A client that sends nothing for this long is dropped: each silent client holds a thread.
constexpr int kReadTimeoutSeconds = 5;
// After the response, at most this much of what the client still sends is read and dropped.
constexpr size_t kMaxDrainBytes = 1 << 20;

struct Response {
  int status;
  const char* reason;
  std::string body;
  const char* extraHeaders = "";  // complete lines, each ending in CRLF
  bool headOnly = false;          // HEAD: the headers of a GET, without the body
};

Response error(int status, const char* reason, const char* extraHeaders = "") {
  return {status, reason, std::string(reason) + "\n", extraHeaders};
}

//! [respond]
/// The response to a request head. Only the request line matters here (RFC 9112 section 3):
/// `method SP request-target SP HTTP-version`, single spaces, no other whitespace.
Response respond(std::string_view head) {
  // STUDENT-BEGIN(http-respond): split the request line; answer 200, 404, 405 or 400
  // STUDENT-STUB: (void)head;
  // STUDENT-STUB: return error(500, "Internal Server Error");
  std::string_view line = head.substr(0, head.find("\r\n"));
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return error(400, "Bad Request");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  bool methodIsToken = !method.empty();
  for (char c : method) methodIsToken = methodIsToken && c >= 'A' && c <= 'Z';
  if (!methodIsToken || target.empty() || target[0] != '/' ||
      (version != "HTTP/1.1" && version != "HTTP/1.0")) {
    return error(400, "Bad Request");
  }
  // RFC 9110 section 9.1: a general-purpose server must support GET and HEAD.
  if (method != "GET" && method != "HEAD") {
    return error(405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
  }
  Response response = target.substr(0, target.find('?')) == "/"
                          ? Response{200, "OK", "Hello, World!\n"}
                          : error(404, "Not Found");
  response.headOnly = method == "HEAD";
  return response;
  // STUDENT-END(http-respond)
}
//! [respond]

std::string serialize(const Response& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + r.reason + "\r\n";
  out += "Content-Type: text/plain\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  out += r.extraHeaders;
  out += "Connection: close\r\n\r\n";
  if (!r.headOnly) out += r.body;
  return out;
}

/// Reads until the blank line that ends the request head. False when the client closed,
/// reset or went silent first, or sent kMaxHeadBytes without one; `head` keeps what came.
bool readHead(int fd, std::string* head) {
  char buf[2048];
  size_t searchFrom = 0;  // "\r\n\r\n" cannot end before here: each byte is scanned once
  while (head->find("\r\n\r\n", searchFrom) == std::string::npos) {
    if (head->size() >= kMaxHeadBytes) return false;
    searchFrom = head->size() < 3 ? 0 : head->size() - 3;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EOF, an error, or EAGAIN when SO_RCVTIMEO expired
    head->append(buf, static_cast<size_t>(n));
  }
  return true;
}

//! [lingeringClose]
/// Closes so that the response survives. close() while the client's bytes sit unread in the
/// receive buffer, or arrive after it, sends RST instead of FIN (RFC 1122 section 4.2.2.13):
/// the part of the response still in our send buffer is dropped, and the client's stack may
/// discard what it received but its application has not read yet (RFC 9112 section 9.6). So:
/// half-close (FIN after the response), read until the client closes too, then close. nginx
/// calls this "lingering close".
void lingeringClose(Socket conn) {
  // STUDENT-BEGIN(http-lingering-close): shutdown the write side, drain (bounded), then close
  // STUDENT-STUB: (void)conn;
  conn.shutdownWrite();
  char buf[4096];
  size_t drained = 0;
  while (drained < kMaxDrainBytes) {  // bounded: a client that never stops is cut off
    ssize_t n = ::read(conn.fd(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the client closed; or an error, or the receive timeout
    drained += static_cast<size_t>(n);
  }
  // STUDENT-END(http-lingering-close)
}  // conn closes here
//! [lingeringClose]

void serveHttp(Socket conn) {
  // A blocking read has no deadline of its own; SO_RCVTIMEO gives it one (socket(7)).
  timeval timeout{kReadTimeoutSeconds, 0};
  ::setsockopt(conn.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string head;
  bool complete = readHead(conn.fd(), &head);
  if (!complete && head.empty()) return;  // the client left (or never spoke): nobody to answer
  std::string reply = serialize(complete ? respond(head) : error(400, "Bad Request"));
  if (::send(conn.fd(), reply.data(), reply.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(reply.size())) {
    return;  // the client is gone; the Socket closes
  }
  lingeringClose(std::move(conn));
}

}  // namespace

int main(int argc, char** argv) {
  int port = 8080;
  std::string address = "127.0.0.1";
  CommandLine cli("http_responder",
                  "Tiny blocking HTTP/1.1 responder: GET / says hello, one thread per connection.");
  cli.addInt("port", &port, 0, 65535, "TCP port to listen on, 0 for an ephemeral port");
  cli.addString("address", &address, "IP address to listen on");
  cli.parse(argc, argv);
  auto addr = InetAddress::parse(address, static_cast<uint16_t>(port));
  if (!addr) {
    std::fprintf(stderr, "http_responder: '%s' is not a numeric IP address\n", address.c_str());
    return 2;
  }

  try {
    BlockingServer server(*addr);
    StopSignal stop([&server] { server.stop(); });
    announceListening(server.listenAddress());
    server.run(serveHttp, /*iterative=*/false);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "http_responder: %s\n", e.what());
    return 1;
  }
  return 0;
}
