// Channel: which callbacks each combination of revents reaches, first set by hand, then produced
// by the kernel on real sockets (data, urgent data, writability, the peer's close and reset).
#include <gtest/gtest.h>

#include <string>

#include "Channel.h"
#include "TestReactor.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// Records which callbacks of a Channel ran, in order: C(lose), E(rror), R(ead), W(rite).
struct Trace {
  std::string calls;
  void attach(Channel* channel) {
    channel->setCloseCallback([this] { calls += 'C'; });
    channel->setErrorCallback([this] { calls += 'E'; });
    channel->setReadCallback([this] { calls += 'R'; });
    channel->setWriteCallback([this] { calls += 'W'; });
  }
};

struct DispatchCase {
  const char* name;
  uint32_t revents;
  const char* expected;  ///< the callbacks, in order
};

// The dispatch rule as a table, checked on handleEvent() alone with revents set by hand.
const DispatchCase kDispatchRule[] = {
    {"none", 0, ""},
    {"IN", EPOLLIN, "R"},
    {"PRI", EPOLLPRI, "R"},
    {"RDHUP", EPOLLRDHUP, "R"},
    {"OUT", EPOLLOUT, "W"},
    {"IN|OUT", EPOLLIN | EPOLLOUT, "RW"},
    {"ERR", EPOLLERR, "E"},
    // Hang-up without EPOLLIN (reported so when EPOLLIN is not watched): the connection is
    // over, unread input is abandoned, so the close callback.
    {"HUP", EPOLLHUP, "C"},
    {"HUP|OUT", EPOLLHUP | EPOLLOUT, "CW"},
    {"HUP|ERR", EPOLLHUP | EPOLLERR, "CE"},
    {"HUP|ERR|OUT", EPOLLHUP | EPOLLERR | EPOLLOUT, "CEW"},
    // Hang-up with input: the read callback drains it and sees EOF; no close callback.
    {"HUP|IN", EPOLLHUP | EPOLLIN, "R"},
    {"HUP|IN|RDHUP", EPOLLHUP | EPOLLIN | EPOLLRDHUP, "R"},
    {"ERR|IN", EPOLLERR | EPOLLIN, "ER"},
    // What a TCP reset looks like to a reader: Linux reports IN|ERR|HUP (see
    // ResetReachesErrorThenRead).
    {"ERR|HUP|IN", EPOLLERR | EPOLLHUP | EPOLLIN, "ER"},
};

TEST(Channel, EachReventsCombinationReachesTheRightCallbacksInOrder) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  Trace trace;
  trace.attach(&channel);
  for (const DispatchCase& dispatchCase : kDispatchRule) {
    SCOPED_TRACE(dispatchCase.name);
    trace.calls.clear();
    channel.setRevents(dispatchCase.revents);
    channel.handleEvent();
    EXPECT_EQ(trace.calls, dispatchCase.expected);
  }
}

TEST(Channel, MissingCallbacksAreSkipped) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  channel.setRevents(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR | EPOLLHUP);
  channel.handleEvent();  // no callback set: nothing to call, nothing to crash
  int reads = 0;
  channel.setReadCallback([&] { ++reads; });
  channel.handleEvent();
  EXPECT_EQ(reads, 1);
}

TEST(Channel, InterestFollowsEnableAndDisable) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  EXPECT_TRUE(channel.isNoneEvent());
  channel.enableReading();
  EXPECT_TRUE(channel.isReading());
  EXPECT_FALSE(channel.isWriting());
  EXPECT_EQ(channel.events(), static_cast<uint32_t>(EPOLLIN | EPOLLPRI));
  channel.enableWriting();
  EXPECT_TRUE(channel.isWriting());
  channel.disableReading();
  EXPECT_FALSE(channel.isReading());
  EXPECT_EQ(channel.events(), static_cast<uint32_t>(EPOLLOUT));
  channel.disableAll();
  EXPECT_TRUE(channel.isNoneEvent());
  channel.remove();
}

TEST(Channel, CallbacksStopOnceACallbackRemovesTheChannel) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  Trace trace;
  trace.attach(&channel);
  // The close callback tears the connection down, as an owner's close handler does; the error
  // and write callbacks that would follow must not run on what it has just closed.
  channel.setCloseCallback([&] {
    trace.calls += 'C';
    channel.remove();
  });
  channel.enableReading();
  channel.setRevents(EPOLLHUP | EPOLLERR | EPOLLOUT);
  channel.handleEvent();
  EXPECT_EQ(trace.calls, "C");
  EXPECT_EQ(channel.revents(), 0u);
}

// --- The same rules with revents produced by the kernel ------------------------------------

TEST(ChannelOnSockets, DataReachesReadCallback) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  std::string received;
  channel.setReadCallback([&] { received += readExactly(a.fd(), 5, 1s); });
  channel.enableReading();
  reactor.runOnce();
  EXPECT_EQ(received, "");  // nothing sent yet: not reported
  ASSERT_TRUE(writeAll(b.fd(), "hello"));
  reactor.runOnce();
  EXPECT_EQ(received, "hello");
  EXPECT_EQ(channel.revents(), static_cast<uint32_t>(EPOLLIN));
  channel.remove();
}

TEST(ChannelOnSockets, UrgentDataReachesReadCallbackAsPri) {
  TestReactor reactor;
  Socket listener = listenOnLoopback();
  auto [client, server] = connectPair(listener);
  ASSERT_TRUE(server.valid());
  Channel channel(reactor.owner(), server.fd());
  uint32_t seen = 0;
  channel.setReadCallback([&] { seen = channel.revents(); });
  channel.enableReading();
  ASSERT_EQ(::send(client.fd(), "!", 1, MSG_OOB), 1);
  ASSERT_TRUE(waitFor(server.fd(), POLLPRI, 5s));
  reactor.runOnce();
  EXPECT_TRUE(seen & EPOLLPRI) << "revents " << seen;
  channel.remove();
}

TEST(ChannelOnSockets, WritableReachesWriteCallbackOnlyWhileEnabled) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  int writes = 0;
  channel.setWriteCallback([&] { ++writes; });
  channel.enableReading();
  reactor.runOnce();
  EXPECT_EQ(writes, 0);  // writable all along, but nobody asked
  channel.enableWriting();
  reactor.runOnce();
  reactor.runOnce();
  EXPECT_EQ(writes, 2);  // level-triggered: reported every round while it stays writable
  channel.disableWriting();
  reactor.runOnce();
  reactor.runOnce();
  EXPECT_EQ(writes, 2);
  channel.remove();
}

TEST(ChannelOnSockets, PeerCloseWhileReadingReachesReadCallbackWithEof) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  Channel channel(reactor.owner(), a.fd());
  Trace trace;
  trace.attach(&channel);
  bool eof = false;
  channel.setReadCallback([&] {
    trace.calls += 'R';
    eof = readSome(a.fd(), 1, 1s).eof;
  });
  channel.enableReading();
  b = Socket();  // the peer closes
  reactor.runOnce();
  EXPECT_EQ(trace.calls, "R");  // EPOLLIN | EPOLLHUP: the read callback, not the close one
  EXPECT_TRUE(channel.revents() & EPOLLHUP);
  EXPECT_TRUE(eof);
  channel.remove();
}

/// The owner of one end of a socketpair, written the way a connection is: its read callback
/// closes on EOF, and the Channel's close callback leads to the same handler.
class PeerWatcher {
 public:
  PeerWatcher(TestReactor::Owner* owner, Socket socket)
      : socket_(std::move(socket)), channel_(owner, socket_.fd()) {
    channel_.setReadCallback([this] { handleRead(); });
    channel_.setCloseCallback([this] { handleClose(); });
  }
  ~PeerWatcher() { channel_.remove(); }
  Channel& channel() { return channel_; }
  int closes() const { return closes_; }

 private:
  void handleRead() {
    char buf[64];
    if (::read(socket_.fd(), buf, sizeof buf) == 0) handleClose();
  }
  void handleClose() {
    ++closes_;
    channel_.disableAll();
    channel_.remove();
  }

  Socket socket_;
  Channel channel_;
  int closes_ = 0;
};

TEST(ChannelOnSockets, PeerHangUpReachesCloseHandlingExactlyOnce) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  PeerWatcher watcher(reactor.owner(), std::move(a));
  watcher.channel().enableReading();
  b = Socket();
  for (int i = 0; i < 3; ++i) reactor.runOnce();  // level-triggered: HUP stays, we must not
  EXPECT_EQ(watcher.closes(), 1);
  EXPECT_FALSE(reactor.hasChannel(&watcher.channel()));
}

TEST(ChannelOnSockets, HangUpWithoutInputReachesCloseCallbackExactlyOnce) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  PeerWatcher watcher(reactor.owner(), std::move(a));
  int writes = 0;
  watcher.channel().setWriteCallback([&] { ++writes; });
  watcher.channel().enableWriting();  // not reading (say, backpressure): no EPOLLIN to report
  b = Socket();
  for (int i = 0; i < 3; ++i) reactor.runOnce();  // EPOLLOUT | EPOLLHUP
  EXPECT_EQ(watcher.closes(), 1);
  EXPECT_EQ(writes, 0);  // the close handler removed the Channel: no write after it
}

TEST(ChannelOnSockets, ResetReachesErrorThenRead) {
  TestReactor reactor;
  Socket listener = listenOnLoopback();
  auto [client, server] = connectPair(listener);
  ASSERT_TRUE(server.valid());
  Channel channel(reactor.owner(), server.fd());
  Trace trace;
  trace.attach(&channel);
  channel.enableReading();
  client.setLinger(0);
  client = Socket();  // SO_LINGER {1, 0}: close sends RST
  ASSERT_TRUE(waitFor(server.fd(), POLLERR, 5s));
  reactor.runOnce();
  EXPECT_EQ(trace.calls, "ER");
  EXPECT_TRUE(channel.revents() & EPOLLERR);
  EXPECT_EQ(server.pendingError(), ECONNRESET);
  channel.remove();
}

TEST(ChannelDeathTest, DestroyedWhileRegisteredAborts) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  EXPECT_DEATH(
      {
        Channel channel(reactor.owner(), a.fd());
        channel.enableReading();
      },  // no remove(): the poller would keep a dangling pointer
      "destroyed while still registered");
}

TEST(ChannelDeathTest, DestroyedInsideItsOwnHandleEventAborts) {
  TestReactor reactor;
  auto [a, b] = socketPair();
  EXPECT_DEATH(
      {
        auto channel = std::make_unique<Channel>(reactor.owner(), a.fd());
        channel->setReadCallback([&] { channel.reset(); });
        channel->setRevents(EPOLLIN);
        channel->handleEvent();
      },
      "destroyed inside its own handleEvent");
}

}  // namespace
