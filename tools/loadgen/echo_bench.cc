// echo_bench: the echo/pingpong load client every step's echo_server is measured with.
//
// A run: raise the fd limit, start --threads client threads that connect --connections
// connections (paced, see PingPongClient), let them ping-pong unmeasured for --warmup seconds,
// then count and time round trips for --seconds (or until --messages round trips), stop, and
// print one summary line (see BenchReport.h for the units). A hard deadline bounds everything,
// even a server that stops answering. Usage: echo_bench --help.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "BenchOptions.h"
#include "BenchReport.h"
#include "PingPongClient.h"
#include "RunControl.h"

using namespace loadgen;

namespace {

/// Raises the soft RLIMIT_NOFILE to the hard limit (setrlimit(2) allows that without
/// privileges): the usual soft limit of 1024 would not fit 1000 connections plus the rest.
/// Returns false with a message when even the hard limit is too small for `needed` fds.
bool raiseFdLimit(rlim_t needed, std::string* message) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    *message = std::string("getrlimit: ") + std::strerror(errno);
    return false;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);  // failure shows in the check below
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < needed) {
    *message = "need " + std::to_string(needed) + " file descriptors but RLIMIT_NOFILE is " +
               std::to_string(limit.rlim_cur) + " (raise the hard limit: ulimit -Hn)";
    return false;
  }
  return true;
}

/// The server's socket address; the host was already checked to be 127.0.0.1 or ::1.
void fillServerAddress(const BenchOptions& opts, ClientConfig* config) {
  auto port = htons(static_cast<uint16_t>(opts.port));
  if (opts.host == "::1") {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = port;
    addr.sin6_addr = in6addr_loopback;
    std::memcpy(&config->server, &addr, sizeof addr);
    config->serverLength = sizeof addr;
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = port;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::memcpy(&config->server, &addr, sizeof addr);
    config->serverLength = sizeof addr;
  }
}

Clock::duration seconds(double value) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(value));
}

/// Runs the phases on the main thread while the clients run theirs. Returns whether the window
/// ran as asked.
bool drivePhases(const BenchOptions& opts, Clock::time_point deadline, RunControl* control) {
  if (!control->waitReady(deadline)) return false;
  if (control->liveConnections() == 0) return true;  // nothing to measure: every connect failed
  // The warm-up is part of the measurement protocol, not a synchronisation: sleeping is right.
  std::this_thread::sleep_until(std::min(Clock::now() + seconds(opts.warmup), deadline));
  if (Clock::now() >= deadline) return false;
  control->startMeasuring();
  if (opts.messages > 0) return control->waitFinished(deadline);
  Clock::time_point windowEnd = control->windowStart().at + seconds(opts.seconds);
  control->waitFinished(std::min(windowEnd, deadline));
  return windowEnd <= deadline;
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions opts = parseBenchOptions(argc, argv);
  std::string message;
  if (!raiseFdLimit(static_cast<rlim_t>(opts.connections) + 64, &message)) {
    std::fprintf(stderr, "echo_bench: %s\n", message.c_str());
    return 2;
  }

  ClientConfig config;
  fillServerAddress(opts, &config);
  config.messageSize = opts.size;
  config.deadline = Clock::now() + seconds(opts.hardDeadline());
  // Last resort behind the deadline checks: if a bug ever blocks a thread, SIGALRM's default
  // action ends the process, so a benchmark script is never left waiting.
  ::alarm(static_cast<unsigned>(std::ceil(opts.hardDeadline())) + 10);

  RunControl control(opts.threads, opts.messages, opts.serverPid);
  std::vector<std::unique_ptr<PingPongClient>> clients;
  for (int t = 0; t < opts.threads; ++t) {
    int first = static_cast<int>(int64_t{opts.connections} * t / opts.threads);
    int last = static_cast<int>(int64_t{opts.connections} * (t + 1) / opts.threads);
    clients.push_back(std::make_unique<PingPongClient>(config, first, last - first, &control));
  }
  Clock::time_point started = Clock::now();
  std::vector<std::thread> threads;
  for (auto& client : clients) threads.emplace_back([c = client.get()] { c->run(); });

  BenchResult result;
  result.complete = drivePhases(opts, config.deadline, &control);
  control.finish();
  for (std::thread& thread : threads) thread.join();

  for (const auto& client : clients) accumulate(&result.totals, client->result());
  takeWindow(control, &result);
  if (control.readyAt() != Clock::time_point()) {
    result.connectSeconds = std::chrono::duration<double>(control.readyAt() - started).count();
  }

  // A window cut short (every connection lost) or a budget not spent is not the run asked for.
  if (opts.messages > 0 ? result.totals.messages < opts.messages
                        : result.seconds + 1e-3 < opts.seconds) {
    result.complete = false;
  }
  std::printf("%s\n", summaryLine(opts, result).c_str());
  std::fflush(stdout);
  if (!result.totals.firstError.empty()) {
    std::fprintf(stderr, "echo_bench: first error: %s\n", result.totals.firstError.c_str());
  }
  if (result.totals.stalled > 0 && opts.messages == 0) {
    std::fprintf(stderr, "echo_bench: %d connection(s) completed no round trip in the window\n",
                 result.totals.stalled);
  }
  if (result.totals.late > 0) {
    std::fprintf(stderr,
                 "echo_bench: %d connection(s) had waited more than 1 s for an echo when the "
                 "run ended\n",
                 result.totals.late);
  }
  if (!result.complete) {
    std::fprintf(stderr,
                 "echo_bench: the run did not complete as asked (lost every connection, "
                 "or hit the hard deadline)\n");
  }
  if (!opts.jsonPath.empty() && !writeJsonReport(opts.jsonPath, opts, result, &message)) {
    std::fprintf(stderr, "echo_bench: %s\n", message.c_str());
    return 1;
  }
  return result.failed() ? 1 : 0;
}
