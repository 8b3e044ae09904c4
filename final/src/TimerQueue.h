// TimerQueue: every timer of one EventLoop, on a single timerfd.
//
// The timers wait in a multimap ordered by deadline; the timerfd is armed for the earliest one
// only. When it fires, its Channel's read callback (dispatch phase of the loop) runs every
// timer that is due, in deadline order, and arms the timerfd for the next deadline. To the
// loop the timers are just one more readable fd: it needs no timeout arithmetic of its own.
// The timerfd runs on CLOCK_MONOTONIC, the clock std::chrono::steady_clock reads, so setting
// the wall clock cannot delay (or hurry) a timer.
// Owns: the timerfd (RAII, TFD_NONBLOCK | TFD_CLOEXEC), its Channel, and the timers'
// callbacks. Borrows: the EventLoop (does not own; it owns this queue).
// Thread safety: add() and cancel() may be called from any thread (they go through
// EventLoop::runInLoop); everything else is the loop thread's. Timer callbacks run on the loop
// thread; a callback that throws is a bug.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "Channel.h"
#include "TimerId.h"
#include "UniqueFd.h"

namespace net {

class EventLoop;

/// The timers of one loop: added and cancelled from any thread, run on the loop thread when
/// their deadline has passed. EventLoop's runAt/runAfter/runEvery/cancel are its interface.
class TimerQueue {
 public:
  /// What a timer runs.
  using Callback = std::function<void()>;

  /// [loop thread] Creates the timerfd and registers its Channel with `loop` (does not own it;
  /// `loop` owns the queue). Throws std::system_error if the timerfd cannot be created.
  explicit TimerQueue(EventLoop* loop);
  /// [loop thread] Unregisters the Channel and closes the timerfd; callbacks of timers that
  /// have not run are destroyed without running.
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  /// [any thread] Adds a timer that runs `cb` at `when` (at once, in the next round of the
  /// loop, when `when` has passed), then every `interval` if `interval` is positive. Timers
  /// with equal deadlines run in the order they reach the loop. From another thread the timer
  /// is inserted when the loop gets to it; the id is valid at once.
  TimerId add(Clock::time_point when, Clock::duration interval, Callback cb);
  /// [any thread] Cancels the timer: its callback does not run again, and not at all if it has
  /// not started. Safe from inside any timer's callback, its own included. An id that has run,
  /// was cancelled already, is invalid or belongs to another loop is ignored.
  void cancel(TimerId id);

 private:
  /// A timer while it waits; its deadline is the key of the multimap.
  struct Timer {
    Callback callback;
    Clock::duration interval;  ///< zero: runs once
    uint64_t sequence;         ///< its TimerId
  };
  using TimerMap = std::multimap<Clock::time_point, Timer>;

  void addInLoop(Clock::time_point when, Timer timer);
  void cancelInLoop(uint64_t sequence);
  void handleRead();
  void runDue(Clock::time_point now);
  /// Arms the timerfd to fire at `when` (absolute, on CLOCK_MONOTONIC).
  void arm(Clock::time_point when);

  EventLoop* loop_;   ///< does not own
  UniqueFd timerfd_;  ///< the timerfd
  Channel channel_;   ///< reads timerfd_ and runs what is due

  // Loop thread only.
  TimerMap timers_;  ///< by deadline; equal deadlines in insertion order
  /// Where each waiting timer is in timers_, for cancel() in O(1).
  std::unordered_map<uint64_t, TimerMap::iterator> index_;
  /// Cancelled while their add() may still be queued (see cancelInLoop); kept for one pass of
  /// the functor queue.
  std::unordered_set<uint64_t> cancelledEarly_;
  bool runningDue_ = false;        ///< inside runDue(): the timerfd is re-armed at its end
  uint64_t running_ = 0;           ///< the timer whose callback runs now, 0 if none
  bool runningCancelled_ = false;  ///< that timer cancelled itself (or was cancelled)
};

}  // namespace net
