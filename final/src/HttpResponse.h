// HttpResponse: the response the HTTP callback fills in, serialised by appendToBuffer().
//
// The response owns the framing headers: Content-Length (from the body) and Connection (from
// closeConnection()) are written by appendToBuffer(), so a handler cannot get them wrong.
// The body is a string, or an open file that the server streams after the head (setFile()).
// Move-only, since a file body has one owner. Thread safety: distinct objects are safe; one
// object is used by one thread at a time (it may be moved to another thread, e.g. from a compute
// task to its connection's loop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "UniqueFd.h"

namespace net {

class Buffer;

/// Status, headers and body of one HTTP/1.1 response. Starts as "200 OK" with no body.
class HttpResponse {
 public:
  /// A 200 response; `closeConnection` says whether the connection closes after it.
  explicit HttpResponse(bool closeConnection = false) : closeConnection_(closeConnection) {}

  /// The standard reason phrase of `status` (RFC 9110 section 15), "Unknown" for others.
  static const char* reasonPhrase(int status);

  /// Sets the status code, with its standard reason phrase.
  void setStatusCode(int status);
  /// The status code.
  int statusCode() const { return status_; }
  /// The reason phrase that goes on the status line.
  const std::string& reason() const { return reason_; }

  /// Whether the server closes the connection after this response. The server sets it from the
  /// request (keep-alive rules); a handler may set it to true, never back to false after the server
  /// decided to close.
  void setCloseConnection(bool on) { closeConnection_ = on; }
  /// True when the connection closes after this response.
  bool closeConnection() const { return closeConnection_; }

  /// Adds a header line, sent in the order added. Not for Content-Length or Connection, which
  /// appendToBuffer() writes itself.
  void addHeader(std::string name, std::string value);
  /// Shorthand for addHeader("Content-Type", type).
  void setContentType(std::string type) { addHeader("Content-Type", std::move(type)); }
  /// The headers added so far, in order.
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

  /// Sets the body; Content-Length follows from its size.
  void setBody(std::string body) { body_ = std::move(body); }
  /// The body.
  const std::string& body() const { return body_; }

  /// Makes the first `size` bytes of `file` (open for reading, read from offset 0) the body,
  /// instead of body(). appendToBuffer() then writes the head only, with Content-Length `size`,
  /// and HttpServer streams the file after it (FileSender), so a large file is never in memory
  /// whole. For HEAD the file is closed unread.
  void setFile(UniqueFd file, uint64_t size) {
    file_ = std::move(file);
    contentLength_ = size;
  }
  /// Whether the body is a file (setFile()).
  bool hasFile() const { return file_.valid(); }
  /// Gives up the file body, for the server to stream; hasFile() is false afterwards.
  UniqueFd releaseFile() { return std::move(file_); }
  /// Announces `length` as the Content-Length without holding a body: the answer to HEAD when
  /// the body is not at hand (RFC 9110 section 9.3.2). The body must stay empty.
  void setContentLength(uint64_t length) { contentLength_ = length; }
  /// The Content-Length appendToBuffer() writes: as set by setFile()/setContentLength(), else
  /// the size of body().
  uint64_t contentLength() const { return contentLength_.value_or(body_.size()); }

  /// Send the status line and headers, with the Content-Length the body would have, but not the
  /// body itself: the answer to HEAD (RFC 9110 section 9.3.2).
  void setHeadOnly(bool on) { headOnly_ = on; }
  /// True when the body is left out.
  bool headOnly() const { return headOnly_; }

  /// Appends the serialised response ("HTTP/1.1 ..." through the body, or through the head
  /// for a file body) to `output`. `server` and `date`, when given, are written first as the
  /// Server and Date headers (HttpServer passes its name and httpDateNow()).
  void appendToBuffer(Buffer* output, std::string_view server = {},
                      std::string_view date = {}) const;

 private:
  int status_ = 200;
  std::string reason_ = "OK";
  bool closeConnection_;
  bool headOnly_ = false;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
  UniqueFd file_;                          ///< the body, when it is a file
  std::optional<uint64_t> contentLength_;  ///< set for a file or a HEAD answer without body
};

}  // namespace net
