// EventLoopThread: a thread that runs one EventLoop, "one loop per thread" packaged.
//
// startLoop() starts the thread, which creates its EventLoop on its own stack (the loop
// belongs to the thread that creates it), and returns the loop's address once it exists.
// Owns: the thread. The EventLoop lives on that thread's stack and dies when loop() returns.
// Thread safety: construct, startLoop() and destroy on one thread (the owner); the returned
// EventLoop* is usable from any thread through its [any thread] members until destruction.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace net {

class EventLoop;

/// Runs on a new loop thread with its loop, before the loop starts: per-thread set-up (thread
/// locals, CPU affinity, a Channel of its own).
using ThreadInitCallback = std::function<void(EventLoop*)>;

/// A thread running an EventLoop from startLoop() until destruction.
class EventLoopThread {
 public:
  /// Does not start the thread yet. `name` names the thread (pthread_setname_np, at most 15
  /// characters are kept) so that it shows up in `top -H` and `/proc/PID/task/*/comm`.
  /// [any thread]
  explicit EventLoopThread(ThreadInitCallback cb = {}, std::string name = {});
  /// Quits the loop and joins the thread. Functors queued on the loop before this call still
  /// run. Safe when startLoop() was never called. [owner thread]
  ~EventLoopThread();
  EventLoopThread(const EventLoopThread&) = delete;
  EventLoopThread& operator=(const EventLoopThread&) = delete;

  /// Starts the thread and blocks until its loop exists; returns the loop, which is running
  /// or about to run. Call once. [owner thread]
  EventLoop* startLoop();

 private:
  void threadFunc();

  ThreadInitCallback callback_;
  const std::string name_;
  std::thread thread_;

  std::mutex mutex_;                 // guards loop_; held while quitting it
  std::condition_variable loopSet_;  // startLoop() waits on it for loop_
  EventLoop* loop_ = nullptr;        ///< the thread's loop while it exists; does not own
};

}  // namespace net
