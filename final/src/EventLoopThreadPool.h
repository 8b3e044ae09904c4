// EventLoopThreadPool: the sub reactors of a multi-reactor server.
//
// N EventLoopThreads, handed out round robin by getNextLoop(). With N = 0 every call returns
// the base loop, and the server is the single-reactor one of chapter 05.
// Owns: the EventLoopThreads (and through them the threads and their loops).
// Borrows: the base loop (does not own).
// Thread safety: everything but construction on the base loop's thread (asserted).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "EventLoopThread.h"

namespace net {

class EventLoop;

/// A fixed set of loop threads behind one base loop.
class EventLoopThreadPool {
 public:
  /// No threads yet: setThreadNum(), then start(). `name` prefixes the threads' names.
  /// [any thread]
  EventLoopThreadPool(EventLoop* baseLoop, std::string name);
  /// Quits and joins every thread, in the order they were started. [base loop thread]
  ~EventLoopThreadPool();
  EventLoopThreadPool(const EventLoopThreadPool&) = delete;
  EventLoopThreadPool& operator=(const EventLoopThreadPool&) = delete;

  /// How many loop threads start() creates; 0 (the default) means none. [before start()]
  void setThreadNum(int numThreads);
  /// Starts the threads and waits until every loop exists. `cb` runs on each new thread before
  /// its loop starts; with no threads it runs once, on the base loop. Call once.
  /// [base loop thread]
  void start(const ThreadInitCallback& cb = {});

  /// The loop for the next connection: the threads' loops in turn, or the base loop when there
  /// are none. [base loop thread, after start()]
  EventLoop* getNextLoop();
  /// Every loop getNextLoop() hands out, in its order. [base loop thread, after start()]
  std::vector<EventLoop*> getAllLoops();

  /// Whether start() has run. [base loop thread]
  bool started() const { return started_; }
  /// The name given at construction. [any thread]
  const std::string& name() const { return name_; }

 private:
  EventLoop* baseLoop_;  // does not own
  const std::string name_;
  bool started_ = false;
  int numThreads_ = 0;
  size_t next_ = 0;
  std::vector<std::unique_ptr<EventLoopThread>> threads_;
  std::vector<EventLoop*> loops_;  ///< owned by the threads (each on its thread's stack)
};

}  // namespace net
