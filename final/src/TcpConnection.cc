#include "TcpConnection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "Channel.h"
#include "EventLoop.h"

namespace net {

namespace {

// Every use of these three lies inside an assignment region (connection-read, send-in-loop,
// handle-write), hence [[maybe_unused]]: the student version must compile without warnings.

// The errno values that mean this program misused the fd or the buffer: a bug, never a network
// event. Everything else a read or write returns on a TCP socket (ECONNRESET, EPIPE, ETIMEDOUT,
// EHOSTUNREACH...) means the connection is gone.
[[maybe_unused]] bool isBug(int err) {
  return err == EBADF || err == EFAULT || err == EINVAL || err == ENOTSOCK || err == EOPNOTSUPP;
}

// Nothing was transferred now, but the connection is fine: try again when the loop says so.
// (EWOULDBLOCK is EAGAIN on Linux.)
[[maybe_unused]] bool isRetry(int err) { return err == EAGAIN || err == EINTR; }

[[maybe_unused]] [[noreturn]] void die(const std::string& name, const char* what, int err) {
  std::fprintf(stderr, "TcpConnection %s: %s: %s\n", name.c_str(), what, std::strerror(err));
  std::abort();
}

/// What a connection without callbacks of its own uses: one empty set for all of them.
const std::shared_ptr<const TcpConnection::Callbacks>& noCallbacks() {
  static const auto none = std::make_shared<const TcpConnection::Callbacks>();
  return none;
}

}  // namespace

const char* TcpConnection::stateToString(StateE state) {
  switch (state) {
    case kDisconnected:
      return "kDisconnected";
    case kConnecting:
      return "kConnecting";
    case kConnected:
      return "kConnected";
    case kDisconnecting:
      return "kDisconnecting";
  }
  return "unknown state";
}

TcpConnection::TcpConnection(EventLoop* loop, std::string name, Socket socket,
                             const InetAddress& peerAddr)
    : loop_(loop),
      name_(std::move(name)),
      socket_(std::move(socket)),
      channel_(loop, socket_.fd()),
      peerAddr_(peerAddr),
      callbacks_(noCallbacks()) {
  // `this` in these lambdas is safe: the Channel is ours, and it is tied to us (see
  // connectEstablished) so it never calls back into a destroyed connection.
  channel_.setReadCallback([this] { handleRead(); });
  channel_.setWriteCallback([this] { handleWrite(); });
  channel_.setCloseCallback([this] { handleClose(); });
  channel_.setErrorCallback([this] { handleError(); });
}

TcpConnection::~TcpConnection() {
  if (state_ != kDisconnected) {
    std::fprintf(stderr, "TcpConnection %s destroyed in state %s\n", name_.c_str(),
                 stateToString(state_));
    std::abort();
  }
}

void TcpConnection::setState(StateE next) {
  StateE previous = state_.exchange(next);
  bool allowed = false;
  switch (next) {
    case kConnected:
      allowed = previous == kConnecting;
      break;
    case kDisconnecting:
      allowed = previous == kConnected;
      break;
    case kDisconnected:
      allowed = previous != kDisconnected;
      break;
    case kConnecting:
      break;  // only the constructor sets it
  }
  if (!allowed) {
    std::fprintf(stderr, "TcpConnection %s: illegal transition %s -> %s\n", name_.c_str(),
                 stateToString(previous), stateToString(next));
    std::abort();
  }
}

void TcpConnection::connectEstablished() {
  loop_->assertInLoopThread();
  setState(kConnected);
  channel_.tie(shared_from_this());
  channel_.enableReading();
  if (callbacks_->connection) callbacks_->connection(shared_from_this());
}

void TcpConnection::connectDestroyed() {
  loop_->assertInLoopThread();
  StateE state = state_;
  if (state == kConnected || state == kDisconnecting) {
    // The owner is tearing us down while the peer is still there (server destruction): nobody
    // has reported the connection down yet, so do it here.
    setState(kDisconnected);
    channel_.disableAll();
    if (callbacks_->connection) callbacks_->connection(shared_from_this());
  } else if (state == kConnecting) {
    setState(kDisconnected);  // never registered: remove() below has nothing to undo
  }
  idleHook_.unlink();  // leave the idle wheel now, not when the last reference goes
  channel_.remove();
}

//! [handleRead]
void TcpConnection::handleRead() {
  // STUDENT-BEGIN(connection-read): read once; bytes -> message callback, 0 -> close
  // STUDENT-STUB: return;
  loop_->assertInLoopThread();
  if (state_ == kDisconnected) return;  // closed earlier in this dispatch (EPOLLHUP with EPOLLPRI)
  // One readv into the input Buffer (plus its 64 KiB spill area, see Buffer::readFd). Whatever
  // did not fit stays in the kernel, and the level-triggered channel reports it again.
  int savedErrno = 0;
  ssize_t n = inputBuffer_.readFd(channel_.fd(), &savedErrno);
  if (n > 0) {
    idleHook_.touch();  // activity: the idle wheel, if any, starts counting again
    // The callback retrieves what it used; a partial message stays for the next read.
    if (callbacks_->message) {
      callbacks_->message(shared_from_this(), &inputBuffer_);
    } else {
      inputBuffer_.retrieveAll();
    }
    // Everything used: an idle connection keeps no input storage (the next read allocates).
    inputBuffer_.releaseIfEmpty();
  } else if (n == 0) {
    handleClose();  // the peer sent FIN: no more data will come
  } else if (isRetry(savedErrno)) {
    return;  // nothing to read after all; wait for the next report
  } else if (isBug(savedErrno)) {
    die(name_, "readv", savedErrno);
  } else {
    handleClose();  // reset or timed out: the connection is gone, with any data in flight
  }
  // STUDENT-END(connection-read)
}
//! [handleRead]

void TcpConnection::send(std::string_view data) {
  if (state_ != kConnected) return;  // after shutdown() or close there is nobody to send to
  if (loop_->isInLoopThread()) {
    sendInLoop(data);
  } else {
    // The caller's bytes may be gone by the time the loop runs: copy them into the functor.
    // It holds the connection too, so the connection outlives the queued call.
    loop_->runInLoop(
        [self = shared_from_this(), copy = std::string(data)] { self->sendInLoop(copy); });
  }
}

//! [sendInLoop]
void TcpConnection::sendInLoop(std::string_view data) {
  // STUDENT-BEGIN(send-in-loop): write directly if nothing is queued, queue the rest, EPOLLOUT
  // STUDENT-STUB: (void)data;
  loop_->assertInLoopThread();
  // kDisconnecting still sends: a send() from another thread queued before shutdown() runs
  // here after it, and its bytes belong before the FIN.
  if (state_ == kDisconnected) return;
  size_t written = 0;
  // Write directly only when nothing is queued, or the bytes would overtake the backlog.
  // MSG_NOSIGNAL: a reset peer makes send() fail with EPIPE instead of raising SIGPIPE, whose
  // default action would end the whole process (send(2)).
  if (!channel_.isWriting() && outputBuffer_.readableBytes() == 0) {
    ssize_t n = ::send(channel_.fd(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      written = static_cast<size_t>(n);
      if (n > 0) idleHook_.touch();
    } else if (isBug(errno)) {
      die(name_, "send", errno);
    } else if (!isRetry(errno)) {
      return;  // the peer is gone (EPIPE, ECONNRESET): the read side sees it too and closes
    }
    if (written == data.size() && callbacks_->writeComplete) {
      // Queued, not called: the application is still inside the call to send().
      loop_->queueInLoop([self = shared_from_this()] { self->callbacks_->writeComplete(self); });
    }
  }
  size_t remaining = data.size() - written;
  if (remaining == 0) return;
  size_t queued = outputBuffer_.readableBytes();
  const size_t mark = callbacks_->highWaterMarkBytes;
  if (queued < mark && queued + remaining >= mark && callbacks_->highWaterMark) {
    // Once per crossing from below, not on every send above the mark.
    loop_->queueInLoop([self = shared_from_this(), total = queued + remaining] {
      self->callbacks_->highWaterMark(self, total);
    });
  }
  outputBuffer_.append(data.data() + written, remaining);
  if (!channel_.isWriting()) channel_.enableWriting();
  // STUDENT-END(send-in-loop)
}
//! [sendInLoop]

//! [handleWrite]
void TcpConnection::handleWrite() {
  // STUDENT-BEGIN(handle-write): send what is queued; when drained, stop EPOLLOUT and finish up
  // STUDENT-STUB: return;
  loop_->assertInLoopThread();
  if (!channel_.isWriting()) return;  // closed earlier in this round
  ssize_t n =
      ::send(channel_.fd(), outputBuffer_.peek(), outputBuffer_.readableBytes(), MSG_NOSIGNAL);
  if (n < 0) {
    if (isRetry(errno)) return;
    if (isBug(errno)) die(name_, "send", errno);
    // The peer is gone and the bytes can never be delivered. Stop watching EPOLLOUT (a broken
    // socket is always writable); the read side reports the reset and closes the connection.
    outputBuffer_.retrieveAll();
    outputBuffer_.releaseIfEmpty();
    channel_.disableWriting();
    return;
  }
  idleHook_.touch();  // the peer takes our bytes: queued output alone is not activity
  outputBuffer_.retrieve(static_cast<size_t>(n));  // moves an index, not the backlog
  if (outputBuffer_.readableBytes() > 0) return;   // still more: EPOLLOUT stays on
  outputBuffer_.releaseIfEmpty();                  // drained: give the storage back
  // Drained: stop watching EPOLLOUT, or the level-triggered loop would spin on a writable
  // socket.
  channel_.disableWriting();
  if (callbacks_->writeComplete) {
    loop_->queueInLoop([self = shared_from_this()] { self->callbacks_->writeComplete(self); });
  }
  if (state_ == kDisconnecting) shutdownInLoop();  // shutdown() was waiting for this
  // STUDENT-END(handle-write)
}
//! [handleWrite]

//! [handleClose]
void TcpConnection::handleClose() {
  // STUDENT-BEGIN(connection-close): stop watching, report the connection down, tell the owner
  // STUDENT-STUB: return;
  loop_->assertInLoopThread();
  setState(kDisconnected);
  channel_.disableAll();
  // The guard keeps us alive through both callbacks even if the owner drops its reference.
  TcpConnectionPtr guard(shared_from_this());
  if (callbacks_->connection) callbacks_->connection(guard);
  if (callbacks_->close) callbacks_->close(guard);  // TcpServer::removeConnection
  // STUDENT-END(connection-close)
}
//! [handleClose]

void TcpConnection::handleError() {
  loop_->assertInLoopThread();
  // Reading SO_ERROR clears it. The error itself needs no handling here: a reset or timed-out
  // connection is also readable (EPOLLIN comes with EPOLLERR), and the read that follows
  // returns the error or EOF and closes the connection.
  (void)socket_.pendingError();
}

void TcpConnection::stopRead() {
  loop_->runInLoop([self = shared_from_this()] {
    if (self->channel_.isReading()) self->channel_.disableReading();
  });
}

void TcpConnection::startRead() {
  loop_->runInLoop([self = shared_from_this()] {
    if (!self->channel_.isReading() && self->state_ != kDisconnected) {
      self->channel_.enableReading();
    }
  });
}

//! [shutdown]
void TcpConnection::shutdown() {
  StateE expected = kConnected;
  if (state_.compare_exchange_strong(expected, kDisconnecting)) {
    loop_->runInLoop([self = shared_from_this()] { self->shutdownInLoop(); });
  }
}

void TcpConnection::shutdownInLoop() {
  loop_->assertInLoopThread();
  // With output still queued, handleWrite() sends FIN after the last byte.
  if (state_ == kDisconnecting && !channel_.isWriting()) socket_.shutdownWrite();
}
//! [shutdown]

void TcpConnection::forceClose() {
  StateE expected = kConnected;
  state_.compare_exchange_strong(expected, kDisconnecting);
  if (expected == kConnected || expected == kDisconnecting) {
    // Queued even on the loop thread: the caller (often a callback of this very connection)
    // finishes first, and the connection goes down between two callbacks, not inside one.
    loop_->queueInLoop([self = shared_from_this()] { self->forceCloseInLoop(); });
  }
}

void TcpConnection::forceCloseInLoop() {
  loop_->assertInLoopThread();
  if (state_ == kConnected || state_ == kDisconnecting) handleClose();
}

}  // namespace net
