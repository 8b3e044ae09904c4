// StopSignal: SIGINT/SIGTERM as one more Channel on an EventLoop.
//
// The signals are blocked, so that instead of running their default action (terminate) they
// stay pending, and a signalfd(2) makes them readable like any other fd. The Channel's read
// callback then runs `onStop` as ordinary code on the loop thread: no signal handler, in
// which almost nothing is allowed (signal-safety(7)), and no extra thread, as chapter 01's
// sigwait(2) version needed.
// The mask is per thread and inherited by threads created later: create the StopSignal in
// main() before any other thread, or some thread that does not block the signals may receive
// them and be killed by the default action.
// [loop thread]: constructed and destroyed on the loop's thread.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <system_error>
#include <utility>

#include "Channel.h"
#include "EventLoop.h"
#include "Socket.h"

namespace net {

/// Runs `onStop` on the loop thread when SIGINT or SIGTERM arrives; typically `loop->quit()`.
/// Borrows the loop (which must outlive it); owns the signalfd and its Channel.
class StopSignal {
 public:
  /// [loop thread] Blocks SIGINT and SIGTERM in the calling thread and starts watching them.
  /// Throws std::system_error if the mask or the signalfd cannot be set up.
  StopSignal(EventLoop* loop, std::function<void()> onStop)
      : fd_(openSignalFd(stopSignals())), channel_(loop, fd_.fd()), onStop_(std::move(onStop)) {
    channel_.setReadCallback([this] { handleRead(); });
    channel_.enableReading();
  }
  /// [loop thread] Stops watching. The signals stay blocked: one arriving later stays pending
  /// and is ignored, so a second Ctrl-C during shutdown cannot kill the process half-way.
  ~StopSignal() {
    channel_.disableAll();
    channel_.remove();
  }
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  /// [any thread] The signals the program contract says stop a server.
  static sigset_t stopSignals() {
    sigset_t set;
    ::sigemptyset(&set);
    ::sigaddset(&set, SIGINT);
    ::sigaddset(&set, SIGTERM);
    return set;
  }

 private:
  static Socket openSignalFd(const sigset_t& set) {
    int err = ::pthread_sigmask(SIG_BLOCK, &set, nullptr);  // returns the error, not -1
    if (err != 0) throw std::system_error(err, std::generic_category(), "pthread_sigmask");
    int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "signalfd");
    return Socket(fd);  // not a socket, but Socket is our RAII owner of an fd
  }

  void handleRead() {
    // Each read takes one pending signal; level-triggered, another one is reported next round.
    signalfd_siginfo info{};
    if (::read(fd_.fd(), &info, sizeof info) == sizeof info) onStop_();
  }

  Socket fd_;        ///< the signalfd
  Channel channel_;  ///< declared after fd_: removed and destroyed before the fd is closed
  std::function<void()> onStop_;
};

}  // namespace net
