// What the Channel and poller tests need around them: the object a Channel registers with, a
// way to run one poll-and-dispatch round, and pairs of connected non-blocking sockets. (Loopback
// TCP pairs, for urgent data and resets, come from TestUtil.h's connectPair.)
#pragma once

#include <sys/socket.h>

#include <utility>

#include "Channel.h"
#include "EPollPoller.h"
#include "Socket.h"

namespace net::test {

/// A minimal reactor for tests: one poller, and rounds run one at a time by the test itself.
class TestReactor {
 public:
  /// What a Channel registers with: the poller in chapter 03, the EventLoop from 04 on.
  using Owner = EPollPoller;

  /// The object Channels are constructed with.
  Owner* owner() { return &poller_; }

  /// One round: poll without waiting, then dispatch every reported Channel in the kernel's
  /// order, as a reactor's loop does.
  void runOnce() {
    poller_.poll(0, &active_);
    for (Channel* channel : active_) channel->handleEvent();
  }

  /// Whether `channel` is registered.
  bool hasChannel(Channel* channel) { return poller_.hasChannel(channel); }

 private:
  EPollPoller poller_;
  EPollPoller::ChannelList active_;
};

/// Two connected non-blocking AF_UNIX stream sockets: bytes written to one are readable from
/// the other as soon as write() returns, so readiness needs no waiting.
inline std::pair<Socket, Socket> socketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    return {Socket(), Socket()};
  }
  return {Socket(fds[0]), Socket(fds[1])};
}

}  // namespace net::test
