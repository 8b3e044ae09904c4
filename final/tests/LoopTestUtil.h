// Helpers for tests that run an EventLoop: the loop on a thread of its own, a way to run code
// on that thread and wait for the result, a thread-safe log of callbacks to wait on, a gate
// that holds tasks on other threads until the test lets them go, and what /proc tells about a
// process's threads and open descriptors.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "EventLoop.h"

namespace net::test {

/// Runs an EventLoop on its own thread for the lifetime of the object; the destructor quits
/// the loop and joins the thread. Objects that belong to the loop (servers, acceptors) are
/// created and destroyed through call(), on the loop thread.
class LoopThread {
 public:
  LoopThread() {
    thread_ = std::thread([this] {
      EventLoop eventLoop;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        loop_ = &eventLoop;
        running_ = true;
      }
      started_.notify_one();
      eventLoop.loop();
      // Under the lock, so that the destructor's quit() never meets a destroyed loop.
      std::lock_guard<std::mutex> lock(mutex_);
      running_ = false;
    });
    std::unique_lock<std::mutex> lock(mutex_);
    started_.wait(lock, [this] { return loop_ != nullptr; });
  }
  ~LoopThread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (running_) loop_->quit();
    }
    thread_.join();
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  /// The loop; it lives on its own thread and belongs to this object. [any thread]
  EventLoop* loop() const { return loop_; }
  /// The id of the loop's thread. [any thread]
  std::thread::id threadId() const { return thread_.get_id(); }

  /// Runs `f` on the loop thread and returns its result. A loop that does not run it within
  /// the timeout is a hang: the test binary aborts with a message (the functor refers to the
  /// caller's stack, so returning would be unsafe).
  template <typename F>
  auto call(F f, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    using R = std::invoke_result_t<F>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    std::future<R> result = task->get_future();
    loop_->runInLoop([task] { (*task)(); });
    if (result.wait_for(timeout) != std::future_status::ready) {
      std::fprintf(stderr, "LoopThread::call: the loop did not run the functor in time\n");
      std::abort();
    }
    return result.get();
  }

 private:
  std::mutex mutex_;
  std::condition_variable started_;
  EventLoop* loop_ = nullptr;  ///< set once, before the constructor returns
  bool running_ = false;       ///< guarded by mutex_: loop_ may be told to quit
  std::thread thread_;
};

/// What happened, in order: callbacks append a line from whichever thread they run on, and
/// the test waits for a number of lines with a timeout as safety net.
class EventLog {
 public:
  /// Appends `event`. [any thread]
  void add(std::string event) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(event));
    changed_.notify_all();
  }

  /// Waits until at least `count` events were logged (or the timeout passed), then returns
  /// them all.
  std::vector<std::string> waitFor(size_t count,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
    return events_;
  }

  /// Waits until an event starting with `prefix` was logged (or the timeout passed), then
  /// returns them all.
  std::vector<std::string> waitForPrefix(
      const std::string& prefix, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] {
      for (const std::string& event : events_) {
        if (event.rfind(prefix, 0) == 0) return true;
      }
      return false;
    });
    return events_;
  }

  /// The events logged so far.
  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
};

/// A one-shot gate that tasks on other threads wait on until the test opens it. Every wait is
/// bounded and the destructor opens the gate, so a failing test cannot leave a thread blocked.
/// Any thread may call every member.
class Gate {
 public:
  /// Opens the gate, so a task still waiting is let go at once rather than at its timeout.
  ~Gate() { open(); }

  /// Lets every waiter through, present and future.
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }

  /// Blocks until the gate is open or `timeout` passed; true when it opened.
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;  ///< guarded by mutex_
};

/// How many threads of process `pid` (0: this one) have a name (/proc/PID/task/TID/comm)
/// starting with `prefix`. Loop threads are named after their server, so this counts them.
inline int threadNamesStartingWith(const std::string& prefix, pid_t pid = 0) {
  std::string dir = "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/task";
  DIR* tasks = ::opendir(dir.c_str());
  if (tasks == nullptr) return -1;
  int count = 0;
  while (dirent* entry = ::readdir(tasks)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream comm(dir + "/" + entry->d_name + "/comm");
    std::string name;
    if (std::getline(comm, name) && name.rfind(prefix, 0) == 0) ++count;
  }
  ::closedir(tasks);
  return count;
}

/// How many file descriptors process `pid` (0: this one) has open: the entries of /proc/PID/fd,
/// less, for this process, the one the count itself holds open while it reads them. -1 when
/// the directory cannot be read.
inline int openFdCount(pid_t pid = 0) {
  std::string dir = "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) + "/fd";
  DIR* fds = ::opendir(dir.c_str());
  if (fds == nullptr) return -1;
  int count = 0;
  while (dirent* entry = ::readdir(fds)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(fds);
  return pid == 0 ? count - 1 : count;
}

}  // namespace net::test
