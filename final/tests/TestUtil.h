// Helpers shared by the tests of this step: loopback clients with bounded waits, and a server
// program started as a child process under the program contract.
//
// Every wait here is bounded by a timeout: a test that hangs is reported as a failure, never
// left to ctest's global timeout.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "InetAddress.h"
#include "Socket.h"

namespace net::test {

using namespace std::chrono_literals;

/// A blocking client socket connected to 127.0.0.1:`port`; empty on failure.
inline Socket connectTo(uint16_t port) {
  Socket client = Socket::createTcp(AF_INET);
  if (client.connect(InetAddress(port, /*loopbackOnly=*/true)) != 0) return Socket();
  return client;
}

/// A socket listening on 127.0.0.1:`port` (0: an ephemeral port); `beforeBind` may set
/// options first. Throws std::system_error when bind or listen fails.
inline Socket listenOnLoopback(const std::function<void(Socket&)>& beforeBind = {},
                               uint16_t port = 0) {
  Socket listener = Socket::createTcp(AF_INET);
  if (beforeBind) beforeBind(listener);
  listener.bindAddress(InetAddress(port, /*loopbackOnly=*/true));
  listener.listen();
  return listener;
}

/// Both ends of one loopback TCP connection.
struct ConnectedPair {
  Socket client;  ///< the end that called connect()
  Socket server;  ///< the end accept() returned
};

/// Connects a new client to `listener` and accepts it. Both ends are empty on failure.
inline ConnectedPair connectPair(Socket& listener) {
  ConnectedPair pair;
  pair.client = connectTo(listener.localAddress().port());
  if (pair.client.valid()) pair.server = listener.accept();
  return pair;
}

/// Waits until `fd` has `events` (POLLIN or POLLOUT) or `timeout` passes.
inline bool waitFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd pfd{fd, events, 0};
  int n;
  do {
    n = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  return n == 1;
}

/// Re-checks `condition` every millisecond until it holds or `timeout` passes. For states the
/// kernel offers no event for (a queue length, a /proc entry); returns the last result.
inline bool waitUntil(const std::function<bool()>& condition,
                      std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

/// Writes all of `data`, waiting (bounded) when the socket buffer is full.
inline bool writeAll(int fd, std::string_view data, std::chrono::milliseconds timeout = 5s) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!waitFor(fd, POLLOUT, timeout)) return false;
    } else {
      return false;
    }
  }
  return true;
}

/// The result of reading: the bytes, and how the read ended.
struct ReadResult {
  std::string data;
  bool eof = false;       ///< the peer closed (read returned 0)
  int error = 0;          ///< errno of a failed read (e.g. ECONNRESET), 0 if none
  bool timedOut = false;  ///< nothing arrived within the timeout
};

/// Reads until `want` bytes arrived, EOF, an error, or `timeout` of silence.
inline ReadResult readSome(int fd, size_t want, std::chrono::milliseconds timeout = 5s) {
  ReadResult result;
  char buf[65536];
  while (result.data.size() < want) {
    if (!waitFor(fd, POLLIN, timeout)) {
      result.timedOut = true;
      break;
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      result.data.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      result.eof = true;
      break;
    } else if (errno != EAGAIN && errno != EINTR) {
      result.error = errno;
      break;
    }
  }
  return result;
}

/// Reads exactly `n` bytes (or less on EOF/error/timeout) and returns them.
inline std::string readExactly(int fd, size_t n, std::chrono::milliseconds timeout = 5s) {
  return readSome(fd, n, timeout).data;
}

/// Reads until the peer closes, collecting everything; see ReadResult for how it ended.
inline ReadResult readToEnd(int fd, std::chrono::milliseconds timeout = 5s) {
  return readSome(fd, static_cast<size_t>(-1), timeout);
}

/// Runs `path` with `args` (a shell word list), output discarded; returns the wait status.
inline int runProgram(const std::string& path, const std::string& args) {
  std::string command = path + " " + args + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

/// A server program run as a child process under the program contract: it is started with
/// `--port 0`, and its first stdout line "listening on 127.0.0.1:<port>" tells the port.
class ServerProcess {
 public:
  /// Starts `path` with `args` plus `--port 0`. Check ok() / port() afterwards.
  ServerProcess(const std::string& path, std::vector<std::string> args = {}) {
    args.insert(args.begin(), path);
    args.push_back("--port");
    args.push_back("0");
    // Everything the child needs is built before fork(): between fork and exec only
    // async-signal-safe calls are allowed, and allocating is not one of them.
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::execv(path.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = Socket(out[0]);  // a pipe, but Socket only needs an fd to own and close
    readPort();
  }

  /// Kills the process (SIGKILL) if it is still running, and reaps it.
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// True when the program started and announced its port.
  bool ok() const { return port_ != 0; }
  /// The port from the "listening on" line (0 if none came).
  uint16_t port() const { return port_; }
  /// The child's process id (-1 once it has been reaped by stop()).
  pid_t pid() const { return pid_; }
  /// The first line the server printed.
  const std::string& banner() const { return banner_; }

  /// Sends `sig` and waits (bounded) for the process to exit. Returns its wait status, or
  /// nothing if it did not exit in time (it is then killed by the destructor).
  std::optional<int> stop(int sig = SIGTERM, std::chrono::milliseconds timeout = 5s) {
    if (pid_ <= 0) return std::nullopt;
    // A pidfd becomes readable when the process exits: a bounded wait with no polling loop.
    Socket pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
    ::kill(pid_, sig);
    if (!pidfd.valid() || !waitFor(pidfd.fd(), POLLIN, timeout)) return std::nullopt;
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_) return std::nullopt;
    pid_ = -1;
    return status;
  }

 private:
  void readPort() {
    char c;
    while (waitFor(stdout_.fd(), POLLIN, 10s) && ::read(stdout_.fd(), &c, 1) == 1 && c != '\n') {
      banner_ += c;
    }
    const std::string prefix = "listening on ";
    auto colon = banner_.rfind(':');
    if (banner_.rfind(prefix, 0) == 0 && colon != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoi(banner_.substr(colon + 1)));
    }
  }

  pid_t pid_ = -1;
  Socket stdout_;
  std::string banner_;
  uint16_t port_ = 0;
};

/// How long the threads of process `pid` have spent running or waiting to run, in ms: the sum
/// of the first two fields of /proc/<pid>/task/*/schedstat (time on a CPU and time waiting on a
/// run queue, in ns; the kernel's Documentation/scheduler/sched-stats.rst). A thread that spins
/// adds about the wall-clock time however loaded the machine is (what it does not get of the
/// CPU, it spends waiting for it); a thread asleep in epoll_wait adds next to nothing. CPU time
/// alone (utime + stime) cannot tell the two apart on a busy machine. Nothing if unreadable.
inline std::optional<double> runnableMs(pid_t pid) {
  std::optional<double> total;
  std::error_code error;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream in(task.path() / "schedstat");
    long long runNs = 0;
    long long waitNs = 0;
    if (in >> runNs >> waitNs) {
      total = total.value_or(0) + static_cast<double>(runNs + waitNs) / 1e6;
    }
  }
  return total;
}

}  // namespace net::test
