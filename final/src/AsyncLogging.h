// AsyncLogging: a log whose front end never waits for the disk.
//
// Any thread append()s a finished line: under a mutex it is copied into the current buffer,
// nothing more. When that buffer is full it joins a queue of full buffers and a spare takes
// its place. One back-end thread wakes when a buffer fills, or every flushInterval, swaps the
// whole queue out under the lock (buffers are moved, never copied) and writes the batch to the
// LogFile with the lock released, so a slow write(2) delays only the back end. Double
// buffering as in muduo's AsyncLogging (muduo/base/AsyncLogging.cc), with one difference: the
// backlog is bounded. When maxQueuedBuffers full buffers are already waiting, new lines are
// dropped and counted, and the log gets a line "dropped N messages" once the writer catches up,
// instead of memory growing for as long as the disk is slow.
//
//   AsyncLogging log("/var/log/http", 64 << 20, std::chrono::seconds(3));
//   log.start();
//   Logger::setOutput([&log](std::string_view line) { log.append(line); });
//   ...
//   Logger::setOutput({});  // after the threads that log are joined
//   log.stop();             // writes everything accepted so far, flushes, joins
//
// Owns: the buffers, the back-end thread, and the LogFile (or the sink functions).
// Thread safety: append(), droppedMessages() and allocatedBuffers() from any thread; start()
// and stop() from any thread except the back end's; construct and destroy on one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace net {

class LogFile;

/// Sizes of AsyncLogging's buffering. The defaults hold a burst of about 8 MiB of log lines.
struct AsyncLoggingOptions {
  /// Bytes per buffer; must exceed the longest line (a longer line is dropped and counted).
  size_t bufferSize = 1024 * 1024;
  /// Full buffers that may wait for the writer; when as many are waiting and the current one is
  /// full, append() drops. Memory is bounded by (2 * maxQueuedBuffers + 4) * bufferSize.
  size_t maxQueuedBuffers = 8;
};

/// An asynchronous, double-buffered log with a bounded backlog. See the file comment.
class AsyncLogging {
 public:
  /// The sizes (declared outside the class so that `Options()` can be a default argument).
  using Options = AsyncLoggingOptions;
  /// Writes a batch (whole lines) to the destination. Runs on the back-end thread.
  using WriteFunc = std::function<void(std::string_view batch)>;
  /// Makes what was written visible (LogFile::flush). Runs on the back-end thread.
  using FlushFunc = std::function<void()>;

  /// Logs to LogFile(`basename`, `rollSize`, `flushInterval`): files named
  /// basename.TIME.PID.SEQ.log. The back end writes at least every `flushInterval`.
  /// Does not start the thread. [any thread]
  AsyncLogging(std::string basename, size_t rollSize,
               std::chrono::milliseconds flushInterval = std::chrono::seconds(3),
               Options options = Options());
  /// Logs through `write` and `flush` instead of a LogFile (another destination, or a test's
  /// sink that can be made slow). [any thread]
  AsyncLogging(WriteFunc write, FlushFunc flush, std::chrono::milliseconds flushInterval,
               Options options = Options());
  /// stop(): nothing accepted is lost when the object goes away. Every append() must have
  /// returned by then (reset Logger::setOutput first).
  ~AsyncLogging();
  AsyncLogging(const AsyncLogging&) = delete;
  AsyncLogging& operator=(const AsyncLogging&) = delete;

  /// Starts the back-end thread. Lines appended before start() are kept and written by it.
  /// Call at most once. [any thread but the back end]
  void start();
  /// Writes and flushes every line accepted before this call, then joins the back end
  /// (without start(), writes them on the calling thread). Lines appended afterwards are
  /// dropped and counted. Idempotent; concurrent calls all return once it is done.
  /// [any thread but the back end]
  void stop();

  /// Accepts one line (newline included) for writing; never blocks on I/O. Drops and counts it
  /// when the backlog is full, when it is longer than a buffer, or after stop(). [any thread]
  void append(std::string_view line);

  /// Lines dropped since construction (each dropped batch is also reported in the log).
  /// [any thread]
  uint64_t droppedMessages() const { return droppedTotal_.load(std::memory_order_relaxed); }
  /// Buffers allocated right now, spares and those being written included: what the logger
  /// holds in memory, in units of Options::bufferSize. [any thread]
  size_t allocatedBuffers() const { return liveBuffers_.load(std::memory_order_relaxed); }

 private:
  class Buffer;
  using BufferPtr = std::unique_ptr<Buffer>;
  using BufferVector = std::vector<BufferPtr>;
  enum class State { kIdle, kRunning, kStopped };

  BufferPtr newBuffer();
  void threadFunc();
  void writeBatch(BufferVector& batch, uint64_t dropped);

  const Options options_;
  const std::chrono::milliseconds flushInterval_;
  std::unique_ptr<LogFile> file_;  // set by the first constructor; used by the back end only
  WriteFunc write_;                // back end only
  FlushFunc flush_;                // back end only
  std::atomic<uint64_t> droppedTotal_{0};
  std::atomic<size_t> liveBuffers_{0};

  std::mutex stopMutex_;  // serialises stop(): one caller joins, the others wait for it
  std::thread thread_;

  std::mutex mutex_;              // guards everything below
  std::condition_variable cond_;  // the back end waits on it for a full buffer or stop()
  State state_ = State::kIdle;
  BufferPtr current_;                // the buffer append() fills
  BufferPtr next_;                   // a spare, so a full buffer usually needs no allocation
  BufferVector full_;                // full buffers waiting for the back end, oldest first
  uint64_t droppedSinceReport_ = 0;  // dropped lines not yet reported in the log
  bool dropping_ = false;            // append() refuses everything until the next swap
};

}  // namespace net
