#include "RunControl.h"

#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

namespace loadgen {

double processCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  // Field 2, the command name, is in parentheses and may contain spaces and ')': skip to the
  // last ')'. After it come field 3 (state) onwards.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 1));
  std::string skip;
  for (int field = 3; field <= 13; ++field) fields >> skip;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double machineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string label;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                     steal = 0;
  if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      label != "cpu") {
    return -1;
  }
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

RunControl::RunControl(int clientThreads, int64_t messageBudget, int serverPid)
    : clientThreads_(clientThreads), messageBudget_(messageBudget), serverPid_(serverPid) {}

WindowEdge RunControl::capture() const {
  WindowEdge edge;
  timespec cpu{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  edge.clientCpuSeconds = static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9;
  if (serverPid_ > 0) edge.serverCpuSeconds = processCpuSeconds(serverPid_);
  edge.machineBusySeconds = machineBusySeconds();
  edge.at = Clock::now();
  return edge;
}

void RunControl::markReady() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++readyThreads_;
  if (readyThreads_ == clientThreads_) readyAt_ = Clock::now();
  changed_.notify_all();
}

bool RunControl::waitReady(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return readyThreads_ == clientThreads_; });
}

void RunControl::connectionUp() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++live_;
}

void RunControl::connectionDown() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--live_ == 0 && measured_) finishLocked();
}

int RunControl::liveConnections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_;
}

Clock::time_point RunControl::readyAt() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return readyAt_;
}

void RunControl::startMeasuring() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  start_ = capture();
  measured_ = true;
  phase_.store(Phase::kMeasure, std::memory_order_release);
  if (live_ == 0) finishLocked();  // every connection died during the warm-up
}

bool RunControl::countRoundTrip() {
  if (messageBudget_ == 0) return true;
  int64_t taken = budgetTaken_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (taken > messageBudget_) return false;
  if (taken == messageBudget_) finish();
  return true;
}

void RunControl::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  finishLocked();
}

void RunControl::finishLocked() {
  if (finished_) return;
  end_ = capture();
  finished_ = true;
  phase_.store(Phase::kDone, std::memory_order_release);
  changed_.notify_all();
}

bool RunControl::waitFinished(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return finished_; });
}

}  // namespace loadgen
