// AsyncLogging: every line from many threads arrives, in order per thread, across rolled files;
// the periodic flush; nothing accepted is lost at stop(); a bounded backlog that drops the
// newest lines, counts them, says so in the log and gives the memory back; LOG_FATAL through
// the asynchronous output still reaches the file.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "AsyncLogging.h"
#include "LogTestUtil.h"
#include "Logging.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// Sends Logger's lines to `log` for the scope of the object; the default output afterwards.
class LogTo {
 public:
  explicit LogTo(AsyncLogging* log) {
    Logger::setOutput([log](std::string_view line) { log->append(line); });
  }
  ~LogTo() { Logger::setOutput({}); }
  LogTo(const LogTo&) = delete;
  LogTo& operator=(const LogTo&) = delete;
};

TEST(AsyncLogging, LinesFromEightThreadsAllArriveInOrderPerThreadAcrossRolledFiles) {
  TempDir dir;
  constexpr int kThreads = 8;
  constexpr int kLinesPerThread = 2000;
  AsyncLogging::Options options;
  options.bufferSize = 4096;         // small buffers: many swaps, and the queue really fills
  options.maxQueuedBuffers = 10000;  // but never drop: this test wants every line
  {
    AsyncLogging log(dir / "app", 64 * 1024, std::chrono::milliseconds(100), options);
    log.start();
    LogTo output(&log);
    std::promise<void> go;
    std::shared_future<void> started = go.get_future().share();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t, started] {
        started.wait();  // all threads log at the same time
        for (int i = 0; i < kLinesPerThread; ++i) LOG_INFO << "thread " << t << " seq " << i;
      });
    }
    go.set_value();
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(log.droppedMessages(), 0u);
  }  // ~LogTo restores stderr, then ~AsyncLogging stops: everything is written

  std::vector<std::string> files = filesIn(dir.path());
  EXPECT_GE(files.size(), 10u) << "about 1 MB of lines at a 64 KiB roll size";
  std::map<int, int> nextSeq;      // thread -> the sequence number expected next
  std::map<int, std::string> tid;  // thread -> the thread id column of its lines
  static const std::regex format(R"(^\S+ \S+Z INFO  (\d+) \S+:\d+ thread (\d) seq (\d+)$)");
  for (const std::string& file : files) {
    std::string content = readFile(file);
    ASSERT_FALSE(content.empty());
    ASSERT_EQ(content.back(), '\n') << file << " ends inside a line";
    EXPECT_LE(content.size(), 64u * 1024u) << file;
    for (const std::string& line : splitLines(content)) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(line, m, format)) << line;
      int t = std::stoi(m[2]);
      ASSERT_EQ(std::stoi(m[3]), nextSeq[t]) << "thread " << t << " out of order in " << file;
      ++nextSeq[t];
      if (tid.count(t) == 0) tid[t] = m[1];
      EXPECT_EQ(tid[t], m[1].str()) << "thread " << t << " changed its thread id";
    }
  }
  ASSERT_EQ(nextSeq.size(), static_cast<size_t>(kThreads));
  for (const auto& [t, count] : nextSeq) EXPECT_EQ(count, kLinesPerThread) << "thread " << t;
}

TEST(AsyncLogging, ThePeriodicFlushMakesALineVisibleBeforeStop) {
  TempDir dir;
  AsyncLogging log(dir / "app", 1 << 20, std::chrono::milliseconds(50));
  log.start();
  log.append("a quiet line\n");  // far from filling a 1 MiB buffer
  EXPECT_TRUE(waitUntil([&] { return readAll(dir.path()) == "a quiet line\n"; }, 5s))
      << "still not in the file: '" << readAll(dir.path()) << "'";
  log.stop();
}

TEST(AsyncLogging, StopWritesEverythingAcceptedThenFurtherLinesAreCountedAsDropped) {
  TempDir dir;
  AsyncLogging::Options options;
  options.bufferSize = 8192;
  options.maxQueuedBuffers = 100000;
  AsyncLogging log(dir / "app", 64 << 20, std::chrono::hours(1), options);
  log.start();
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    log.append(line);
    expected += line;
  }
  log.stop();  // an hour's flush interval: only stop() can have written the tail
  EXPECT_EQ(readAll(dir.path()), expected);
  EXPECT_EQ(log.droppedMessages(), 0u);

  log.append("too late\n");
  log.stop();  // idempotent
  EXPECT_EQ(log.droppedMessages(), 1u);
  EXPECT_EQ(readAll(dir.path()), expected);
}

TEST(AsyncLogging, LinesAppendedBeforeStartAreWrittenByTheBackEnd) {
  TempDir dir;
  AsyncLogging log(dir / "app", 1 << 20, std::chrono::milliseconds(20));
  log.append("before start\n");
  log.start();
  log.append("after start\n");
  EXPECT_TRUE(waitUntil([&] { return readAll(dir.path()) == "before start\nafter start\n"; }, 5s));
}

TEST(AsyncLogging, WithoutStartTheDestructorWritesWhatWasAppended) {
  TempDir dir;
  {
    AsyncLogging log(dir / "app", 1 << 20);
    log.append("never started\n");
  }
  EXPECT_EQ(readAll(dir.path()), "never started\n");
}

TEST(AsyncLogging, ConcurrentStopsAllReturnAfterEverythingIsWritten) {
  TempDir dir;
  AsyncLogging log(dir / "app", 1 << 20, std::chrono::hours(1));
  log.start();
  for (int i = 0; i < 1000; ++i) log.append("x\n");
  std::vector<std::thread> stoppers;
  std::atomic<int> sawAll{0};
  for (int i = 0; i < 4; ++i) {
    stoppers.emplace_back([&] {
      log.stop();
      if (readAll(dir.path()).size() == 2000) ++sawAll;
    });
  }
  for (std::thread& t : stoppers) t.join();
  EXPECT_EQ(sawAll, 4) << "a stop() returned before the lines were written";
}

/// A destination whose write() blocks until open(): a disk that cannot keep up, on demand.
class GatedSink {
 public:
  void write(std::string_view batch) {
    std::unique_lock<std::mutex> lock(mutex_);
    ++writes_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    received_.append(batch);
    changed_.notify_all();
  }
  /// Waits (bounded) until a write() is blocked in the gate.
  bool waitForWriter() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, 5s, [this] { return writes_ > 0; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  /// Waits (bounded) until what was received contains `text`.
  bool waitForText(std::string_view text) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return received_.find(text) != std::string::npos; });
  }
  std::string received() {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int writes_ = 0;
  std::string received_;
};

/// Line `i` of the flood below, without its newline: long and short lines alternate, so a
/// short line would still fit where a long one was just refused.
std::string floodLine(int i) {
  return "flood " + std::to_string(i) + (i % 2 == 0 ? " " + std::string(40, '.') : "");
}

TEST(AsyncLogging, ABlockedWriterMakesTheFrontEndDropTheNewestLinesCountThemAndSaySo) {
  GatedSink sink;
  AsyncLogging::Options options;
  options.bufferSize = 1024;
  options.maxQueuedBuffers = 4;
  AsyncLogging log([&sink](std::string_view batch) { sink.write(batch); }, [] {},
                   std::chrono::milliseconds(20), options);
  log.start();
  log.append("first\n");
  ASSERT_TRUE(sink.waitForWriter()) << "the back end never wrote 'first'";

  // The back end is stuck in write(): everything now piles up in the front end.
  constexpr int kFlood = 20000;
  for (int i = 0; i < kFlood; ++i) log.append(floodLine(i) + "\n");
  const uint64_t dropped = log.droppedMessages();
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, static_cast<uint64_t>(kFlood));
  const size_t bound = 2 * options.maxQueuedBuffers + 4;
  EXPECT_LE(log.allocatedBuffers(), bound) << "memory grew with the backlog";

  sink.open();
  // The writer catches up on its own (woken by the full buffers), notice included.
  ASSERT_TRUE(sink.waitForText(" messages: the log writer fell behind"));
  EXPECT_TRUE(waitUntil([&] { return log.allocatedBuffers() <= 4; }))
      << "the burst's buffers were not freed: " << log.allocatedBuffers();
  log.append("after\n");  // accepted again
  log.stop();

  std::vector<std::string> lines = splitLines(sink.received());
  EXPECT_LE(sink.received().size(), bound * options.bufferSize + 200);
  // "first", then flood 0..k-1 without a gap (the oldest lines are kept, the newest dropped,
  // and once dropping no short line slips in), then the notice with the exact count, "after".
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines.front(), "first");
  EXPECT_EQ(lines.back(), "after");
  const uint64_t kept = lines.size() - 3;
  for (uint64_t i = 0; i < kept; ++i) ASSERT_EQ(lines[1 + i], floodLine(static_cast<int>(i)));
  EXPECT_EQ(kept + dropped, static_cast<uint64_t>(kFlood)) << "every line kept or counted";
  const std::string& notice = lines[lines.size() - 2];
  EXPECT_TRUE(std::regex_search(notice, std::regex("Z WARN  \\d+ AsyncLogging\\.cc:\\d+ dropped " +
                                                   std::to_string(dropped) + " messages")))
      << notice;
  EXPECT_EQ(log.droppedMessages(), dropped) << "nothing was dropped after the writer caught up";
}

TEST(AsyncLoggingDeathTest, AFatalLineReachesTheFileBeforeTheAbort) {
  // "threadsafe": the child is a fresh execution of this test (a fork of a process that has run
  // threads is not safe, and under TSan this one always has). The child runs the test from its
  // start, so the log directory is handed down in the environment rather than made twice.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  static const char kDirVariable[] = "NET_TEST_FATAL_LOG_DIR";
  std::optional<TempDir> ownDir;
  std::string dir;
  if (const char* inherited = std::getenv(kDirVariable)) {
    dir = inherited;  // the child
  } else {
    dir = ownDir.emplace().path();
    ::setenv(kDirVariable, dir.c_str(), 1);
  }
  EXPECT_EXIT(
      {
        AsyncLogging log(dir + "/app", 1 << 20, std::chrono::hours(1));
        log.start();
        Logger::setOutput([&log](std::string_view line) { log.append(line); });
        Logger::setFlush([&log] { log.stop(); });
        LOG_INFO << "before";
        LOG_FATAL << "the end";
      },
      ::testing::KilledBySignal(SIGABRT), "");
  ::unsetenv(kDirVariable);
  GTEST_FLAG_SET(death_test_style, "fast");
  std::string content = readAll(dir);
  EXPECT_TRUE(std::regex_search(content, std::regex("INFO  .* before\n.*FATAL .* the end\n$")))
      << content;
}

}  // namespace
