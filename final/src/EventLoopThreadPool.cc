#include "EventLoopThreadPool.h"

#include <cstdio>
#include <cstdlib>

#include "EventLoop.h"

namespace net {

EventLoopThreadPool::EventLoopThreadPool(EventLoop* baseLoop, std::string name)
    : baseLoop_(baseLoop), name_(std::move(name)) {}

EventLoopThreadPool::~EventLoopThreadPool() {
  baseLoop_->assertInLoopThread();
  // Each EventLoopThread quits and joins its thread in its destructor. The loops live on those
  // threads' stacks, so loops_ dangles from here on; nothing reads it any more.
  threads_.clear();
}

void EventLoopThreadPool::setThreadNum(int numThreads) {
  baseLoop_->assertInLoopThread();
  if (started_ || numThreads < 0) {
    std::fprintf(stderr, "EventLoopThreadPool %s: setThreadNum(%d) %s\n", name_.c_str(), numThreads,
                 started_ ? "after start()" : "is negative");
    std::abort();
  }
  numThreads_ = numThreads;
}

void EventLoopThreadPool::start(const ThreadInitCallback& cb) {
  baseLoop_->assertInLoopThread();
  if (started_) {
    std::fprintf(stderr, "EventLoopThreadPool %s: start() called twice\n", name_.c_str());
    std::abort();
  }
  started_ = true;
  for (int i = 0; i < numThreads_; ++i) {
    threads_.push_back(std::make_unique<EventLoopThread>(cb, name_ + std::to_string(i)));
    loops_.push_back(threads_.back()->startLoop());
  }
  if (numThreads_ == 0 && cb) cb(baseLoop_);
}

//! [getNextLoop]
EventLoop* EventLoopThreadPool::getNextLoop() {
  // STUDENT-BEGIN(next-loop): round robin over loops_, or the base loop when there are none
  // STUDENT-STUB: return baseLoop_;
  baseLoop_->assertInLoopThread();
  if (loops_.empty()) return baseLoop_;
  EventLoop* loop = loops_[next_];
  next_ = (next_ + 1) % loops_.size();
  return loop;
  // STUDENT-END(next-loop)
}
//! [getNextLoop]

std::vector<EventLoop*> EventLoopThreadPool::getAllLoops() {
  baseLoop_->assertInLoopThread();
  if (loops_.empty()) return {baseLoop_};
  return loops_;
}

}  // namespace net
