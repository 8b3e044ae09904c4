// EPollPoller keyed by Channel: the kNew/kAdded/kDeleted state machine, which Channels a poll
// reports, removal (also in the middle of a round), and the event array growing under load.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "Channel.h"
#include "EPollPoller.h"
#include "TestReactor.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

TEST(EPollPoller, ChannelStateFollowsItsInterest) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  EXPECT_EQ(channel.index(), EPollPoller::kNew);
  EXPECT_FALSE(reactor.hasChannel(&channel));

  channel.enableReading();  // kNew -> kAdded: EPOLL_CTL_ADD
  EXPECT_EQ(channel.index(), EPollPoller::kAdded);
  EXPECT_TRUE(reactor.hasChannel(&channel));
  channel.enableWriting();  // kAdded -> kAdded: EPOLL_CTL_MOD
  EXPECT_EQ(channel.index(), EPollPoller::kAdded);
  channel.disableAll();  // kAdded -> kDeleted: EPOLL_CTL_DEL, still known
  EXPECT_EQ(channel.index(), EPollPoller::kDeleted);
  EXPECT_TRUE(reactor.hasChannel(&channel));
  channel.enableReading();  // kDeleted -> kAdded: EPOLL_CTL_ADD again
  EXPECT_EQ(channel.index(), EPollPoller::kAdded);
  channel.remove();  // kAdded -> kNew: EPOLL_CTL_DEL, forgotten
  EXPECT_EQ(channel.index(), EPollPoller::kNew);
  EXPECT_FALSE(reactor.hasChannel(&channel));
  channel.remove();  // removing twice is harmless
  EXPECT_EQ(channel.index(), EPollPoller::kNew);
}

TEST(EPollPoller, StateNamesForMessages) {
  EXPECT_STREQ(EPollPoller::stateToString(EPollPoller::kNew), "kNew");
  EXPECT_STREQ(EPollPoller::stateToString(EPollPoller::kAdded), "kAdded");
  EXPECT_STREQ(EPollPoller::stateToString(EPollPoller::kDeleted), "kDeleted");
  EXPECT_STREQ(EPollPoller::stateToString(7), "invalid");
}

TEST(EPollPoller, DisablingANewChannelRegistersNothing) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  channel.disableAll();
  EXPECT_EQ(channel.index(), EPollPoller::kNew);
  EXPECT_FALSE(reactor.hasChannel(&channel));
}

TEST(EPollPoller, ReportsExactlyTheReadyChannels) {
  TestReactor reactor;
  std::vector<std::pair<Socket, Socket>> pairs;
  std::vector<std::unique_ptr<Channel>> channels;
  std::vector<int> reads(3, 0);
  for (int i = 0; i < 3; ++i) {
    pairs.push_back(socketPair());
    channels.push_back(std::make_unique<Channel>(reactor.owner(), pairs[i].first.fd()));
    channels[i]->setReadCallback([&reads, i] { ++reads[i]; });
    channels[i]->enableReading();
  }
  reactor.runOnce();
  EXPECT_EQ(reads, (std::vector<int>{0, 0, 0}));
  ASSERT_TRUE(writeAll(pairs[1].second.fd(), "x"));
  reactor.runOnce();
  // data.ptr brought the event back to the one Channel whose fd has data.
  EXPECT_EQ(reads, (std::vector<int>{0, 1, 0}));
  EXPECT_EQ(channels[1]->revents(), static_cast<uint32_t>(EPOLLIN));
  for (auto& channel : channels) channel->remove();
}

// Why disableAll() deletes the fd from the kernel's list instead of modifying it to no events:
// epoll reports EPOLLHUP and EPOLLERR whatever the mask says.
TEST(EPollPoller, ChannelWithNoInterestIsNotReportedEvenWhenHungUp) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  int calls = 0;
  channel.setReadCallback([&] { ++calls; });
  channel.setCloseCallback([&] { ++calls; });
  channel.setErrorCallback([&] { ++calls; });
  channel.enableReading();
  channel.disableAll();
  b = Socket();  // hang-up
  reactor.runOnce();
  EXPECT_EQ(calls, 0);
  channel.remove();
}

TEST(EPollPoller, RemovedChannelIsNeverDispatchedAgain) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  int reads = 0;
  channel.setReadCallback([&] { ++reads; });
  channel.enableReading();
  ASSERT_TRUE(writeAll(b.fd(), "x"));
  reactor.runOnce();
  EXPECT_EQ(reads, 1);
  channel.remove();
  reactor.runOnce();  // still readable: nobody read the byte
  reactor.runOnce();
  EXPECT_EQ(reads, 1);
  channel.enableReading();  // kNew again: a fresh EPOLL_CTL_ADD brings it back
  reactor.runOnce();
  EXPECT_EQ(reads, 2);
  channel.remove();
}

// Two Channels are ready in the same round; whichever runs first removes the other. The removed
// one is still in this round's active list, with revents set by the poll: it must not run.
TEST(EPollPoller, ChannelRemovedEarlierInTheSameRoundIsNotDispatched) {
  TestReactor reactor;
  auto [a1, b1] = socketPair();
  auto [a2, b2] = socketPair();
  Channel first(reactor.owner(), a1.fd());
  Channel second(reactor.owner(), a2.fd());
  int firstReads = 0;
  int secondReads = 0;
  first.setReadCallback([&] {
    ++firstReads;
    second.remove();
  });
  second.setReadCallback([&] {
    ++secondReads;
    first.remove();
  });
  first.enableReading();
  second.enableReading();
  ASSERT_TRUE(writeAll(b1.fd(), "x"));
  ASSERT_TRUE(writeAll(b2.fd(), "x"));
  reactor.runOnce();
  EXPECT_EQ(firstReads + secondReads, 1);  // both were reported; only the first one ran
  reactor.runOnce();
  reactor.runOnce();
  // The survivor is still registered and still readable; the removed one stays silent.
  EXPECT_EQ(firstReads + secondReads, 3);
  EXPECT_TRUE(firstReads == 0 || secondReads == 0);
  first.remove();
  second.remove();
}

// The event array starts with 16 entries; a poll that fills it doubles it. With 100 fds ready
// at once, a fixed array would report at most 16 per round, forever.
TEST(EPollPoller, EventArrayGrowsUntilOneRoundReportsEveryReadyChannel) {
  constexpr int kChannels = 100;
  TestReactor reactor;
  std::vector<std::pair<Socket, Socket>> pairs;
  std::vector<std::unique_ptr<Channel>> channels;
  std::vector<int> reads(kChannels, 0);
  for (int i = 0; i < kChannels; ++i) {
    pairs.push_back(socketPair());
    ASSERT_TRUE(pairs[i].first.valid());
    channels.push_back(std::make_unique<Channel>(reactor.owner(), pairs[i].first.fd()));
    channels[i]->setReadCallback([&reads, i] { ++reads[i]; });
    channels[i]->enableReading();
    ASSERT_TRUE(writeAll(pairs[i].second.fd(), "x"));  // nobody reads it: ready every round
  }
  std::vector<int> perRound;
  for (int round = 0; round < 6; ++round) {
    std::fill(reads.begin(), reads.end(), 0);
    reactor.runOnce();
    perRound.push_back(static_cast<int>(std::count(reads.begin(), reads.end(), 1)));
    EXPECT_EQ(std::count_if(reads.begin(), reads.end(), [](int n) { return n > 1; }), 0);
  }
  EXPECT_LE(perRound[0], 16);             // 16 entries at first ...
  EXPECT_EQ(perRound.back(), kChannels);  // ... 32, 64, 128: then all of them each round
  EXPECT_EQ(perRound[perRound.size() - 2], kChannels);
  for (auto& channel : channels) channel->remove();
}

TEST(EPollPollerDeathTest, SecondChannelForTheSameFdAborts) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  channel.enableReading();
  EXPECT_DEATH(
      {
        Channel twin(reactor.owner(), a.fd());
        twin.enableReading();
      },
      "fd and Channel do not match");
  channel.remove();
}

}  // namespace
