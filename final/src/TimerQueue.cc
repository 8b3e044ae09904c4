#include "TimerQueue.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

#include "EventLoop.h"

namespace net {

namespace {

/// The next timer's sequence number. One counter for the process, not one per queue: an id is
/// never reused anywhere, so cancelling a stale id, or one of another loop, cannot hit the
/// wrong timer. Relaxed: only uniqueness matters, not an order with other memory.
std::atomic<uint64_t> g_nextSequence{1};

UniqueFd createTimerFd() {
  // CLOCK_MONOTONIC: only ever moves forward at the rate of real time, whatever settimeofday
  // does to the wall clock (timerfd_create(2)). TFD_NONBLOCK: a read that finds no expiration
  // (the timer was re-armed meanwhile) returns EAGAIN instead of blocking the loop.
  int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  return UniqueFd(fd);
}

[[noreturn]] void die(const char* what, int err) {
  std::fprintf(stderr, "TimerQueue: %s: %s\n", what, std::strerror(err));
  std::abort();
}

}  // namespace

TimerQueue::TimerQueue(EventLoop* loop)
    : loop_(loop), timerfd_(createTimerFd()), channel_(loop, timerfd_.get()) {
  channel_.setReadCallback([this] { handleRead(); });
  channel_.enableReading();
}

TimerQueue::~TimerQueue() {
  channel_.disableAll();
  channel_.remove();
}

//! [add]
TimerId TimerQueue::add(Clock::time_point when, Clock::duration interval, Callback cb) {
  uint64_t sequence = g_nextSequence.fetch_add(1, std::memory_order_relaxed);
  // The id exists before the timer does: from another thread the insertion waits in the loop's
  // queue, and the caller may already pass the id on (or cancel it).
  loop_->runInLoop([this, when, timer = Timer{std::move(cb), interval, sequence}]() mutable {
    addInLoop(when, std::move(timer));
  });
  return TimerId(sequence);
}

void TimerQueue::addInLoop(Clock::time_point when, Timer timer) {
  loop_->assertInLoopThread();
  if (!cancelledEarly_.empty() && cancelledEarly_.erase(timer.sequence) == 1) return;
  uint64_t sequence = timer.sequence;
  // A multimap inserts an equal key after the equal ones already there ([associative.reqmts]):
  // timers with the same deadline keep the order in which they were added.
  auto it = timers_.emplace(when, std::move(timer));
  index_.emplace(sequence, it);
  // Only a new earliest deadline moves the alarm; runDue() re-arms once when it is done.
  if (it == timers_.begin() && !runningDue_) arm(when);
}
//! [add]

//! [cancel]
void TimerQueue::cancel(TimerId id) {
  if (!id.valid()) return;
  loop_->runInLoop([this, sequence = id.sequence()] { cancelInLoop(sequence); });
}

void TimerQueue::cancelInLoop(uint64_t sequence) {
  loop_->assertInLoopThread();
  if (auto found = index_.find(sequence); found != index_.end()) {
    // Waiting: forget it. The timerfd may stay armed for its deadline; the expiry then finds
    // nothing due and re-arms for the next one, cheaper than re-arming on every cancel.
    timers_.erase(found->second);
    index_.erase(found);
  } else if (sequence == running_) {
    // Its own callback (or something it called) cancels it: a repeating timer is simply not
    // put back when the callback returns.
    runningCancelled_ = true;
  } else {
    // It has run, or its add() has not reached the loop yet: another thread added it, and
    // passed the id to this thread, which cancels it inline while the insertion still waits in
    // the loop's queue. Remember the number until everything queued so far has run; addInLoop
    // drops the timer if it comes.
    cancelledEarly_.insert(sequence);
    loop_->queueInLoop([this, sequence] { cancelledEarly_.erase(sequence); });
  }
}
//! [cancel]

//! [handleRead]
void TimerQueue::handleRead() {
  loop_->assertInLoopThread();
  // One read returns the number of expirations since the last one and resets it; the fd stops
  // being readable. EAGAIN: the timer was re-armed after it fired, nothing to read.
  uint64_t expirations = 0;
  if (::read(timerfd_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN) {
    die("read(timerfd)", errno);
  }
  runDue(Clock::now());
  if (!timers_.empty()) arm(timers_.begin()->first);
}
//! [handleRead]

//! [runDue]
void TimerQueue::runDue(Clock::time_point now) {
  // Which timers are due is decided once, before any callback runs: a timer that a callback
  // adds (even one already due) waits for the next round, so a callback that keeps adding
  // timers cannot keep the loop from its other fds.
  std::vector<uint64_t> due;
  for (auto it = timers_.begin(); it != timers_.end() && it->first <= now; ++it) {
    due.push_back(it->second.sequence);
  }
  runningDue_ = true;
  for (uint64_t sequence : due) {
    auto found = index_.find(sequence);
    if (found == index_.end()) continue;  // cancelled by a callback that ran before it
    auto node = timers_.extract(found->second);
    index_.erase(found);
    running_ = sequence;
    runningCancelled_ = false;
    node.mapped().callback();
    Clock::duration interval = node.mapped().interval;
    if (interval > Clock::duration::zero() && !runningCancelled_) {
      // Next deadline on the timer's own grid, so it does not drift by the callbacks' run
      // time; if the loop fell a whole interval behind, start again from now instead of
      // catching up with a burst of runs.
      node.key() += interval;
      if (node.key() <= now) node.key() = now + interval;
      index_.emplace(sequence, timers_.insert(std::move(node)));
    }
  }
  running_ = 0;
  runningDue_ = false;
}
//! [runDue]

//! [arm]
void TimerQueue::arm(Clock::time_point when) {
  // An absolute deadline on CLOCK_MONOTONIC: steady_clock's time_since_epoch() is that clock's
  // reading (see TimerId.h), so no "now" is needed, and a deadline already past fires at once.
  // it_interval stays zero: one expiry, then runDue() decides what comes next.
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  if (ns <= 0) ns = 1;  // an it_value of zero would disarm the timer instead of firing it
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (::timerfd_settime(timerfd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    die("timerfd_settime", errno);
  }
}
//! [arm]

}  // namespace net
