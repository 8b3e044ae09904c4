// Helpers for the tests that talk HTTP/1.1 to a server over loopback, in process or as the
// http_server program: a client connection that sends exactly the bytes a test gives it
// (well-formed or not) and reads the responses one at a time, and one strict response parser,
// so a response with a wrong status line, a wrong length or bytes after its end is seen as such.
//
// Everything here is single-threaded and every wait is bounded (TestUtil.h's timeouts).
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "HttpRequest.h"
#include "TestUtil.h"

namespace net::test {

/// One response as the client saw it.
struct ParsedResponse {
  /// The status code; 0 when the status line was not "HTTP/1.1 NNN ...".
  int status = 0;
  /// The header fields by name (case-insensitive); a repeated name keeps its last value.
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  /// The body, framed by Content-Length (none means an empty body).
  std::string body;

  /// The value of header `name`, or "" when absent.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

/// Parses the response at the front of `bytes` into `*out`. Returns how many bytes it spans, or
/// 0 while it is incomplete. A response to HEAD (`head`) has no body whatever its Content-Length
/// says. A malformed head (bad status line or Content-Length) is returned with status 0 and
/// spans the head only, so a test fails on the status instead of waiting for more bytes.
inline size_t parseResponse(std::string_view bytes, ParsedResponse* out, bool head = false) {
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  ParsedResponse response;
  std::string_view headText = bytes.substr(0, end);
  size_t lineEnd = headText.find("\r\n");
  std::string_view statusLine = headText.substr(0, lineEnd);
  bool statusOk = statusLine.size() >= 12 && statusLine.substr(0, 9) == "HTTP/1.1 ";
  for (size_t i = 9; statusOk && i < 12; ++i) {
    statusOk = statusLine[i] >= '0' && statusLine[i] <= '9';
  }
  if (!statusOk) {
    *out = ParsedResponse();
    return end + 4;
  }
  response.status = std::stoi(std::string(statusLine.substr(9, 3)));
  while (lineEnd != std::string_view::npos) {
    size_t next = headText.find("\r\n", lineEnd + 2);
    std::string_view line = headText.substr(lineEnd + 2, next - lineEnd - 2);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      size_t value = line.find_first_not_of(' ', colon + 1);
      response.headers[std::string(line.substr(0, colon))] =
          value == std::string_view::npos ? "" : std::string(line.substr(value));
    }
    lineEnd = next;
  }
  uint64_t length = 0;
  for (char c : response.header("Content-Length")) {
    if (c < '0' || c > '9' || length > (uint64_t{1} << 40)) {
      response.status = 0;
      *out = response;
      return end + 4;
    }
    length = length * 10 + static_cast<uint64_t>(c - '0');
  }
  if (head) length = 0;
  if (bytes.size() - (end + 4) < length) return 0;
  response.body = std::string(bytes.substr(end + 4, length));
  *out = std::move(response);
  return end + 4 + length;
}

/// "GET `path` HTTP/1.1" with a Host field and the `extra` header lines (each ending in CRLF).
inline std::string httpGet(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

/// A blocking client connection to the server under test, with the bytes it has read but not
/// yet taken. Owns its socket.
class HttpClient {
 public:
  /// Connects to 127.0.0.1:`port`; check valid().
  explicit HttpClient(uint16_t port) : socket_(connectTo(port)) {}

  /// Whether the connection was made (and not closed by close()).
  bool valid() const { return socket_.valid(); }
  /// The socket's descriptor, for socket options, poll() and reads of a test's own.
  int fd() const { return socket_.fd(); }
  /// The socket itself, e.g. to close it abortively (assigning an empty Socket closes it).
  Socket& socket() { return socket_; }
  /// Bytes read and not yet taken by read() or take(); tests that read on their own append here.
  std::string& pending() { return pending_; }
  /// Bytes read and not yet taken, for a look that changes nothing.
  const std::string& pending() const { return pending_; }

  /// Closes this side of the connection (FIN), as a client does once it has what it wanted.
  void close() { socket_ = Socket(); }

  /// Writes all of `bytes` (bounded wait when the socket buffer is full).
  bool send(std::string_view bytes) { return writeAll(socket_.fd(), bytes); }

  /// Reads one response; nothing when the connection ended or stayed silent for `timeout`
  /// first. Bytes after it (a pipelined next response) stay pending.
  std::optional<ParsedResponse> read(bool head = false,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::optional<ParsedResponse> response;
    while (!(response = takeResponse(head))) {
      ReadResult more = readSome(socket_.fd(), 1, timeout);
      if (more.data.empty()) return std::nullopt;
      pending_ += more.data;
    }
    return response;
  }

  /// The response at the front of the bytes read already, without reading more: nothing when
  /// they do not hold a complete one. For tests that assert what one recv(2) brought.
  std::optional<ParsedResponse> takeResponse(bool head = false) {
    ParsedResponse response;
    size_t n = parseResponse(pending_, &response, head);
    if (n == 0) return std::nullopt;
    pending_.erase(0, n);
    return response;
  }

  /// Sends `request` and reads its response.
  std::optional<ParsedResponse> roundTrip(std::string_view request) {
    if (!send(request)) return std::nullopt;
    return read();
  }

  /// The next `n` raw bytes (fewer if the connection ends or stays silent): those read already
  /// first, then from the socket. For what is no response of its own, e.g. a 100 Continue.
  std::string take(size_t n) {
    while (pending_.size() < n) {
      ReadResult more = readSome(socket_.fd(), n - pending_.size());
      if (more.data.empty()) break;
      pending_ += more.data;
    }
    std::string bytes = pending_.substr(0, n);
    pending_.erase(0, bytes.size());
    return bytes;
  }

  /// True when the server closed the connection with EOF (not a reset) and sent nothing more
  /// than what was taken already. Waits up to `timeout` for the close.
  bool closedByServer(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    ReadResult rest = readToEnd(socket_.fd(), timeout);
    return pending_.empty() && rest.data.empty() && rest.eof;
  }

 private:
  Socket socket_;
  std::string pending_;
};

/// The number after "`name`": in the JSON of the server's GET /stats, asked on `client`;
/// nothing when the server has no /stats (the program before the final one answers 404) or
/// the body has no such field.
inline std::optional<long long> statsField(HttpClient& client, const std::string& name) {
  auto response = client.roundTrip(httpGet("/stats"));
  if (!response || response->status != 200) return std::nullopt;
  const std::string key = "\"" + name + "\":";
  size_t at = response->body.find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoll(response->body.c_str() + at + key.size(), nullptr, 10);
}

/// Sends `data` on `fd` while reading whatever comes back, until the peer closes (EOF or a
/// reset), an error, or `timeout` without progress either way. Writing stops early when the
/// peer closes or refuses more (EPIPE): a server may answer and close before it has read all of
/// an oversized request, and that answer must still be seen. Returns what was read.
inline ReadResult sendAndReadToEnd(int fd, std::string_view data,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  ReadResult result;
  char buf[65536];
  bool writing = !data.empty();
  while (true) {
    pollfd pfd{fd, static_cast<short>(POLLIN | (writing ? POLLOUT : 0)), 0};
    int n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result.timedOut = true;
      return result;
    }
    if (writing && (pfd.revents & POLLOUT)) {
      ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent > 0) {
        data.remove_prefix(static_cast<size_t>(sent));
      } else if (sent < 0 && errno != EAGAIN && errno != EINTR) {
        writing = false;  // the peer is gone for writing; what it sent may still be read
      }
      if (data.empty()) writing = false;
    }
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (got > 0) {
        result.data.append(buf, static_cast<size_t>(got));
      } else if (got == 0) {
        result.eof = true;
        return result;
      } else if (errno != EAGAIN && errno != EINTR) {
        result.error = errno;
        return result;
      }
    }
  }
}

}  // namespace net::test
