// EventLoop: the reactor. One thread runs loop(): wait for ready Channels, dispatch their
// callbacks, run the functors other threads (or callbacks) queued, and again, until quit().
//
// One per thread, at most: the thread that constructs an EventLoop is its loop thread, and a
// second EventLoop in that thread aborts. Owns: its EPollPoller, the wakeup eventfd and the
// Channel for it, and the queue of pending functors. Borrows: every other Channel registered
// with it (their owners remove them before destroying them).
// Thread safety: [loop thread] methods abort when called from another thread (in release
// builds too); the [any thread] ones are quit(), runInLoop(), queueInLoop(), wakeup(),
// queueSize(), isInLoopThread() and the timer calls runAt(), runAfter(), runEvery() and
// cancel(). Everything else must be sent to the loop thread with runInLoop().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "Channel.h"
#include "EPollPoller.h"
#include "Socket.h"
#include "TimerId.h"

namespace net {

class TimerQueue;

/// A reactor for one thread: the loop that turns readiness into callbacks, plus a
/// thread-safe queue through which other threads get work done on that thread.
class EventLoop {
 public:
  /// Work sent to the loop thread.
  using Functor = std::function<void()>;
  /// The clock of the timers' deadlines: CLOCK_MONOTONIC on Linux (see TimerId.h).
  using Clock = std::chrono::steady_clock;

  /// [any thread without an EventLoop] Makes the calling thread a loop thread. Aborts if the
  /// thread already has an EventLoop.
  /// Throws std::system_error if the epoll instance or the eventfd cannot be created.
  EventLoop();
  /// [loop thread] Unregisters the wakeup Channel. Functors still pending are destroyed
  /// without running. Every other Channel must have been removed already.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// [loop thread] Runs iterations (poll, dispatch active Channels, run pending functors)
  /// until quit(). A quit() that came before loop() makes it return at once; either way the
  /// request is used up, and a later loop() runs again.
  void loop();
  /// [any thread] Asks loop() to return after the iteration in progress; wakes it if it
  /// sleeps in epoll_wait. Does not wait for it to return.
  void quit();

  /// [any thread] Runs `cb` on the loop thread: right now, inside this call, when called on
  /// the loop thread; otherwise as queueInLoop(). A `cb` that throws is a bug.
  void runInLoop(Functor cb);
  /// [any thread] Queues `cb` to run on the loop thread in the functor phase of an iteration,
  /// and wakes the loop if it might otherwise sleep first. Functors run in queue order.
  void queueInLoop(Functor cb);
  /// [any thread] The number of functors queued and not yet taken by the functor phase.
  size_t queueSize() const;
  /// [any thread] Makes the loop's current or next epoll_wait return at once.
  void wakeup();

  /// [any thread] Runs `cb` once on the loop thread at `when` (in the next round if `when` has
  /// passed). Timers with equal deadlines run in the order they were added. The id serves
  /// cancel().
  TimerId runAt(Clock::time_point when, Functor cb);
  /// [any thread] Runs `cb` once on the loop thread after `delay`.
  TimerId runAfter(Clock::duration delay, Functor cb);
  /// [any thread] Runs `cb` on the loop thread every `interval`, the first time one interval
  /// from now, until cancel(). A non-positive interval is a bug (aborts).
  TimerId runEvery(Clock::duration interval, Functor cb);
  /// [any thread] Cancels a timer: its callback does not run again, and not at all if it has
  /// not started. Safe from inside any timer callback, the timer's own included; an id that
  /// has run, was cancelled or is invalid is ignored.
  void cancel(TimerId id);

  /// [loop thread] Called by Channel::update(): forwards to the poller.
  void updateChannel(Channel* channel);
  /// [loop thread] Called by Channel::remove(): forwards to the poller, and during the
  /// dispatch also drops `channel` from the Channels still to be dispatched, so a callback may
  /// remove and then destroy another Channel that was ready in the same iteration.
  void removeChannel(Channel* channel);
  /// [loop thread] Whether `channel` is registered with this loop.
  bool hasChannel(Channel* channel);

  /// [any thread] Whether the caller runs on this loop's thread.
  bool isInLoopThread() const { return threadId_ == std::this_thread::get_id(); }
  /// [any thread] Aborts with a message naming both threads unless called on the loop thread.
  void assertInLoopThread() const {
    if (!isInLoopThread()) abortNotInLoopThread();
  }

  /// [any thread] The EventLoop of the calling thread, or nullptr if it has none.
  static EventLoop* getEventLoopOfCurrentThread();

 private:
  [[noreturn]] void abortNotInLoopThread() const;
  void handleWakeup();
  void dispatchActiveChannels();
  void doPendingFunctors();

  const std::thread::id threadId_;  ///< the loop thread: the one that constructed us
  std::atomic<bool> looping_{false};
  std::atomic<bool> quit_{false};  ///< set by quit() from any thread, used up by loop()

  // Loop thread only.
  bool callingPendingFunctors_ = false;  ///< in the functor phase
  bool dispatching_ = false;             ///< in the dispatch phase (walking activeChannels_)
  std::unique_ptr<EPollPoller> poller_;
  /// What the last poll reported; a Channel removed during the dispatch becomes nullptr.
  EPollPoller::ChannelList activeChannels_;
  Socket wakeupFd_;        ///< an eventfd (not a socket: Socket is our RAII owner of an fd)
  Channel wakeupChannel_;  ///< reads wakeupFd_ back to zero
  /// The timers, on a timerfd Channel of their own. Declared after poller_: destroyed first,
  /// it unregisters that Channel from a poller that still exists.
  std::unique_ptr<TimerQueue> timerQueue_;

  // Guarded by mutex_.
  mutable std::mutex mutex_;
  std::vector<Functor> pendingFunctors_;
};

}  // namespace net
