// ComputePool: worker threads for the work that must not run on an I/O loop.
//
// A loop thread serves every connection it owns, one callback at a time: a handler that
// computes for 50 ms (or waits 50 ms on a disk or a database) delays every other connection of
// that loop by 50 ms. Such work is submitted here instead, and its result is handed back to the
// connection's loop with EventLoop::runInLoop (HttpServer's HttpResponder does that). This is the
// study notes' "专门的计算线程", the dedicated compute threads; muduo's base/ThreadPool.h is the
// same idea.
//
// The queue is bounded: submit() refuses a task when maxQueued tasks are already waiting, so an
// overloaded server answers 503 at once instead of queueing without limit (and holding every
// waiting request's memory and connection). Tasks start in submission order (FIFO); with more
// than one thread they run concurrently and may finish in any order.
// Owns: the threads and the queued tasks.
// Thread safety: submit(), queued(), numThreads() and stop() may be called from any thread but
// a pool thread (stop() there would wait for itself); construction and destruction on the owner.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace net {

/// A fixed number of threads taking tasks from one bounded FIFO queue.
class ComputePool {
 public:
  /// One unit of work. It runs on a pool thread and must not throw (an exception would end the
  /// process, as anywhere else on a thread of this library).
  using Task = std::function<void()>;

  /// Starts `numThreads` threads (at least 1, aborts otherwise), named `name` + index (at most
  /// 15 characters are kept, see pthread_setname_np(3)), that wait for tasks. At most
  /// `maxQueued` tasks wait in the queue (tasks being run do not count). Throws
  /// std::system_error when a thread cannot be created. [any thread]
  ComputePool(size_t numThreads, size_t maxQueued, std::string name = "compute");
  /// stop(). [owner thread, not a pool thread]
  ~ComputePool();
  /// Not copyable: the threads refer to this object.
  ComputePool(const ComputePool&) = delete;
  /// Not copyable: the threads refer to this object.
  ComputePool& operator=(const ComputePool&) = delete;

  /// Queues `task` to run on a pool thread. Returns false, and drops the task, when the queue
  /// already holds maxQueued tasks or the pool is stopping: the caller then answers "busy"
  /// (HTTP 503) itself. [any thread]
  bool submit(Task task);

  /// Refuses new tasks, lets the threads run every task already accepted (queued or running),
  /// and joins them. Idempotent; later calls return at once. [any thread but a pool thread]
  void stop();

  /// The tasks waiting for a thread (not those running). [any thread]
  size_t queued() const;
  /// The number of threads. [any thread]
  size_t numThreads() const { return numThreads_; }
  /// The bound given to the constructor. [any thread]
  size_t maxQueued() const { return maxQueued_; }

 private:
  void run();

  const size_t numThreads_;
  const size_t maxQueued_;

  // Guarded by mutex_.
  mutable std::mutex mutex_;
  std::condition_variable notEmpty_;  ///< a task arrived, or stopping_ was set
  std::deque<Task> queue_;
  bool stopping_ = false;

  std::mutex joinMutex_;              ///< serialises stop(): only one caller joins
  std::vector<std::thread> threads_;  ///< started in the constructor, joined by stop()
};

}  // namespace net
