#include "EventLoop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <system_error>

#include "TimerQueue.h"

namespace net {

namespace {

/// The loop of this thread, if any: what enforces "one loop per thread".
thread_local EventLoop* t_loopInThisThread = nullptr;

/// How long one epoll_wait may sleep. Only a safety net: everything the loop waits for,
/// including work queued by other threads (the eventfd), arrives as a ready fd.
constexpr int kPollTimeMs = 10000;

Socket createEventFd() {
  // EFD_NONBLOCK: reading an already-drained counter returns EAGAIN instead of blocking the
  // loop. Counter semantics (not EFD_SEMAPHORE): one read takes all the wakeups at once.
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  return Socket(fd);
}

std::string threadName(std::thread::id id) {
  std::ostringstream out;
  out << id;
  return out.str();
}

[[noreturn]] void die(const char* what, int err) {
  std::fprintf(stderr, "EventLoop: %s: %s\n", what, std::strerror(err));
  std::abort();
}

}  // namespace

//! [constructor]
EventLoop::EventLoop()
    : threadId_(std::this_thread::get_id()),
      poller_(std::make_unique<EPollPoller>(this)),
      wakeupFd_(createEventFd()),
      wakeupChannel_(this, wakeupFd_.fd()),
      timerQueue_(std::make_unique<TimerQueue>(this)) {
  if (t_loopInThisThread != nullptr) {
    std::fprintf(stderr,
                 "EventLoop: another EventLoop (%p) already exists in this thread (%s); "
                 "one loop per thread\n",
                 static_cast<void*>(t_loopInThisThread), threadName(threadId_).c_str());
    std::abort();
  }
  wakeupChannel_.setReadCallback([this] { handleWakeup(); });
  wakeupChannel_.enableReading();  // may throw (epoll_ctl: ENOMEM, ENOSPC)
  // Last, after everything that can throw: a constructor that throws runs no destructor, and
  // would leave this thread marked as owning a loop that no longer exists.
  t_loopInThisThread = this;
}
//! [constructor]

EventLoop::~EventLoop() {
  assertInLoopThread();
  wakeupChannel_.disableAll();
  wakeupChannel_.remove();
  t_loopInThisThread = nullptr;
}

EventLoop* EventLoop::getEventLoopOfCurrentThread() { return t_loopInThisThread; }

//! [loop]
void EventLoop::loop() {
  assertInLoopThread();
  if (looping_) {
    std::fprintf(stderr, "EventLoop: loop() called from inside loop()\n");
    std::abort();
  }
  looping_ = true;
  while (!quit_) {
    poller_->poll(kPollTimeMs, &activeChannels_);  // 1. wait for ready Channels (or a wakeup)
    dispatchActiveChannels();                      // 2. run their callbacks
    doPendingFunctors();                           // 3. run the work queued meanwhile
  }
  // Used up here, not reset on entry: a quit() that came before loop() must not be lost (a
  // thread that quits a loop it has just started would otherwise wait for it forever).
  quit_ = false;
  looping_ = false;
}
//! [loop]

//! [quit]
void EventLoop::quit() {
  quit_ = true;
  // On the loop thread we are inside a callback or functor: the loop checks quit_ at the end
  // of this iteration. Another thread may find the loop asleep in epoll_wait: wake it, or it
  // would notice only when some fd becomes ready (or after kPollTimeMs).
  if (!isInLoopThread()) wakeup();
}
//! [quit]

//! [dispatchActiveChannels]
void EventLoop::dispatchActiveChannels() {
  // A callback may remove, and then destroy, a Channel that is still further down this list:
  // removeChannel() overwrites its entries with nullptr, so the loop never touches it again.
  // (A Channel must not destroy itself inside its own handleEvent(): its owner defers that with
  // queueInLoop() to phase 3.)
  dispatching_ = true;
  for (Channel* channel : activeChannels_) {
    if (channel != nullptr) channel->handleEvent();
  }
  dispatching_ = false;
}
//! [dispatchActiveChannels]

//! [runInLoop]
void EventLoop::runInLoop(Functor cb) {
  if (isInLoopThread()) {
    cb();
  } else {
    queueInLoop(std::move(cb));
  }
}
//! [runInLoop]

//! [queueInLoop]
void EventLoop::queueInLoop(Functor cb) {
  // STUDENT-BEGIN(queue-in-loop): append under the mutex; wake the loop unless phase 3 follows
  // STUDENT-STUB: (void)cb;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pendingFunctors_.push_back(std::move(cb));
  }
  // Only a Channel callback of the running iteration may skip the wakeup: the functor phase
  // comes next. Any other caller may find the loop asleep in epoll_wait, now or soon:
  //  - another thread: the loop may be sleeping this very moment;
  //  - a functor queueing another: this batch was swapped out already, the new one waits for
  //    the next iteration, which starts with a poll;
  //  - the loop thread before loop(): the first poll would sleep.
  if (!isInLoopThread() || callingPendingFunctors_ || !looping_) wakeup();
  // STUDENT-END(queue-in-loop)
}
//! [queueInLoop]

size_t EventLoop::queueSize() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pendingFunctors_.size();
}

//! [doPendingFunctors]
void EventLoop::doPendingFunctors() {
  // STUDENT-BEGIN(pending-functors): take the whole queue under the mutex, run it outside
  // STUDENT-STUB: return;
  std::vector<Functor> functors;
  callingPendingFunctors_ = true;
  {
    // The swap: the critical section is one pointer exchange, not the functors' run time, so
    // other threads are never held up by our work; and a functor may call queueInLoop()
    // (which takes the mutex) without deadlocking. What it queues runs next iteration.
    std::lock_guard<std::mutex> lock(mutex_);
    functors.swap(pendingFunctors_);
  }
  for (const Functor& functor : functors) functor();
  callingPendingFunctors_ = false;
  // STUDENT-END(pending-functors)
}
//! [doPendingFunctors]

//! [wakeup]
void EventLoop::wakeup() {
  // STUDENT-BEGIN(wakeup): add 1 to the eventfd counter: 8 bytes, host order
  // STUDENT-STUB: return;
  // eventfd(2): a write adds an 8-byte integer to the counter, making the fd readable.
  // EAGAIN would mean the counter is at its maximum: the loop is woken already.
  uint64_t one = 1;
  if (::write(wakeupFd_.fd(), &one, sizeof one) < 0 && errno != EAGAIN) {
    die("write(eventfd)", errno);
  }
  // STUDENT-END(wakeup)
}
//! [wakeup]

//! [handleWakeup]
void EventLoop::handleWakeup() {
  // One read returns the counter and resets it to 0: all wakeups so far are taken at once,
  // and the level-triggered fd stops being ready. EAGAIN: already drained.
  uint64_t count = 0;
  if (::read(wakeupFd_.fd(), &count, sizeof count) < 0 && errno != EAGAIN) {
    die("read(eventfd)", errno);
  }
}
//! [handleWakeup]

//! [timers]
TimerId EventLoop::runAt(Clock::time_point when, Functor cb) {
  return timerQueue_->add(when, Clock::duration::zero(), std::move(cb));
}

TimerId EventLoop::runAfter(Clock::duration delay, Functor cb) {
  return runAt(Clock::now() + delay, std::move(cb));
}

TimerId EventLoop::runEvery(Clock::duration interval, Functor cb) {
  if (interval <= Clock::duration::zero()) {
    // It would be due again as soon as it has run: the loop would do nothing else.
    std::fprintf(stderr, "EventLoop: runEvery with a non-positive interval\n");
    std::abort();
  }
  return timerQueue_->add(Clock::now() + interval, interval, std::move(cb));
}

void EventLoop::cancel(TimerId id) { timerQueue_->cancel(id); }
//! [timers]

void EventLoop::updateChannel(Channel* channel) {
  assertInLoopThread();
  poller_->updateChannel(channel);
}

//! [removeChannel]
void EventLoop::removeChannel(Channel* channel) {
  assertInLoopThread();
  poller_->removeChannel(channel);
  // The caller may destroy the Channel as soon as we return. During the dispatch it may still
  // wait in the active list, behind the callback that removes it: forget it there.
  if (dispatching_) {
    std::replace(activeChannels_.begin(), activeChannels_.end(), channel,
                 static_cast<Channel*>(nullptr));
  }
}
//! [removeChannel]

bool EventLoop::hasChannel(Channel* channel) {
  assertInLoopThread();
  return poller_->hasChannel(channel);
}

void EventLoop::abortNotInLoopThread() const {
  std::fprintf(stderr,
               "EventLoop: [loop thread] call from another thread: loop %p belongs to thread %s, "
               "the caller is thread %s\n",
               static_cast<const void*>(this), threadName(threadId_).c_str(),
               threadName(std::this_thread::get_id()).c_str());
  std::abort();
}

}  // namespace net
