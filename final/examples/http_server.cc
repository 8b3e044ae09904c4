// An HTTP/1.1 server: "/hello" is "Hello, World!" in text/plain, "/stats" the server's counters
// as JSON and "/stats.html" a page that shows them live; "/sleep?ms=N" and "/primes?n=N" stand
// for slow handlers and run on the compute pool. With --root DIR every other path is a file
// under DIR (StaticFiles); without, "/" is a small HTML page and anything else is 404. The
// built-in routes take GET and HEAD only. --threads N adds N sub-reactor threads.
// SIGINT/SIGTERM stop it gracefully (HttpServer::stop); a second signal closes what is left.
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "AsyncLogging.h"
#include "CommandLine.h"
#include "ComputePool.h"
#include "EventLoop.h"
#include "HttpRequest.h"
#include "HttpResponse.h"
#include "HttpServer.h"
#include "Logging.h"
#include "StaticFiles.h"
#include "StatsPage.h"
#include "StopSignal.h"

using namespace net;

namespace {

const char kIndexPage[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>final</title></head>\n"
    "<body><h1>It works</h1><p>Try <a href=\"/hello\">/hello</a>, "
    "<a href=\"/stats.html\">/stats.html</a>, <a href=\"/sleep?ms=1000\">/sleep?ms=1000</a> "
    "or <a href=\"/primes?n=10000000\">/primes?n=10000000</a>.</p></body></html>\n";

constexpr uint64_t kMaxSleepMs = 10000;
constexpr uint64_t kMaxPrimesN = 100000000;

/// The value of `name` in a query string "a=1&b=2", when it is a decimal number up to `max`.
std::optional<uint64_t> queryNumber(const std::string& query, const std::string& name,
                                    uint64_t max) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(pos, end - pos);
    if (pair.rfind(name + "=", 0) == 0) {
      std::string digits = pair.substr(name.size() + 1);
      if (digits.empty() || digits.size() > 12 ||
          digits.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
      }
      uint64_t value = std::stoull(digits);
      return value <= max ? std::optional<uint64_t>(value) : std::nullopt;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

/// The number of primes below `n`: a sieve of Eratosthenes, CPU work of O(n log log n).
uint64_t countPrimes(uint64_t n) {
  if (n < 3) return 0;
  std::vector<bool> composite(n, false);
  uint64_t count = 0;
  for (uint64_t i = 2; i < n; ++i) {
    if (composite[i]) continue;
    ++count;
    for (uint64_t j = i * i; j < n; j += i) composite[j] = true;
  }
  return count;
}

HttpResponse textResponse(int status, std::string body) {
  HttpResponse response;
  response.setStatusCode(status);
  response.setContentType("text/plain");
  response.setBody(std::move(body));
  return response;
}

/// A StaticFiles answer as a response: its status and headers, and its body, or its file to
/// stream, or (HEAD) only the length GET would send.
HttpResponse fromStaticFile(StaticFileResponse file) {
  HttpResponse response;
  response.setStatusCode(file.status);
  for (auto& [name, value] : file.headers) response.addHeader(name, std::move(value));
  if (file.file.valid()) {
    response.setFile(std::move(file.file), file.contentLength);
  } else if (file.body.size() == file.contentLength) {
    response.setBody(std::move(file.body));
  } else {
    response.setContentLength(file.contentLength);
  }
  return response;
}

//! [statsJson]
/// /stats: every field is a number except the loop names, which are ours ("base", "http-io0"):
/// nothing needs escaping.
std::string statsJson(const HttpServerStats& stats, const ComputePool* pool) {
  char head[512];
  std::snprintf(head, sizeof head,
                "{\"uptimeSeconds\": %.3f, \"requests\": %" PRIu64 ", \"bytesIn\": %" PRIu64
                ", \"bytesOut\": %" PRIu64 ", \"connections\": %" PRId64
                ", \"connectionsAccepted\": %" PRIu64 ", \"deferred\": %" PRId64
                ", \"compute\": {\"threads\": %zu, \"queued\": %zu}, \"loops\": [",
                std::chrono::duration<double>(stats.uptime).count(), stats.requests, stats.bytesIn,
                stats.bytesOut, stats.connections, stats.connectionsAccepted, stats.deferred,
                pool ? pool->numThreads() : 0, pool ? pool->queued() : 0);
  std::string json = head;
  for (size_t i = 0; i < stats.loops.size(); ++i) {
    json += i == 0 ? "" : ", ";
    json += "{\"name\": \"" + stats.loops[i].name +
            "\", \"connections\": " + std::to_string(stats.loops[i].connections) + "}";
  }
  return json + "]}\n";
}
//! [statsJson]

/// The routes. Runs on a connection's loop thread; what it shares (the server's counters, the
/// pool) is thread-safe.
class Routes {
 public:
  Routes(const HttpServer* server, ComputePool* pool, const StaticFiles* files)
      : server_(server), pool_(pool), files_(files) {}

  void operator()(const HttpRequest& request, HttpResponder responder) const {
    const std::string& path = request.path();
    if (files_ != nullptr && !isBuiltIn(path)) {
      // Resolving and opening a file blocks briefly (open, fstat, and one read for a small
      // file); nginx does it on its event loop too. Large files are streamed by the server.
      responder.send(fromStaticFile(files_->serve(request)));
    } else if (request.method() != "GET" && request.method() != "HEAD") {
      HttpResponse response = textResponse(405, "Method Not Allowed\n");
      response.addHeader("Allow", "GET, HEAD");  // RFC 9110 15.5.6: a 405 MUST list them
      responder.send(std::move(response));
    } else if (path == "/") {
      HttpResponse response;
      response.setContentType("text/html; charset=utf-8");
      response.setBody(kIndexPage);
      responder.send(std::move(response));
    } else if (path == "/hello") {
      responder.send(textResponse(200, "Hello, World!"));
    } else if (path == "/stats") {
      HttpResponse response;
      response.setContentType("application/json");
      response.addHeader("Cache-Control", "no-store");
      response.setBody(statsJson(server_->stats(), pool_));
      responder.send(std::move(response));
    } else if (path == "/stats.html") {
      HttpResponse response;
      response.setContentType("text/html; charset=utf-8");
      response.setBody(kStatsPage);
      responder.send(std::move(response));
    } else if (path == "/sleep") {
      sleepRoute(request, std::move(responder));
    } else if (path == "/primes") {
      primesRoute(request, std::move(responder));
    } else {
      responder.send(textResponse(404, "Not Found\n"));
    }
  }

 private:
  static bool isBuiltIn(const std::string& path) {
    return path == "/hello" || path == "/stats" || path == "/stats.html" || path == "/sleep" ||
           path == "/primes";
  }

  /// A stand-in for a handler that blocks (a database query, a call to another service).
  void sleepRoute(const HttpRequest& request, HttpResponder responder) const {
    auto ms = queryNumber(request.query(), "ms", kMaxSleepMs);
    if (!ms) {
      responder.send(textResponse(400, "usage: /sleep?ms=N, N <= 10000\n"));
      return;
    }
    compute(std::move(responder), [ms = *ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return textResponse(200, "slept " + std::to_string(ms) + " ms\n");
    });
  }

  /// CPU work: count the primes below n.
  void primesRoute(const HttpRequest& request, HttpResponder responder) const {
    auto n = queryNumber(request.query(), "n", kMaxPrimesN);
    if (!n) {
      responder.send(textResponse(400, "usage: /primes?n=N, N <= 100000000\n"));
      return;
    }
    compute(std::move(responder), [n = *n] {
      return textResponse(
          200, std::to_string(countPrimes(n)) + " primes below " + std::to_string(n) + "\n");
    });
  }

  //! [compute]
  /// Runs `work` on the compute pool and sends its response from there; without a pool
  /// (--compute-threads 0) on this loop thread, which stalls every connection of the loop.
  template <typename Work>
  void compute(HttpResponder responder, Work work) const {
    if (pool_ == nullptr) {
      responder.send(work());
      return;
    }
    if (!pool_->submit([responder, work] { responder.send(work()); })) {
      // The queue is full: say so at once rather than make the client wait behind it.
      HttpResponse busy = textResponse(503, "Service Unavailable: the compute queue is full\n");
      busy.addHeader("Retry-After", "1");
      responder.send(std::move(busy));
    }
  }
  //! [compute]

  const HttpServer* server_;  // does not own
  ComputePool* pool_;         // does not own; nullptr: no pool
  const StaticFiles* files_;  // does not own; nullptr: no --root
};

/// The command line: every flag's variable, with its default.
struct Options {
  int port = 8080;
  std::string address = "127.0.0.1";
  int threads = 0;
  std::string root;
  int idleTimeout = 60;  // nginx: keepalive_timeout 75 s, client_header_timeout 60 s
  std::string log;
  std::string logLevel = "warn";
  int computeThreads = 2;
  int computeQueue = 64;
  int stopTimeout = 5;
};

/// Parses argv into `options`; exits 2 with the usage on a bad flag (CommandLine).
void parseOptions(int argc, char** argv, Options* options) {
  CommandLine cli("http_server",
                  "HTTP/1.1 server: /hello (text), /stats (JSON), /stats.html (live page), "
                  "/sleep?ms=N and /primes?n=N (compute pool); the files under --root, or / "
                  "(HTML) and 404 otherwise.");
  cli.addInt("port", &options->port, 0, 65535, "TCP port to listen on, 0 for an ephemeral port");
  cli.addString("address", &options->address, "IP address to listen on");
  cli.addInt("threads", &options->threads, 0, 64, "sub-reactor threads; 0 serves on the main loop");
  cli.addString("root", &options->root, "serve the files under this directory; empty: no files");
  cli.addInt("idle-timeout", &options->idleTimeout, 0, 86400,
             "close a connection idle for this many seconds; 0: never");
  cli.addString("log", &options->log,
                "write the log to FILE.<time>.<pid>.<seq>.log, asynchronously; empty: stderr");
  cli.addString("log-level", &options->logLevel,
                "trace, debug, info (one line per request), warn, error or fatal");
  cli.addInt("compute-threads", &options->computeThreads, 0, 64,
             "compute pool threads for /sleep and /primes; 0 runs them on the I/O loop");
  cli.addInt("compute-queue", &options->computeQueue, 0, 100000,
             "compute tasks that may wait for a thread; beyond, 503");
  cli.addInt("stop-timeout", &options->stopTimeout, 0, 3600,
             "seconds a graceful stop waits for busy connections before closing them");
  cli.parse(argc, argv);
}

/// A value the flag parser could not judge: the message, then exit status 2.
[[noreturn]] void badValue(const std::string& message) {
  std::fprintf(stderr, "http_server: %s\n", message.c_str());
  std::exit(2);
}

//! [serve]
/// Runs the server until it has stopped; the process's exit status.
int serve(const Options& options, const InetAddress& addr, const StaticFiles* files) {
  try {
    EventLoop loop;
    HttpServer* running = nullptr;  // set once the server exists; the signal may come first
    // Before any thread starts: every thread inherits the blocked SIGINT/SIGTERM. The first
    // signal stops gracefully; a second one closes what is left (HttpServer::stop).
    StopSignal stop(&loop, [&] {
      if (running == nullptr) return loop.quit();
      running->stop(std::chrono::seconds(options.stopTimeout), [&loop] { loop.quit(); });
    });
    HttpServer server(&loop, addr, "http");
    // Declared after the server, so destroyed (stopped and joined) before it: a task still
    // running hands its answer to a loop that is alive (and finds its connection closed).
    std::unique_ptr<ComputePool> pool;
    if (options.computeThreads > 0) {
      pool =
          std::make_unique<ComputePool>(static_cast<size_t>(options.computeThreads),
                                        static_cast<size_t>(options.computeQueue), "http-compute");
    }
    server.setThreadNum(options.threads);
    server.setIdleTimeout(std::chrono::seconds(options.idleTimeout));
    server.setAsyncHttpCallback(Routes(&server, pool.get(), files));
    server.start();
    running = &server;
    announceListening(server.listenAddress());
    LOG_INFO << "http_server: listening on " << server.listenAddress().toIpPort();
    loop.loop();
    // Stopped (every connection is closed): the compute threads are joined first (their tasks
    // finish, and their answers find no connection), then, leaving this scope, the sub loops
    // (~HttpServer) and the base loop.
    pool.reset();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "http_server: %s\n", e.what());  // e.g. "bind: Address already in use"
    return 1;
  }
  return 0;
}
//! [serve]

}  // namespace

//! [main]
int main(int argc, char** argv) {
  Options options;
  parseOptions(argc, argv, &options);
  auto addr = InetAddress::parse(options.address, static_cast<uint16_t>(options.port));
  if (!addr) badValue("'" + options.address + "' is not a numeric IP address");
  std::optional<LogLevel> level = parseLogLevel(options.logLevel);
  if (!level) {
    badValue("--log-level '" + options.logLevel +
             "' is not one of trace, debug, info, warn, error, fatal");
  }
  std::unique_ptr<StaticFiles> files;
  if (!options.root.empty()) {
    try {
      files = std::make_unique<StaticFiles>(options.root);
    } catch (const std::system_error& e) {
      badValue("--root " + options.root + ": " + e.what());
    }
  }
  if (!options.log.empty()) {
    // A log nobody can write would fail silently later; refuse it now, as nginx does.
    std::string dir = std::filesystem::path(options.log).parent_path().string();
    if (::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0) {
      badValue("--log " + options.log + ": cannot write to its directory");
    }
  }

  Logger::setLevel(*level);
  // Blocked before the first thread starts (the log's), which inherits the mask: a stop
  // signal must reach the signalfd of StopSignal, never a thread where its default action
  // would end the process at once.
  sigset_t stopSignals = StopSignal::stopSignals();
  ::pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  // The log's back end outlives every thread that logs: declared before serve() starts any,
  // destroyed after serve() has joined them all. Its destructor writes every line it accepted.
  std::unique_ptr<AsyncLogging> log;
  if (!options.log.empty()) {
    log = std::make_unique<AsyncLogging>(options.log, 64 << 20, std::chrono::seconds(3));
    log->start();
    Logger::setOutput([sink = log.get()](std::string_view line) { sink->append(line); });
    Logger::setFlush([sink = log.get()] { sink->stop(); });  // LOG_FATAL: write all, then abort
  }
  int status = serve(options, *addr, files.get());
  // Every other thread is joined: back to stderr, then the last lines reach the file.
  Logger::setOutput({});
  Logger::setFlush({});
  log.reset();
  return status;
}
//! [main]
