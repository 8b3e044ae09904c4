#include "HttpResponse.h"

#include <string>

#include "Buffer.h"

namespace net {

const char* HttpResponse::reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void HttpResponse::setStatusCode(int status) {
  status_ = status;
  reason_ = reasonPhrase(status);
}

void HttpResponse::addHeader(std::string name, std::string value) {
  headers_.emplace_back(std::move(name), std::move(value));
}

void HttpResponse::appendToBuffer(Buffer* output, std::string_view server,
                                  std::string_view date) const {
  // The server answers with its own version, HTTP/1.1, also to an HTTP/1.0 client
  // (RFC 9110 section 2.5).
  output->append("HTTP/1.1 " + std::to_string(status_) + " " + reason_ + "\r\n");
  if (!server.empty()) {
    output->append("Server: ");
    output->append(server);
    output->append("\r\n");
  }
  if (!date.empty()) {
    // RFC 9110 section 6.6.1: an origin server with a clock MUST send Date.
    output->append("Date: ");
    output->append(date);
    output->append("\r\n");
  }
  for (const auto& [name, value] : headers_) {
    output->append(name);
    output->append(": ");
    output->append(value);
    output->append("\r\n");
  }
  // 1xx, 204 and 304 responses have no body, and Content-Length would be wrong or misleading on
  // them (RFC 9110 section 8.6). Every other response is framed by Content-Length, which is what
  // lets the connection stay open after it.
  if (status_ >= 200 && status_ != 204 && status_ != 304) {
    output->append("Content-Length: " + std::to_string(contentLength()) + "\r\n");
  }
  // "keep-alive" is implied by HTTP/1.1 but spelled out for HTTP/1.0 clients, which close without
  // it (RFC 9112 section 9.3).
  output->append(closeConnection_ ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n");
  if (!headOnly_) output->append(body_);  // empty for a file body: the server streams the file
}

}  // namespace net
