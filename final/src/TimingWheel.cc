#include "TimingWheel.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "EventLoop.h"
#include "TcpConnection.h"

namespace net {

namespace {

/// One bucket per tick of the timeout, plus slack: a connection added or moved between two
/// ticks may be due up to two ticks beyond the current one's reach, and must not wrap around
/// onto a bucket that comes round earlier.
size_t numBuckets(Clock::duration timeout, Clock::duration tick) {
  if (timeout <= Clock::duration::zero() || tick <= Clock::duration::zero()) {
    std::fprintf(stderr, "TimingWheel: the timeout and the tick must be positive\n");
    std::abort();
  }
  return static_cast<size_t>((timeout + tick - Clock::duration(1)) / tick) + 3;
}

}  // namespace

TimingWheel::TimingWheel(EventLoop* loop, Clock::duration timeout, Clock::duration tick)
    : loop_(loop),
      timeout_(timeout),
      tick_(tick),
      start_(Clock::now()),
      buckets_(numBuckets(timeout, tick)) {
  // `this` is safe: stop() cancels the timer before the wheel goes, or the loop (and with it
  // the timer) is gone first. From another thread, the buckets reach the loop thread through
  // the loop's queue, with the timer.
  timer_ = loop_->runEvery(tick_, [this] { onTick(); });
}

TimingWheel::~TimingWheel() { clear(); }

void TimingWheel::stop() {
  loop_->assertInLoopThread();
  loop_->cancel(timer_);
  clear();
}

void TimingWheel::clear() {
  for (Hook& bucket : buckets_) {
    while (bucket.linked()) bucket.next_->unlink();
  }
}

//! [add]
void TimingWheel::add(const TcpConnectionPtr& conn) {
  loop_->assertInLoopThread();
  Hook* hook = &conn->idleHook();
  hook->unlink();  // in case it was in the wheel already
  hook->lastActivity_ = Clock::now();
  place(hook, hook->lastActivity_ + timeout_);
}

void TimingWheel::place(Hook* hook, Clock::time_point deadline) {
  // The first tick at or after the deadline (rounding up: never early), but at least the next
  // tick and less than a full turn ahead. A deadline beyond the turn is looked at early and
  // simply moved on again.
  const auto turn = static_cast<int64_t>(buckets_.size());
  int64_t tick = (deadline - start_ + tick_ - Clock::duration(1)) / tick_;
  tick = std::clamp(tick, current_ + 1, current_ + turn - 1);
  Hook* head = &buckets_[static_cast<size_t>(tick % turn)];
  // Append: hook goes between the list's last element and its head.
  hook->prev_ = head->prev_;
  hook->next_ = head;
  head->prev_->next_ = hook;
  head->prev_ = hook;
}
//! [add]

//! [onTick]
void TimingWheel::onTick() {
  Clock::time_point now = Clock::now();
  const auto turn = static_cast<int64_t>(buckets_.size());
  int64_t due = (now - start_) / tick_;
  // Normally exactly one tick has passed since the last call. After the loop was held up, every
  // bucket whose tick has passed is emptied, each once, in order.
  int64_t first = std::max(current_ + 1, due - turn + 1);
  current_ = due;  // first: place() must put connections it moves after the current tick
  for (int64_t tick = first; tick <= due; ++tick) {
    expire(&buckets_[static_cast<size_t>(tick % turn)], now);
  }
}

void TimingWheel::expire(Hook* bucket, Clock::time_point now) {
  // Take the whole list first: a connection moved on may land in this very bucket again.
  if (!bucket->linked()) return;
  Hook pending;
  pending.next_ = bucket->next_;
  pending.prev_ = bucket->prev_;
  pending.next_->prev_ = &pending;
  pending.prev_->next_ = &pending;
  bucket->prev_ = bucket->next_ = bucket;

  while (pending.linked()) {
    Hook* hook = pending.next_;
    hook->unlink();
    TcpConnection* conn = hook->owner_;
    if (conn->disconnected()) continue;  // closing already
    Clock::time_point deadline = hook->lastActivity_ + timeout_;
    if (deadline <= now) {
      // Idle for the whole timeout. forceClose() only queues the close: the connection goes
      // down in the functor phase of this loop round, after this scan.
      conn->forceClose();
    } else {
      place(hook, deadline);  // active since it was put here: wait for its new deadline
    }
  }
}
//! [onTick]

}  // namespace net
