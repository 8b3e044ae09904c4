// What the Channel and poller tests need around them: the object a Channel registers with, a
// way to run one poll-and-dispatch round, and pairs of connected non-blocking sockets. (Loopback
// TCP pairs, for urgent data and resets, come from TestUtil.h's connectPair.)
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "Channel.h"
#include "EventLoop.h"
#include "Socket.h"

namespace net::test {

/// Safety net for a loop run on the test's own thread: quits it from another thread if it is
/// still running after `timeout`, so a broken loop fails the test instead of hanging it.
class Watchdog {
 public:
  Watchdog(EventLoop* loop, std::chrono::milliseconds timeout)
      : thread_([this, loop, timeout] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!cv_.wait_for(lock, timeout, [this] { return done_; })) {
            fired_ = true;
            loop->quit();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  /// Whether the watchdog had to quit the loop (read after loop() has returned).
  bool fired() {
    std::lock_guard<std::mutex> lock(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  ///< last: starts after the members it uses exist
};

/// A minimal reactor for tests: an EventLoop on the test's thread, and iterations run one at
/// a time by the test itself.
class TestReactor {
 public:
  /// What a Channel registers with: the poller in chapter 03, the EventLoop from 04 on.
  using Owner = EventLoop;

  /// The object Channels are constructed with.
  Owner* owner() { return &loop_; }

  /// One iteration of the loop: poll, dispatch every reported Channel in the kernel's order,
  /// run the functors. The functor that quits is queued before loop() starts, which wakes the
  /// loop, so the poll does not wait.
  void runOnce() {
    Watchdog watchdog(&loop_, std::chrono::seconds(5));
    loop_.queueInLoop([this] { loop_.quit(); });
    loop_.loop();
    EXPECT_FALSE(watchdog.fired()) << "one iteration of the loop did not end by itself";
  }

  /// Whether `channel` is registered.
  bool hasChannel(Channel* channel) { return loop_.hasChannel(channel); }

 private:
  EventLoop loop_;
};

/// Two connected non-blocking AF_UNIX stream sockets: bytes written to one are readable from
/// the other as soon as write() returns, so readiness needs no waiting.
inline std::pair<Socket, Socket> socketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    return {Socket(), Socket()};
  }
  return {Socket(fds[0]), Socket(fds[1])};
}

}  // namespace net::test
