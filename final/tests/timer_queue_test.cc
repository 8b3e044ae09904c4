// Timers (EventLoop::runAt/runAfter/runEvery/cancel over TimerQueue): deadline order, equal
// deadlines in the order added, every due timer in one round, repetition until cancelled,
// cancellation from the timer's own callback, from another timer, from another thread and
// before a cross-thread add has arrived, 10,000 timers, and the clock the timerfd runs on.
//
// "Never ran" is checked against a later timer on the same loop (the sentinel) rather than by
// waiting: a timer that was wrongly left in the queue has the earlier deadline, so it would
// run before the sentinel, however loaded the machine is.
#include <dirent.h>
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <fstream>
#include <future>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "EventLoop.h"
#include "LoopTestUtil.h"
#include "TimerId.h"

using namespace net;
using namespace net::test;
using namespace std::chrono_literals;

namespace {

/// Waits (bounded) for a future set by a callback on the loop thread.
template <typename T>
T await(std::future<T>& future) {
  if (future.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "the callback did not run within 10 s";
    std::abort();  // the callback refers to this frame: returning would be unsafe
  }
  return future.get();
}

class TimerQueueTest : public ::testing::Test {
 protected:
  EventLoop* loop() { return loop_.loop(); }

  // Declared before loop_: the loop (and any timer still queued) goes first.
  EventLog log_;
  LoopThread loop_;
};

TEST_F(TimerQueueTest, DueTimersRunInDeadlineOrderAllInOneRound) {
  loop_.call([&] {
    // Added out of order, all due already: the next round of the loop finds them in one read of
    // the timerfd. The first one queues a functor, which runs in the functor phase of the same
    // round: it can only come after the other two if they ran in that round as well.
    Clock::time_point now = Clock::now();
    loop()->runAt(now - 1ms, [this] { log_.add("c"); });
    loop()->runAt(now - 3ms, [this] {
      log_.add("a");
      loop()->queueInLoop([this] { log_.add("end of the round"); });
    });
    loop()->runAt(now - 2ms, [this] { log_.add("b"); });
  });
  EXPECT_EQ(log_.waitFor(4), (std::vector<std::string>{"a", "b", "c", "end of the round"}));
}

TEST_F(TimerQueueTest, FutureTimersRunInDeadlineOrderAndNeverEarly) {
  std::vector<Clock::time_point> deadlines;
  std::vector<Clock::time_point> ranAt(3);
  loop_.call([&] {
    Clock::time_point base = Clock::now() + 10ms;
    deadlines = {base + 20ms, base, base + 10ms};
    for (int i = 0; i < 3; ++i) {
      loop()->runAt(deadlines[i], [this, i, &ranAt] {
        ranAt[i] = Clock::now();
        log_.add(std::to_string(i));
      });
    }
  });
  ASSERT_EQ(log_.waitFor(3), (std::vector<std::string>{"1", "2", "0"}));
  loop_.call([&] {
    for (int i = 0; i < 3; ++i) EXPECT_GE(ranAt[i], deadlines[i]) << "timer " << i;
  });
}

TEST_F(TimerQueueTest, EqualDeadlinesRunInTheOrderTheyWereAdded) {
  loop_.call([&] {
    Clock::time_point when = Clock::now() + 5ms;
    loop()->runAt(when + 1ms, [this] { log_.add("later"); });
    for (int i = 0; i < 5; ++i) {
      loop()->runAt(when, [this, i] { log_.add(std::to_string(i)); });
    }
    loop()->runAt(when - 1ms, [this] { log_.add("earlier"); });
  });
  EXPECT_EQ(log_.waitFor(7),
            (std::vector<std::string>{"earlier", "0", "1", "2", "3", "4", "later"}));
}

TEST_F(TimerQueueTest, RunEveryRepeatsEveryIntervalUntilCancelled) {
  std::atomic<int> runs{0};
  std::promise<Clock::duration> fifth;
  Clock::time_point start = Clock::now();
  TimerId id = loop()->runEvery(2ms, [&] {
    if (++runs == 5) fifth.set_value(Clock::now() - start);
  });
  std::future<Clock::duration> fifthDone = fifth.get_future();
  EXPECT_GE(await(fifthDone), 10ms);  // five intervals, none early
  std::promise<int> atSentinel;
  int atCancel = loop_.call([&] {
    loop()->cancel(id);
    // Had the cancel failed, the 2 ms timer (due first) would run again before this one.
    loop()->runAfter(20ms, [&] { atSentinel.set_value(runs); });
    return runs.load();
  });
  std::future<int> sentinel = atSentinel.get_future();
  EXPECT_EQ(await(sentinel), atCancel);
  EXPECT_GE(atCancel, 5);
}

TEST_F(TimerQueueTest, CancelBeforeTheDeadlinePreventsTheCallback) {
  loop_.call([&] {
    TimerId id = loop()->runAfter(5ms, [this] { log_.add("cancelled timer ran"); });
    loop()->cancel(id);
    loop()->runAfter(20ms, [this] { log_.add("sentinel"); });
  });
  EXPECT_EQ(log_.waitForPrefix("sentinel"), std::vector<std::string>{"sentinel"});
}

TEST_F(TimerQueueTest, RepeatingTimerCancelledInItsOwnCallbackNeverRunsAgain) {
  auto id = std::make_shared<TimerId>();
  int runs = 0;  // loop thread only
  loop_.call([&] {
    *id = loop()->runEvery(1ms, [this, id, &runs] {
      log_.add("run " + std::to_string(++runs));
      if (runs < 3) return;
      loop()->cancel(*id);
      loop()->cancel(*id);  // twice: the second finds nothing, harmlessly
      // Had the cancel failed, the 1 ms timer (due first) would run again before this one.
      loop()->runAfter(20ms, [this] { log_.add("sentinel"); });
    });
  });
  EXPECT_EQ(log_.waitForPrefix("sentinel"),
            (std::vector<std::string>{"run 1", "run 2", "run 3", "sentinel"}));
}

TEST_F(TimerQueueTest, OneShotTimerCancellingItselfInItsCallbackIsHarmless) {
  loop_.call([&] {
    auto id = std::make_shared<TimerId>();
    *id = loop()->runAfter(1ms, [this, id] {
      loop()->cancel(*id);
      log_.add("ran");
      loop()->runAfter(1ms, [this] { log_.add("sentinel"); });
    });
  });
  EXPECT_EQ(log_.waitForPrefix("sentinel"), (std::vector<std::string>{"ran", "sentinel"}));
}

TEST_F(TimerQueueTest, TimerCancelledByAnotherDueInTheSameRoundDoesNotRun) {
  loop_.call([&] {
    Clock::time_point past = Clock::now() - 1ms;
    auto victim = std::make_shared<TimerId>();
    loop()->runAt(past, [this, victim] {
      log_.add("first");
      loop()->cancel(*victim);  // due in this very round, not run yet
    });
    *victim = loop()->runAt(past, [this] { log_.add("cancelled timer ran"); });
    loop()->runAfter(10ms, [this] { log_.add("sentinel"); });
  });
  EXPECT_EQ(log_.waitForPrefix("sentinel"), (std::vector<std::string>{"first", "sentinel"}));
}

TEST_F(TimerQueueTest, RunAfterFromAnotherThreadRunsOnTheLoopThread) {
  std::promise<std::thread::id> ranOn;
  loop()->runAfter(1ms, [&] { ranOn.set_value(std::this_thread::get_id()); });
  std::future<std::thread::id> thread = ranOn.get_future();
  EXPECT_EQ(await(thread), loop_.threadId());
  EXPECT_NE(loop_.threadId(), std::this_thread::get_id());
}

TEST_F(TimerQueueTest, CancelFromAnotherThreadStopsARepeatingTimer) {
  std::atomic<int> runs{0};
  std::promise<void> twice;
  TimerId id = loop()->runEvery(1ms, [&] {
    if (++runs == 2) twice.set_value();
  });
  std::future<void> ranTwice = twice.get_future();
  await(ranTwice);
  loop()->cancel(id);
  // Queued behind the cancel (one thread's calls reach the loop in order): the count as the
  // cancel left it, and a sentinel that the 1 ms timer would beat if it were still there.
  std::promise<int> atCancel;
  std::promise<int> atSentinel;
  loop()->runInLoop([&] { atCancel.set_value(runs); });
  loop()->runAfter(20ms, [&] { atSentinel.set_value(runs); });
  std::future<int> cancelled = atCancel.get_future();
  std::future<int> sentinel = atSentinel.get_future();
  int countAtCancel = await(cancelled);
  EXPECT_EQ(await(sentinel), countAtCancel);
}

TEST_F(TimerQueueTest, CancelOnTheLoopThreadBeforeACrossThreadAddArrivesStillCancels) {
  // The race: this thread adds a timer (the insertion is queued for the loop) and hands the id
  // to code on the loop thread, which cancels it inline before the queued insertion has run.
  // Both functors below run in one batch of the functor phase: the cancel first, the add after.
  std::promise<void> held;
  std::promise<void> release;
  std::promise<TimerId> idForLoop;
  loop()->runInLoop([&] {
    held.set_value();
    release.get_future().wait();  // the loop waits here while this thread queues two functors
  });
  held.get_future().wait();
  std::shared_future<TimerId> id = idForLoop.get_future().share();
  loop()->queueInLoop([this, id] { loop()->cancel(id.get()); });
  idForLoop.set_value(loop()->runAfter(0ms, [this] { log_.add("cancelled timer ran"); }));
  loop()->runAfter(20ms, [this] { log_.add("sentinel"); });
  release.set_value();
  EXPECT_EQ(log_.waitForPrefix("sentinel"), std::vector<std::string>{"sentinel"});
}

TEST_F(TimerQueueTest, TimerAddedByATimerCallbackRunsInALaterRound) {
  loop_.call([&] {
    loop()->runAfter(1ms, [this] {
      log_.add("outer");
      // Already due when added: it still waits for the next round, after this round's functors.
      loop()->runAt(Clock::now() - 1ms, [this] { log_.add("inner"); });
      loop()->queueInLoop([this] { log_.add("end of the outer round"); });
    });
  });
  EXPECT_EQ(log_.waitFor(3),
            (std::vector<std::string>{"outer", "end of the outer round", "inner"}));
}

TEST_F(TimerQueueTest, RepeatingTimerThatFellBehindRunsOnceLateThenRestartsFromNow) {
  // The first run takes 30 ms (fifteen intervals): a queue that caught up with every missed
  // deadline would run the timer fifteen more times at once. Ours runs it once, late, and
  // then one interval after that round. The sentinel's deadline lies between the two.
  int runs = 0;  // loop thread only
  std::promise<int> atSentinel;
  TimerId id = loop_.call([&] {
    return loop()->runEvery(2ms, [&] {
      if (++runs > 1) return;
      std::this_thread::sleep_for(30ms);  // a slow callback: the load, not a synchronisation
      loop()->runAfter(1ms, [&] { atSentinel.set_value(runs); });
    });
  });
  std::future<int> sentinel = atSentinel.get_future();
  EXPECT_EQ(await(sentinel), 2);
  loop_.call([&] { loop()->cancel(id); });  // before `runs` goes out of scope
}

TEST_F(TimerQueueTest, TenThousandTimersRunOnceEachInDeadlineOrderExceptTheCancelled) {
  constexpr int kTimers = 10000;
  std::vector<Clock::time_point> deadlines(kTimers);
  std::vector<int> ran;  // loop thread only
  std::promise<void> done;
  int expected = 0;
  loop_.call([&] {
    Clock::time_point base = Clock::now() + 5ms;
    std::vector<TimerId> ids;
    for (int i = 0; i < kTimers; ++i) {
      // 50 distinct deadlines over 50 ms, in a scrambled order: many equal ones.
      deadlines[i] = base + std::chrono::milliseconds((i * 7919) % 50);
      ids.push_back(loop()->runAt(deadlines[i], [&, i] {
        ran.push_back(i);
        if (static_cast<int>(ran.size()) == expected) done.set_value();
      }));
    }
    for (int i = 0; i < kTimers; i += 10) loop()->cancel(ids[i]);
    expected = kTimers - kTimers / 10;
  });
  std::future<void> allRan = done.get_future();
  await(allRan);
  std::vector<int> order;
  for (int i = 0; i < kTimers; ++i) {
    if (i % 10 != 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return deadlines[a] < deadlines[b]; });
  // One more round of the loop: nothing else (a cancelled one, a second run) may follow.
  EXPECT_EQ(loop_.call([&] { return ran; }), order);
}

TEST_F(TimerQueueTest, CancellingAnInvalidSpentOrForeignIdIsHarmless) {
  // Two fresh loops, one timer each: with a counter per queue both would be number 1.
  LoopThread other;
  TimerId foreign = other.loop()->runAfter(5ms, [this] { log_.add("foreign timer"); });
  loop_.call([&] {
    auto spent = std::make_shared<TimerId>();
    *spent = loop()->runAfter(1ms, [this, spent] {
      log_.add("spent");
      loop()->runAfter(1ms, [this, spent] {
        loop()->cancel(*spent);  // has run: nothing to cancel
        loop()->runAfter(1ms, [this] { log_.add("after"); });
      });
    });
    loop()->cancel(TimerId());
    loop()->cancel(foreign);  // another loop's id: cancels nothing here
  });
  std::vector<std::string> events = log_.waitFor(3);
  std::sort(events.begin(), events.end());
  EXPECT_EQ(events, (std::vector<std::string>{"after", "foreign timer", "spent"}));
  EXPECT_FALSE(TimerId().valid());
  EXPECT_TRUE(foreign.valid());
}

/// The fds of this process that are timerfds ("anon_inode:[timerfd]").
std::vector<int> timerFds() {
  std::vector<int> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::string path = std::string("/proc/self/fd/") + entry->d_name;
    char target[PATH_MAX] = {};
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n > 0 && std::string(target, static_cast<size_t>(n)) == "anon_inode:[timerfd]") {
      fds.push_back(std::stoi(entry->d_name));
    }
  }
  ::closedir(dir);
  return fds;
}

TEST_F(TimerQueueTest, OneTimerfdPerLoopRunningOnTheMonotonicClock) {
  // Three timers waiting, one timerfd: the queue arms it for the earliest only.
  loop_.call([&] {
    for (int i = 1; i <= 3; ++i) loop()->runAfter(std::chrono::hours(i), [] {});
  });
  std::vector<int> fds = timerFds();
  ASSERT_EQ(fds.size(), 1u) << "one loop, one timerfd";
  // proc(5): a timerfd's fdinfo has "clockid: N"; CLOCK_MONOTONIC is 1 (CLOCK_REALTIME 0), the
  // clock that settimeofday(2) and clock_settime(2) cannot move.
  EXPECT_EQ(CLOCK_MONOTONIC, 1);
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(fds[0]));
  std::string line;
  std::string clockid;
  while (std::getline(info, line)) {
    if (line.rfind("clockid:", 0) == 0) clockid = line;
  }
  EXPECT_EQ(clockid, "clockid: 1");
}

TEST(TimerClock, SteadyClockReadsClockMonotonic) {
  // TimerQueue arms the timerfd with steady_clock deadlines as absolute CLOCK_MONOTONIC times
  // (TFD_TIMER_ABSTIME): the two clocks must be one.
  auto before = Clock::now().time_since_epoch();
  timespec ts{};
  ASSERT_EQ(::clock_gettime(CLOCK_MONOTONIC, &ts), 0);
  auto after = Clock::now().time_since_epoch();
  auto monotonic = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  EXPECT_LE(before, monotonic);
  EXPECT_LE(monotonic, after);
}

}  // namespace
