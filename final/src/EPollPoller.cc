#include "EPollPoller.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "Channel.h"
#include "EventLoop.h"

namespace net {

namespace {

/// Enough for a quiet server; poll() doubles it whenever one call fills it (muduo's
/// EPollPoller does the same), so a busy server soon takes every ready fd in one call.
constexpr size_t kInitialEventListSize = 16;

[[noreturn]] void misuse(const char* what, int fd, int err) {
  std::fprintf(stderr, "EPollPoller: %s(fd %d): %s\n", what, fd, std::strerror(err));
  std::abort();
}

/// A broken invariant of the Channel state machine: a bug in the caller.
[[noreturn]] void badState(const char* what, const Channel* channel) {
  std::fprintf(stderr, "EPollPoller: %s(fd %d): %s\n", what, channel->fd(),
               EPollPoller::stateToString(channel->index()));
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

const char* EPollPoller::stateToString(int state) {
  switch (state) {
    case kNew:
      return "kNew";
    case kAdded:
      return "kAdded";
    case kDeleted:
      return "kDeleted";
    default:
      return "invalid";
  }
}

EPollPoller::EPollPoller(EventLoop* loop)
    : ownerLoop_(loop), epollFd_(::epoll_create1(EPOLL_CLOEXEC)), events_(kInitialEventListSize) {
  if (epollFd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EPollPoller::~EPollPoller() { ::close(epollFd_); }

//! [updateChannel]
void EPollPoller::updateChannel(Channel* channel) {
  ownerLoop_->assertInLoopThread();
  // STUDENT-BEGIN(poller-update): register, modify or remove the fd according to its index
  // STUDENT-STUB: (void)channel;
  const int state = channel->index();
  // A kNew Channel whose fd is taken means two Channels for one fd, or an fd closed without
  // remove() and reused by a new file; either would leave a dangling pointer behind.
  const size_t fd = static_cast<size_t>(channel->fd());
  if (state == kNew ? fd < channels_.size() && channels_[fd] != nullptr : !hasChannel(channel)) {
    badState("updateChannel: fd and Channel do not match", channel);
  }
  switch (state) {
    case kNew:
    case kDeleted:
      if (channel->isNoneEvent()) return;  // nothing to watch: stay out of the kernel's list
      update(EPOLL_CTL_ADD, channel);      // may throw; the Channel then stays as it was
      if (fd >= channels_.size()) channels_.resize(fd + 1, nullptr);
      channels_[fd] = channel;
      channel->setIndex(kAdded);
      break;
    case kAdded:
      if (channel->isNoneEvent()) {
        // Delete rather than modify to 0: epoll reports EPOLLERR and EPOLLHUP even for an
        // empty mask (epoll_ctl(2)), so a hung-up fd would wake every poll() for nothing.
        update(EPOLL_CTL_DEL, channel);
        channel->setIndex(kDeleted);
      } else {
        update(EPOLL_CTL_MOD, channel);
      }
      break;
    default:
      badState("updateChannel", channel);
  }
  // STUDENT-END(poller-update)
}
//! [updateChannel]

//! [removeChannel]
void EPollPoller::removeChannel(Channel* channel) {
  ownerLoop_->assertInLoopThread();
  const int state = channel->index();
  if (state == kNew) return;  // never registered, or already removed: nothing to undo
  if (!hasChannel(channel)) badState("removeChannel: fd and Channel do not match", channel);
  if (state == kAdded) update(EPOLL_CTL_DEL, channel);
  channels_[static_cast<size_t>(channel->fd())] = nullptr;
  channel->setIndex(kNew);
  // The Channel may still be waiting in the active list of the current round (an earlier
  // callback of that round removed it). Without revents it has nothing left to dispatch.
  channel->setRevents(0);
}
//! [removeChannel]

bool EPollPoller::hasChannel(Channel* channel) const {
  ownerLoop_->assertInLoopThread();
  const size_t fd = static_cast<size_t>(channel->fd());
  return fd < channels_.size() && channels_[fd] == channel;
}

//! [update]
void EPollPoller::update(int op, Channel* channel) {
  epoll_event event{};
  event.events = channel->events();
  // Handed back untouched by epoll_wait: the ready event leads straight to its Channel, with
  // no lookup by fd. (The union holds either ptr or fd, not both.)
  event.data.ptr = channel;
  if (::epoll_ctl(epollFd_, op, channel->fd(), &event) == 0) return;
  // Running out of kernel memory or of fs.epoll.max_user_watches is a condition the caller
  // can survive (drop this connection); anything else means the fd or the call is wrong.
  if (op == EPOLL_CTL_ADD && (errno == ENOMEM || errno == ENOSPC)) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
  misuse(opName(op), channel->fd(), errno);
}
//! [update]

//! [poll]
void EPollPoller::poll(int timeoutMs, ChannelList* active) {
  ownerLoop_->assertInLoopThread();
  // STUDENT-BEGIN(epoll-poll): epoll_wait into events_, fill *active, EINTR is none, grow if full
  // STUDENT-STUB: (void)timeoutMs;
  // STUDENT-STUB: active->clear();
  int n = ::epoll_wait(epollFd_, events_.data(), static_cast<int>(events_.size()), timeoutMs);
  if (n < 0) {
    // EINTR: a signal handler ran, or the process was stopped and continued (signal(7)).
    if (errno != EINTR) misuse("epoll_wait", epollFd_, errno);
    n = 0;
  }
  active->clear();
  fillActiveChannels(n, active);
  // A full array means more fds may be ready than we had room for. The others are not lost
  // (level-triggered: they stay on the ready list), but the next call should take them all.
  if (static_cast<size_t>(n) == events_.size()) events_.resize(events_.size() * 2);
  // STUDENT-END(epoll-poll)
}
//! [poll]

//! [fillActiveChannels]
void EPollPoller::fillActiveChannels(int numEvents, ChannelList* active) const {
  for (int i = 0; i < numEvents; ++i) {
    auto* channel = static_cast<Channel*>(events_[i].data.ptr);
    channel->setRevents(events_[i].events);
    active->push_back(channel);
  }
}
//! [fillActiveChannels]

}  // namespace net
