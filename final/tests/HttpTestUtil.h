// Helpers for the HTTP tests: a client connection that sends raw requests and reads the
// responses one at a time (Content-Length framing, HEAD), over TestUtil.h's bounded reads.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "HttpRequest.h"
#include "TestUtil.h"

namespace net::test {

/// One parsed response.
struct Response {
  int status = 0;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

/// Reads one response from `fd`; bytes read beyond it (the next pipelined response) stay in
/// `*pending`. A response to HEAD has no body whatever its Content-Length says. Nothing when the
/// connection ended or stayed silent first.
inline std::optional<Response> readResponse(int fd, std::string* pending, bool head = false) {
  auto fill = [&](size_t want) {
    while (pending->size() < want) {
      ReadResult more = readSome(fd, 1);
      if (more.data.empty()) return false;
      *pending += more.data;
    }
    return true;
  };
  size_t end;
  while ((end = pending->find("\r\n\r\n")) == std::string::npos) {
    if (!fill(pending->size() + 1)) return std::nullopt;
  }
  Response response;
  std::string head_text = pending->substr(0, end);
  pending->erase(0, end + 4);
  size_t lineEnd = head_text.find("\r\n");
  std::string statusLine = head_text.substr(0, lineEnd);
  if (statusLine.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
  response.status = std::stoi(statusLine.substr(9, 3));
  while (lineEnd != std::string::npos) {
    size_t next = head_text.find("\r\n", lineEnd + 2);
    std::string line = head_text.substr(lineEnd + 2, next - lineEnd - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      response.headers[line.substr(0, colon)] = line.substr(colon + 2);
    }
    lineEnd = next;
  }
  size_t length = std::stoul(
      response.header("Content-Length").empty() ? "0" : response.header("Content-Length"));
  if (head) return response;
  if (!fill(length)) return std::nullopt;
  response.body = pending->substr(0, length);
  pending->erase(0, length);
  return response;
}

/// A client connection to the server under test, with its unread bytes.
struct Client {
  Socket socket;
  std::string pending;

  explicit Client(uint16_t port) : socket(connectTo(port)) {}
  bool send(const std::string& bytes) { return writeAll(socket.fd(), bytes); }
  std::optional<Response> read(bool head = false) {
    return readResponse(socket.fd(), &pending, head);
  }
  /// The next `n` bytes (fewer if the connection ends or stays silent): those read already
  /// first, then from the socket.
  std::string take(size_t n) {
    while (pending.size() < n) {
      ReadResult more = readSome(socket.fd(), n - pending.size());
      if (more.data.empty()) break;
      pending += more.data;
    }
    std::string bytes = pending.substr(0, n);
    pending.erase(0, bytes.size());
    return bytes;
  }
  /// True when the server closed the connection and sent nothing more.
  bool closedByServer() {
    ReadResult rest = readToEnd(socket.fd());
    return pending.empty() && rest.data.empty() && rest.eof;
  }
};

/// A GET request for `path` with a Host header and the `extra` header lines.
inline std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n";
}

}  // namespace net::test
