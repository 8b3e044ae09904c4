// EPollPoller: the RAII owner of one epoll instance, keyed by file descriptor.
//
// Owns: the epoll fd (epoll_create1 with EPOLL_CLOEXEC, closed in the destructor; move is not
// needed, so copies and moves are deleted). Does not own the fds it watches: the caller removes
// an fd before closing it.
// Thread safety: one object must not be used by two threads at once (chapter 04 makes this the
// loop thread and asserts it).
// Notification is level-triggered: an fd is reported by every poll() for as long as it stays
// ready, so a handler may do part of the work and leave the rest for the next round.
// Errors: the constructor throws std::system_error. add() throws std::system_error when the
// kernel is out of memory or watches (ENOMEM, ENOSPC). Misuse is a bug and aborts with a
// message: adding an fd twice, modifying or removing an fd that is not registered, a closed
// or unpollable fd (EBADF, EPERM).
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <set>
#include <vector>

namespace net {

/// A thin wrapper over epoll_create1 / epoll_ctl / epoll_wait. The registered events are
/// EPOLLIN, EPOLLOUT, EPOLLPRI or EPOLLRDHUP; EPOLLERR and EPOLLHUP are always reported
/// (epoll_ctl(2)). Each reported epoll_event carries the fd in `data.fd`.
class EPollPoller {
 public:
  /// Creates the epoll instance. Throws std::system_error (EMFILE, ENOMEM).
  EPollPoller();
  /// Closes the epoll fd; the watched fds stay open (they are not ours).
  ~EPollPoller();
  EPollPoller(const EPollPoller&) = delete;
  EPollPoller& operator=(const EPollPoller&) = delete;

  /// Starts watching `fd` for `events` (EPOLL_CTL_ADD). `fd` must not be registered yet.
  void add(int fd, uint32_t events);
  /// Replaces the events watched on a registered `fd` (EPOLL_CTL_MOD). 0 keeps the fd
  /// registered but silences everything except EPOLLERR and EPOLLHUP.
  void modify(int fd, uint32_t events);
  /// Stops watching a registered `fd` (EPOLL_CTL_DEL). Call it before closing the fd.
  void remove(int fd);
  /// Whether `fd` is registered here.
  bool hasFd(int fd) const { return fds_.count(fd) != 0; }

  /// Waits up to `timeoutMs` milliseconds (-1: no limit, 0: just look) for registered fds to
  /// become ready, and replaces the contents of `*ready` with one epoll_event per ready fd.
  /// Returns the number of ready fds; 0 on timeout or when a signal interrupted the wait.
  int poll(int timeoutMs, std::vector<epoll_event>* ready);

 private:
  void control(int op, int fd, uint32_t events);

  int epollFd_;
  std::set<int> fds_;                ///< the interest list, as we told the kernel
  std::vector<epoll_event> events_;  ///< epoll_wait's output array; grows when it fills up
};

}  // namespace net
