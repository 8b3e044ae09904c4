#include "Channel.h"

#include <cstdio>
#include <cstdlib>

#include "EPollPoller.h"
#include "EventLoop.h"

namespace net {

Channel::Channel(EventLoop* loop, int fd) : loop_(loop), fd_(fd), index_(EPollPoller::kNew) {}

Channel::~Channel() {
  // Both checks stay on in release builds: the bug they catch shows up later, elsewhere, as a
  // use of freed memory (the poller's map, or this very handleEvent() frame).
  if (eventHandling_) {
    std::fprintf(stderr, "Channel(fd %d): destroyed inside its own handleEvent()\n", fd_);
    std::abort();
  }
  if (index_ != EPollPoller::kNew) {
    std::fprintf(stderr, "Channel(fd %d): destroyed while still registered (%s); call remove()\n",
                 fd_, EPollPoller::stateToString(index_));
    std::abort();
  }
}

void Channel::update() { loop_->updateChannel(this); }

void Channel::remove() { loop_->removeChannel(this); }

//! [tie]
void Channel::tie(const std::shared_ptr<void>& owner) {
  tie_ = owner;
  tied_ = true;
}
//! [tie]

//! [handleEvent]
void Channel::handleEvent() {
  loop_->assertInLoopThread();
  std::shared_ptr<void> guard;  // keeps a tied owner alive until the dispatch is over
  if (tied_) {
    guard = tie_.lock();
    if (!guard) return;  // the owner is gone: nobody is left to handle the event
  }
  // STUDENT-BEGIN(handle-event): dispatch revents_ to the callbacks in muduo's order
  // STUDENT-STUB: return;
  eventHandling_ = true;
  // Each test reads revents_ afresh: a callback that removes this Channel also clears its
  // revents (EPollPoller::removeChannel), so the callbacks after it see nothing and do not run.
  // EPOLLHUP alone means both directions are shut; with EPOLLIN there may still be data (and the
  // EOF) to read, so that case is left to the read callback, which sees read() return 0.
  if ((revents_ & EPOLLHUP) && !(revents_ & EPOLLIN)) {
    if (closeCallback_) closeCallback_();
  }
  if (revents_ & EPOLLERR) {
    if (errorCallback_) errorCallback_();
  }
  if (revents_ & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) {
    if (readCallback_) readCallback_();
  }
  if (revents_ & EPOLLOUT) {
    if (writeCallback_) writeCallback_();
  }
  eventHandling_ = false;
  // STUDENT-END(handle-event)
}
//! [handleEvent]

}  // namespace net
