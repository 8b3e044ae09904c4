// EventLoop: work queued from other threads runs on the loop thread, exactly once, and wakes a
// sleeping loop; quit() works from anywhere and at any time; one loop per thread; the thread
// rules and the Channel lifetime rule abort with a message; and the pitfalls, one test each.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "Channel.h"
#include "EventLoop.h"
#include "TestReactor.h"

using namespace net;
using namespace net::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

/// An EventLoop on a thread of its own. The loop object lives until this LoopThread is
/// destroyed, even after loop() has returned, so quit() is always safe to call on it.
class LoopThread {
 public:
  LoopThread() : thread_([this] { run(); }) {
    auto [loop, tid] = started_.get_future().get();
    loop_ = loop;
    tid_ = tid;
  }
  ~LoopThread() {
    loop_->quit();
    release_.set_value();
    // Bounded: a loop that never returns would hang the whole test program, silently, until
    // ctest's timeout. Exit instead, saying why (the thread cannot be joined or detached safely:
    // it still uses this object).
    if (finished_.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "the loop thread did not return from loop() within 10 s of quit()";
      std::_Exit(1);
    }
    thread_.join();
  }
  EventLoop* loop() const { return loop_; }
  /// The kernel's id of the loop thread (for /proc).
  pid_t tid() const { return tid_; }
  std::thread::id id() const { return thread_.get_id(); }
  /// Becomes ready when loop() has returned.
  std::shared_future<void> finished() const { return finished_; }

 private:
  void run() {
    EventLoop loop;
    started_.set_value({&loop, static_cast<pid_t>(::syscall(SYS_gettid))});
    loop.loop();
    loopReturned_.set_value();
    release_.get_future().wait();
  }

  std::promise<std::pair<EventLoop*, pid_t>> started_;
  std::promise<void> loopReturned_;
  std::shared_future<void> finished_ = loopReturned_.get_future().share();
  std::promise<void> release_;
  EventLoop* loop_ = nullptr;
  pid_t tid_ = 0;
  std::thread thread_;  ///< last: starts after the members it uses exist
};

/// Waits (bounded) until the loop thread is running: a functor sent to it has run. The
/// functor owns its promise: after a timeout it may still run, when this frame is gone.
void waitUntilLooping(EventLoop* loop) {
  auto ran = std::make_shared<std::promise<void>>();
  auto future = ran->get_future();
  loop->runInLoop([ran] { ran->set_value(); });
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
}

std::string taskPath(pid_t tid, const char* entry) {
  return "/proc/self/task/" + std::to_string(tid) + "/" + entry;
}

/// Whether /proc/self/task/<tid>/syscall can be read here: it needs ptrace access to the
/// thread (proc(5)), which some containers deny.
bool canReadSyscall(pid_t tid) {
  std::ifstream in(taskPath(tid, "syscall"));
  std::string first;  // a system call number, or "running"
  return static_cast<bool>(in >> first);
}

/// The State letter of /proc/self/task/<tid>/stat: 'S' asleep, 'R' running or runnable.
char taskState(pid_t tid) {
  std::ifstream in(taskPath(tid, "stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');  // "tid (comm) S ...": comm may hold spaces and parentheses
  return paren != std::string::npos && paren + 2 < text.size() ? text[paren + 2] : '?';
}

/// Waits (bounded) until thread `tid` of this process sleeps in epoll_wait, as
/// /proc/self/task/<tid>/syscall (proc(5): the number of the blocking system call) and the
/// thread's State show. Both: a thread preempted inside an epoll_wait that returns at once
/// (a loop that spins) shows the number too, but its state is R, never S.
/// Watching another thread block has no event to wait on; polling /proc is the only way.
bool waitUntilInEpollWait(pid_t tid, std::chrono::milliseconds timeout = 5s) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::ifstream in(taskPath(tid, "syscall"));
    long number = -1;
    if (in >> number) {
      bool epollWait = number == SYS_epoll_pwait || number == SYS_epoll_pwait2;
#ifdef SYS_epoll_wait
      epollWait = epollWait || number == SYS_epoll_wait;
#endif
      if (epollWait && taskState(tid) == 'S') return true;
    }
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

constexpr const char* kNoSyscallFile = "cannot read /proc/self/task/<tid>/syscall here";

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(EventLoop, BelongsToTheThreadThatCreatedIt) {
  EXPECT_EQ(EventLoop::getEventLoopOfCurrentThread(), nullptr);
  {
    EventLoop loop;
    EXPECT_EQ(EventLoop::getEventLoopOfCurrentThread(), &loop);
    EXPECT_TRUE(loop.isInLoopThread());
    bool otherIsInLoopThread = true;
    EventLoop* otherThreadsLoop = &loop;
    std::thread([&] {
      otherIsInLoopThread = loop.isInLoopThread();
      otherThreadsLoop = EventLoop::getEventLoopOfCurrentThread();
    }).join();
    EXPECT_FALSE(otherIsInLoopThread);
    EXPECT_EQ(otherThreadsLoop, nullptr);
  }
  EXPECT_EQ(EventLoop::getEventLoopOfCurrentThread(), nullptr);  // a new loop may follow
}

TEST(EventLoop, RunInLoopOnTheLoopThreadRunsInsideTheCall) {
  EventLoop loop;
  bool ran = false;
  loop.runInLoop([&] { ran = true; });
  EXPECT_TRUE(ran);
  EXPECT_EQ(loop.queueSize(), 0u);
}

TEST(EventLoop, FunctorQueuedFromAnotherThreadRunsOnTheLoopThread) {
  EventLoop loop;
  Watchdog watchdog(&loop, 5s);
  std::thread::id ranOn;
  std::thread::id queuedFrom;
  std::thread other([&] {
    queuedFrom = std::this_thread::get_id();
    loop.queueInLoop([&] {
      ranOn = std::this_thread::get_id();
      loop.quit();
    });
  });
  loop.loop();
  other.join();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_EQ(ranOn, std::this_thread::get_id());
  EXPECT_NE(ranOn, queuedFrom);
}

TEST(EventLoop, TenThousandFunctorsFromFourThreadsEachRunExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  EventLoop loop;
  Watchdog watchdog(&loop, 20s);
  std::vector<int> runs(kThreads * kPerThread, 0);  // touched on the loop thread only
  int total = 0;
  int offThread = 0;
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      start.wait();  // all four queue at the same time
      for (int i = 0; i < kPerThread; ++i) {
        loop.queueInLoop([&, index = t * kPerThread + i] {
          if (!loop.isInLoopThread()) ++offThread;
          ++runs[index];
          if (++total == kThreads * kPerThread) loop.quit();
        });
      }
    });
  }
  go.set_value();
  loop.loop();
  for (auto& producer : producers) producer.join();
  EXPECT_FALSE(watchdog.fired());
  EXPECT_EQ(total, kThreads * kPerThread);
  EXPECT_EQ(offThread, 0);
  EXPECT_EQ(std::count(runs.begin(), runs.end(), 1), kThreads * kPerThread);
  EXPECT_EQ(loop.queueSize(), 0u);
}

TEST(EventLoop, FunctorQueuedFromAFunctorRunsPromptlyWithoutDeadlock) {
  // Declared before the loop thread, so they outlive it even when the test fails early.
  std::promise<std::vector<int>> done;
  std::vector<int> order;  // touched on the loop thread only
  LoopThread thread;
  EventLoop* loop = thread.loop();
  waitUntilLooping(loop);
  auto start = Clock::now();
  loop->queueInLoop([&] {
    order.push_back(1);
    // Queued while the functor phase runs: the mutex is free (swap), and the loop is woken
    // for the next iteration instead of sleeping up to 10 s in epoll_wait first.
    loop->queueInLoop([&] {
      order.push_back(3);
      done.set_value(order);
    });
    loop->runInLoop([&] { order.push_back(2); });  // on the loop thread: runs right here
  });
  auto future = done.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  EXPECT_LT(secondsSince(start), 1.0);
  EXPECT_EQ(future.get(), (std::vector<int>{1, 2, 3}));
}

TEST(EventLoop, QuitFromAnotherThreadReturnsPromptlyWhenNoFdIsActive) {
  LoopThread thread;
  waitUntilLooping(thread.loop());
  if (!canReadSyscall(thread.tid())) GTEST_SKIP() << kNoSyscallFile;
  EXPECT_TRUE(waitUntilInEpollWait(thread.tid())) << "not seen asleep, with 10 s to go";
  auto start = Clock::now();
  thread.loop()->quit();
  ASSERT_EQ(thread.finished().wait_for(5s), std::future_status::ready);
  EXPECT_LT(secondsSince(start), 1.0);
}

// Pitfall: a loop that resets its quit flag on entry loses a quit() that came first, and runs
// forever (a thread that starts a loop and is told to stop at once would never be joined).
TEST(EventLoopPitfall, QuitBeforeLoopMakesLoopReturnAtOnce) {
  EventLoop loop;
  Watchdog watchdog(&loop, 3s);
  loop.quit();
  auto start = Clock::now();
  loop.loop();
  EXPECT_LT(secondsSince(start), 1.0);
  EXPECT_FALSE(watchdog.fired());
  // The request was used up: the next loop() runs until the next quit().
  bool ran = false;
  loop.queueInLoop([&] {
    ran = true;
    loop.quit();
  });
  loop.loop();
  EXPECT_TRUE(ran);
}

TEST(EventLoopPitfall, QuitBeforeLoopFromAnotherThreadIsNotLost) {
  EventLoop loop;
  Watchdog watchdog(&loop, 3s);
  std::thread([&] { loop.quit(); }).join();
  loop.loop();
  EXPECT_FALSE(watchdog.fired());
}

// Pitfall: without the eventfd write, a functor queued while the loop sleeps waits for the
// poll timeout (10 s here) or for an unrelated fd to become ready.
TEST(EventLoopPitfall, FunctorQueuedWhileTheLoopSleepsRunsWithinASecond) {
  std::promise<Clock::time_point> ran;  // outlives the loop thread, declared first
  LoopThread thread;
  waitUntilLooping(thread.loop());
  if (!canReadSyscall(thread.tid())) GTEST_SKIP() << kNoSyscallFile;
  EXPECT_TRUE(waitUntilInEpollWait(thread.tid())) << "the loop thread was not seen asleep";
  auto start = Clock::now();
  thread.loop()->queueInLoop([&] { ran.set_value(Clock::now()); });
  auto future = ran.get_future();
  ASSERT_EQ(future.wait_for(15s), std::future_status::ready);
  EXPECT_LT(std::chrono::duration<double>(future.get() - start).count(), 1.0);
}

// Pitfall: a wakeup eventfd that is never read back stays readable (level-triggered), and
// every epoll_wait after the first wakeup returns at once: the loop spins at 100% CPU.
TEST(EventLoopPitfall, LoopSleepsAgainAfterAWakeup) {
  LoopThread thread;
  waitUntilLooping(thread.loop());
  if (!canReadSyscall(thread.tid())) GTEST_SKIP() << kNoSyscallFile;
  for (int round = 0; round < 3; ++round) {
    auto ran = std::make_shared<std::promise<void>>();  // outlives us if the wait times out
    auto future = ran->get_future();
    thread.loop()->queueInLoop([ran] { ran->set_value(); });  // from another thread: a wakeup
    ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
    ASSERT_TRUE(waitUntilInEpollWait(thread.tid())) << "not asleep again after wakeup " << round;
  }
}

TEST(EventLoopPitfall, FunctorQueuedOnTheLoopThreadBeforeLoopRunsWithoutWaiting) {
  EventLoop loop;
  Watchdog watchdog(&loop, 15s);
  bool ran = false;
  loop.queueInLoop([&] {
    ran = true;
    loop.quit();
  });
  EXPECT_FALSE(ran);  // queued, not run: runInLoop() is the one that runs at once
  EXPECT_EQ(loop.queueSize(), 1u);
  auto start = Clock::now();
  loop.loop();
  EXPECT_TRUE(ran);
  EXPECT_LT(secondsSince(start), 1.0) << "the first poll slept instead of being woken";
}

// Pitfall: functors still queued when the loop stops are destroyed with the loop, unrun; what
// they captured must be released (ASan's leak check sees it if not).
TEST(EventLoopPitfall, QuittingWithFunctorsPendingNeitherCrashesNorLeaks) {
  auto token = std::make_shared<int>(42);
  std::weak_ptr<int> watch = token;
  int ran = 0;
  {
    EventLoop loop;
    Watchdog watchdog(&loop, 5s);
    loop.queueInLoop([&, token = std::move(token)] {
      loop.quit();
      for (int i = 0; i < 100; ++i) {
        loop.queueInLoop([&ran, token, big = std::vector<char>(1000)] { ++ran; });
      }
    });
    loop.loop();
    EXPECT_FALSE(watchdog.fired());
    EXPECT_EQ(loop.queueSize(), 100u);
    std::thread([&] { loop.queueInLoop([&ran] { ++ran; }); }).join();  // after the end too
    EXPECT_EQ(loop.queueSize(), 101u);
  }
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(watch.expired()) << "a pending functor's captures outlived the loop";
}

// Pitfall: a callback that removes and destroys another Channel that was ready in the same
// iteration. Without EventLoop::removeChannel's care, the loop's active list would still hold
// the destroyed Channel and dispatch to freed memory (ASan reports a heap-use-after-free).
TEST(EventLoopPitfall, CallbackMayRemoveAndDestroyAnotherReadyChannel) {
  TestReactor reactor;
  auto [a1, b1] = socketPair();
  auto [a2, b2] = socketPair();
  std::unique_ptr<Channel> first = std::make_unique<Channel>(reactor.owner(), a1.fd());
  std::unique_ptr<Channel> second = std::make_unique<Channel>(reactor.owner(), a2.fd());
  int runs = 0;
  // Whichever the kernel reports first removes and destroys the other.
  auto destroy = [&runs](std::unique_ptr<Channel>& other) {
    ++runs;
    if (!other) return;
    other->disableAll();
    other->remove();
    other.reset();
  };
  first->setReadCallback([&] { destroy(second); });
  second->setReadCallback([&] { destroy(first); });
  first->enableReading();
  second->enableReading();
  ASSERT_EQ(::write(b1.fd(), "x", 1), 1);
  ASSERT_EQ(::write(b2.fd(), "x", 1), 1);
  reactor.runOnce();  // both ready in this one iteration
  EXPECT_EQ(runs, 1) << "the destroyed Channel's callback ran";
  EXPECT_NE(first == nullptr, second == nullptr) << "exactly one Channel is left";
  for (auto* left : {first.get(), second.get()}) {
    if (left == nullptr) continue;
    left->disableAll();
    left->remove();
  }
}

// Pitfall: a Channel destroyed while registered leaves a dangling pointer in the poller.
TEST(EventLoopDeathTest, ChannelDestroyedWhileRegisteredAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto [a, b] = socketPair();
  EXPECT_DEATH(
      {
        EventLoop loop;
        Channel channel(&loop, a.fd());
        channel.enableReading();
      },  // ~Channel before remove()
      "destroyed while still registered");
}

TEST(EventLoopDeathTest, SecondLoopInOneThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop first;
        EventLoop second;
      },
      "another EventLoop .* already exists in this thread");
}

TEST(EventLoopDeathTest, ChannelMethodOffTheLoopThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto [a, b] = socketPair();
  EXPECT_DEATH(
      {
        EventLoop loop;
        Channel channel(&loop, a.fd());
        std::thread([&] { channel.enableReading(); }).join();
      },
      "\\[loop thread\\] call from another thread");
}

TEST(EventLoopDeathTest, LoopOffTheLoopThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop loop;
        std::thread([&] { loop.loop(); }).join();
      },
      "\\[loop thread\\] call from another thread");
}

}  // namespace
