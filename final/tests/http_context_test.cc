// HttpContext: table-driven. Every case is fed three ways (whole, one byte at a time, and split in
// two at every offset) and must give the same requests and the same end state each time: the parser
// may only decide on complete lines, never on how the bytes happened to arrive.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "Buffer.h"
#include "HttpContext.h"
#include "HttpRequest.h"
#include "HttpResponse.h"
#include "HttpSyntax.h"

using namespace net;
using namespace std::string_literals;

namespace {

/// One line per request, so a mismatch shows as a readable diff: "GET /path?query HTTP/1.1
/// keep-alive | host: a | body=xyz". The raw target follows the path in <...> when it differs
/// from path?query (percent-escapes, absolute-form), the effective host as "host=" when it is not
/// the Host field's value, and trailer fields as "trailer name: value".
std::string describe(const HttpRequest& req) {
  auto lower = [](std::string name) {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name;
  };
  std::string plain = req.path();
  if (!req.query().empty()) plain += "?" + req.query();
  std::string s = req.method() + " " + plain;
  if (req.target() != plain) s += " <" + req.target() + ">";
  s += " ";
  s += HttpRequest::versionToString(req.version());
  s += req.keepAlive() ? " keep-alive" : " close";
  for (const auto& [name, value] : req.headers()) s += " | " + lower(name) + ": " + value;
  if (req.host() != req.getHeader("Host")) s += " | host=" + req.host();
  for (const auto& [name, value] : req.trailers()) {
    s += " | trailer " + lower(name) + ": " + value;
  }
  if (!req.body().empty()) s += " | body=" + req.body();
  return s;
}

/// What a parse produced: every complete request, then how the input ended.
struct Outcome {
  std::vector<std::string> requests;
  std::string end;  // "clean", "incomplete <state>" or "error <status>"
};

/// Feeds `pieces` in order to one connection's parser, taking out every complete request the way
/// HttpServer does (parse, handle, reset, parse the rest).
Outcome feed(const std::vector<std::string>& pieces, const HttpLimits& limits) {
  HttpContext context(limits);
  Buffer buf;
  Outcome out;
  bool failed = false;
  for (const std::string& piece : pieces) {
    buf.append(piece);
    while (!failed) {
      if (!context.parseRequest(&buf)) {
        failed = true;
      } else if (context.gotAll()) {
        out.requests.push_back(describe(context.request()));
        context.reset();
      } else {
        break;  // needs more input
      }
    }
  }
  if (failed) {
    out.end = "error " + std::to_string(context.errorStatus());
  } else if (context.state() == HttpContext::State::kExpectRequestLine &&
             buf.readableBytes() == 0) {
    out.end = "clean";
  } else {
    out.end = "incomplete "s + HttpContext::stateToString(context.state());
  }
  return out;
}

struct Case {
  const char* name;  // the test's name: letters, digits and '_'
  std::string input;
  std::vector<std::string> requests;
  std::string end;
  HttpLimits limits = {};
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const HttpLimits kSmall = {40, 30, 3, 10};  // request line, header line, headers, body
// The same line limits, but at most 40 bytes of field lines (CRLFs included) per section.
const HttpLimits kSmallSection = {200, 200, 100, 100, 40};

const std::string kPost = "POST / HTTP/1.1\r\nHost: a\r\n";
const std::string kChunked = kPost + "Transfer-Encoding: chunked\r\n\r\n";
const std::string kChunkedPost =
    "POST / HTTP/1.1 keep-alive | host: a | transfer-encoding: chunked";

const Case kCases[] = {
    // Well-formed requests.
    {"SimpleGet",
     "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /hello HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"QueryIsSplitOff",
     "GET /search?q=a&b=c HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /search?q=a&b=c HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"Http10ClosesByDefault", "GET / HTTP/1.0\r\n\r\n", {"GET / HTTP/1.0 close"}, "clean"},
    {"Http10KeepAliveOption",
     "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
     {"GET / HTTP/1.0 keep-alive | connection: Keep-Alive"},
     "clean"},
    {"Http11ConnectionClose",
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
     {"GET / HTTP/1.1 close | connection: close | host: a"},
     "clean"},
    {"CloseAmongConnectionOptions",
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, CLOSE\r\n\r\n",
     {"GET / HTTP/1.1 close | connection: keep-alive, CLOSE | host: a"},
     "clean"},
    {"HeaderNamesAreCaseInsensitive",
     "GET / HTTP/1.1\r\nhOsT: a\r\nACCEPT: x\r\naccept: y\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | accept: x, y | host: a"},
     "clean"},
    {"ValueWhitespaceIsTrimmed",
     "GET / HTTP/1.1\r\nHost:a\r\nX-A: \t spaced  out \t\r\nX-B:\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: a | x-a: spaced  out | x-b: "},
     "clean"},
    {"ObsTextInValueIsAllowed",
     "GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: a | x: caf\xc3\xa9"},
     "clean"},
    {"PostWithBody",
     "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: "
     "11\r\n\r\nab\r\n\r\ncdefg",
     {"POST /form HTTP/1.1 keep-alive | content-length: 11 | host: a | "
      "body=ab\r\n\r\ncdefg"},
     "clean"},
    {"ContentLengthNameAnyCase",
     "PUT /x HTTP/1.1\r\nHost: a\r\ncontent-LENGTH: 3\r\n\r\nabc",
     {"PUT /x HTTP/1.1 keep-alive | content-length: 3 | host: a | body=abc"},
     "clean"},
    {"ZeroContentLength",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
     {"POST / HTTP/1.1 keep-alive | content-length: 0 | host: a"},
     "clean"},
    {"RepeatedIdenticalContentLength",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: "
     "2\r\n\r\nok",
     {"POST / HTTP/1.1 keep-alive | content-length: 2, 2 | host: a | body=ok"},
     "clean"},
    {"EmptyLinesBeforeRequestLineAreSkipped",
     "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"UnknownMethodTokenIsParsed",
     "get / HTTP/1.1\r\nHost: a\r\n\r\n",
     {"get / HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"LaterMinorVersionReadAs11",
     "GET / HTTP/1.7\r\nHost: a\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"AbsoluteFormTarget",
     "GET http://example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\n\r\n",
     {"GET /a/b?c=d <http://example.com/a/b?c=d> HTTP/1.1 keep-alive | host: example.com"},
     "clean"},
    {"AbsoluteFormWithoutPath",
     "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
     {"GET / <http://example.com> HTTP/1.1 keep-alive | host: example.com"},
     "clean"},
    {"AsteriskFormForOptions",
     "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
     {"OPTIONS * HTTP/1.1 keep-alive | host: a"},
     "clean"},

    // Pipelining: one request at a time, the rest stays in the buffer.
    {"PipelinedRequests",
     "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: "
     "a\r\nContent-Length: 3\r\n\r\n"
     "xyzHEAD /3 HTTP/1.0\r\n\r\n",
     {"GET /1 HTTP/1.1 keep-alive | host: a",
      "POST /2 HTTP/1.1 keep-alive | content-length: 3 | host: a | body=xyz",
      "HEAD /3 HTTP/1.0 close"},
     "clean"},
    {"PipelinedThenPartialRequestLine",
     "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HT",
     {"GET /1 HTTP/1.1 keep-alive | host: a"},
     "incomplete kExpectRequestLine"},
    {"PartialHeaders", "GET / HTTP/1.1\r\nHost: a\r\nAcc", {}, "incomplete kExpectHeaders"},
    {"PartialBody",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab",
     {},
     "incomplete kExpectBody"},
    {"GoodRequestThenGarbage",
     "GET / HTTP/1.1\r\nHost: a\r\n\r\nGARBAGE\r\n",
     {"GET / HTTP/1.1 keep-alive | host: a"},
     "error 400"},

    // Malformed request lines.
    {"MissingVersion", "GET /\r\n\r\n", {}, "error 400"},
    {"DoubleSpace", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"TrailingSpace", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", {}, "error 400"},
    {"BadMethodToken", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"LowercaseProtocolName", "GET / http/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"VersionWithoutMinor", "GET / HTTP/1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"VersionTwoDigitMinor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"Http2IsNotSupported", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", {}, "error 505"},
    {"Http09IsNotSupported", "GET / HTTP/0.9\r\n\r\n", {}, "error 505"},
    {"ControlCharacterInTarget", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"NulInTarget", "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s, {}, "error 400"},
    {"RelativeTarget", "GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"AsteriskOnlyForOptions", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"BareLfRequestLine", "GET / HTTP/1.1\nHost: a\n\n", {}, "error 400"},

    // Malformed header sections.
    {"HeaderWithoutColon", "GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n", {}, "error 400"},
    {"SpaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", {}, "error 400"},
    {"TabBeforeColon", "GET / HTTP/1.1\r\nHost: a\r\nX\t: b\r\n\r\n", {}, "error 400"},
    {"EmptyFieldName", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", {}, "error 400"},
    {"ObsFold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", {}, "error 400"},
    {"ControlCharacterInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: b\x7f\r\n\r\n", {}, "error 400"},
    {"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: b\rc\r\n\r\n", {}, "error 400"},
    {"BareLfInHeaders", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", {}, "error 400"},
    {"Http11WithoutHost", "GET / HTTP/1.1\r\n\r\n", {}, "error 400"},
    {"TwoHostFields", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", {}, "error 400"},

    // Body framing.
    {"ContentLengthNotANumber",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
     {},
     "error 400"},
    {"ContentLengthNegative",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
     {},
     "error 400"},
    {"ContentLengthWithSign",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\nx",
     {},
     "error 400"},
    {"ContentLengthEmpty",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
     {},
     "error 400"},
    {"ContentLengthOverflows",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
     "18446744073709551616\r\n\r\n",
     {},
     "error 400"},
    {"ConflictingContentLengths",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: "
     "2\r\n\r\nab",
     {},
     "error 400"},
    {"ConflictingContentLengthList",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\nab",
     {},
     "error 400"},
    // Transfer-Encoding: chunked (RFC 9112 section 7.1). Once, these two cases were 501.
    {"ChunkedBodyIsDechunked",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
     "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
     {kChunkedPost + " | body=abc"},
     "clean"},
    {"TransferEncodingWithContentLength",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
     "chunked\r\n\r\nabc",
     {},
     "error 400"},
    {"ChunkedSeveralChunksHexSizesAnyCase",
     kChunked + "a\r\n0123456789\r\nF\r\nabcdefghijklmno\r\n1\r\n!\r\n0\r\n\r\n",
     {kChunkedPost + " | body=0123456789abcdefghijklmno!"},
     "clean"},
    {"ChunkSizeWithLeadingZeros",
     kChunked + "0000000000000000000003\r\nabc\r\n000\r\n\r\n",
     {kChunkedPost + " | body=abc"},
     "clean"},
    {"ChunkDataMayHoldCrlfAndRequestBytes",
     kChunked + "13\r\n\r\nGET /x HTTP/1.1\r\n\r\n0\r\n\r\n",
     {kChunkedPost + " | body=\r\nGET /x HTTP/1.1\r\n"},
     "clean"},
    {"ChunkExtensionsAreIgnored",
     kChunked + "3;name=value;flag\r\nabc\r\n2 ; a = b ;\tc\r\nde\r\n" +
         "1;q=\"x;\\\"y\\\" z\"\r\nf\r\n0;last\r\n\r\n",
     {kChunkedPost + " | body=abcdef"},
     "clean"},
    {"ChunkedEmptyBody", kChunked + "0\r\n\r\n", {kChunkedPost}, "clean"},
    {"ChunkedTrailersKeptApartFromHeaders",
     kChunked + "2\r\nok\r\n0\r\nX-Checksum: 1234\r\nHost: evil\r\nx-checksum: 5\r\n\r\n",
     {kChunkedPost + " | trailer host: evil | trailer x-checksum: 1234, 5 | body=ok"},
     "clean"},
    {"ChunkedCodingNameIsCaseInsensitive",
     kPost + "Transfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
     {"POST / HTTP/1.1 keep-alive | host: a | transfer-encoding: Chunked | body=x"},
     "clean"},
    {"TransferEncodingEmptyListElementsIgnored",
     kPost + "Transfer-Encoding: ,\tchunked ,\r\n\r\n0\r\n\r\n",
     {"POST / HTTP/1.1 keep-alive | host: a | transfer-encoding: ,\tchunked ,"},
     "clean"},
    {"PipelinedChunkedAndContentLength",
     "POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
     "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
     "PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;e=1\r\nq\r\n0\r\n"
     "T: 1\r\n\r\nGET /4 HTTP/1.1\r\nHost: a\r\n\r\n"
     "POST /5 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n",
     {"POST /1 HTTP/1.1 keep-alive | host: a | transfer-encoding: chunked | body=ab",
      "POST /2 HTTP/1.1 keep-alive | content-length: 3 | host: a | body=xyz",
      "PUT /3 HTTP/1.1 keep-alive | host: a | transfer-encoding: chunked | trailer t: 1 | body=q",
      "GET /4 HTTP/1.1 keep-alive | host: a",
      "POST /5 HTTP/1.1 keep-alive | host: a | transfer-encoding: chunked | body=xyz"},
     "clean"},
    {"PipelinedChunkedThenSmugglingAttempt",
     kChunked + "0\r\n\r\n" + kPost + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n" +
         "0\r\n\r\nG",
     {kChunkedPost},
     "error 400"},
    {"PartialChunkSizeLine", kChunked + "3;ext", {}, "incomplete kExpectChunkSize"},
    {"PartialChunkData", kChunked + "3\r\nab", {}, "incomplete kExpectChunkData"},
    {"PartialChunkEnd", kChunked + "3\r\nabc\r", {}, "incomplete kExpectChunkEnd"},
    {"PartialTrailers", kChunked + "3\r\nabc\r\n0\r\nT: 1\r\n", {}, "incomplete kExpectTrailers"},

    // Chunked framing errors.
    {"ContentLengthThenTransferEncoding",
     kPost + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG",
     {},
     "error 400"},
    {"TransferEncodingInHttp10",
     "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     {},
     "error 400"},
    {"FinalCodingNotChunked",
     kPost + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
     {},
     "error 400"},
    {"OnlyCodingNotChunked", kPost + "Transfer-Encoding: gzip\r\n\r\n", {}, "error 400"},
    {"IdentityIsNotAFraming", kPost + "Transfer-Encoding: identity\r\n\r\n", {}, "error 400"},
    {"CodingNameMerelyContainsChunked",
     kPost + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
     {},
     "error 400"},
    {"ChunkedWithParameters",
     kPost + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n",
     {},
     "error 400"},
    {"ChunkedTwice",
     kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     {},
     "error 400"},
    {"EmptyTransferEncoding", kPost + "Transfer-Encoding: \r\n\r\n", {}, "error 400"},
    {"TransferCodingNotAToken",
     kPost + "Transfer-Encoding: g(zip, chunked\r\n\r\n0\r\n\r\n",
     {},
     "error 400"},
    {"UnknownCodingBeforeChunked",
     kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     {},
     "error 501"},
    {"ChunkSizeNotHex", kChunked + "zz\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkSizeEmpty", kChunked + "\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkSizeHexPrefix", kChunked + "0x3\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkSizeNegative", kChunked + "-3\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkSizeLeadingSpace", kChunked + " 3\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkSizeTrailingSpace", kChunked + "3 \r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkSizeOverflows", kChunked + "10000000000000000\r\nabc\r\n", {}, "error 400"},
    {"ChunkSizeBareLf", kChunked + "3\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkExtensionWithoutName", kChunked + "3;=x\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkExtensionEmpty", kChunked + "3;\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkExtensionValueWithSpace", kChunked + "3;a=b c\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkExtensionUnterminatedQuote", kChunked + "3;a=\"b\r\nabc\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkDataWithoutCrlf", kChunked + "3\r\nabcX\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkDataCrWithoutLf", kChunked + "3\r\nabc\rX0\r\n\r\n", {}, "error 400"},
    {"ChunkDataLongerThanItsSize", kChunked + "3\r\nabcd\r\n0\r\n\r\n", {}, "error 400"},
    {"ChunkedBodyEndsWithoutFinalCrlf", kChunked + "0\r\nGET / HTTP/1.1\r\n\r\n", {}, "error 400"},
    {"TrailerWithoutColon", kChunked + "0\r\nNoColon\r\n\r\n", {}, "error 400"},
    {"TrailerObsFold", kChunked + "0\r\nT: a\r\n b\r\n\r\n", {}, "error 400"},

    // Expect (RFC 9110 section 10.1.1); when the 100 is due is tested below the table.
    {"ExpectContinueBodyIsRead",
     kPost + "Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
     {"POST / HTTP/1.1 keep-alive | content-length: 2 | expect: 100-Continue | host: a | body=ok"},
     "clean"},
    {"UnknownExpectation",
     kPost + "Expect: 200-ok\r\nContent-Length: 2\r\n\r\nok",
     {},
     "error 417"},
    {"UnknownExpectationInList",
     kPost + "Expect: 100-continue, x\r\nContent-Length: 2\r\n\r\nok",
     {},
     "error 417"},
    {"ExpectIgnoredInHttp10",
     "POST / HTTP/1.0\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\nok",
     {"POST / HTTP/1.0 close | content-length: 2 | expect: 200-ok | body=ok"},
     "clean"},

    // Targets (RFC 9112 section 3.2) and percent-decoding (RFC 3986 section 2.1).
    {"AbsoluteFormAuthorityReplacesHost",
     "GET http://example.com:8080/a/b?x=1 HTTP/1.1\r\nHost: other\r\n\r\n",
     {"GET /a/b?x=1 <http://example.com:8080/a/b?x=1> HTTP/1.1 keep-alive | host: other | "
      "host=example.com:8080"},
     "clean"},
    {"AbsoluteFormQueryWithoutPath",
     "GET http://h?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
     {"GET /?x=1 <http://h?x=1> HTTP/1.1 keep-alive | host: h"},
     "clean"},
    {"AbsoluteFormSchemeAnyCaseHttps",
     "GET HTTPS://Example.com/a HTTP/1.1\r\nHost: Example.com\r\n\r\n",
     {"GET /a <HTTPS://Example.com/a> HTTP/1.1 keep-alive | host: Example.com"},
     "clean"},
    {"AbsoluteFormIpv6",
     "GET http://[::1]:80/ HTTP/1.1\r\nHost: x\r\n\r\n",
     {"GET / <http://[::1]:80/> HTTP/1.1 keep-alive | host: x | host=[::1]:80"},
     "clean"},
    {"AbsoluteFormPathIsDecoded",
     "GET http://h/a%20b HTTP/1.1\r\nHost: h\r\n\r\n",
     {"GET /a b <http://h/a%20b> HTTP/1.1 keep-alive | host: h"},
     "clean"},
    {"AbsoluteFormStillNeedsHost", "GET http://h/ HTTP/1.1\r\n\r\n", {}, "error 400"},
    {"AbsoluteFormUserinfo", "GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"AbsoluteFormEmptyHost", "GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"AbsoluteFormBadPort", "GET http://h:8o/ HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"AbsoluteFormOtherScheme", "GET ftp://h/a HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"AbsoluteFormWithoutSlashes", "GET http:/a HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"AuthorityFormIsForConnectOnly", "GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"ConnectIsNotImplemented",
     "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
     {},
     "error 501"},
    {"ConnectNeedsAuthorityForm", "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"ConnectNeedsPort", "CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n", {}, "error 400"},
    {"PercentDecodedPathRawQuery",
     "GET /a%20b/caf%C3%a9?q=%20+%G1 HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /a b/caf\xc3\xa9?q=%20+%G1 </a%20b/caf%C3%a9?q=%20+%G1> HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"EncodedSlashIsDecoded",
     "GET /a%2Fb%2f HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /a/b/ </a%2Fb%2f> HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"EncodedDotsAreDecodedNotResolved",
     "GET /%2e%2E/x HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /../x </%2e%2E/x> HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"DecodedOnlyOnce",
     "GET /%2541 HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /%41 </%2541> HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"PlusStaysPlus",
     "GET /a+b HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /a+b HTTP/1.1 keep-alive | host: a"},
     "clean"},
    {"EncodedNul", "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"MalformedEscape", "GET /a%G1 HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"TruncatedEscape", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"LonePercent", "GET /a% HTTP/1.1\r\nHost: a\r\n\r\n", {}, "error 400"},
    {"HostWithPortAndIpv6",
     "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\nGET / HTTP/1.0\r\nHost: a.b:80\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: [::1]:8080", "GET / HTTP/1.0 close | host: a.b:80"},
     "clean"},
    {"EmptyHost", "GET / HTTP/1.1\r\nHost:\r\n\r\n", {}, "error 400"},
    {"HostWithSlash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", {}, "error 400"},
    {"HostWithSpace", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", {}, "error 400"},
    {"HostWithUserinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", {}, "error 400"},
    {"BadHostInHttp10", "GET / HTTP/1.0\r\nHost: a/b\r\n\r\n", {}, "error 400"},

    // Limits (small ones, so the cases stay short).
    {"RequestLineAtLimit",
     "GET /" + std::string(26, 'x') + " HTTP/1.1\r\nHost: a\r\n\r\n",
     {"GET /" + std::string(26, 'x') + " HTTP/1.1 keep-alive | host: a"},
     "clean",
     kSmall},
    {"RequestLineOverLimit",
     "GET /" + std::string(27, 'x') + " HTTP/1.1\r\nHost: a\r\n\r\n",
     {},
     "error 414",
     kSmall},
    {"RequestLineOverLimitNeverEnding", std::string(100, 'A'), {}, "error 414", kSmall},
    {"HeaderLineAtLimit",
     "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(27, 'v') + "\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: a | x: " + std::string(27, 'v')},
     "clean",
     kSmall},
    {"HeaderLineOverLimit",
     "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(28, 'v') + "\r\n\r\n",
     {},
     "error 431",
     kSmall},
    {"TooManyHeaderFields",
     "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
     {},
     "error 431",
     kSmall},
    {"BodyAtLimit",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789",
     {"POST / HTTP/1.1 keep-alive | content-length: 10 | host: a | "
      "body=0123456789"},
     "clean",
     kSmall},
    {"BodyOverLimit",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n",
     {},
     "error 413",
     kSmall},
    {"ExpectContinueRefusedAtHeaderTime",
     kPost + "Expect: 100-continue\r\nContent-Length: 11\r\n\r\n",
     {},
     "error 413",
     kSmall},
    {"ChunkedBodyAtLimit",
     kChunked + "4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n",
     {kChunkedPost + " | body=0123456789"},
     "clean",
     kSmall},
    {"ChunkedBodyOverLimitDecidedAtChunkSize",
     kChunked + "4\r\n0123\r\n7\r\n",
     {},
     "error 413",
     kSmall},
    {"ChunkSizeLineOverLimit",
     kChunked + "1;" + std::string(29, 'e') + "\r\nx\r\n0\r\n\r\n",
     {},
     "error 400",
     kSmall},
    {"TrailerLineOverLimit",
     kChunked + "0\r\nT: " + std::string(28, 'v') + "\r\n\r\n",
     {},
     "error 431",
     kSmall},
    {"TrailersCountedApartFromHeaders",
     kChunked + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
     {kChunkedPost + " | trailer a: 1 | trailer b: 2 | trailer c: 3"},
     "clean",
     kSmall},
    {"TooManyTrailerFields",
     kChunked + "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
     {},
     "error 431",
     kSmall},
    {"HeaderSectionAtLimit",
     "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(26, 'v') + "\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: a | x: " + std::string(26, 'v')},
     "clean",
     kSmallSection},
    {"HeaderSectionOverLimit",
     "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(27, 'v') + "\r\n\r\n",
     {},
     "error 431",
     kSmallSection},
    {"TrailerSectionOverLimit",
     kChunked + "0\r\nT: " + std::string(20, 'v') + "\r\nU: " + std::string(20, 'v') + "\r\n\r\n",
     {},
     "error 431",
     kSmallSection},
};

class HttpContextCases : public ::testing::TestWithParam<Case> {};

TEST_P(HttpContextCases, SameResultWholeByteByByteAndSplitAnywhere) {
  const Case& c = GetParam();
  Outcome whole = feed({c.input}, c.limits);
  EXPECT_EQ(whole.requests, c.requests) << "fed whole";
  EXPECT_EQ(whole.end, c.end) << "fed whole";

  std::vector<std::string> bytes;
  for (char ch : c.input) bytes.emplace_back(1, ch);
  Outcome byByte = feed(bytes, c.limits);
  EXPECT_EQ(byByte.requests, c.requests) << "fed one byte at a time";
  EXPECT_EQ(byByte.end, c.end) << "fed one byte at a time";

  for (size_t at = 0; at <= c.input.size(); ++at) {
    Outcome split = feed({c.input.substr(0, at), c.input.substr(at)}, c.limits);
    ASSERT_EQ(split.requests, c.requests) << "split at offset " << at;
    ASSERT_EQ(split.end, c.end) << "split at offset " << at;
  }
}

std::string caseName(const ::testing::TestParamInfo<Case>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(Table, HttpContextCases, ::testing::ValuesIn(kCases), caseName);

TEST(HttpContext, DefaultLimitsAllowEightKiBLines) {
  const std::string target = "/" + std::string(8192 - 14, 'x');  // "GET " + target + " HTTP/1.1"
  Outcome ok = feed({"GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n"}, {});
  ASSERT_EQ(ok.requests.size(), 1u);
  EXPECT_EQ(ok.end, "clean");
  Outcome tooLong = feed({"GET " + target + "x HTTP/1.1\r\nHost: a\r\n\r\n"}, {});
  EXPECT_EQ(tooLong.end, "error 414");
}

TEST(HttpContext, DefaultLimitsAreTheDocumentedConstants) {
  HttpLimits limits;
  EXPECT_EQ(limits.maxRequestLine, 8192u);
  EXPECT_EQ(limits.maxHeaderLine, 8192u);
  EXPECT_EQ(limits.maxHeaders, 100u);
  EXPECT_EQ(limits.maxBody, 1048576u);
  EXPECT_EQ(limits.maxHeaderSection, 32768u);
}

TEST(HttpContext, DefaultHeaderSectionIs32KiBOfFieldLines) {
  // Three field lines of 8192 bytes with their CRLF, a fourth of `lastLine` + 2, then "Host: a"
  // (9 bytes): 3 * 8192 + lastLine + 2 + 9 <= 32768 exactly when lastLine <= 8181.
  auto request = [](size_t lastLine) {
    std::string r = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 3; ++i) {
      r += "X" + std::to_string(i) + ": " + std::string(8186, 'v') + "\r\n";
    }
    return r + "X3: " + std::string(lastLine - 4, 'v') + "\r\nHost: a\r\n\r\n";
  };
  Outcome fits = feed({request(8181)}, {});
  EXPECT_EQ(fits.requests.size(), 1u);
  EXPECT_EQ(fits.end, "clean");
  EXPECT_EQ(feed({request(8182)}, {}).end, "error 431");
}

TEST(HttpContext, DefaultLimitAllowsOneHundredHeaderFields) {
  std::string fields = "Host: a\r\n";
  for (int i = 1; i < 100; ++i) fields += "X" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(feed({"GET / HTTP/1.1\r\n" + fields + "\r\n"}, {}).end, "clean");
  EXPECT_EQ(feed({"GET / HTTP/1.1\r\n" + fields + "X100: v\r\n\r\n"}, {}).end, "error 431");
}

TEST(HttpContext, ContentLengthOverTheDefaultLimitIsRefusedBeforeTheBody) {
  HttpContext context;
  Buffer buf;
  buf.append("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n");
  EXPECT_FALSE(context.parseRequest(&buf));
  EXPECT_EQ(context.errorStatus(), 413);
  EXPECT_FALSE(context.expectsContinue());
}

TEST(HttpContext, ExpectsContinueOnceTheHeadersAreInThenContinueSentClearsIt) {
  HttpContext context;
  Buffer buf;
  buf.append("POST /up HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n");
  ASSERT_TRUE(context.parseRequest(&buf));
  EXPECT_FALSE(context.expectsContinue()) << "not before the header section has ended";
  buf.append("Content-Length: 5\r\n\r\n");
  ASSERT_TRUE(context.parseRequest(&buf));
  EXPECT_EQ(context.state(), HttpContext::State::kExpectBody);
  EXPECT_TRUE(context.expectsContinue());
  ASSERT_TRUE(context.parseRequest(&buf));  // no new bytes: still owed
  EXPECT_TRUE(context.expectsContinue());
  context.continueSent();
  EXPECT_FALSE(context.expectsContinue());
  buf.append("hello");
  ASSERT_TRUE(context.parseRequest(&buf));
  ASSERT_TRUE(context.gotAll());
  EXPECT_EQ(context.request().body(), "hello");
  EXPECT_FALSE(context.expectsContinue());
}

TEST(HttpContext, ExpectsContinueForAChunkedBody) {
  HttpContext context;
  Buffer buf;
  buf.append(
      "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(context.parseRequest(&buf));
  EXPECT_EQ(context.state(), HttpContext::State::kExpectChunkSize);
  EXPECT_TRUE(context.expectsContinue());
  buf.append("2\r\nok\r\n0\r\n\r\n");  // the client did not wait: the 100 is no longer due
  ASSERT_TRUE(context.parseRequest(&buf));
  ASSERT_TRUE(context.gotAll());
  EXPECT_FALSE(context.expectsContinue());
}

TEST(HttpContext, NoContinueOwedWhenTheBodyCameWithTheHeaders) {
  HttpContext context;
  Buffer buf;
  buf.append("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(context.parseRequest(&buf));
  ASSERT_TRUE(context.gotAll());
  EXPECT_FALSE(context.expectsContinue());
}

TEST(HttpContext, NoContinueOwedWithoutABodyOrForHttp10OrWithoutExpect) {
  const char* requests[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
      "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n",
  };
  for (const char* request : requests) {
    HttpContext context;
    Buffer buf;
    buf.append(request);
    ASSERT_TRUE(context.parseRequest(&buf)) << request;
    EXPECT_FALSE(context.expectsContinue()) << request;
  }
}

TEST(HttpContext, NoContinueOwedForARefusedRequest) {
  HttpContext context(kSmall);
  Buffer buf;
  buf.append("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
  EXPECT_FALSE(context.parseRequest(&buf));
  EXPECT_EQ(context.errorStatus(), 413);
  EXPECT_FALSE(context.expectsContinue());
}

TEST(HttpContext, ResetForgetsTheOwedContinueAndEveryRequestField) {
  HttpContext context;
  Buffer buf;
  buf.append(
      "POST http://h:1/a%20b?q HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Transfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\nT: 1\r\n\r\n");
  ASSERT_TRUE(context.parseRequest(&buf));
  ASSERT_TRUE(context.gotAll());
  const HttpRequest& req = context.request();
  EXPECT_EQ(req.target(), "http://h:1/a%20b?q");
  EXPECT_EQ(req.path(), "/a b");
  EXPECT_EQ(req.query(), "q");
  EXPECT_EQ(req.host(), "h:1");
  EXPECT_EQ(req.getHeader("Host"), "x");
  EXPECT_EQ(req.trailers().size(), 1u);
  EXPECT_FALSE(req.hasHeader("T"));
  EXPECT_EQ(req.body(), "z");

  buf.append("PUT / HTTP/1.1\r\nHost: y\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  context.reset();
  ASSERT_TRUE(context.parseRequest(&buf));
  EXPECT_TRUE(context.expectsContinue());
  context.reset();
  EXPECT_FALSE(context.expectsContinue());
  EXPECT_EQ(context.request().target(), "");
  EXPECT_EQ(context.request().host(), "");
  EXPECT_TRUE(context.request().trailers().empty());
}

TEST(HttpContext, LeavesThePipelinedRestInTheBuffer) {
  HttpContext context;
  Buffer buf;
  buf.append("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n");
  ASSERT_TRUE(context.parseRequest(&buf));
  ASSERT_TRUE(context.gotAll());
  EXPECT_EQ(context.request().path(), "/a");
  EXPECT_EQ(buf.view(), "GET /b HTTP/1.1\r\n");

  ASSERT_TRUE(context.parseRequest(&buf));  // done until reset(): consumes nothing
  EXPECT_EQ(buf.view(), "GET /b HTTP/1.1\r\n");

  context.reset();
  ASSERT_TRUE(context.parseRequest(&buf));
  EXPECT_FALSE(context.gotAll());
  EXPECT_EQ(context.state(), HttpContext::State::kExpectHeaders);
  EXPECT_EQ(context.request().path(), "/b");
  EXPECT_EQ(buf.readableBytes(), 0u);
}

TEST(HttpContext, ErrorIsFinalUntilReset) {
  HttpContext context;
  Buffer buf;
  buf.append("GET / HTTP/1.1\r\nBad Header\r\n\r\n");
  EXPECT_FALSE(context.parseRequest(&buf));
  EXPECT_EQ(context.state(), HttpContext::State::kError);
  EXPECT_EQ(context.errorStatus(), 400);
  EXPECT_EQ(context.errorDetail(), "header line without colon");
  EXPECT_FALSE(context.parseRequest(&buf));  // still an error, nothing more consumed
  context.reset();
  EXPECT_EQ(context.errorStatus(), 0);
  EXPECT_EQ(context.state(), HttpContext::State::kExpectRequestLine);
}

TEST(HttpContext, StateNames) {
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kExpectRequestLine),
               "kExpectRequestLine");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kExpectHeaders), "kExpectHeaders");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kExpectBody), "kExpectBody");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kExpectChunkSize),
               "kExpectChunkSize");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kExpectChunkData),
               "kExpectChunkData");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kExpectChunkEnd), "kExpectChunkEnd");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kExpectTrailers), "kExpectTrailers");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kGotAll), "kGotAll");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kError), "kError");
}

TEST(HttpSyntax, ListElementsAreTrimmedAndEmptyOnesKept) {
  std::string value = " a ,, b\t,";
  std::string_view list = value;
  std::string_view element;
  std::vector<std::string> elements;
  while (syntax::nextListElement(&list, &element)) elements.emplace_back(element);
  EXPECT_EQ(elements, (std::vector<std::string>{"a", "", "b", ""}));
  std::string empty;
  list = empty;
  ASSERT_TRUE(syntax::nextListElement(&list, &element));
  EXPECT_EQ(element, "");
  EXPECT_FALSE(syntax::nextListElement(&list, &element));
}

TEST(HttpSyntax, PercentDecodeDecodesEveryEscapeOnce) {
  std::string out;
  EXPECT_EQ(syntax::percentDecode("/a%2Fb%2e%2E%25%7e+", &out), syntax::DecodeResult::kOk);
  EXPECT_EQ(out, "/a/b..%~+");
  EXPECT_EQ(syntax::percentDecode("/%00", &out), syntax::DecodeResult::kNulCharacter);
  EXPECT_EQ(syntax::percentDecode("/%0", &out), syntax::DecodeResult::kMalformed);
  EXPECT_EQ(syntax::percentDecode("/%x0", &out), syntax::DecodeResult::kMalformed);
}

TEST(HttpSyntax, AuthorityIsHostAndOptionalPort) {
  EXPECT_TRUE(syntax::isAuthority("example.com", false));
  EXPECT_TRUE(syntax::isAuthority("example.com:", false));  // port = *DIGIT
  EXPECT_TRUE(syntax::isAuthority("127.0.0.1:80", true));
  EXPECT_TRUE(syntax::isAuthority("[::ffff:127.0.0.1]:443", true));
  EXPECT_TRUE(syntax::isAuthority("caf%C3%A9.example", false));
  EXPECT_FALSE(syntax::isAuthority("example.com", true));  // CONNECT needs the port
  EXPECT_FALSE(syntax::isAuthority("", false));
  EXPECT_FALSE(syntax::isAuthority(":80", false));
  EXPECT_FALSE(syntax::isAuthority("[]:80", false));
  EXPECT_FALSE(syntax::isAuthority("[::1", false));
  EXPECT_FALSE(syntax::isAuthority("[::1]x", false));
  EXPECT_FALSE(syntax::isAuthority("a%4", false));
  EXPECT_FALSE(syntax::isAuthority("user@host", false));
}

TEST(HttpRequest, HeaderLookupIgnoresCase) {
  HttpRequest req;
  req.addHeader("Content-Type", "text/plain");
  EXPECT_TRUE(req.hasHeader("content-type"));
  EXPECT_EQ(req.getHeader("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(req.getHeader("Content-Length"), "");
  EXPECT_FALSE(req.hasHeader("Content-Length"));
}

TEST(HttpResponse, SerialisesStatusHeadersLengthAndConnection) {
  HttpResponse response(/*closeConnection=*/false);
  response.setStatusCode(404);
  response.setContentType("text/plain");
  response.setBody("nothing here");
  Buffer buf;
  response.appendToBuffer(&buf);
  EXPECT_EQ(buf.retrieveAllAsString(),
            "HTTP/1.1 404 Not Found\r\nContent-Type: "
            "text/plain\r\nContent-Length: 12\r\n"
            "Connection: keep-alive\r\n\r\nnothing here");
}

TEST(HttpResponse, HeadOnlyKeepsTheLengthAndDropsTheBody) {
  HttpResponse response(/*closeConnection=*/true);
  response.setBody("Hello, World!");
  response.setHeadOnly(true);
  Buffer buf;
  response.appendToBuffer(&buf);
  EXPECT_EQ(buf.retrieveAllAsString(),
            "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponse, NoContentHasNoContentLength) {
  HttpResponse response;
  response.setStatusCode(204);
  Buffer buf;
  response.appendToBuffer(&buf);
  EXPECT_EQ(buf.retrieveAllAsString(), "HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
}

}  // namespace
