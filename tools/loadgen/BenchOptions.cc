#include "BenchOptions.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace loadgen {

namespace {

constexpr const char* kProgram = "echo_bench";
constexpr const char* kSummary =
    "Echo/pingpong load client: each connection sends one message, waits for the whole echo,\n"
    "checks every byte, then sends the next. Prints one summary line on stdout.";

/// One `--name VALUE` (or `--name=VALUE`) flag; `apply` checks and stores the value.
struct Flag {
  std::string name;
  std::string valueName;
  std::string help;
  std::function<bool(const std::string&)> apply;
};

bool parseInteger(const std::string& text, int64_t min, int64_t max, int64_t* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max) return false;
  *out = value;
  return true;
}

bool parseDecimal(const std::string& text, double min, double max, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(value) || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

Flag intFlag(const std::string& name, int* target, int min, int max, const std::string& help) {
  return {name, "N", help, [=](const std::string& text) {
            int64_t value = 0;
            if (!parseInteger(text, min, max, &value)) return false;
            *target = static_cast<int>(value);
            return true;
          }};
}

Flag secondsFlag(const std::string& name, double* target, double min, double max,
                 const std::string& help) {
  return {name, "SECONDS", help,
          [=](const std::string& text) { return parseDecimal(text, min, max, target); }};
}

std::vector<Flag> makeFlags(BenchOptions* opts, bool* secondsGiven) {
  std::vector<Flag> flags;
  flags.push_back({"host", "ADDR", "server address: 127.0.0.1 or ::1 only (default 127.0.0.1)",
                   [=](const std::string& text) {
                     opts->host = text;
                     return true;
                   }});
  flags.push_back(intFlag("port", &opts->port, 1, 65535, "server TCP port (required)"));
  flags.push_back(
      intFlag("connections", &opts->connections, 1, 100000, "concurrent connections (default 10)"));
  flags.push_back({"seconds", "SECONDS", "measured window in seconds (default 5)",
                   [=](const std::string& text) {
                     *secondsGiven = true;
                     return parseDecimal(text, 0.01, 86400, &opts->seconds);
                   }});
  flags.push_back({"messages", "N",
                   "instead of --seconds: stop after N measured round trips in total",
                   [=](const std::string& text) {
                     return parseInteger(text, 1, int64_t{1} << 40, &opts->messages);
                   }});
  flags.push_back(intFlag("size", &opts->size, 1, 64 << 20, "bytes per message (default 64)"));
  flags.push_back(intFlag("threads", &opts->threads, 1, 256,
                          "client threads, connections spread evenly (default 1)"));
  flags.push_back(secondsFlag("warmup", &opts->warmup, 0, 3600,
                              "unmeasured seconds after all connections are up (default 0.5)"));
  flags.push_back(secondsFlag("timeout", &opts->timeout, 0.1, 86400,
                              "hard deadline for the whole run (default: warmup + seconds + 30)"));
  flags.push_back(intFlag("server-pid", &opts->serverPid, 1, 1 << 30,
                          "sample this process's CPU time (/proc/PID/stat) over the window"));
  flags.push_back({"json", "FILE", "also write the result, machine and command as JSON to FILE",
                   [=](const std::string& text) {
                     opts->jsonPath = text;
                     return !text.empty();
                   }});
  return flags;
}

void printUsage(std::FILE* out, const std::vector<Flag>& flags) {
  std::fprintf(out, "usage: %s --port N [options]\n%s\n\noptions:\n", kProgram, kSummary);
  for (const Flag& flag : flags) {
    std::string left = "--" + flag.name + " " + flag.valueName;
    std::fprintf(out, "  %-22s %s\n", left.c_str(), flag.help.c_str());
  }
  std::fprintf(out, "  %-22s %s\n", "--help", "show this help and exit");
  std::fprintf(out,
               "\nexit status: 0 success; 1 a connection failed, a byte differed or the run\n"
               "did not complete; 2 bad command line\n");
}

[[noreturn]] void usageError(const std::string& message, const std::vector<Flag>& flags) {
  std::fprintf(stderr, "%s: %s\n", kProgram, message.c_str());
  printUsage(stderr, flags);
  std::exit(2);
}

}  // namespace

double BenchOptions::hardDeadline() const {
  if (timeout > 0) return timeout;
  return warmup + (messages > 0 ? 120.0 : seconds) + 30.0;
}

BenchOptions parseBenchOptions(int argc, char** argv) {
  BenchOptions opts;
  bool secondsGiven = false;
  bool portGiven = false;
  std::vector<Flag> flags = makeFlags(&opts, &secondsGiven);
  for (int i = 0; i < argc; ++i) opts.commandLine.emplace_back(argv[i]);

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      printUsage(stdout, flags);
      std::exit(0);
    }
    std::string value;
    bool inlineValue = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      inlineValue = true;
    }
    const Flag* flag = nullptr;
    for (const Flag& candidate : flags) {
      if ("--" + candidate.name == arg) flag = &candidate;
    }
    if (flag == nullptr) usageError("unknown option '" + arg + "'", flags);
    if (!inlineValue) {
      if (i + 1 >= argc) usageError("option '" + arg + "' needs a value", flags);
      value = argv[++i];
    }
    if (!flag->apply(value)) usageError("invalid value '" + value + "' for " + arg, flags);
    if (flag->name == "port") portGiven = true;
  }

  if (!portGiven) usageError("--port is required", flags);
  if (opts.host != "127.0.0.1" && opts.host != "::1") {
    usageError("--host must be 127.0.0.1 or ::1 (got '" + opts.host +
                   "'): this client only loads servers on this machine",
               flags);
  }
  if (secondsGiven && opts.messages > 0) {
    usageError("--seconds and --messages exclude each other", flags);
  }
  if (opts.threads > opts.connections) {
    usageError("--threads must not exceed --connections", flags);
  }
  return opts;
}

}  // namespace loadgen
