#include "AsyncLogging.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "LogFile.h"
#include "Logging.h"

namespace net {

/// A fixed-capacity byte buffer. reserve() allocates without writing, so the pages of a buffer
/// that was never filled are never touched: an idle logger's four buffers cost address space,
/// not resident memory. Used under AsyncLogging's mutex, or by the back end alone.
class AsyncLogging::Buffer {
 public:
  /// An empty buffer of `capacity` bytes, counted in `*live` while it exists.
  Buffer(size_t capacity, std::atomic<size_t>* live) : capacity_(capacity), live_(live) {
    bytes_.reserve(capacity);
    live_->fetch_add(1, std::memory_order_relaxed);
  }
  ~Buffer() { live_->fetch_sub(1, std::memory_order_relaxed); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  /// Bytes that can still be appended.
  size_t available() const { return capacity_ - bytes_.size(); }
  /// Whether nothing was appended since construction or clear().
  bool empty() const { return bytes_.empty(); }
  /// Appends `data`; the caller checked available().
  void append(std::string_view data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
  /// The bytes appended so far.
  std::string_view view() const { return std::string_view(bytes_.data(), bytes_.size()); }
  /// Empties the buffer and keeps its allocation for reuse.
  void clear() { bytes_.clear(); }

 private:
  std::vector<char> bytes_;
  const size_t capacity_;
  std::atomic<size_t>* const live_;  // the owner's count of live buffers; does not own
};

AsyncLogging::AsyncLogging(std::string basename, size_t rollSize,
                           std::chrono::milliseconds flushInterval, Options options)
    : AsyncLogging(WriteFunc(), FlushFunc(), flushInterval, options) {
  file_ = std::make_unique<LogFile>(std::move(basename), rollSize, flushInterval);
  LogFile* file = file_.get();
  write_ = [file](std::string_view batch) { file->append(batch); };
  flush_ = [file] { file->flush(); };
}

AsyncLogging::AsyncLogging(WriteFunc write, FlushFunc flush,
                           std::chrono::milliseconds flushInterval, Options options)
    : options_(options),
      flushInterval_(flushInterval),
      write_(std::move(write)),
      flush_(std::move(flush)) {
  current_ = newBuffer();
  next_ = newBuffer();
}

AsyncLogging::~AsyncLogging() { stop(); }

AsyncLogging::BufferPtr AsyncLogging::newBuffer() {
  return std::make_unique<Buffer>(options_.bufferSize, &liveBuffers_);
}

void AsyncLogging::start() {
  std::lock_guard<std::mutex> stopLock(stopMutex_);  // thread_ is stop()'s to join
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_ != State::kIdle) {
    std::fprintf(stderr, "AsyncLogging: start() called twice or after stop()\n");
    std::abort();
  }
  state_ = State::kRunning;
  thread_ = std::thread([this] { threadFunc(); });
}

//! [stop]
void AsyncLogging::stop() {
  std::lock_guard<std::mutex> stopLock(stopMutex_);
  bool running;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::kStopped) return;
    running = state_ == State::kRunning;
    state_ = State::kStopped;  // from here on append() refuses: the set to write is closed
  }
  if (running) {
    cond_.notify_one();
    thread_.join();  // its last round takes everything accepted and flushes
    return;
  }
  // Never started: nobody else will write what was appended, so this thread does.
  BufferVector batch;
  uint64_t dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    full_.push_back(std::move(current_));
    batch.swap(full_);
    dropped = std::exchange(droppedSinceReport_, 0);
  }
  writeBatch(batch, dropped);
}
//! [stop]

//! [append]
void AsyncLogging::append(std::string_view line) {
  bool wakeBackEnd = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_ == State::kStopped) {
      droppedTotal_.fetch_add(1, std::memory_order_relaxed);  // the log is closed: count only
      return;
    }
    if (line.size() > options_.bufferSize) {
      ++droppedSinceReport_;  // could never fit: a configuration error, reported like a drop
      droppedTotal_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (dropping_ || current_->available() < line.size()) {
      if (dropping_ || full_.size() >= options_.maxQueuedBuffers) {
        // The writer is this far behind: drop the newest line rather than grow without limit.
        // Once dropping, keep dropping until the back end takes the queue, even lines that
        // would still fit: the log then has one clean gap, where the notice says what it lost.
        dropping_ = true;
        ++droppedSinceReport_;
        droppedTotal_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      full_.push_back(std::move(current_));
      // Usually the spare; a new buffer only while the back end has not returned one yet.
      current_ = next_ ? std::move(next_) : newBuffer();
      wakeBackEnd = true;
    }
    current_->append(line);
  }
  if (wakeBackEnd) cond_.notify_one();
}
//! [append]

//! [threadFunc]
void AsyncLogging::threadFunc() {
  ::pthread_setname_np(::pthread_self(), "logging");
  // Two spares of the back end's own: at each swap one replaces current_ and one refills next_,
  // so the front end rarely has to allocate under the lock.
  BufferPtr spare1 = newBuffer();
  BufferPtr spare2 = newBuffer();
  BufferVector batch;
  bool stopping = false;
  while (!stopping) {
    uint64_t dropped;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      // Wake for a full buffer or stop(); otherwise after flushInterval, to write what the
      // current buffer holds so far (a quiet server's lines must not wait for 1 MiB more).
      cond_.wait_for(lock, flushInterval_,
                     [this] { return !full_.empty() || state_ != State::kRunning; });
      stopping = state_ != State::kRunning;
      if (!current_->empty()) {
        full_.push_back(std::move(current_));
        current_ = std::move(spare1);
      }
      batch.swap(full_);  // moves the pointers: the bytes are never copied
      if (!next_) next_ = std::move(spare2);
      dropped = std::exchange(droppedSinceReport_, 0);
      dropping_ = false;
    }
    // Unlocked: a slow write(2) or a full disk stalls only this thread. Front ends keep
    // appending into current_ and, once it fills, into full_, up to the bound.
    writeBatch(batch, dropped);
    // Two written buffers become the next spares; a burst's extra buffers are freed here, so
    // memory shrinks back once the writer has caught up.
    for (BufferPtr* spare : {&spare1, &spare2}) {
      if (*spare) continue;
      if (batch.empty()) {
        *spare = newBuffer();
      } else {
        *spare = std::move(batch.back());
        batch.pop_back();
        (*spare)->clear();
      }
    }
    batch.clear();
  }
}
//! [threadFunc]

void AsyncLogging::writeBatch(BufferVector& batch, uint64_t dropped) {
  for (const BufferPtr& buffer : batch) {
    if (!buffer->empty()) write_(buffer->view());
  }
  if (dropped > 0) {
    // The lines dropped since the last swap were refused after every line of this batch had
    // been accepted (append() accepts nothing once it has dropped, until the back end takes the
    // queue), so the notice goes right after them: where the gap is. Only a line longer than a
    // buffer is dropped without closing the gate; it is counted in the same notice.
    std::string message = "dropped " + std::to_string(dropped) +
                          " messages: the log writer fell behind (AsyncLogging backlog full)";
    write_(Logger::formatLine(LogLevel::kWarn, __FILE__, __LINE__, message));
  }
  flush_();
}

}  // namespace net
