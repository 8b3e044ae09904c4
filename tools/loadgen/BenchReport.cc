#include "BenchReport.h"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>

namespace loadgen {

namespace {

std::string format(const char* fmt, double value) {
  if (!std::isfinite(value)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, value);
  return buf;
}

/// The first line a shell command prints (stderr discarded), without its newline; empty if the
/// command fails. Only fixed command strings are run.
std::string firstLineOf(const char* command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command, "r"), ::pclose);
  if (!pipe) return "";
  char buf[512];
  std::string line;
  if (std::fgets(buf, sizeof buf, pipe.get()) != nullptr) line = buf;
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

/// The 1, 5 and 15 minute load averages (/proc/loadavg), e.g. "0.52 0.40 0.31".
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  if (!(in >> one >> five >> fifteen)) return "";
  return one + " " + five + " " + fifteen;
}

std::string kernel() {
  utsname name{};
  if (::uname(&name) != 0) return "";
  return std::string(name.sysname) + " " + name.release + " " + name.machine;
}

/// The CPUs this process may run on, as a list like "1" or "0-1" (what taskset pinned).
std::string affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return "";
  std::string out;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    int last = cpu;
    while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set)) ++last;
    if (!out.empty()) out += ',';
    out += last == cpu ? std::to_string(cpu) : std::to_string(cpu) + "-" + std::to_string(last);
    cpu = last;
  }
  return out;
}

std::string utcTimestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// argv joined for a shell: words with unusual characters single-quoted.
std::string shellJoin(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) ||
             std::string_view("_-./:=+,@%").find(ch) != std::string_view::npos;
    });
    if (plain) {
      out += word;
    } else {
      out += '\'';
      for (char ch : word) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      out += '\'';
    }
  }
  return out;
}

/// A minimal JSON object writer: keys in insertion order, strings escaped per RFC 8259 sec. 7.
class JsonObject {
 public:
  JsonObject& add(const std::string& key, const std::string& value) {
    return raw(key, quote(value));
  }
  JsonObject& add(const std::string& key, const char* value) {
    return add(key, std::string(value));
  }
  JsonObject& add(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
  JsonObject& add(const std::string& key, int64_t value) { return raw(key, std::to_string(value)); }
  JsonObject& add(const std::string& key, int value) { return add(key, int64_t{value}); }
  JsonObject& add(const std::string& key, double value) {
    return raw(key, std::isfinite(value) ? format("%.10g", value) : "null");
  }
  JsonObject& addNull(const std::string& key) { return raw(key, "null"); }
  JsonObject& add(const std::string& key, const JsonObject& value) { return raw(key, value.str()); }
  JsonObject& add(const std::string& key, const std::vector<std::string>& values) {
    std::string list = "[";
    for (const std::string& value : values) list += (list.size() > 1 ? "," : "") + quote(value);
    return raw(key, list + "]");
  }
  std::string str() const { return "{" + body_ + "}"; }

 private:
  JsonObject& raw(const std::string& key, const std::string& json) {
    if (!body_.empty()) body_ += ',';
    body_ += quote(key) + ":" + json;
    return *this;
  }
  static std::string quote(const std::string& text) {
    std::string out = "\"";
    for (unsigned char ch : text) {
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += static_cast<char>(ch);
      } else if (ch < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", ch);
        out += buf;
      } else {
        out += static_cast<char>(ch);
      }
    }
    return out + "\"";
  }

  std::string body_;
};

double perMessageMicros(double cpuSeconds, int64_t messages) {
  return messages > 0 && cpuSeconds >= 0 ? cpuSeconds * 1e6 / static_cast<double>(messages) : NAN;
}

double utilisation(double cpuSeconds, double seconds) {
  return seconds > 0 && cpuSeconds >= 0 ? cpuSeconds / seconds : NAN;
}

}  // namespace

double BenchResult::messagesPerSecond() const {
  return seconds > 0 ? static_cast<double>(totals.messages) / seconds : 0.0;
}

double BenchResult::mibPerSecond(int messageSize) const {
  return messagesPerSecond() * messageSize / (1024.0 * 1024.0);
}

void accumulate(ClientResult* total, const ClientResult& part) {
  bool hadLive = total->live > 0;
  total->messages += part.messages;
  total->latency.merge(part.latency);
  total->connected += part.connected;
  total->connectFailures += part.connectFailures;
  total->resets += part.resets;
  total->eofs += part.eofs;
  total->mismatches += part.mismatches;
  total->live += part.live;
  total->stalled += part.stalled;
  total->late += part.late;
  if (part.live > 0) {
    total->minPerConnection =
        hadLive ? std::min(total->minPerConnection, part.minPerConnection) : part.minPerConnection;
    total->maxPerConnection = std::max(total->maxPerConnection, part.maxPerConnection);
  }
  if (total->firstError.empty()) total->firstError = part.firstError;
}

void takeWindow(const RunControl& control, BenchResult* result) {
  if (!control.measured()) return;
  const WindowEdge& start = control.windowStart();
  const WindowEdge& end = control.windowEnd();
  result->seconds = std::chrono::duration<double>(end.at - start.at).count();
  result->clientCpuSeconds = end.clientCpuSeconds - start.clientCpuSeconds;
  if (start.serverCpuSeconds >= 0 && end.serverCpuSeconds >= 0) {
    result->serverCpuSeconds = end.serverCpuSeconds - start.serverCpuSeconds;
  }
  if (start.machineBusySeconds >= 0 && end.machineBusySeconds >= 0) {
    // Tick-granular samples of three sources: clamp the rounding noise at zero.
    double others = end.machineBusySeconds - start.machineBusySeconds - result->clientCpuSeconds -
                    std::max(result->serverCpuSeconds, 0.0);
    result->otherCpuSeconds = std::max(others, 0.0);
  }
}

std::string summaryLine(const BenchOptions& opts, const BenchResult& result) {
  const ClientResult& t = result.totals;
  std::ostringstream line;
  line << "connections=" << opts.connections << " threads=" << opts.threads << " size=" << opts.size
       << " seconds=" << format("%.3f", result.seconds) << " messages=" << t.messages
       << " msgs/s=" << format("%.0f", result.messagesPerSecond())
       << " MiB/s=" << format("%.2f", result.mibPerSecond(opts.size))
       << " p50_us=" << format("%.1f", t.latency.percentileNs(0.50) / 1e3)
       << " p99_us=" << format("%.1f", t.latency.percentileNs(0.99) / 1e3)
       << " max_us=" << format("%.1f", static_cast<double>(t.latency.maxNs()) / 1e3)
       << " client_cpu="
       << format("%.0f%%", 100 * utilisation(result.clientCpuSeconds, result.seconds));
  if (result.serverCpuSeconds >= 0) {
    line << " server_cpu="
         << format("%.0f%%", 100 * utilisation(result.serverCpuSeconds, result.seconds))
         << " server_us/msg="
         << format("%.2f", perMessageMicros(result.serverCpuSeconds, t.messages));
  }
  if (result.otherCpuSeconds >= 0) {
    line << " other_cpu="
         << format("%.0f%%", 100 * utilisation(result.otherCpuSeconds, result.seconds));
  }
  line << " stalled=" << t.stalled;
  if (t.late > 0) line << " late=" << t.late;
  line << " errors=" << t.errors();
  if (t.errors() > 0) {
    line << " (connect=" << t.connectFailures << " reset=" << t.resets << " eof=" << t.eofs
         << " mismatch=" << t.mismatches << ")";
  }
  if (!result.complete) line << " incomplete";
  return line.str();
}

bool writeJsonReport(const std::string& path, const BenchOptions& opts, const BenchResult& result,
                     std::string* error) {
  const ClientResult& t = result.totals;
  JsonObject config;
  config.add("host", opts.host).add("port", opts.port).add("connections", opts.connections);
  config.add("threads", opts.threads).add("size", opts.size).add("warmup", opts.warmup);
  if (opts.messages > 0) {
    config.addNull("seconds").add("messages", opts.messages);
  } else {
    config.add("seconds", opts.seconds).addNull("messages");
  }
  config.add("hard_deadline", opts.hardDeadline());
  if (opts.serverPid > 0) {
    config.add("server_pid", opts.serverPid);
  } else {
    config.addNull("server_pid");
  }

  JsonObject figures;
  figures.add("seconds", result.seconds).add("messages", t.messages);
  figures.add("connect_seconds", result.connectSeconds >= 0 ? result.connectSeconds : NAN);
  figures.add("bytes", t.messages * int64_t{opts.size});
  figures.add("msgs_per_s", result.messagesPerSecond());
  figures.add("mib_per_s", result.mibPerSecond(opts.size));
  figures.add("p50_us", t.latency.percentileNs(0.50) / 1e3);
  figures.add("p90_us", t.latency.percentileNs(0.90) / 1e3);
  figures.add("p99_us", t.latency.percentileNs(0.99) / 1e3);
  figures.add("p999_us", t.latency.percentileNs(0.999) / 1e3);
  figures.add("max_us", static_cast<double>(t.latency.maxNs()) / 1e3);
  figures.add("mean_us", t.latency.meanNs() / 1e3);
  figures.add("client_cpu_s", result.clientCpuSeconds);
  figures.add("client_cpu_util", utilisation(result.clientCpuSeconds, result.seconds));
  figures.add("client_cpu_us_per_msg", perMessageMicros(result.clientCpuSeconds, t.messages));
  figures.add("server_cpu_s", result.serverCpuSeconds >= 0 ? result.serverCpuSeconds : NAN);
  figures.add("server_cpu_util", utilisation(result.serverCpuSeconds, result.seconds));
  figures.add("server_cpu_us_per_msg", perMessageMicros(result.serverCpuSeconds, t.messages));
  figures.add("other_cpu_util", utilisation(result.otherCpuSeconds, result.seconds));
  figures.add("connected", t.connected).add("live", t.live).add("stalled", t.stalled);
  figures.add("late", t.late);
  figures.add("min_per_connection", t.minPerConnection);
  figures.add("max_per_connection", t.maxPerConnection);
  figures.add("errors", t.errors()).add("connect_failures", t.connectFailures);
  figures.add("resets", t.resets).add("eofs", t.eofs).add("mismatches", t.mismatches);
  figures.add("complete", result.complete).add("first_error", t.firstError);

  JsonObject machine;
  machine.add("cpu_model", cpuModel());
  machine.add("cores", static_cast<int64_t>(::sysconf(_SC_NPROCESSORS_ONLN)));
  machine.add("kernel", kernel());
  machine.add("client_affinity", affinity());
  machine.add("loadavg", loadAverage());

  JsonObject git;
  git.add("commit", firstLineOf("git rev-parse --short HEAD 2>/dev/null"));
  git.add("dirty", !firstLineOf("git status --porcelain --untracked-files=no 2>/dev/null").empty());

  JsonObject report;
  report.add("tool", "echo_bench").add("format", 1).add("timestamp", utcTimestamp());
  report.add("command", shellJoin(opts.commandLine)).add("argv", opts.commandLine);
  report.add("config", config).add("result", figures).add("machine", machine).add("git", git);
  report.add("client_compiler", __VERSION__);

  std::ofstream out(path, std::ios::trunc);
  out << report.str() << '\n';
  out.close();
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace loadgen
