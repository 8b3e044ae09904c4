// StopSignal: turns SIGINT/SIGTERM into an ordinary function call on an ordinary thread.
//
// A blocking server cannot do its shutdown inside a signal handler (almost nothing is
// async-signal-safe). Instead the signals are blocked in every thread and one thread waits for
// them with sigwait(2), then runs `onStop` as normal code.
// Create it in main() before any other thread, so that every thread inherits the blocked mask.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace net {

/// Blocks SIGINT and SIGTERM process-wide and runs `onStop` on a dedicated thread when one
/// arrives. `onStop` runs at most once, and not at all if the StopSignal is destroyed first.
class StopSignal {
 public:
  /// [main thread, before any other thread exists] Blocks the signals and starts the waiter.
  explicit StopSignal(std::function<void()> onStop) {
    sigset_t set = stopSignals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    waiter_ = std::thread([this, set, onStop = std::move(onStop)] {
      int sig = 0;
      ::sigwait(&set, &sig);
      if (!leaving_) onStop();
    });
  }
  /// Joins the waiter. When no signal has come (main is leaving for another reason, such as
  /// an accept error), the waiter is woken by a SIGTERM aimed at that thread alone and returns
  /// without calling `onStop`; once the waiter has finished, the extra signal is discarded.
  ~StopSignal() {
    leaving_ = true;
    ::pthread_kill(waiter_.native_handle(), SIGTERM);
    waiter_.join();
  }
  /// Not copyable: one waiter thread per object.
  StopSignal(const StopSignal&) = delete;
  /// Not copyable: one waiter thread per object.
  StopSignal& operator=(const StopSignal&) = delete;

  /// The signals the program contract says stop a server.
  static sigset_t stopSignals() {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGINT);
    ::sigaddset(&set, SIGTERM);
    return set;
  }

 private:
  std::atomic<bool> leaving_{false};  // set by the destructor before it wakes the waiter
  std::thread waiter_;
};

}  // namespace net
