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

using namespace net;
using namespace std::string_literals;

namespace {

/// One line per request, so a mismatch shows as a readable diff: "GET /path?query HTTP/1.1
/// keep-alive | host: a | body=xyz".
std::string describe(const HttpRequest& req) {
  std::string s = req.method() + " " + req.path();
  if (!req.query().empty()) s += "?" + req.query();
  s += " ";
  s += HttpRequest::versionToString(req.version());
  s += req.keepAlive() ? " keep-alive" : " close";
  for (const auto& [name, value] : req.headers()) {
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s += " | " + lower + ": " + value;
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
     {"GET /a/b?c=d HTTP/1.1 keep-alive | host: example.com"},
     "clean"},
    {"AbsoluteFormWithoutPath",
     "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
     {"GET / HTTP/1.1 keep-alive | host: example.com"},
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
    {"ChunkedIsNotImplemented",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
     "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
     {},
     "error 501"},
    {"TransferEncodingWinsOverContentLength",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
     "chunked\r\n\r\nabc",
     {},
     "error 501"},

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
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kGotAll), "kGotAll");
  EXPECT_STREQ(HttpContext::stateToString(HttpContext::State::kError), "kError");
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
