// log_bench: what one LOG_INFO costs the calling thread, and the whole process.
//
//   async_q8     Logger -> AsyncLogging::append with the default options (1 MiB buffers, at
//                most 8 full ones queued: the front end drops when the writer falls behind)
//   async_q1024  the same with room for 1024 queued buffers: no drops, every line is written
//   sync         Logger -> a mutex -> LogFile::append (64 KiB buffer, write(2) on the caller)
//   format_only  Logger -> an output that discards the line (what formatting alone costs)
//   filtered     LOG_DEBUG at level INFO (nothing formatted, nothing written)
//
// Each runs with 1 and 4 logging threads, and with `sample:0` (throughput: nothing but log
// calls in the loop) or `sample:16` (one call in 16, chosen at random, timed with steady_clock,
// for the latency percentiles; the clock reads slow those runs down a little). At random, not
// every 16th: the synchronous path writes every ~640 lines, and a fixed stride can keep
// missing (or keep hitting) exactly those calls.
// Columns: items_per_second = log calls per second, all threads together, wall clock;
// proc_ns_per_call = process CPU time (every thread, the async back end included, up to the
// last line written) per call; dropped_pct = share of the calls whose line AsyncLogging
// dropped (backlog full);
// p50/p99/p999_ns = per-call latency percentiles of the sampled calls (per thread, averaged).
//
// The files go to $LOG_BENCH_DIR (default: a new directory under $TMPDIR or /tmp) and are
// deleted after each run. bench/log_table.py turns the JSON output into the table of
// notes/10-logging.md, which also says how it was taken.
#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "AsyncLogging.h"
#include "LogFile.h"
#include "Logging.h"

using namespace net;

namespace {

enum class Kind { kAsync, kAsyncDeep, kSync, kFormatOnly, kFiltered };

std::string g_dir;  // where the log files go; set in main()

// Shared by the benchmark threads; set up and torn down by thread 0 (Google Benchmark starts
// the loops only when every thread has reached them, and ends them together).
std::unique_ptr<AsyncLogging> g_async;
std::unique_ptr<LogFile> g_file;
std::mutex g_fileMutex;

constexpr size_t kRollSize = 256 << 20;

double processCpuNs() {
  timespec ts;
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

void setUp(Kind kind) {
  Logger::setLevel(LogLevel::kInfo);
  switch (kind) {
    case Kind::kAsync:
    case Kind::kAsyncDeep: {
      AsyncLogging::Options options;
      if (kind == Kind::kAsyncDeep) options.maxQueuedBuffers = 1024;
      g_async = std::make_unique<AsyncLogging>(g_dir + "/async", kRollSize, std::chrono::seconds(3),
                                               options);
      g_async->start();
      Logger::setOutput([](std::string_view line) { g_async->append(line); });
      break;
    }
    case Kind::kSync:
      g_file = std::make_unique<LogFile>(g_dir + "/sync", kRollSize);
      Logger::setOutput([](std::string_view line) {
        std::lock_guard<std::mutex> lock(g_fileMutex);
        g_file->append(line);
      });
      break;
    case Kind::kFormatOnly:
      Logger::setOutput([](std::string_view line) { benchmark::DoNotOptimize(line.data()); });
      break;
    case Kind::kFiltered:
      Logger::setOutput([](std::string_view) { std::abort(); });  // must never be reached
      break;
  }
}

/// Stops writing (the async back end drains first); returns the lines dropped.
uint64_t tearDown() {
  Logger::setOutput({});
  uint64_t dropped = 0;
  if (g_async) {
    g_async->stop();
    dropped = g_async->droppedMessages();
    g_async.reset();
  }
  g_file.reset();
  for (const auto& entry : std::filesystem::directory_iterator(g_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("async.", 0) == 0 || name.rfind("sync.", 0) == 0) {
      std::filesystem::remove(entry.path());  // ours; anything else in the directory stays
    }
  }
  return dropped;
}

// A line of a typical length (about 100 bytes with the header).
inline void logOnce(Kind kind, int64_t i) {
  if (kind == Kind::kFiltered) {
    LOG_DEBUG << "GET /hello 200 bytes=" << 13 << " conn=" << i << " ms=" << 0.042;
  } else {
    LOG_INFO << "GET /hello 200 bytes=" << 13 << " conn=" << i << " ms=" << 0.042;
  }
}

double percentile(std::vector<double>& samples, double p) {
  if (samples.empty()) return 0;
  auto nth = samples.begin() + static_cast<ptrdiff_t>(p * static_cast<double>(samples.size() - 1));
  std::nth_element(samples.begin(), nth, samples.end());
  return *nth;
}

void BM_Log(benchmark::State& state, Kind kind) {
  const int64_t every = state.range(0);  // time one call in `every` on average; 0: none
  double cpuStart = 0;
  if (state.thread_index() == 0) {
    setUp(kind);
    cpuStart = processCpuNs();
  }
  std::vector<double> samples;
  if (every > 0) samples.reserve(1 << 20);
  int64_t i = 0;
  if (every == 0) {
    for (auto _ : state) logOnce(kind, i++);
  } else {
    uint32_t random = 2463534242u + static_cast<uint32_t>(state.thread_index());
    for (auto _ : state) {
      random ^= random << 13;  // xorshift32 (Marsaglia, 2003): a few cycles per call
      random ^= random >> 17;
      random ^= random << 5;
      if (random % every == 0 && samples.size() < samples.capacity()) {
        auto start = std::chrono::steady_clock::now();
        logOnce(kind, i);
        auto end = std::chrono::steady_clock::now();
        samples.push_back(std::chrono::duration<double, std::nano>(end - start).count());
      } else {
        logOnce(kind, i);
      }
      ++i;
    }
  }
  const double calls = static_cast<double>(state.iterations()) * state.threads();
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    uint64_t dropped = tearDown();  // included in the CPU: the back end's work is part of it
    state.counters["proc_ns_per_call"] = (processCpuNs() - cpuStart) / calls;
    state.counters["dropped_pct"] = 100.0 * static_cast<double>(dropped) / calls;
  }
  if (every > 0) {
    using benchmark::Counter;
    state.counters["p50_ns"] = Counter(percentile(samples, 0.50), Counter::kAvgThreads);
    state.counters["p99_ns"] = Counter(percentile(samples, 0.99), Counter::kAvgThreads);
    state.counters["p999_ns"] = Counter(percentile(samples, 0.999), Counter::kAvgThreads);
  }
}

void configure(benchmark::internal::Benchmark* b) {
  b->ArgName("sample")->Arg(0)->Arg(16)->Threads(1)->Threads(4)->UseRealTime();
}

BENCHMARK_CAPTURE(BM_Log, async_q8, Kind::kAsync)->Apply(configure);
BENCHMARK_CAPTURE(BM_Log, async_q1024, Kind::kAsyncDeep)->Apply(configure);
BENCHMARK_CAPTURE(BM_Log, sync, Kind::kSync)->Apply(configure);
BENCHMARK_CAPTURE(BM_Log, format_only, Kind::kFormatOnly)->Apply(configure);
BENCHMARK_CAPTURE(BM_Log, filtered, Kind::kFiltered)->Apply(configure);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  bool madeDir = false;
  if (const char* dir = std::getenv("LOG_BENCH_DIR")) {
    g_dir = dir;
  } else {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/log_bench.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("log_bench: mkdtemp");
      return 1;
    }
    g_dir = pattern;
    madeDir = true;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (madeDir) std::filesystem::remove_all(g_dir);
  return 0;
}
