// TimerId: the handle EventLoop::runAt/runAfter/runEvery return, for EventLoop::cancel.
//
// A value type around a sequence number. Numbers come from one counter for the whole process
// and are never reused, so a stale id (a timer that has run, or one of another loop) can never
// cancel the wrong timer: cancelling it does nothing. A default-constructed id is invalid and
// names no timer.
// Also home of net::Clock, the clock every timer of the library is measured on.
// Thread safety: a plain value; copy it freely between threads.
#pragma once

#include <chrono>
#include <cstdint>

namespace net {

/// The clock of every deadline in the library. On Linux, std::chrono::steady_clock reads
/// CLOCK_MONOTONIC (clock_gettime(2)): it never jumps when someone sets the wall clock, which
/// is what a timeout must be measured on. TimerQueue's timerfd runs on the same clock.
using Clock = std::chrono::steady_clock;

/// Names one timer of an EventLoop, so that it can be cancelled. Cheap to copy (8 bytes).
class TimerId {
 public:
  /// An invalid id: names no timer; cancelling it does nothing.
  TimerId() = default;
  /// The id with `sequence` (0 = invalid). Made by TimerQueue; applications only copy ids.
  explicit TimerId(uint64_t sequence) : sequence_(sequence) {}

  /// The timer's sequence number, unique in the process; 0 for an invalid id.
  uint64_t sequence() const { return sequence_; }
  /// Whether the id names a timer (one that may since have run or been cancelled).
  bool valid() const { return sequence_ != 0; }

  /// Whether both ids name the same timer (or both are invalid).
  friend bool operator==(TimerId a, TimerId b) { return a.sequence_ == b.sequence_; }
  /// Whether the ids name different timers.
  friend bool operator!=(TimerId a, TimerId b) { return a.sequence_ != b.sequence_; }

 private:
  uint64_t sequence_ = 0;
};

}  // namespace net
