#include "EPollPoller.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace net {

namespace {

/// Enough for a quiet server; poll() doubles it whenever one call fills it (muduo's
/// EPollPoller does the same), so a busy server soon takes every ready fd in one call.
constexpr size_t kInitialEventListSize = 16;

[[noreturn]] void misuse(const char* what, int fd, int err) {
  std::fprintf(stderr, "EPollPoller: %s(fd %d): %s\n", what, fd, std::strerror(err));
  std::abort();
}

const char* opName(int op) {
  switch (op) {
    case EPOLL_CTL_ADD:
      return "add";
    case EPOLL_CTL_MOD:
      return "modify";
    default:
      return "remove";
  }
}

}  // namespace

EPollPoller::EPollPoller()
    : epollFd_(::epoll_create1(EPOLL_CLOEXEC)), events_(kInitialEventListSize) {
  if (epollFd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EPollPoller::~EPollPoller() { ::close(epollFd_); }

void EPollPoller::add(int fd, uint32_t events) {
  // The kernel would accept an fd that was closed without remove() and then reused by a new
  // file: its old entry vanished with the close. Our own record catches that bug here.
  if (hasFd(fd)) misuse("add", fd, EEXIST);
  control(EPOLL_CTL_ADD, fd, events);
  fds_.insert(fd);
}

void EPollPoller::modify(int fd, uint32_t events) {
  if (!hasFd(fd)) misuse("modify", fd, ENOENT);
  control(EPOLL_CTL_MOD, fd, events);
}

void EPollPoller::remove(int fd) {
  if (!hasFd(fd)) misuse("remove", fd, ENOENT);
  control(EPOLL_CTL_DEL, fd, 0);
  fds_.erase(fd);
}

//! [control]
void EPollPoller::control(int op, int fd, uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;  // handed back untouched by epoll_wait: how we learn which fd is ready
  if (::epoll_ctl(epollFd_, op, fd, &event) == 0) return;
  // Running out of kernel memory or of fs.epoll.max_user_watches is a condition the caller
  // can survive (drop this connection); anything else means the fd or the call is wrong.
  if (op == EPOLL_CTL_ADD && (errno == ENOMEM || errno == ENOSPC)) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
  misuse(opName(op), fd, errno);
}
//! [control]

//! [poll]
int EPollPoller::poll(int timeoutMs, std::vector<epoll_event>* ready) {
  // STUDENT-BEGIN(epoll-poll): epoll_wait into events_, copy to *ready, EINTR is 0, grow if full
  // STUDENT-STUB: (void)timeoutMs;
  // STUDENT-STUB: ready->clear();
  // STUDENT-STUB: return 0;
  int n = ::epoll_wait(epollFd_, events_.data(), static_cast<int>(events_.size()), timeoutMs);
  if (n < 0) {
    // EINTR: a signal handler ran, or the process was stopped and continued (signal(7)).
    if (errno != EINTR) misuse("epoll_wait", epollFd_, errno);
    n = 0;
  }
  ready->assign(events_.begin(), events_.begin() + n);
  // A full array means more fds may be ready than we had room for. The others are not lost
  // (level-triggered: they stay on the ready list), but the next call should take them all.
  if (static_cast<size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
  return n;
  // STUDENT-END(epoll-poll)
}
//! [poll]

}  // namespace net
