// BenchReport: the figures of a run, as one summary line for people and as JSON for scripts.
//
// Units: messages/s counts completed round trips; MiB/s counts the echoed payload the client
// received (one direction: messages/s x size / 2^20); latencies are round-trip times in
// microseconds, from the send() of a message's first byte to the recv() of its echo's last byte.
// The JSON file also records what a reader needs to judge the figures: the command line, CPU
// model, core count, kernel, the client's CPU affinity, the git commit and a UTC timestamp.
// Used from main() only, after the client threads were joined.
#pragma once

#include <string>
#include <vector>

#include "BenchOptions.h"
#include "PingPongClient.h"
#include "RunControl.h"

namespace loadgen {

/// The merged result of every client thread, with the window's length and CPU samples.
struct BenchResult {
  ClientResult totals;           ///< the client threads' results added together
  double seconds = 0;            ///< length of the measured window (0 if it never opened)
  double connectSeconds = -1;    ///< from start to every connection up (or failed); -1: never
  bool complete = false;         ///< the window ran as asked (full length, or every message)
  double clientCpuSeconds = 0;   ///< CPU time of echo_bench over the window
  double serverCpuSeconds = -1;  ///< CPU time of --server-pid over the window; -1 if not sampled
  /// CPU time every other process took over the window (all CPUs busy time minus client and
  /// server): the noise a shared machine adds. -1 if not known.
  double otherCpuSeconds = -1;

  /// Round trips per second over the window; 0 without a window.
  double messagesPerSecond() const;
  /// Echoed payload received per second, in MiB (2^20 bytes).
  double mibPerSecond(int messageSize) const;
  /// Failures of any kind plus an incomplete run: what makes the exit status 1.
  bool failed() const { return totals.errors() > 0 || !complete || totals.messages == 0; }
};

/// Adds `part` (one thread's result) into `total`.
void accumulate(ClientResult* total, const ClientResult& part);

/// Fills the window fields of `result` from the control's edges.
void takeWindow(const RunControl& control, BenchResult* result);

/// The one-line summary printed on stdout, `key=value` pairs separated by spaces.
std::string summaryLine(const BenchOptions& opts, const BenchResult& result);

/// Writes the result, configuration and machine description as one JSON object on one line
/// (a run appends neatly to a .jsonl file). Returns false and sets `error` on an I/O failure.
bool writeJsonReport(const std::string& path, const BenchOptions& opts, const BenchResult& result,
                     std::string* error);

}  // namespace loadgen
