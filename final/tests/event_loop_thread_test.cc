// EventLoopThread and EventLoopThreadPool: a loop on a thread of its own, handed out round
// robin; start-up that blocks until the loop exists; shutdown that runs what was queued, then
// quits and joins, also when nothing was ever started.
#include <gtest/gtest.h>

#include <dirent.h>

#include <atomic>
#include <future>
#include <set>
#include <string>
#include <thread>

#include "EventLoop.h"
#include "EventLoopThread.h"
#include "EventLoopThreadPool.h"
#include "LoopTestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// The thread running `loop`, asked through the loop itself.
std::thread::id threadOf(EventLoop* loop) {
  std::promise<std::thread::id> id;
  loop->runInLoop([&id] { id.set_value(std::this_thread::get_id()); });
  std::future<std::thread::id> future = id.get_future();
  if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) return {};
  return future.get();
}

TEST(EventLoopThread, StartLoopReturnsARunningLoopOnAnotherThread) {
  std::thread::id initThread;
  EventLoop* initLoop = nullptr;
  EventLoopThread thread(
      [&](EventLoop* loop) {
        initThread = std::this_thread::get_id();
        initLoop = loop;
      },
      "test-loop");
  EventLoop* loop = thread.startLoop();
  ASSERT_NE(loop, nullptr);
  // startLoop() returned after the init callback ran: these are safe to read.
  EXPECT_EQ(initLoop, loop);
  EXPECT_NE(initThread, std::this_thread::get_id());
  EXPECT_EQ(threadOf(loop), initThread) << "the loop runs on the thread that created it";
  EXPECT_FALSE(loop->isInLoopThread());
  EXPECT_EQ(threadNamesStartingWith("test-loop"), 1);
}

TEST(EventLoopThread, DestructorRunsQueuedFunctorsThenJoins) {
  std::atomic<int> ran{0};
  {
    EventLoopThread thread;
    EventLoop* loop = thread.startLoop();
    for (int i = 0; i < 100; ++i) loop->queueInLoop([&ran] { ++ran; });
  }
  EXPECT_EQ(ran, 100) << "the thread was joined before it ran what was queued";
}

TEST(EventLoopThread, NeverStartedIsDestroyedWithoutHanging) {
  EventLoopThread thread([](EventLoop*) { ADD_FAILURE() << "no thread should run"; });
}

TEST(EventLoopThread, LoopThatQuitByItselfIsJoined) {
  EventLoopThread thread;
  EventLoop* loop = thread.startLoop();
  loop->quit();  // the loop returns on its own; the destructor must not touch it afterwards
}

TEST(EventLoopThreadPool, HandsOutTheLoopsRoundRobin) {
  EventLoop base;
  EventLoopThreadPool pool(&base, "pool-rr");
  pool.setThreadNum(3);
  std::atomic<int> inits{0};
  pool.start([&](EventLoop* loop) {
    EXPECT_TRUE(loop->isInLoopThread());
    ++inits;
  });
  EXPECT_EQ(inits, 3);
  std::vector<EventLoop*> loops = pool.getAllLoops();
  ASSERT_EQ(loops.size(), 3u);
  EXPECT_EQ(std::set<EventLoop*>(loops.begin(), loops.end()).size(), 3u);
  for (int round = 0; round < 3; ++round) {
    for (EventLoop* expected : loops) EXPECT_EQ(pool.getNextLoop(), expected);
  }
  std::set<std::thread::id> threads;
  for (EventLoop* loop : loops) threads.insert(threadOf(loop));
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_EQ(threadNamesStartingWith("pool-rr"), 3);
}

TEST(EventLoopThreadPool, WithoutThreadsEverythingIsTheBaseLoop) {
  EventLoop base;
  EventLoopThreadPool pool(&base, "pool-none");
  EventLoop* initLoop = nullptr;
  pool.start([&](EventLoop* loop) { initLoop = loop; });
  EXPECT_EQ(initLoop, &base);
  EXPECT_EQ(pool.getNextLoop(), &base);
  EXPECT_EQ(pool.getNextLoop(), &base);
  EXPECT_EQ(pool.getAllLoops(), std::vector<EventLoop*>{&base});
}

TEST(EventLoopThreadPool, DestroyingAStartedPoolJoinsEveryThread) {
  {
    EventLoop base;  // never runs
    EventLoopThreadPool pool(&base, "pool-stop");
    pool.setThreadNum(4);
    pool.start();
    EXPECT_EQ(threadNamesStartingWith("pool-stop"), 4);
  }
  EXPECT_EQ(threadNamesStartingWith("pool-stop"), 0);
}

TEST(EventLoopThreadPool, NeverStartedPoolIsDestroyedWithoutHanging) {
  EventLoop base;
  EventLoopThreadPool pool(&base, "pool-idle");
  pool.setThreadNum(4);
  EXPECT_FALSE(pool.started());
}

}  // namespace
