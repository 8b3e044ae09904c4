#include "EventLoopThread.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>

#include "EventLoop.h"

namespace net {

EventLoopThread::EventLoopThread(ThreadInitCallback cb, std::string name)
    : callback_(std::move(cb)), name_(std::move(name)) {}

//! [destructor]
EventLoopThread::~EventLoopThread() {
  if (!thread_.joinable()) return;  // never started
  {
    // Holding the mutex pins the loop: threadFunc() needs it to clear loop_ before the loop
    // object is destroyed, so quit() can never reach a dead loop. Quitting through the queue
    // (rather than calling quit() directly) lets every functor queued before us run first:
    // they may be closing connections that live on this loop.
    std::lock_guard<std::mutex> lock(mutex_);
    if (loop_ != nullptr) {
      EventLoop* loop = loop_;
      loop_->queueInLoop([loop] { loop->quit(); });
    }
  }
  thread_.join();
}
//! [destructor]

//! [startLoop]
EventLoop* EventLoopThread::startLoop() {
  // STUDENT-BEGIN(thread-start): start threadFunc on a thread, wait for its loop, return it
  // STUDENT-STUB: return nullptr;
  if (thread_.joinable()) {
    std::fprintf(stderr, "EventLoopThread %s: startLoop() called twice\n", name_.c_str());
    std::abort();
  }
  thread_ = std::thread([this] { threadFunc(); });
  std::unique_lock<std::mutex> lock(mutex_);
  // The predicate makes both orders safe: the thread may set loop_ before we even wait.
  loopSet_.wait(lock, [this] { return loop_ != nullptr; });
  return loop_;
  // STUDENT-END(thread-start)
}
//! [startLoop]

//! [threadFunc]
void EventLoopThread::threadFunc() {
  // STUDENT-BEGIN(thread-run): make the loop here, publish it to startLoop(), run, unpublish
  // STUDENT-STUB: return;
  if (!name_.empty()) ::pthread_setname_np(::pthread_self(), name_.substr(0, 15).c_str());
  EventLoop loop;  // created on this thread, so this thread is its loop thread
  if (callback_) callback_(&loop);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    loop_ = &loop;
  }
  loopSet_.notify_one();
  loop.loop();
  // Unpublish before `loop` is destroyed, under the mutex the destructor holds while quitting.
  std::lock_guard<std::mutex> lock(mutex_);
  loop_ = nullptr;
  // STUDENT-END(thread-run)
}
//! [threadFunc]

}  // namespace net
