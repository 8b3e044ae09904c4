// TimingWheel: closes the connections of one loop that have been idle longer than a timeout.
//
// The study notes' heartbeat design: "update the time whenever data is received or sent; only
// when it times out, act". A connection only records when it last read or wrote a byte
// (Hook::touch: one clock read and one store); nothing is scheduled, moved or cancelled per
// byte. The wheel is a ring of buckets, one per tick. A connection waits in the bucket of the
// first tick at or after its deadline (last activity + timeout). Each tick (a runEvery timer of
// the loop) empties the bucket that has come round: a connection idle since its deadline is
// closed (forceClose), one that was active meanwhile moves to the bucket of its new deadline.
// So a connection is looked at about once per timeout, whatever its traffic, and is closed
// between `timeout` and `timeout + tick` after its last activity (plus the loop's latency).
//
// The buckets are intrusive doubly linked lists threaded through a Hook inside each
// TcpConnection: adding, moving and removing a connection allocate nothing and cost O(1), and
// a closed connection leaves the wheel at once (connectDestroyed unlinks it). A bucket of
// weak_ptr<TcpConnection> would instead keep each closed connection's memory (its make_shared
// block) until the bucket came round, up to a whole timeout later.
//
// Owns: the buckets' list heads and the tick timer. Borrows: the EventLoop (does not own) and
// the connections in the buckets (does not own; a linked connection is alive, because it
// unlinks itself when it is destroyed and in connectDestroyed()).
// Thread safety: the constructor may run on any thread; everything else is [loop thread]. The
// destructor runs after stop() ran on the loop thread, or once the loop is gone.
#pragma once

#include <cstdint>
#include <vector>

#include "Callbacks.h"
#include "TimerId.h"

namespace net {

class EventLoop;

/// A per-loop timing wheel that force-closes connections idle for longer than a timeout.
/// TcpServer::setIdleTimeout() makes one for each loop that serves connections.
class TimingWheel {
 public:
  /// A connection's place in a wheel: a link of one bucket's list, and the time of the
  /// connection's last activity. Lives inside its TcpConnection; costs 32 bytes and no work
  /// while no wheel watches the connection.
  class Hook {
   public:
    /// [any thread] An unlinked hook for `owner` (does not own it); nullptr makes a list head.
    explicit Hook(TcpConnection* owner = nullptr) : owner_(owner) {}
    /// Leaves the wheel, if still in one: a linked hook belongs to the loop thread; an
    /// unlinked one touches only itself, on any thread.
    ~Hook() { unlink(); }
    Hook(const Hook&) = delete;
    Hook& operator=(const Hook&) = delete;

    /// [loop thread] Records activity (bytes read or written) now, if a wheel watches the
    /// connection; otherwise does nothing, not even read the clock.
    void touch() {
      if (linked()) lastActivity_ = Clock::now();
    }
    /// [loop thread] Leaves the wheel; does nothing when not in one.
    void unlink() {
      prev_->next_ = next_;
      next_->prev_ = prev_;
      prev_ = next_ = this;
    }
    /// [loop thread] Whether a wheel watches the connection.
    bool linked() const { return next_ != this; }

   private:
    friend class TimingWheel;

    Hook* prev_ = this;  ///< an unlinked hook (or an empty list's head) points to itself
    Hook* next_ = this;
    TcpConnection* owner_;  ///< does not own; nullptr for a list head
    Clock::time_point lastActivity_{};
  };

  /// [any thread] A wheel on `loop` (does not own it; it must outlive the wheel's timer)
  /// that closes connections idle for `timeout`, checking every `tick`. Starts the tick timer
  /// (EventLoop::runEvery) at once. Both durations must be positive: aborts otherwise.
  TimingWheel(EventLoop* loop, Clock::duration timeout, Clock::duration tick);
  /// Lets go of the connections still in the wheel. [loop thread after stop(), or any thread
  /// once the loop is gone]
  ~TimingWheel();
  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  /// [loop thread] Starts watching `conn`, a connection of this loop, as active now. The
  /// connection leaves the wheel when it is closed for idleness or destroyed (connectDestroyed).
  void add(const TcpConnectionPtr& conn);
  /// [loop thread] Cancels the tick timer and lets go of every connection; afterwards the
  /// wheel closes nothing. Call it before destroying the wheel while its loop runs.
  void stop();

  /// [any thread] The loop whose connections this wheel watches.
  EventLoop* loop() const { return loop_; }
  /// [any thread] How long a connection may stay idle.
  Clock::duration timeout() const { return timeout_; }
  /// [any thread] How often the wheel looks: the precision of the close.
  Clock::duration tick() const { return tick_; }

 private:
  void onTick();
  void expire(Hook* bucket, Clock::time_point now);
  void place(Hook* hook, Clock::time_point deadline);
  void clear();

  EventLoop* loop_;  ///< does not own
  const Clock::duration timeout_;
  const Clock::duration tick_;
  const Clock::time_point start_;  ///< tick k is due at start_ + k * tick_
  /// List heads, one per tick of a turn; never resized (the lists point into it).
  std::vector<Hook> buckets_;
  int64_t current_ = 0;  ///< the last tick whose bucket was emptied
  TimerId timer_;        ///< the runEvery that calls onTick()
};

}  // namespace net
