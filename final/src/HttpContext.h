// HttpContext: the incremental HTTP/1.x request parser of one connection, an explicit state
// machine that consumes a Buffer as bytes arrive.
//
//   kExpectRequestLine -> kExpectHeaders     the request line
//   kExpectHeaders     -> kGotAll            empty line, no body
//                      -> kExpectBody        empty line, Content-Length > 0
//                      -> kExpectChunkSize   empty line, Transfer-Encoding: chunked
//   kExpectBody        -> kGotAll            the last body byte
//   kExpectChunkSize   -> kExpectChunkData   chunk-size > 0
//                      -> kExpectTrailers    chunk-size 0 (the last-chunk)
//   kExpectChunkData   -> kExpectChunkEnd    the chunk's last byte
//   kExpectChunkEnd    -> kExpectChunkSize   CRLF
//   kExpectTrailers    -> kGotAll            empty line
//   any state but the two final ones -> kError: malformed input or a limit (see errorStatus())
//
// parseRequest() takes whole lines (and body bytes) out of the Buffer and stops after one
// complete request, leaving any pipelined bytes behind it in the Buffer; after reset() the next
// call parses the next request. Feeding the same bytes whole, one at a time or split anywhere
// gives the same result: a decision is only taken on a complete line (or on bytes that cannot
// become valid whatever follows).
//
// The framing rules are those of RFC 9112 section 6: chunked (RFC 9112 section 7.1) or
// Content-Length, never both; a request whose framing is ambiguous is refused, because a server
// and a proxy that frame it differently are the request-smuggling hazard of section 11.2.
// Not supported: transfer codings other than chunked (501), obs-fold (400), CONNECT (501).
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
/// An aggregate, so `HttpLimits{40, 30, 3, 10}` sets the first four in order; new fields go last.
/// The defaults are nginx's where nginx has one (notes/12-http-framing.md compares them).
struct HttpLimits {
  /// Default maxRequestLine: one of nginx's large_client_header_buffers (8k).
  static constexpr size_t kMaxRequestLine = 8192;
  /// Default maxHeaderLine: one of nginx's large_client_header_buffers (8k).
  static constexpr size_t kMaxHeaderLine = 8192;
  /// Default maxHeaders: Apache httpd's LimitRequestFields (nginx's max_headers allows 1000).
  static constexpr size_t kMaxHeaders = 100;
  /// Default maxBody: nginx's client_max_body_size (1m).
  static constexpr uint64_t kMaxBody = 1 << 20;
  /// Default maxHeaderSection: all four of nginx's large_client_header_buffers (4 x 8k).
  static constexpr size_t kMaxHeaderSection = 32768;

  /// Longest request line without CRLF; longer: 414 URI Too Long (RFC 9112 section 3: the target is
  /// what makes a request line long).
  size_t maxRequestLine = kMaxRequestLine;
  /// Longest field line without CRLF (header or trailer); longer: 431 Request Header Fields Too
  /// Large (RFC 6585 section 5). Also bounds a chunk-size line with its extensions (longer: 400).
  size_t maxHeaderLine = kMaxHeaderLine;
  /// Most field lines in the header section (and, separately, in the trailer section); more: 431.
  size_t maxHeaders = kMaxHeaders;
  /// Largest body: a larger Content-Length is refused as soon as the header section is in, before
  /// any of the body is read; a chunked body as soon as a chunk-size would take it past the limit.
  /// Larger: 413 Content Too Large (RFC 9110 section 15.5.14).
  uint64_t maxBody = kMaxBody;
  /// Most bytes of field lines (each with its CRLF) in the header section (and, separately, in the
  /// trailer section); more: 431.
  size_t maxHeaderSection = kMaxHeaderSection;
};

/// Parses the requests of one connection, one at a time. Default limits: 8 KiB lines, 32 KiB of
/// header fields, 100 header fields, 1 MiB bodies (HttpLimits).
class HttpContext {
 public:
  /// The parser's position in the request. kGotAll and kError are final until reset().
  enum class State {
    kExpectRequestLine,  ///< waiting for "METHOD target HTTP/x.y"; empty lines are skipped
    kExpectHeaders,      ///< reading header field lines until the empty line
    kExpectBody,         ///< reading the Content-Length bytes of the body
    kExpectChunkSize,    ///< waiting for a chunk-size line (hex size, extensions ignored)
    kExpectChunkData,    ///< reading the bytes of a chunk
    kExpectChunkEnd,     ///< waiting for the CRLF that ends a chunk's data
    kExpectTrailers,     ///< after the last chunk: trailer field lines until the empty line
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
  /// The HTTP status to answer malformed input with; 0 unless the state is kError:
  /// 400 (malformed, ambiguous framing), 413 (body over the limit), 414 (request line over the
  /// limit), 417 (an Expect other than 100-continue), 431 (header or trailer section over a
  /// limit), 501 (a transfer coding other than chunked before it; CONNECT), 505 (not HTTP/1.x).
  /// The connection must be closed after the answer: after an error the framing of whatever
  /// follows in the buffer is unknown.
  int errorStatus() const { return errorStatus_; }
  /// What was wrong, in a few words, for logs and the error response body.
  const std::string& errorDetail() const { return errorDetail_; }

  /// True when the client waits for "HTTP/1.1 100 Continue" before sending the body (RFC 9110
  /// section 10.1.1): the header section of an HTTP/1.1 request with "Expect: 100-continue" and a
  /// body still to come has been parsed, the request is not complete yet, and continueSent() was
  /// not called. The server then sends the interim response once, before waiting for more input.
  /// False for a request refused at header time (say 413), which owes no 100, and once the request
  /// is complete (the client sent the body anyway: the final response is all it needs).
  bool expectsContinue() const;
  /// Records that the 100 (Continue) response was sent; expectsContinue() is false from now on.
  void continueSent() { continueOwed_ = false; }

  /// Starts over for the next request on the same connection (after kGotAll, or to reuse).
  void reset();

  /// The request parsed so far (complete once gotAll()).
  const HttpRequest& request() const { return request_; }

 private:
  bool parseRequestLine(Buffer* buf);
  bool parseHeaderLine(Buffer* buf);
  bool parseBody(Buffer* buf);
  bool parseChunkSize(Buffer* buf);
  bool parseChunkData(Buffer* buf);
  bool parseChunkEnd(Buffer* buf);
  bool parseTrailerLine(Buffer* buf);
  bool takeLine(Buffer* buf, size_t limit, int tooLongStatus, std::string_view* line);
  bool processRequestLine(std::string_view line);
  bool processTarget(std::string_view target);
  bool processAbsoluteForm(std::string_view target, std::string_view* pathAndQuery);
  bool processHeaderLine(std::string_view line);
  bool processTrailerLine(std::string_view line);
  bool countFieldLine(std::string_view line);
  bool splitFieldLine(std::string_view line, std::string_view* name, std::string_view* value);
  bool processChunkSize(std::string_view line);
  bool finishHeaders();
  bool checkHost();
  bool checkTransferEncoding();
  bool parseContentLength(uint64_t* length);
  bool checkExpect(bool bodyToCome);
  bool fail(int status, std::string detail);
  void transition(State to);

  HttpLimits limits_;
  State state_ = State::kExpectRequestLine;
  HttpRequest request_;
  size_t fieldCount_ = 0;        // field lines so far in the header (or trailer) section
  size_t fieldBytes_ = 0;        // their bytes, CRLFs included
  uint64_t bodyRemaining_ = 0;   // kExpectBody: bytes still to read
  uint64_t chunkRemaining_ = 0;  // kExpectChunkData: bytes of this chunk still to read
  bool absoluteForm_ = false;    // the target carried the authority: it is the effective host
  bool continueOwed_ = false;    // see expectsContinue()
  int errorStatus_ = 0;
  std::string errorDetail_;
};

}  // namespace net
