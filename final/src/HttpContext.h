// HttpContext: the incremental HTTP/1.x request parser of one connection, an explicit state
// machine that consumes a Buffer as bytes arrive.
//
//   kExpectRequestLine --request line--> kExpectHeaders --empty line--> kGotAll
//                                              |                          ^
//                                              +--Content-Length > 0--> kExpectBody
//   any state but kGotAll --malformed input--> kError (errorStatus() is the response code)
//
// parseRequest() takes whole lines (and body bytes) out of the Buffer and stops after one
// complete request, leaving any pipelined bytes behind it in the Buffer; after reset() the next
// call parses the next request. Feeding the same bytes whole, one at a time or split anywhere
// gives the same result: a decision is only taken on a complete line.
//
// Not supported in this step: Transfer-Encoding (answered 501), obs-fold (400),
// "Expect: 100-continue" (the body is simply awaited).
// Owns: the request being parsed. Thread safety: none; used on its connection's loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "HttpRequest.h"

namespace net {

class Buffer;

/// Bounds on what one request may make the server hold in memory, and the status each breach gets.
struct HttpLimits {
  /// Longest request line without CRLF; longer: 414 URI Too Long (RFC 9112 section 3: the target is
  /// what makes a request line long).
  size_t maxRequestLine = 8192;
  /// Longest header field line without CRLF; longer: 431 Request Header Fields Too Large (RFC 6585
  /// section 5).
  size_t maxHeaderLine = 8192;
  /// Most header field lines in one request; more: 431.
  size_t maxHeaders = 100;
  /// Largest Content-Length accepted; larger: 413 Content Too Large (RFC 9110 section 15.5.14).
  uint64_t maxBody = 1 << 20;
};

/// Parses the requests of one connection, one at a time. Default limits: 8 KiB lines, 100 header
/// fields, 1 MiB bodies.
class HttpContext {
 public:
  /// The parser's position in the request. kGotAll and kError are final until reset().
  enum class State {
    kExpectRequestLine,  ///< waiting for "METHOD target HTTP/x.y"; empty lines are skipped
    kExpectHeaders,      ///< reading header field lines until the empty line
    kExpectBody,         ///< reading the Content-Length bytes of the body
    kGotAll,             ///< one complete request is in request()
    kError,              ///< the input is malformed: answer errorStatus() and close
  };

  /// The enumerator's name, e.g. "kExpectHeaders".
  static const char* stateToString(State state);

  /// A parser waiting for a request line.
  explicit HttpContext(HttpLimits limits = {}) : limits_(limits) {}

  /// Consumes what it can of `buf`: complete lines and body bytes, up to the end of one request.
  /// Returns false when the input is malformed (state kError; see errorStatus()), true otherwise;
  /// gotAll() then tells whether a whole request has arrived. Bytes after a complete request stay
  /// in `buf`. Calling it again in kGotAll or kError consumes nothing.
  bool parseRequest(Buffer* buf);

  /// True when request() holds one complete request.
  bool gotAll() const { return state_ == State::kGotAll; }
  /// The current state.
  State state() const { return state_; }
  /// The HTTP status to answer malformed input with (400, 413, 414, 431, 501 or 505); 0 unless the
  /// state is kError.
  int errorStatus() const { return errorStatus_; }
  /// What was wrong, in a few words, for logs and the error response body.
  const std::string& errorDetail() const { return errorDetail_; }

  /// Starts over for the next request on the same connection (after kGotAll, or to reuse).
  void reset();

  /// The request parsed so far (complete once gotAll()).
  const HttpRequest& request() const { return request_; }

 private:
  bool parseRequestLine(Buffer* buf);
  bool parseHeaderLine(Buffer* buf);
  bool parseBody(Buffer* buf);
  bool takeLine(Buffer* buf, size_t limit, int tooLongStatus, std::string_view* line);
  bool processRequestLine(std::string_view line);
  bool processTarget(std::string_view target);
  bool processHeaderLine(std::string_view line);
  bool finishHeaders();
  bool fail(int status, std::string detail);
  void transition(State to);

  HttpLimits limits_;
  State state_ = State::kExpectRequestLine;
  HttpRequest request_;
  size_t headerCount_ = 0;
  uint64_t bodyRemaining_ = 0;
  int errorStatus_ = 0;
  std::string errorDetail_;
};

}  // namespace net
