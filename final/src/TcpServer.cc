#include "TcpServer.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "Acceptor.h"
#include "EventLoop.h"

namespace net {

TcpServer::TcpServer(EventLoop* loop, const InetAddress& listenAddr, std::string name,
                     bool reusePort)
    : loop_(loop),
      name_(std::move(name)),
      acceptor_(std::make_unique<Acceptor>(loop, listenAddr, reusePort)),
      listenAddr_(acceptor_->listenAddress()),
      threadPool_(std::make_unique<EventLoopThreadPool>(loop, name_ + "-io")) {
  // `this` is safe: the Acceptor is ours and dies with us.
  acceptor_->setNewConnectionCallback(
      [this](Socket socket, const InetAddress& peer) { newConnection(std::move(socket), peer); });
}

//! [destructor]
TcpServer::~TcpServer() {
  loop_->assertInLoopThread();
  for (auto& item : connections_) {
    TcpConnectionPtr conn = std::move(item.second);
    // Unregister now (or, for a connection on another loop, as soon as that loop gets to it)...
    conn->getLoop()->runInLoop([conn] { conn->connectDestroyed(); });
    // ...but let the last reference go in the functor phase of the connection's loop: we may
    // be inside a callback of the dispatch phase, and a Channel destroyed there could still be
    // in the round's list of active Channels. The socket closes (the peer sees EOF) when this
    // functor is done with, unless the application holds a reference of its own.
    conn->getLoop()->queueInLoop([conn] {});
  }
  // Each wheel stops on its own loop: at once for the main loop's; on a sub loop before the
  // thread pool's quit, which is queued behind it. The wheels are destroyed after the pool.
  for (auto& [ioLoop, wheel] : idleWheels_) {
    ioLoop->runInLoop([w = wheel.get()] { w->stop(); });
  }
}
//! [destructor]

InetAddress TcpServer::listenAddress() const { return listenAddr_; }

void TcpServer::setThreadNum(int numThreads) { threadPool_->setThreadNum(numThreads); }

void TcpServer::setIdleTimeout(Clock::duration timeout, Clock::duration tick) {
  if (started_ || tick <= Clock::duration::zero()) {
    std::fprintf(stderr, "TcpServer %s: setIdleTimeout after start() or with a tick <= 0\n",
                 name_.c_str());
    std::abort();
  }
  idleTimeout_ = timeout;
  idleTick_ = tick;
}

void TcpServer::start() {
  if (started_.exchange(true)) return;
  auto callbacks = std::make_shared<TcpConnection::Callbacks>();
  callbacks->connection = connectionCallback_;
  callbacks->message = messageCallback_;
  callbacks->writeComplete = writeCompleteCallback_;
  if (highWaterMarkCallback_) {
    callbacks->highWaterMark = highWaterMarkCallback_;
    callbacks->highWaterMarkBytes = highWaterMark_;
  }
  // `this` is safe: the server outlives its connections' registration (see the destructor).
  callbacks->close = [this](const TcpConnectionPtr& c) { removeConnection(c); };
  loop_->runInLoop([this, callbacks = std::move(callbacks)]() mutable {
    connectionCallbacks_ = std::move(callbacks);
    threadPool_->start(threadInitCallback_);
    if (idleTimeout_ > Clock::duration::zero()) {
      for (EventLoop* ioLoop : threadPool_->getAllLoops()) {
        idleWheels_[ioLoop] = std::make_unique<TimingWheel>(ioLoop, idleTimeout_, idleTick_);
      }
    }
    acceptor_->listen();  // after the pool: the first connection already has a loop to go to
  });
}

size_t TcpServer::connectionCount() const {
  loop_->assertInLoopThread();
  return connections_.size();
}

void TcpServer::stopAccepting() {
  loop_->assertInLoopThread();
  acceptor_->stopListening();
}

void TcpServer::forEachConnection(const std::function<void(const TcpConnectionPtr&)>& f) {
  loop_->assertInLoopThread();
  // A copy: `f` may close a connection of this loop, which erases it from the map at once.
  std::vector<TcpConnectionPtr> snapshot;
  snapshot.reserve(connections_.size());
  for (const auto& item : connections_) snapshot.push_back(item.second);
  for (const TcpConnectionPtr& conn : snapshot) f(conn);
}

//! [newConnection]
void TcpServer::newConnection(Socket socket, const InetAddress& peerAddr) {
  loop_->assertInLoopThread();
  EventLoop* ioLoop = threadPool_->getNextLoop();
  // Short ("http#12") so that it fits std::string's inline storage (15 characters with
  // libstdc++) and costs no allocation; localAddress() tells the rest.
  std::string connName = name_ + "#" + std::to_string(nextConnId_++);
  auto conn = std::make_shared<TcpConnection>(ioLoop, connName, std::move(socket), peerAddr);
  connections_[conn.get()] = conn;
  conn->setCallbacks(connectionCallbacks_);  // one set for all: see TcpConnection::Callbacks
  // From here on the connection belongs to ioLoop's thread. The callbacks set above happen
  // before the functor runs (the loop's queue is a mutex hand-off).
  auto wheel = idleWheels_.find(ioLoop);
  TimingWheel* idleWheel = wheel == idleWheels_.end() ? nullptr : wheel->second.get();
  ioLoop->runInLoop([conn, idleWheel] {
    conn->connectEstablished();
    if (idleWheel != nullptr) idleWheel->add(conn);
  });
}
//! [newConnection]

//! [removeConnection]
void TcpServer::removeConnection(const TcpConnectionPtr& conn) {
  // On conn's loop thread (from handleClose), but the map belongs to the main loop: hop there.
  // The server may be destroyed before the main loop runs the functor (its destructor has then
  // taken care of conn already), hence the weak_ptr instead of trusting `this`.
  std::weak_ptr<void> alive = alive_;
  loop_->runInLoop([this, alive, conn] {
    if (alive.lock()) removeConnectionInLoop(conn);
  });
}

void TcpServer::removeConnectionInLoop(const TcpConnectionPtr& conn) {
  loop_->assertInLoopThread();
  if (connections_.erase(conn.get()) != 1) {
    std::fprintf(stderr, "TcpServer %s: closing unknown connection %s\n", name_.c_str(),
                 conn->name().c_str());
    std::abort();
  }
  // We are inside conn's own event handling (handleClose). connectDestroyed() removes its
  // Channel from the loop, so it runs after this round of events instead of now; the functor's
  // copy of conn is what keeps the connection alive until then.
  conn->getLoop()->queueInLoop([conn] { conn->connectDestroyed(); });
}
//! [removeConnection]

}  // namespace net
