// RunControl: what the client threads share with the main thread during a run.
//
// A run goes through three phases: kWarmup (connecting, then unmeasured traffic), kMeasure (the
// window: round trips are counted and timed) and kDone (threads close their connections and
// return). The main thread moves the phases; in --messages mode the client thread that
// completes the last budgeted round trip ends the window itself, so the window ends on the exact
// message and not at the main thread's next wake-up.
// At each edge of the window the CPU time of this process and (optionally) of the server are
// sampled, so "CPU per message" divides the CPU of the window by the messages of the window,
// not the CPU of connecting 1000 clients.
// Thread safety: every member function may be called from any thread (see each for its role).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace loadgen {

/// The clock of every measurement: monotonic, and read through the vDSO (no system call).
using Clock = std::chrono::steady_clock;

/// The phases of a run, in order. Round trips count only in kMeasure.
enum class Phase {
  kWarmup,   ///< connecting, then unmeasured traffic
  kMeasure,  ///< the window: round trips are counted and timed
  kDone,     ///< the window is over: threads close their connections and return
};

/// A snapshot taken at one edge of the measured window.
struct WindowEdge {
  Clock::time_point at;            ///< when the snapshot was taken
  double clientCpuSeconds = 0;     ///< user+system CPU of this process (all threads)
  double serverCpuSeconds = -1;    ///< utime+stime of the server process; -1 if not sampled
  double machineBusySeconds = -1;  ///< busy time of all CPUs together (/proc/stat); -1 if unread
};

/// Phase, message budget and the two latches of a run.
class RunControl {
 public:
  /// `clientThreads`: how many threads will call markReady(). `messageBudget`: round trips to
  /// count before the window ends (0: the main thread ends it). `serverPid`: process whose CPU
  /// time is sampled at the edges (0: none).
  RunControl(int clientThreads, int64_t messageBudget, int serverPid);
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  /// The current phase. [any thread] An acquire load (a plain load on x86): client threads
  /// read it once per round trip.
  Phase phase() const { return phase_.load(std::memory_order_acquire); }

  /// [client thread] This thread's connections are all up (or have failed). Once per thread.
  void markReady();
  /// [main thread] Waits until every client thread is ready or `deadline` passes.
  /// Returns true if all are ready.
  bool waitReady(Clock::time_point deadline);
  /// [main thread, after waitReady() returned true] When the last thread became ready.
  Clock::time_point readyAt() const;

  /// [client thread] A connection completed its first round trip: it is live.
  void connectionUp();
  /// [client thread] A live connection failed. When the last one goes during the window, the
  /// window ends at once: nothing more can complete (--messages would otherwise wait for its
  /// budget until the hard deadline).
  void connectionDown();
  /// [any thread] Connections live now, over all threads.
  int liveConnections() const;

  /// [main thread] Opens the window: samples the start edge, then enters kMeasure.
  void startMeasuring();
  /// [client thread] Counts one completed round trip against the budget. Returns false when the
  /// budget was already used up (the round trip is not counted; send nothing more). The call
  /// that takes the last unit ends the window. Without a budget it always returns true.
  bool countRoundTrip();
  /// [any thread] Ends the window (the first call wins; later calls do nothing): samples the
  /// end edge, enters kDone and wakes waitFinished().
  void finish();
  /// [main thread] Waits until finish() ran or `deadline` passes. Returns true if it ran.
  bool waitFinished(Clock::time_point deadline);

  /// [main thread, after finish()] True if startMeasuring() ran, i.e. there is a window.
  bool measured() const { return measured_; }
  /// [main thread, after finish()] The edges of the window.
  const WindowEdge& windowStart() const { return start_; }
  const WindowEdge& windowEnd() const { return end_; }  ///< see windowStart()

 private:
  WindowEdge capture() const;
  void finishLocked();  // caller must hold mutex_

  const int clientThreads_;
  const int64_t messageBudget_;
  const int serverPid_;
  std::atomic<Phase> phase_{Phase::kWarmup};
  std::atomic<int64_t> budgetTaken_{0};

  // Guarded by mutex_:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int readyThreads_ = 0;
  int live_ = 0;
  Clock::time_point readyAt_;
  bool finished_ = false;
  bool measured_ = false;
  WindowEdge start_;
  WindowEdge end_;
};

/// utime+stime of process `pid` in seconds, from /proc/PID/stat (fields 14 and 15, see proc(5));
/// includes every thread of the process, also threads that have already exited. -1 if the
/// process does not exist. Resolution: one clock tick (sysconf(_SC_CLK_TCK), usually 10 ms).
double processCpuSeconds(int pid);

/// The busy time of all CPUs together in seconds, from the "cpu" line of /proc/stat (user, nice,
/// system, irq, softirq, steal; see proc(5)). Minus the client's and the server's CPU time it
/// tells how much of the machine other processes took during a window. -1 if unreadable.
double machineBusySeconds();

}  // namespace loadgen
