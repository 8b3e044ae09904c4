// ComputePool: tasks run on the pool's threads, start in FIFO order, the queue is bounded
// (submit refuses instead of growing), and stop() runs every accepted task before joining.
#include "ComputePool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "LoopTestUtil.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;
using namespace std::chrono_literals;

namespace {

TEST(ComputePool, RunsTasksOnItsOwnThreadsNotTheCaller) {
  ComputePool pool(2, 16, "cpt");
  EventLog log;
  std::mutex mutex;
  std::set<std::thread::id> ids;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(pool.submit([&] {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ids.insert(std::this_thread::get_id());
      }
      log.add("ran");
    }));
  }
  EXPECT_EQ(log.waitFor(8).size(), 8u);
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(ids.size(), 2u);
  EXPECT_EQ(threadNamesStartingWith("cpt"), 2);
}

TEST(ComputePool, OneThreadRunsTasksInSubmissionOrder) {
  ComputePool pool(1, 100);
  EventLog log;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pool.submit([&log, i] { log.add(std::to_string(i)); }));
  }
  std::vector<std::string> events = log.waitFor(50);
  ASSERT_EQ(events.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(events[i], std::to_string(i));
}

TEST(ComputePool, SubmitRefusesWhenTheQueueIsFull) {
  ComputePool pool(1, 2);
  Gate gate;
  std::promise<void> running;
  // The one thread blocks in the first task; two more fill the queue; the fourth is refused.
  ASSERT_TRUE(pool.submit([&] {
    running.set_value();
    gate.wait(5s);
  }));
  ASSERT_EQ(running.get_future().wait_for(5s), std::future_status::ready);
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.submit([&] { ++ran; }));
  EXPECT_TRUE(pool.submit([&] { ++ran; }));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.submit([&] { ran += 100; }));
  EXPECT_EQ(pool.queued(), 2u);
  gate.open();
  pool.stop();
  EXPECT_EQ(ran.load(), 2);  // the refused task never ran
}

TEST(ComputePool, AQueueFreedByTheWorkersAcceptsAgain) {
  ComputePool pool(1, 1);
  Gate gate;
  std::promise<void> running;
  ASSERT_TRUE(pool.submit([&] {
    running.set_value();
    gate.wait(5s);
  }));
  ASSERT_EQ(running.get_future().wait_for(5s), std::future_status::ready);
  ASSERT_TRUE(pool.submit([] {}));
  EXPECT_FALSE(pool.submit([] {}));
  gate.open();
  EXPECT_TRUE(waitUntil([&] { return pool.queued() == 0; }));
  EventLog log;
  EXPECT_TRUE(pool.submit([&] { log.add("again"); }));
  EXPECT_EQ(log.waitFor(1).size(), 1u);
}

TEST(ComputePool, StopRunsEveryAcceptedTaskThenJoins) {
  ComputePool pool(2, 100, "cpstop");
  std::atomic<int> ran{0};
  int accepted = 0;
  Gate gate;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(pool.submit([&] {
      gate.wait(5s);
      ++ran;
    }));
    ++accepted;
  }
  // stop() blocks until every accepted task ran, so it runs on another thread. Once submit()
  // is refused, stop() has begun, with the tasks still held by the gate (queued or running).
  std::thread stopper([&] { pool.stop(); });
  EXPECT_TRUE(waitUntil([&] {
    if (!pool.submit([&] { ++ran; })) return true;
    ++accepted;
    return false;
  }));
  EXPECT_EQ(ran.load(), 0);
  gate.open();
  stopper.join();
  EXPECT_EQ(ran.load(), accepted);
  EXPECT_EQ(threadNamesStartingWith("cpstop"), 0);
}

TEST(ComputePool, SubmitAfterStopIsRefusedAndStopIsIdempotent) {
  ComputePool pool(1, 4);
  pool.stop();
  EXPECT_FALSE(pool.submit([] {}));
  pool.stop();
}

TEST(ComputePool, DestructorRunsTheQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ComputePool pool(1, 100, "cpdtor");
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(pool.submit([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 20);
  EXPECT_EQ(threadNamesStartingWith("cpdtor"), 0);
}

TEST(ComputePool, ConcurrentSubmittersEachTaskRunsOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::vector<std::atomic<int>> counts(kThreads * kPerThread);
  std::atomic<int> accepted{0};
  {
    ComputePool pool(3, kThreads * kPerThread);
    std::vector<std::thread> submitters;
    for (int t = 0; t < kThreads; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          if (pool.submit([&counts, index = t * kPerThread + i] { ++counts[index]; })) ++accepted;
        }
      });
    }
    for (std::thread& s : submitters) s.join();
  }  // the destructor runs what is still queued
  EXPECT_EQ(accepted.load(), kThreads * kPerThread);
  for (const auto& count : counts) ASSERT_EQ(count.load(), 1);
}

}  // namespace
