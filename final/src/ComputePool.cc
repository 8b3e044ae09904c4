#include "ComputePool.h"

#include <pthread.h>

#include <cstdio>
#include <cstdlib>

namespace net {

ComputePool::ComputePool(size_t numThreads, size_t maxQueued, std::string name)
    : numThreads_(numThreads), maxQueued_(maxQueued) {
  if (numThreads == 0) {
    std::fprintf(stderr, "ComputePool %s: needs at least one thread\n", name.c_str());
    std::abort();
  }
  threads_.reserve(numThreads);
  try {
    for (size_t i = 0; i < numThreads; ++i) {
      threads_.emplace_back([this] { run(); });
      std::string threadName = (name + std::to_string(i)).substr(0, 15);
      ::pthread_setname_np(threads_.back().native_handle(), threadName.c_str());
    }
  } catch (...) {
    stop();  // the threads already started must not outlive a pool that was never built
    throw;
  }
}

ComputePool::~ComputePool() { stop(); }

//! [submit]
bool ComputePool::submit(Task task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // The bound is the point of the pool: past it the caller answers 503 now, which costs one
    // short response, instead of holding the request (and its client) for an unbounded wait.
    if (stopping_ || queue_.size() >= maxQueued_) return false;
    queue_.push_back(std::move(task));
  }
  notEmpty_.notify_one();  // outside the lock: the woken thread does not block on it at once
  return true;
}
//! [submit]

//! [run]
void ComputePool::run() {
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      notEmpty_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      // Stopping with tasks still queued: run them first. They were accepted (submit returned
      // true), and the caller is waiting for the answer each of them will hand back.
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // without the lock: the other threads take tasks meanwhile
  }
}
//! [run]

void ComputePool::stop() {
  std::lock_guard<std::mutex> joinLock(joinMutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  notEmpty_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.get_id() == std::this_thread::get_id()) {
      std::fprintf(stderr, "ComputePool: stop() called from a pool thread\n");
      std::abort();
    }
    if (thread.joinable()) thread.join();
  }
}

size_t ComputePool::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

}  // namespace net
