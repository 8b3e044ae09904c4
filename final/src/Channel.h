// Channel: one fd's registration with the poller, and the callbacks its readiness runs.
//
// A Channel binds three things: an fd it does NOT own (a Socket, a signalfd... owned by whoever
// owns the Channel), the events we want to hear about for that fd (`events`), and the events
// the last poll reported (`revents`). handleEvent() turns revents into calls of the read,
// write, close and error callbacks. The Channel never reads or writes the fd itself: the
// callbacks belong to the object that owns the fd (a connection, a listener).
//
// Borrows: the EventLoop it registers with (does not own; must outlive the Channel).
// Thread safety: the callback setters may be called from any thread before the Channel is
// enabled, provided the Channel then reaches the loop thread through a hand-off that
// synchronises (runInLoop(), a mutex, the start of the thread): without one, the loop thread may
// not see the callbacks. Everything else is [loop thread], asserted by the EventLoop.
// Lifetime: a Channel must be removed from the poller (remove()) before it is destroyed, and
// must not be destroyed from inside its own handleEvent(); the destructor aborts on either. An
// owner kept by shared_ptr (TcpConnection) ties itself to its Channel, and so lives at least
// until the dispatch of the current event is over (tie()).
// A callback may remove and then destroy another Channel, even one that was ready in the same
// iteration and still waits to be dispatched: EventLoop::removeChannel() drops it from the
// loop's list of active Channels.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace net {

class EventLoop;

/// The poller's handle on one fd: interest set, last readiness, and the callbacks that readiness
/// dispatches to. Non-copyable: the poller stores its address.
class Channel {
 public:
  /// What a callback looks like: the Channel has nothing to pass, the owner knows its fd.
  using EventCallback = std::function<void()>;

  /// [any thread] A Channel for `fd`, not yet registered (no events, index kNew). Does not own
  /// `fd`, and does not own `loop` (which must outlive the Channel).
  Channel(EventLoop* loop, int fd);
  /// [loop thread] Aborts with a message if the Channel is still registered with its poller or is
  /// being destroyed from inside its own handleEvent(): either would leave a dangling pointer.
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// [loop thread] Dispatches the events of the last poll (revents) to the callbacks, in muduo's
  /// order: close (EPOLLHUP without EPOLLIN), error (EPOLLERR), read (EPOLLIN, EPOLLPRI,
  /// EPOLLRDHUP), write (EPOLLOUT). A callback that removes the Channel ends the dispatch: the
  /// remaining callbacks do not run.
  void handleEvent();
  /// [loop thread] Ties the Channel to the object that owns it and runs its callbacks (a
  /// TcpConnection, which calls this once it is owned by a shared_ptr). handleEvent() then
  /// holds a strong reference to the owner for the whole dispatch, so a callback may drop every
  /// other reference without destroying the Channel under its own feet; an event for an owner
  /// that is already gone is dropped. Keeps only a weak_ptr: the owner owns the Channel.
  void tie(const std::shared_ptr<void>& owner);

  /// [any thread, before enabling] Called for EPOLLIN, EPOLLPRI and EPOLLRDHUP: data, urgent data,
  /// or the peer's FIN (the owner's read() then returns 0).
  void setReadCallback(EventCallback cb) { readCallback_ = std::move(cb); }
  /// [any thread, before enabling] Called for EPOLLOUT: the socket can take more bytes.
  void setWriteCallback(EventCallback cb) { writeCallback_ = std::move(cb); }
  /// [any thread, before enabling] Called for EPOLLHUP without EPOLLIN: a hang-up reported while
  /// EPOLLIN is not watched (for TCP, a hang-up comes with EPOLLIN when EPOLLIN is watched). The
  /// connection is over; unread input, if any, is abandoned.
  void setCloseCallback(EventCallback cb) { closeCallback_ = std::move(cb); }
  /// [any thread, before enabling] Called for EPOLLERR: the socket has a pending error (read it
  /// with SO_ERROR).
  void setErrorCallback(EventCallback cb) { errorCallback_ = std::move(cb); }

  /// [any thread] The fd this Channel watches (not owned).
  int fd() const { return fd_; }
  /// [loop thread] The events we are interested in (a mask of EPOLLIN, EPOLLPRI, EPOLLOUT).
  uint32_t events() const { return events_; }
  /// [loop thread] Records what the poll reported for this fd; the poller calls it before
  /// handleEvent().
  void setRevents(uint32_t revents) { revents_ = revents; }
  /// [loop thread] The events the last poll reported (0 once the Channel is removed).
  uint32_t revents() const { return revents_; }
  /// [loop thread] True when the Channel is interested in nothing (the poller then unregisters the
  /// fd).
  bool isNoneEvent() const { return events_ == kNoneEvent; }

  /// [loop thread] Starts watching for EPOLLIN | EPOLLPRI and updates the poller.
  void enableReading() {
    events_ |= kReadEvent;
    update();
  }
  /// [loop thread] Stops watching for input (e.g. while the peer is not reading our output).
  void disableReading() {
    events_ &= ~kReadEvent;
    update();
  }
  /// [loop thread] Starts watching for EPOLLOUT. Only while output is pending: a connected socket
  /// is almost always writable, so EPOLLOUT left on wakes the poller for nothing, round after
  /// round.
  void enableWriting() {
    events_ |= kWriteEvent;
    update();
  }
  /// [loop thread] Stops watching for EPOLLOUT: the output is drained.
  void disableWriting() {
    events_ &= ~kWriteEvent;
    update();
  }
  /// [loop thread] Stops watching for anything; the fd leaves the kernel's interest list (see
  /// EPollPoller), but the Channel stays known to the poller until remove().
  void disableAll() {
    events_ = kNoneEvent;
    update();
  }
  /// [loop thread] Whether EPOLLOUT is in the interest set.
  bool isWriting() const { return (events_ & kWriteEvent) != 0; }
  /// [loop thread] Whether EPOLLIN is in the interest set.
  bool isReading() const { return (events_ & kReadEvent) != 0; }

  /// [loop thread] The poller's bookkeeping: kNew, kAdded or kDeleted (EPollPoller::State). Only
  /// the poller interprets or changes it.
  int index() const { return index_; }
  /// [loop thread] Set by the poller on each transition of its state machine.
  void setIndex(int index) { index_ = index; }

  /// [loop thread] Forgets this Channel in the poller (unregistering the fd if needed). Required
  /// before the Channel is destroyed; safe during a dispatch round, and the caller may destroy
  /// the Channel right after, even when it waits further down the round's active list (see
  /// EventLoop::removeChannel).
  void remove();

 private:
  static constexpr uint32_t kNoneEvent = 0;
  // Reading includes EPOLLPRI (TCP urgent data) but not EPOLLRDHUP: the peer's FIN already
  // makes the fd readable (read() returns 0), and we read on every EPOLLIN anyway.
  static constexpr uint32_t kReadEvent = EPOLLIN | EPOLLPRI;
  static constexpr uint32_t kWriteEvent = EPOLLOUT;

  /// Tells the poller that events_ changed.
  void update();

  EventLoop* loop_;  ///< does not own
  const int fd_;     ///< does not own
  uint32_t events_ = kNoneEvent;
  uint32_t revents_ = 0;
  int index_;                   ///< the poller's state for this Channel (EPollPoller::State)
  bool eventHandling_ = false;  ///< inside handleEvent(): destroying now would be a bug
  bool tied_ = false;           ///< whether tie_ was set (an expired tie drops events)
  std::weak_ptr<void> tie_;     ///< the owner, once tie() was called

  EventCallback readCallback_;
  EventCallback writeCallback_;
  EventCallback closeCallback_;
  EventCallback errorCallback_;
};

}  // namespace net
