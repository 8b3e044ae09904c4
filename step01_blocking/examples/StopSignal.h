// StopSignal: turns SIGINT/SIGTERM into an ordinary function call on an ordinary thread.
//
// A blocking server cannot do its shutdown inside a signal handler (almost nothing is
// async-signal-safe). Instead the signals are blocked in every thread and one thread waits for
// them with sigwait(2), then runs `onStop` as normal code.
// Create it in main() before any other thread, so that every thread inherits the blocked mask.
#pragma once

#include <signal.h>

#include <functional>
#include <thread>

namespace net {

/// Blocks SIGINT and SIGTERM process-wide and runs `onStop` on a dedicated thread when one
/// arrives. The destructor joins that thread, so it must outlive the signal (or be woken by one).
class StopSignal {
 public:
  explicit StopSignal(std::function<void()> onStop) {
    sigset_t set = stopSignals();
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    waiter_ = std::thread([set, onStop = std::move(onStop)] {
      int sig = 0;
      ::sigwait(&set, &sig);
      onStop();
    });
  }
  ~StopSignal() { waiter_.join(); }
  StopSignal(const StopSignal&) = delete;
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
  std::thread waiter_;
};

}  // namespace net
