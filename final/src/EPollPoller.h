// EPollPoller: the RAII owner of one epoll instance, keyed by Channel.
//
// Owns: the epoll fd (epoll_create1 with EPOLL_CLOEXEC, closed in the destructor; move is not
// needed, so copies and moves are deleted). Does not own the Channels it knows, nor their fds:
// a Channel is removed (Channel::remove) before it is destroyed and its fd closed.
// Thread safety: one object must not be used by two threads at once: [loop thread] below is
// the thread of the EventLoop that owns the poller, and the poller asserts it.
// Notification is level-triggered: an fd is reported by every poll() for as long as it stays
// ready, so a handler may do part of the work and leave the rest for the next round.
// Errors: the constructor throws std::system_error. updateChannel() throws std::system_error
// when the kernel is out of memory or watches (ENOMEM, ENOSPC). Misuse is a bug and aborts
// with a message: two Channels for one fd, a transition the state machine does not allow, a
// closed or unpollable fd (EBADF, EPERM).
#pragma once

#include <sys/epoll.h>

#include <map>
#include <vector>

namespace net {

class Channel;
class EventLoop;

/// The poller of a reactor: tells the kernel what each Channel wants (epoll_ctl) and reports
/// which Channels are ready (epoll_wait). Each epoll_event carries its Channel in `data.ptr`,
/// so a ready event leads straight to the object that handles it.
class EPollPoller {
 public:
  /// The Channels a poll() found ready, in the kernel's order.
  using ChannelList = std::vector<Channel*>;

  /// Where a Channel stands with this poller; kept in Channel::index().
  enum State : int {
    kNew = -1,     ///< unknown to the poller: not in channels_, not in the kernel's list
    kAdded = 1,    ///< in channels_ and in the kernel's interest list
    kDeleted = 2,  ///< in channels_ but out of the kernel's list (it wants no events now)
  };
  /// [any thread] "kNew", "kAdded", "kDeleted" (or "invalid") for messages.
  static const char* stateToString(int state);

  /// [loop thread] Creates the epoll instance for `loop`, its owner (which it does not own).
  /// Throws std::system_error (EMFILE, ENOMEM).
  explicit EPollPoller(EventLoop* loop);
  /// [loop thread] Closes the epoll fd; the Channels' fds stay open (they are not ours).
  ~EPollPoller();
  EPollPoller(const EPollPoller&) = delete;
  EPollPoller& operator=(const EPollPoller&) = delete;

  /// [loop thread] Waits up to `timeoutMs` milliseconds (-1: no limit, 0: just look) for registered
  /// Channels to become ready, sets each one's revents, and replaces the contents of `*active`
  /// with them. Empty on timeout or when a signal interrupted the wait.
  void poll(int timeoutMs, ChannelList* active);

  /// [loop thread] Makes the kernel's interest list match `channel->events()` (add, modify or
  /// delete the fd, following the Channel's State). Called by Channel::enableReading() and friends.
  void updateChannel(Channel* channel);
  /// [loop thread] Forgets `channel`: unregisters its fd if needed, drops it from the map, sets
  /// kNew, and clears its revents, so a poll round already in progress does not dispatch it any
  /// further.
  void removeChannel(Channel* channel);
  /// [loop thread] Whether `channel` is known here (kAdded or kDeleted).
  bool hasChannel(Channel* channel) const;

 private:
  void update(int op, Channel* channel);
  void fillActiveChannels(int numEvents, ChannelList* active) const;

  EventLoop* ownerLoop_;  ///< does not own: it owns us
  int epollFd_;
  /// fd -> its Channel (does not own), nullptr when none; kAdded or kDeleted. Indexed by fd
  /// (the kernel hands out the lowest free number): 8 bytes per fd instead of a map node.
  std::vector<Channel*> channels_;
  std::vector<epoll_event> events_;  ///< epoll_wait's output array; grows when it fills up
};

}  // namespace net
