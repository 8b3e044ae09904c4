// libFuzzer target for HttpContext (built only with clang, on request: see CMakeLists.txt).
//
// Beyond "does not crash", it checks the parser's central promise: the same bytes fed whole and
// fed in two pieces (split where the first input byte says) give the same requests and the same
// end state. Build and run:
//   cmake -S final -B b -DCMAKE_CXX_COMPILER=clang++
//   cmake --build b --target final_http_context_fuzz
//   b/tests/http_context_fuzz -max_total_time=60
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "Buffer.h"
#include "HttpContext.h"

namespace {

std::string run(const std::vector<std::string_view>& pieces) {
  net::HttpContext context(net::HttpLimits{64, 64, 8, 64});  // small: limits get exercised
  net::Buffer buf;
  std::string log;
  bool failed = false;
  for (std::string_view piece : pieces) {
    buf.append(piece);
    while (!failed) {
      if (!context.parseRequest(&buf)) {
        failed = true;
      } else if (context.gotAll()) {
        const net::HttpRequest& req = context.request();
        log += req.method() + " " + req.path() + "?" + req.query() + " " +
               net::HttpRequest::versionToString(req.version()) + " " +
               std::to_string(req.headers().size()) + " " + req.body() + "\n";
        context.reset();
      } else {
        break;
      }
    }
  }
  return log + net::HttpContext::stateToString(context.state()) + " " +
         std::to_string(context.errorStatus());
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
