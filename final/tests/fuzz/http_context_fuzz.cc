// libFuzzer target for HttpContext (built only with clang, on request: see CMakeLists.txt).
//
// Beyond "does not crash", it checks the parser's central promise: the same bytes fed whole and
// fed in two pieces (split where the first input byte says) give the same requests and the same
// end state; and a few invariants of every accepted request (a decoded path without NUL, a body
// within the limit, only the documented error statuses). The dictionary steers it into the chunked,
// Expect and absolute-form paths. Build and run:
//   cmake -S final -B b -DCMAKE_CXX_COMPILER=clang++
//   cmake --build b --target final_http_context_fuzz
//   b/tests/http_context_fuzz -dict=final/tests/fuzz/http_context.dict -max_total_time=60
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "Buffer.h"
#include "HttpContext.h"

namespace {

// Small, so that every limit gets exercised: request line, field line, fields, body, section.
const net::HttpLimits kLimits{64, 64, 8, 64, 128};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

std::string describe(const net::HttpRequest& req) {
  check(!req.path().empty() && req.path().find('\0') == std::string::npos, "path");
  check(req.body().size() <= kLimits.maxBody, "body within the limit");
  std::string s = req.method() + " " + req.target() + " " + req.path() + "?" + req.query() + " " +
                  net::HttpRequest::versionToString(req.version()) + " " + req.host() + " " +
                  std::to_string(req.headers().size()) + " [";
  for (const auto& [name, value] : req.trailers()) s += name + ":" + value + ";";
  return s + "] " + req.body() + "\n";
}

std::string run(const std::vector<std::string_view>& pieces) {
  net::HttpContext context(kLimits);
  net::Buffer buf;
  std::string log;
  bool failed = false;
  for (std::string_view piece : pieces) {
    buf.append(piece);
    while (!failed) {
      if (!context.parseRequest(&buf)) {
        failed = true;
      } else if (context.gotAll()) {
        log += describe(context.request());
        context.reset();
      } else {
        break;
      }
    }
  }
  const int status = context.errorStatus();
  check(failed == (status != 0), "an error has a status");
  check(status == 0 || status == 400 || status == 413 || status == 414 || status == 417 ||
            status == 431 || status == 501 || status == 505,
        "a documented status");
  check(!failed || !context.expectsContinue(), "no 100 owed after an error");
  return log + net::HttpContext::stateToString(context.state()) + " " + std::to_string(status) +
         (context.expectsContinue() ? " continue" : "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t at = data[0] % (input.size() + 1);
  std::string whole = run({input});
  std::string split = run({input.substr(0, at), input.substr(at)});
  if (whole != split) {
    std::fprintf(stderr, "whole:\n%s\nsplit at %zu:\n%s\n", whole.c_str(), at, split.c_str());
    std::abort();
  }
  return 0;
}
