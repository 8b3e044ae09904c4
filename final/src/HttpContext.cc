#include "HttpContext.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "Buffer.h"

namespace net {

namespace {

// Character classes and small parsers of RFC 9110/9112. Some are used only inside assignment
// regions, hence [[maybe_unused]]: the student version must still compile without warnings.

bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// tchar of RFC 9110 section 5.6.2: the characters of a method or a field name.
bool isTchar(char c) {
  if (isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

[[maybe_unused]] bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), isTchar);
}

/// A field value may hold HTAB, SP, visible ASCII and obs-text (bytes >= 0x80), but no other
/// control character: RFC 9110 section 5.5 (CR, LF and NUL "MUST" be rejected or replaced).
[[maybe_unused]] bool isFieldValueChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

/// A request-target is visible ASCII only: anything else must be percent-encoded (RFC 3986).
bool isTargetChar(char c) { return c > 0x20 && c < 0x7f; }

[[maybe_unused]] std::string_view trimOws(std::string_view s) {
  size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  size_t last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

/// Parses 1*DIGIT into `*value`; false when empty, not all digits, or too large for uint64_t.
[[maybe_unused]] bool parseDecimal(std::string_view s, uint64_t* value) {
  if (s.empty()) return false;
  uint64_t result = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    auto digit = static_cast<uint64_t>(c - '0');
    if (result > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

}  // namespace

const char* HttpContext::stateToString(State state) {
  switch (state) {
    case State::kExpectRequestLine:
      return "kExpectRequestLine";
    case State::kExpectHeaders:
      return "kExpectHeaders";
    case State::kExpectBody:
      return "kExpectBody";
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

void HttpContext::reset() {
  state_ = State::kExpectRequestLine;
  request_.clear();
  headerCount_ = 0;
  bodyRemaining_ = 0;
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

// The forms of request-target (RFC 9112 section 3.2): origin-form "/path?query" (the usual one),
// absolute-form "http://host/path?query" (which a server MUST accept, 3.2.2), and asterisk-form "*"
// (OPTIONS only, 3.2.4). authority-form belongs to CONNECT, which a plain server does not serve.
bool HttpContext::processTarget(std::string_view target) {
  if (target.empty() || !std::all_of(target.begin(), target.end(), isTargetChar)) {
    return fail(400, "bad request target");
  }
  if (target == "*") {
    if (request_.method() != "OPTIONS") return fail(400, "'*' target is for OPTIONS only");
    request_.setPath(target);
    return true;
  }
  if (target[0] != '/') {
    size_t scheme = target.find("://");
    if (scheme == std::string_view::npos || scheme == 0) return fail(400, "bad request target");
    size_t pathStart = target.find_first_of("/?", scheme + 3);
    target = pathStart == std::string_view::npos ? std::string_view() : target.substr(pathStart);
  }
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  request_.setPath(path.empty() ? "/" : path);
  if (question != std::string_view::npos) request_.setQuery(target.substr(question + 1));
  return true;
}

//! [processHeaderLine]
// field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5).
bool HttpContext::processHeaderLine(std::string_view line) {
  // STUDENT-BEGIN(http-header-line): check one field line and add it to the request
  // STUDENT-STUB: (void)line;
  // STUDENT-STUB: return fail(501, "header parsing is not implemented");
  if (++headerCount_ > limits_.maxHeaders) return fail(431, "too many header fields");
  if (line[0] == ' ' || line[0] == '\t') {
    // obs-fold: RFC 9112 section 5.2 lets a server reject it with 400.
    return fail(400, "obsolete line folding");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "header line without colon");
  std::string_view name = line.substr(0, colon);
  if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
    // RFC 9112 section 5.1: a server MUST reject whitespace between name and colon with 400;
    // proxies that read such a name differently are a request-smuggling vector.
    return fail(400, "whitespace between field name and colon");
  }
  if (!isToken(name)) return fail(400, "bad field name");
  std::string_view value = trimOws(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), isFieldValueChar)) {
    return fail(400, "control character in field value");
  }
  if (equalsIgnoreCase(name, "Host") && request_.hasHeader("Host")) {
    return fail(400, "more than one Host field");  // RFC 9112 section 3.2
  }
  request_.addHeader(name, value);
  return true;
  // STUDENT-END(http-header-line)
}
//! [processHeaderLine]

//! [finishHeaders]
// The empty line ends the header section: decide how the body is framed (RFC 9112 section 6.3) and
// whether the request is complete.
bool HttpContext::finishHeaders() {
  // STUDENT-BEGIN(http-finish-headers): check Host and framing, then expect a body or finish
  // STUDENT-STUB: transition(State::kGotAll);
  // STUDENT-STUB: return true;
  if (request_.hasHeader("Transfer-Encoding")) {
    // RFC 9112 section 6.1: a transfer coding the server does not understand gets 501.
    return fail(501, "Transfer-Encoding is not supported");
  }
  if (request_.version() == HttpRequest::Version::kHttp11 && !request_.hasHeader("Host")) {
    return fail(400, "HTTP/1.1 request without Host");  // RFC 9112 section 3.2
  }
  uint64_t length = 0;
  if (request_.hasHeader("Content-Length")) {
    // Repeated fields were joined into "5, 5": a list of identical values may be accepted as one,
    // differing values make the framing unknowable (RFC 9110 section 8.6).
    std::string_view list = request_.headers().find("Content-Length")->second;
    bool first = true;
    while (true) {
      size_t comma = list.find(',');
      uint64_t value = 0;
      if (!parseDecimal(trimOws(list.substr(0, comma)), &value)) {
        return fail(400, "bad Content-Length");
      }
      if (!first && value != length) return fail(400, "conflicting Content-Length values");
      length = value;
      first = false;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    if (length > limits_.maxBody) return fail(413, "body larger than the limit");
  }
  // Without Content-Length (and Transfer-Encoding) a request has no body (6.3, rule 7).
  bodyRemaining_ = length;
  transition(length > 0 ? State::kExpectBody : State::kGotAll);
  return true;
  // STUDENT-END(http-finish-headers)
}
//! [finishHeaders]

bool HttpContext::fail(int status, std::string detail) {
  transition(State::kError);
  errorStatus_ = status;
  errorDetail_ = std::move(detail);
  return false;
}

// Every transition the diagram in the header allows, and no other; a wrong one is a parser bug.
void HttpContext::transition(State to) {
  bool allowed = false;
  switch (state_) {
    case State::kExpectRequestLine:
      allowed = to == State::kExpectHeaders || to == State::kError;
      break;
    case State::kExpectHeaders:
      allowed = to == State::kExpectBody || to == State::kGotAll || to == State::kError;
      break;
    case State::kExpectBody:
      allowed = to == State::kGotAll || to == State::kError;
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
