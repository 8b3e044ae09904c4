#include "Acceptor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "EventLoop.h"

namespace net {

namespace {

/// The descriptor held in reserve: any cheap fd will do. Empty if even that fails.
Socket openReservedFd() { return Socket(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

}  // namespace

Acceptor::Acceptor(EventLoop* loop, const InetAddress& listenAddr, bool reusePort)
    : loop_(loop),
      acceptSocket_(Socket::createNonBlockingTcp(listenAddr.family())),
      acceptChannel_(loop, acceptSocket_.fd()),
      reservedFd_(openReservedFd()) {
  acceptSocket_.setReuseAddr(true);
  if (reusePort) acceptSocket_.setReusePort(true);
  acceptSocket_.bindAddress(listenAddr);
  acceptChannel_.setReadCallback([this] { handleRead(); });
}

Acceptor::~Acceptor() {
  loop_->assertInLoopThread();
  if (!acceptSocket_.valid()) return;  // stopListening() unregistered it; its fd may be reused
  acceptChannel_.disableAll();
  acceptChannel_.remove();  // a Channel that never listened is unknown to the poller: a no-op
}

void Acceptor::listen() {
  loop_->assertInLoopThread();
  listening_ = true;
  acceptSocket_.listen();
  acceptChannel_.enableReading();
}

//! [stopListening]
void Acceptor::stopListening() {
  loop_->assertInLoopThread();
  listening_ = false;
  if (!acceptSocket_.valid()) return;  // stopped already: the old fd number may be reused
  acceptChannel_.disableAll();
  acceptChannel_.remove();
  // Closing the fd is what makes the kernel refuse new connects (a socket that merely stopped
  // being watched would keep completing handshakes into its backlog). When we are inside
  // handleRead's callback, handleRead returns right after it, without touching the socket.
  acceptSocket_ = Socket();
}
//! [stopListening]

//! [handleRead]
void Acceptor::handleRead() {
  // STUDENT-BEGIN(acceptor-read): accept one connection and hand it over; EMFILE: drop it
  // STUDENT-STUB: return;
  loop_->assertInLoopThread();
  // One accept per readiness report: the listening socket is level-triggered, so a backlog
  // makes the next poll() return at once and connections queue fairly behind other events.
  InetAddress peer;
  Socket conn = acceptSocket_.acceptNonBlocking(&peer);
  if (conn.valid()) {
    if (newConnectionCallback_) newConnectionCallback_(std::move(conn), peer);
    return;  // without a callback, conn's destructor closes the connection
  }
  switch (errno) {
    case EAGAIN:        // another acceptor (SO_REUSEPORT, another process) took it first
    case EINTR:         // a signal: the connection is still queued, we are called again
    case ECONNABORTED:  // the peer reset it while it waited in the queue
    case EPERM:         // a firewall rule refused it
    case EPROTO:
      return;
    case EMFILE:   // this process is out of descriptors
    case ENFILE:   // the whole system is
    case ENOBUFS:  // the kernel is out of memory for the new socket: the connection stays
    case ENOMEM:   // queued too, and a plain retry next round would fail again, at 100% CPU
      dropOnePendingConnection();
      return;
    default:  // EBADF, EFAULT, EINVAL, ENOTSOCK: a bug in this program
      std::fprintf(stderr, "Acceptor::handleRead: accept4 on fd %d: %s\n", acceptSocket_.fd(),
                   std::strerror(errno));
      std::abort();
  }
  // STUDENT-END(acceptor-read)
}
//! [handleRead]

//! [dropOnePendingConnection]
// Out of descriptors, the pending connection stays in the accept queue and the listening socket
// stays readable: a level-triggered loop would call us back at once, forever, at 100% CPU, while
// the client waits for an answer that never comes. The cure, from libev's documentation ("The
// special problem of accept()ing when you can't", ev.pod) and muduo's Acceptor.cc: keep one fd
// in reserve; give it up, accept the connection into the freed slot, close it at once (the peer
// sees EOF), and take the reserve back. The client is refused politely, the loop goes back to
// sleep, and existing connections are untouched.
// It is only airtight on one thread: another thread may grab the freed slot first. Then accept
// fails again, or the reserve cannot be taken back, and we are called again next round and
// retry: no worse than without the technique, until a descriptor is free again.
// Out of kernel memory (ENOBUFS, ENOMEM) we shed load the same way: closing the reserve gives
// back a little memory, and the connection we accept into it is one fewer to keep queued. If
// memory stays short, the accept fails again and so does every retry, round after round: the
// loop then spins until memory is freed (a timer could pause accepting instead: chapter 09's
// exercise 2).
void Acceptor::dropOnePendingConnection() {
  reservedFd_ = Socket();             // close the reserve: one slot is free
  acceptSocket_.acceptNonBlocking();  // the returned Socket closes the connection at once
  reservedFd_ = openReservedFd();     // take the slot back (empty if someone was faster)
}
//! [dropOnePendingConnection]

}  // namespace net
