// BenchOptions: the command line of echo_bench, parsed and checked before anything runs.
//
// Bad input never starts a run: an unknown flag, a missing or out-of-range value, or a host
// other than the loopback addresses prints a message and the usage to stderr and exits 2;
// --help prints the usage to stdout and exits 0 (the program contract of the servers, applied
// to the client too). Used from main() only, before any thread starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace loadgen {

/// Everything a run is configured with. The defaults are the values `--help` shows.
struct BenchOptions {
  /// The server's address. Only 127.0.0.1 and ::1 are accepted: a load client that can be
  /// aimed at another machine is a denial-of-service tool, and our figures are loopback figures.
  std::string host = "127.0.0.1";
  int port = 0;          ///< the server's TCP port (required)
  int connections = 10;  ///< concurrent connections, each one message in flight
  double seconds = 5.0;  ///< length of the measured window (unless `messages` is set)
  int64_t messages = 0;  ///< > 0: stop after this many measured round trips in total
  int size = 64;         ///< bytes per message
  int threads = 1;       ///< client threads; connections are spread evenly over them
  double warmup = 0.5;   ///< seconds of unmeasured traffic after every connection is up
  double timeout = 0.0;  ///< hard deadline of the whole run; 0: derived, see hardDeadline
  int serverPid = 0;     ///< > 0: sample this process's CPU time at the window's edges
  std::string jsonPath;  ///< non-empty: write the result as JSON to this file
  std::vector<std::string> commandLine;  ///< argv as given, for the report

  /// The hard deadline in seconds from start: `timeout` if given, otherwise warm-up plus the
  /// window plus 30 s for connecting and tearing down (120 s for the window in --messages mode).
  double hardDeadline() const;
};

/// Parses argv. Returns only when every argument was understood and the values are coherent;
/// otherwise exits (0 for --help, 2 for a usage error).
BenchOptions parseBenchOptions(int argc, char** argv);

}  // namespace loadgen
