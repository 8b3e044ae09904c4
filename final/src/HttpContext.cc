#include "HttpContext.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "Buffer.h"
#include "HttpSyntax.h"

namespace net {

using syntax::isAuthority;
using syntax::isChunkExtensions;
using syntax::isDigit;
using syntax::isFieldValueChar;
using syntax::isHexDigit;
using syntax::isTargetChar;
using syntax::isToken;
using syntax::nextListElement;
using syntax::parseDecimal;
using syntax::trimOws;

const char* HttpContext::stateToString(State state) {
  switch (state) {
    case State::kExpectRequestLine:
      return "kExpectRequestLine";
    case State::kExpectHeaders:
      return "kExpectHeaders";
    case State::kExpectBody:
      return "kExpectBody";
    case State::kExpectChunkSize:
      return "kExpectChunkSize";
    case State::kExpectChunkData:
      return "kExpectChunkData";
    case State::kExpectChunkEnd:
      return "kExpectChunkEnd";
    case State::kExpectTrailers:
      return "kExpectTrailers";
    case State::kGotAll:
      return "kGotAll";
    case State::kError:
      return "kError";
  }
  return "invalid";
}

//! [parseRequest]
bool HttpContext::parseRequest(Buffer* buf) {
  // STUDENT-BEGIN(http-parse-loop): run the current state's step while it makes progress
  // STUDENT-STUB: (void)buf;
  // STUDENT-STUB: return false;
  // Each step consumes one line (or the available body bytes) and may change the state; it
  // returns false when it needs more input or failed. A finished request ends the loop, so the
  // bytes of a pipelined next request stay in the buffer.
  bool progress = true;
  while (progress) {
    switch (state_) {
      case State::kExpectRequestLine:
        progress = parseRequestLine(buf);
        break;
      case State::kExpectHeaders:
        progress = parseHeaderLine(buf);
        break;
      case State::kExpectBody:
        progress = parseBody(buf);
        break;
      case State::kExpectChunkSize:
        progress = parseChunkSize(buf);
        break;
      case State::kExpectChunkData:
        progress = parseChunkData(buf);
        break;
      case State::kExpectChunkEnd:
        progress = parseChunkEnd(buf);
        break;
      case State::kExpectTrailers:
        progress = parseTrailerLine(buf);
        break;
      case State::kGotAll:
      case State::kError:
        progress = false;
        break;
    }
  }
  return state_ != State::kError;
  // STUDENT-END(http-parse-loop)
}
//! [parseRequest]

bool HttpContext::expectsContinue() const {
  // Owed only while the body is still being waited for: once the request is complete (or
  // refused) the final response follows at once, and RFC 9110 section 10.1.1 lets a server skip
  // the 100 when it has already received the content.
  const bool waitingForBody = state_ == State::kExpectBody || state_ == State::kExpectChunkSize ||
                              state_ == State::kExpectChunkData ||
                              state_ == State::kExpectChunkEnd || state_ == State::kExpectTrailers;
  return continueOwed_ && waitingForBody;
}

void HttpContext::reset() {
  state_ = State::kExpectRequestLine;
  request_.clear();
  fieldCount_ = 0;
  fieldBytes_ = 0;
  bodyRemaining_ = 0;
  chunkRemaining_ = 0;
  absoluteForm_ = false;
  continueOwed_ = false;
  errorStatus_ = 0;
  errorDetail_.clear();
}

//! [takeLine]
// Finds the next line. Returns true with `*line` (without CRLF, still in the buffer) when a whole
// line is there; false when more input is needed or the line is malformed (then the state is
// kError). Only the first limit + 2 bytes are searched: a longer line is an error whatever follows,
// so a client cannot make us scan (or hold) more than that.
bool HttpContext::takeLine(Buffer* buf, size_t limit, int tooLongStatus, std::string_view* line) {
  std::string_view window = buf->view().substr(0, limit + 2);
  size_t lf = window.find('\n');
  if (lf == std::string_view::npos) {
    if (window.size() == limit + 2) return fail(tooLongStatus, "line too long");
    return false;
  }
  // Only CRLF ends a line here (RFC 9112 section 2.2 allows, but does not require, accepting a bare
  // LF); a bare LF is refused at once rather than left to time out.
  if (lf == 0 || window[lf - 1] != '\r') return fail(400, "bare LF in line");
  *line = window.substr(0, lf - 1);
  return true;
}
//! [takeLine]

bool HttpContext::parseRequestLine(Buffer* buf) {
  std::string_view line;
  if (!takeLine(buf, limits_.maxRequestLine, 414, &line)) return false;
  // RFC 9112 section 2.2: a server SHOULD ignore empty lines received before the request line (some
  // clients send an extra CRLF after a POST body).
  const bool ok = line.empty() || processRequestLine(line);
  buf->retrieve(line.size() + 2);
  return ok;
}

bool HttpContext::parseHeaderLine(Buffer* buf) {
  std::string_view line;
  if (!takeLine(buf, limits_.maxHeaderLine, 431, &line)) return false;
  const bool ok = line.empty() ? finishHeaders() : processHeaderLine(line);
  buf->retrieve(line.size() + 2);
  return ok;
}

bool HttpContext::parseBody(Buffer* buf) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(buf->readableBytes(), bodyRemaining_));
  request_.appendBody(buf->peek(), n);
  buf->retrieve(n);
  bodyRemaining_ -= n;
  if (bodyRemaining_ == 0) transition(State::kGotAll);
  return n > 0;
}

//! [chunkStates]
// chunked-body = *chunk last-chunk trailer-section CRLF (RFC 9112 section 7.1), where
// chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF and last-chunk = 1*("0") [ chunk-ext ]
// CRLF. The size line is a line like any other (bounded by maxHeaderLine, extensions and all).
bool HttpContext::parseChunkSize(Buffer* buf) {
  std::string_view line;
  if (!takeLine(buf, limits_.maxHeaderLine, 400, &line)) return false;
  const bool ok = processChunkSize(line);
  buf->retrieve(line.size() + 2);
  return ok;
}

bool HttpContext::parseChunkData(Buffer* buf) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(buf->readableBytes(), chunkRemaining_));
  if (n == 0) return false;
  request_.appendBody(buf->peek(), n);
  buf->retrieve(n);
  chunkRemaining_ -= n;
  if (chunkRemaining_ == 0) transition(State::kExpectChunkEnd);
  return true;
}

// The CRLF after chunk-data. A wrong byte is refused as soon as it arrives: nothing that follows
// could make it right, so the answer does not depend on how the bytes were split.
bool HttpContext::parseChunkEnd(Buffer* buf) {
  std::string_view end = buf->view().substr(0, 2);
  if ((!end.empty() && end[0] != '\r') || (end.size() == 2 && end[1] != '\n')) {
    return fail(400, "chunk data not followed by CRLF");
  }
  if (end.size() < 2) return false;
  buf->retrieve(2);
  transition(State::kExpectChunkSize);
  return true;
}

bool HttpContext::parseTrailerLine(Buffer* buf) {
  std::string_view line;
  if (!takeLine(buf, limits_.maxHeaderLine, 431, &line)) return false;
  bool ok = true;
  if (line.empty()) {
    transition(State::kGotAll);  // the final CRLF of the chunked body
  } else {
    ok = processTrailerLine(line);
  }
  buf->retrieve(line.size() + 2);
  return ok;
}
//! [chunkStates]

//! [processChunkSize]
bool HttpContext::processChunkSize(std::string_view line) {
  // STUDENT-BEGIN(http-chunk-size): parse the hex size, check the extensions, pick the next state
  // STUDENT-STUB: (void)line;
  // STUDENT-STUB: return fail(501, "chunked bodies are not implemented");
  // chunk-size = 1*HEXDIG; no sign, no "0x", no whitespace before the extensions' ';'.
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line.size() && isHexDigit(line[i]); ++i) {
    if (size > (std::numeric_limits<uint64_t>::max() >> 4))
      return fail(400, "chunk size overflows");
    char c = line[i];
    int digit = isDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    size = size * 16 + static_cast<uint64_t>(digit);
  }
  if (i == 0) return fail(400, "bad chunk size");
  // RFC 9112 section 7.1.1: a recipient MUST ignore extensions it does not understand (all of
  // them, here), but they must still be well-formed: a lax reading of this line is a known way to
  // make two parsers disagree on where a chunk ends.
  if (!isChunkExtensions(line.substr(i))) return fail(400, "bad chunk extension");
  if (size == 0) {
    // The last-chunk: the trailer section follows, counted on its own against the field limits.
    fieldCount_ = 0;
    fieldBytes_ = 0;
    transition(State::kExpectTrailers);
    return true;
  }
  if (size > limits_.maxBody - request_.body().size()) {
    return fail(413, "body larger than the limit");  // decided before the chunk's data is read
  }
  chunkRemaining_ = size;
  transition(State::kExpectChunkData);
  return true;
  // STUDENT-END(http-chunk-size)
}
//! [processChunkSize]

//! [processRequestLine]
// request-line = method SP request-target SP HTTP-version (RFC 9112 section 3), with exactly one SP
// between the parts: the lenient whitespace parsing the RFC permits is what request smuggling feeds
// on, so it is not offered.
bool HttpContext::processRequestLine(std::string_view line) {
  // STUDENT-BEGIN(http-request-line): split and check method, target and version
  // STUDENT-STUB: (void)line;
  // STUDENT-STUB: return fail(501, "request line parsing is not implemented");
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return fail(400, "request line is not 'method SP target SP version'");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method)) return fail(400, "bad method token");

  // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 section 2.3).
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !isDigit(version[5]) ||
      version[6] != '.' || !isDigit(version[7])) {
    return fail(400, "bad HTTP version");
  }
  if (version[5] != '1') return fail(505, "only HTTP/1.x is supported");
  request_.setVersion(version[7] == '0' ? HttpRequest::Version::kHttp10
                                        : HttpRequest::Version::kHttp11);
  request_.setMethod(method);
  if (!processTarget(target)) return false;
  transition(State::kExpectHeaders);
  return true;
  // STUDENT-END(http-request-line)
}
//! [processRequestLine]

//! [processTarget]
// The four forms of request-target (RFC 9112 section 3.2): origin-form "/path?query" (the usual
// one), absolute-form "http://host/path?query" (which a server MUST accept, 3.2.2), asterisk-form
// "*" (OPTIONS only, 3.2.4) and authority-form "host:port" (CONNECT only, 3.2.3; refused with 501,
// as this server is no tunnel). The path is percent-decoded here, once, so that routing and the
// file resolver see the same bytes and no later stage decodes "%252e" into "%2e" into ".".
bool HttpContext::processTarget(std::string_view target) {
  if (target.empty() || !std::all_of(target.begin(), target.end(), isTargetChar)) {
    return fail(400, "bad request target");
  }
  request_.setTarget(target);
  if (request_.method() == "CONNECT") {
    if (!isAuthority(target, /*portRequired=*/true)) return fail(400, "CONNECT needs host:port");
    return fail(501, "CONNECT is not supported");
  }
  if (target == "*") {
    if (request_.method() != "OPTIONS") return fail(400, "'*' target is for OPTIONS only");
    request_.setPath(target);
    return true;
  }
  std::string_view pathAndQuery = target;
  if (target[0] != '/' && !processAbsoluteForm(target, &pathAndQuery)) return false;

  size_t question = pathAndQuery.find('?');
  std::string_view rawPath = pathAndQuery.substr(0, question);
  std::string path;
  switch (syntax::percentDecode(rawPath.empty() ? "/" : rawPath, &path)) {
    case syntax::DecodeResult::kOk:
      break;
    case syntax::DecodeResult::kMalformed:
      return fail(400, "malformed percent-encoding in path");
    case syntax::DecodeResult::kNulCharacter:
      return fail(400, "encoded NUL in path");
  }
  request_.setPath(path);
  if (question != std::string_view::npos) request_.setQuery(pathAndQuery.substr(question + 1));
  return true;
}

// absolute-form: scheme "://" authority [ path-abempty ] [ "?" query ], for the http and https
// schemes only (the ones an HTTP origin server can answer for). The authority becomes the
// effective host; what follows it is parsed as origin-form.
bool HttpContext::processAbsoluteForm(std::string_view target, std::string_view* pathAndQuery) {
  size_t schemeEnd = target.find("://");
  if (schemeEnd == std::string_view::npos) return fail(400, "bad request target");
  std::string_view scheme = target.substr(0, schemeEnd);
  if (!equalsIgnoreCase(scheme, "http") && !equalsIgnoreCase(scheme, "https")) {
    return fail(400, "target scheme is not http or https");
  }
  std::string_view rest = target.substr(schemeEnd + 3);
  size_t authorityEnd = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authorityEnd);
  if (!isAuthority(authority, /*portRequired=*/false)) return fail(400, "bad authority in target");
  request_.setHost(authority);
  absoluteForm_ = true;
  *pathAndQuery =
      authorityEnd == std::string_view::npos ? std::string_view("/") : rest.substr(authorityEnd);
  return true;
}
//! [processTarget]

// Counts a field line of the header or trailer section against the limits (431 when over).
bool HttpContext::countFieldLine(std::string_view line) {
  if (++fieldCount_ > limits_.maxHeaders) return fail(431, "too many fields");
  fieldBytes_ += line.size() + 2;
  if (fieldBytes_ > limits_.maxHeaderSection) return fail(431, "field section too large");
  return true;
}

//! [splitFieldLine]
// field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5), in the header section and
// in the trailer section alike.
bool HttpContext::splitFieldLine(std::string_view line, std::string_view* name,
                                 std::string_view* value) {
  // STUDENT-BEGIN(http-header-line): check one field line and split it into name and value
  // STUDENT-STUB: (void)line;
  // STUDENT-STUB: (void)name;
  // STUDENT-STUB: (void)value;
  // STUDENT-STUB: return fail(501, "header parsing is not implemented");
  if (line[0] == ' ' || line[0] == '\t') {
    // obs-fold: RFC 9112 section 5.2 lets a server reject it with 400.
    return fail(400, "obsolete line folding");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "header line without colon");
  *name = line.substr(0, colon);
  if (!name->empty() && (name->back() == ' ' || name->back() == '\t')) {
    // RFC 9112 section 5.1: a server MUST reject whitespace between name and colon with 400;
    // proxies that read such a name differently are a request-smuggling vector.
    return fail(400, "whitespace between field name and colon");
  }
  if (!isToken(*name)) return fail(400, "bad field name");
  *value = trimOws(line.substr(colon + 1));
  if (!std::all_of(value->begin(), value->end(), isFieldValueChar)) {
    return fail(400, "control character in field value");
  }
  return true;
  // STUDENT-END(http-header-line)
}
//! [splitFieldLine]

bool HttpContext::processHeaderLine(std::string_view line) {
  std::string_view name;
  std::string_view value;
  if (!countFieldLine(line) || !splitFieldLine(line, &name, &value)) return false;
  if (equalsIgnoreCase(name, "Host") && request_.hasHeader("Host")) {
    return fail(400, "more than one Host field");  // RFC 9112 section 3.2
  }
  request_.addHeader(name, value);
  return true;
}

bool HttpContext::processTrailerLine(std::string_view line) {
  std::string_view name;
  std::string_view value;
  if (!countFieldLine(line) || !splitFieldLine(line, &name, &value)) return false;
  request_.addTrailer(name, value);
  return true;
}

//! [finishHeaders]
// The empty line ends the header section: check the host, decide how the body is framed (RFC 9112
// section 6.3) and whether it fits, answer the expectation, and wait for the body or finish.
bool HttpContext::finishHeaders() {
  // STUDENT-BEGIN(http-finish-headers): check Host and framing, then expect a body or finish
  // STUDENT-STUB: transition(State::kGotAll);
  // STUDENT-STUB: return true;
  if (!checkHost()) return false;
  bool chunked = false;
  uint64_t length = 0;
  if (request_.hasHeader("Transfer-Encoding")) {
    if (!checkTransferEncoding()) return false;
    chunked = true;
  } else if (request_.hasHeader("Content-Length")) {
    if (!parseContentLength(&length)) return false;
    // Refused now, before a byte of the body is read: the client learns it at once and the
    // server never buffers what it would throw away.
    if (length > limits_.maxBody) return fail(413, "body larger than the limit");
  }
  // Without either, a request has no body (RFC 9112 section 6.3, rule 7).
  if (!checkExpect(chunked || length > 0)) return false;
  bodyRemaining_ = length;
  if (chunked) {
    transition(State::kExpectChunkSize);
  } else {
    transition(length > 0 ? State::kExpectBody : State::kGotAll);
  }
  return true;
  // STUDENT-END(http-finish-headers)
}
//! [finishHeaders]

// RFC 9112 section 3.2: an HTTP/1.1 request without Host, or with an invalid one, gets 400 (two
// Host lines were refused as they arrived). An absolute-form target's authority replaces Host
// (section 3.2.2), which must still be present in HTTP/1.1.
bool HttpContext::checkHost() {
  const bool hasHost = request_.hasHeader("Host");
  if (request_.version() == HttpRequest::Version::kHttp11 && !hasHost) {
    return fail(400, "HTTP/1.1 request without Host");
  }
  if (!hasHost) return true;
  std::string host = request_.getHeader("Host");
  if (!isAuthority(host, /*portRequired=*/false)) return fail(400, "bad Host");
  if (!absoluteForm_) request_.setHost(host);
  return true;
}

//! [checkTransferEncoding]
// Transfer-Encoding = #transfer-coding (RFC 9112 section 6.1). The only coding implemented is
// chunked, and it must come last, exactly once: then the body's end is known. Every other shape
// leaves the framing unknown or undecodable.
bool HttpContext::checkTransferEncoding() {
  if (request_.version() == HttpRequest::Version::kHttp10) {
    // Section 6.1: treat an HTTP/1.0 message with Transfer-Encoding as faulty framing (1.0 has
    // no chunked coding; such a message can only come from a confused or hostile sender).
    return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if (request_.hasHeader("Content-Length")) {
    // Section 6.1 lets a server reject this; accepting it (TE wins, 6.3 rule 3) is exactly the
    // case where a front end that believes Content-Length lets a second request through.
    return fail(400, "both Transfer-Encoding and Content-Length");
  }
  std::string_view list = request_.headers().find("Transfer-Encoding")->second;
  std::string_view element;
  std::string_view last;
  bool chunkedBeforeLast = false;
  bool unknownCoding = false;
  while (nextListElement(&list, &element)) {
    if (element.empty()) continue;  // empty list elements are ignored (RFC 9110 section 5.6.1)
    // transfer-coding = token *( OWS ";" OWS transfer-parameter ): the name must be a token.
    if (!isToken(trimOws(element.substr(0, element.find(';'))))) {
      return fail(400, "bad Transfer-Encoding");
    }
    if (!last.empty()) {  // a coding before the last one: chunked again, or one not implemented
      if (equalsIgnoreCase(last, "chunked")) {
        chunkedBeforeLast = true;
      } else {
        unknownCoding = true;
      }
    }
    last = element;
  }
  if (last.empty()) return fail(400, "empty Transfer-Encoding");
  // Section 6.3 rule 4: chunked not last means the length cannot be known: 400, and close.
  if (!equalsIgnoreCase(last, "chunked")) return fail(400, "final transfer coding is not chunked");
  // Section 6.1: a sender MUST NOT apply chunked more than once.
  if (chunkedBeforeLast) return fail(400, "chunked applied twice");
  // Section 6.1: a transfer coding the server does not understand SHOULD get 501.
  if (unknownCoding) return fail(501, "transfer coding not implemented");
  return true;
}
//! [checkTransferEncoding]

// Content-Length = 1*DIGIT (RFC 9110 section 8.6). Repeated fields were joined into "5, 5": a list
// of identical values is accepted as one, as 8.6 allows; differing values make the framing
// unknowable and are refused.
bool HttpContext::parseContentLength(uint64_t* length) {
  std::string_view list = request_.headers().find("Content-Length")->second;
  std::string_view element;
  bool first = true;
  while (nextListElement(&list, &element)) {
    uint64_t value = 0;
    if (!parseDecimal(element, &value)) return fail(400, "bad Content-Length");
    if (!first && value != *length) return fail(400, "conflicting Content-Length values");
    *length = value;
    first = false;
  }
  return true;
}

//! [checkExpect]
// Expect = #expectation (RFC 9110 section 10.1.1); the only expectation defined is 100-continue,
// compared case-insensitively. HTTP/1.0 had no Expect, and section 10.1.1 says a server MUST
// ignore 100-continue in an HTTP/1.0 request, so the field is ignored there altogether.
bool HttpContext::checkExpect(bool bodyToCome) {
  if (request_.version() != HttpRequest::Version::kHttp11 || !request_.hasHeader("Expect")) {
    return true;
  }
  std::string_view list = request_.headers().find("Expect")->second;
  std::string_view element;
  bool hundredContinue = false;
  while (nextListElement(&list, &element)) {
    if (element.empty()) continue;
    if (!equalsIgnoreCase(element, "100-continue")) return fail(417, "unsupported expectation");
    hundredContinue = true;
  }
  // Without a body to come there is nothing to wait for: the final response is the answer.
  continueOwed_ = hundredContinue && bodyToCome;
  return true;
}
//! [checkExpect]

bool HttpContext::fail(int status, std::string detail) {
  transition(State::kError);
  errorStatus_ = status;
  errorDetail_ = std::move(detail);
  return false;
}

// Every transition the diagram in the header allows, and no other; a wrong one is a parser bug.
void HttpContext::transition(State to) {
  bool allowed = to == State::kError && state_ != State::kGotAll && state_ != State::kError;
  switch (state_) {
    case State::kExpectRequestLine:
      allowed = allowed || to == State::kExpectHeaders;
      break;
    case State::kExpectHeaders:
      allowed = allowed || to == State::kExpectBody || to == State::kExpectChunkSize ||
                to == State::kGotAll;
      break;
    case State::kExpectBody:
      allowed = allowed || to == State::kGotAll;
      break;
    case State::kExpectChunkSize:
      allowed = allowed || to == State::kExpectChunkData || to == State::kExpectTrailers;
      break;
    case State::kExpectChunkData:
      allowed = allowed || to == State::kExpectChunkEnd;
      break;
    case State::kExpectChunkEnd:
      allowed = allowed || to == State::kExpectChunkSize;
      break;
    case State::kExpectTrailers:
      allowed = allowed || to == State::kGotAll;
      break;
    case State::kGotAll:
    case State::kError:
      break;  // final until reset()
  }
  if (!allowed) {
    std::fprintf(stderr, "HttpContext: illegal transition %s -> %s\n", stateToString(state_),
                 stateToString(to));
    std::abort();
  }
  state_ = to;
}

}  // namespace net
