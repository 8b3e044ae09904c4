// TcpConnection: one established TCP connection, driven by the loop that owns its Channel.
//
// Owns: the connected Socket (closed when the last TcpConnectionPtr goes away), its Channel,
// the input Buffer (bytes read, not yet used by the message callback) and the output Buffer
// (bytes sent, not yet taken by the kernel). Both Buffers give their storage back whenever they
// are empty after a read or a drain, so an idle connection holds no buffer memory.
// Borrows: the EventLoop (does not own); it must outlive the connection.
// Lifetime: always held by std::shared_ptr (TcpConnectionPtr). The server's map, a functor in
// the loop's queue, a callback running right now and the application may each hold one, and
// the connection dies when the last of them lets go. Its Channel is tied to it (Channel::tie),
// so an event that arrives after the connection died is dropped instead of calling into freed
// memory.
// Thread safety: the connection belongs to its loop's thread. connected(), disconnected(),
// name() and the addresses may be read from any thread; send(), shutdown(), forceClose(),
// startRead() and stopRead() may be called from any thread (they hand the work to the loop);
// everything else is [loop thread] and asserted.
#pragma once

#include <any>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "Buffer.h"
#include "Callbacks.h"
#include "Channel.h"
#include "InetAddress.h"
#include "Socket.h"
#include "TimingWheel.h"

namespace net {

class EventLoop;

/// A TCP connection on one EventLoop: reads into its input Buffer for the message callback,
/// writes what send() is given (queueing in its output Buffer what the kernel cannot take yet),
/// and reports its life through the connection callback. Created by TcpServer.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  /// The connection's life: kConnecting until its loop registers it, kConnected while both
  /// directions may be open, kDisconnecting after shutdown() or forceClose() was asked for,
  /// kDisconnected once the socket is no longer watched.
  enum StateE {
    kDisconnected,   ///< closed (or never opened): no more callbacks
    kConnecting,     ///< created, not yet registered with its loop
    kConnected,      ///< registered and reading
    kDisconnecting,  ///< the application asked to close; waiting for output or the loop
  };
  /// The enumerator's name, e.g. "kConnected", for messages and logs.
  static const char* stateToString(StateE state);

  /// Takes ownership of `socket`, an accepted, non-blocking connection. The connection does
  /// nothing until connectEstablished() runs on `loop`'s thread. [any thread]
  TcpConnection(EventLoop* loop, std::string name, Socket socket, const InetAddress& peerAddr);
  /// Closes the socket. The connection must be kDisconnected (aborts otherwise). [any thread]
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  /// The loop this connection lives on. [any thread]
  EventLoop* getLoop() const { return loop_; }
  /// Unique within its server, e.g. "echo#3". [any thread]
  const std::string& name() const { return name_; }
  /// Our end of the connection, asked of the kernel (getsockname(2)) at each call: rarely
  /// needed, and a copy would cost every connection 28 bytes. [any thread]
  InetAddress localAddress() const { return socket_.localAddress(); }
  /// The peer's end of the connection. [any thread]
  const InetAddress& peerAddress() const { return peerAddr_; }
  /// Whether the state is kConnected. [any thread]
  bool connected() const { return state_ == kConnected; }
  /// Whether the state is kDisconnected. [any thread]
  bool disconnected() const { return state_ == kDisconnected; }
  /// The current state. [any thread]
  StateE state() const { return state_; }

  /// Writes `data` to the peer, in the order of the calls: what the kernel takes now is written
  /// at once, the rest is queued in the output Buffer and written when the socket becomes
  /// writable again (EPOLLOUT). Ignored unless connected (after shutdown() nothing more is sent).
  /// The write-complete callback follows once everything has reached the kernel.
  /// [any thread] On another thread the bytes are copied and the write happens on the loop.
  void send(std::string_view data);
  /// Half-closes: sends FIN once all output has been written; the connection keeps reading
  /// until the peer closes its side. [any thread]
  void shutdown();
  /// Closes now, dropping unsent output; the callbacks see the connection go down in a later
  /// round of the loop. [any thread]
  void forceClose();
  /// Stops watching the socket for input: what the peer sends waits in the kernel, and once the
  /// receive buffer is full TCP's flow control stops the peer. With the high-water-mark and
  /// write-complete callbacks this is backpressure. [any thread]
  void stopRead();
  /// Watches the socket for input again after stopRead(). [any thread]
  void startRead();

  /// Every callback of a connection and the high-water mark, in one object that a server's
  /// connections share (setCallbacks) rather than each holding five std::function (32 bytes
  /// each with libstdc++).
  struct Callbacks {
    ConnectionCallback connection;                 ///< see setConnectionCallback()
    MessageCallback message;                       ///< see setMessageCallback()
    WriteCompleteCallback writeComplete;           ///< see setWriteCompleteCallback()
    HighWaterMarkCallback highWaterMark;           ///< see setHighWaterMarkCallback()
    size_t highWaterMarkBytes = 64 * 1024 * 1024;  ///< see setHighWaterMarkCallback()
    CloseCallback close;                           ///< see setCloseCallback()
  };
  /// Uses `callbacks`, shared with whoever else holds it (TcpServer gives all its connections
  /// the same one); a later setter changes a copy, so the others are not affected.
  /// [before connectEstablished()]
  void setCallbacks(std::shared_ptr<const Callbacks> callbacks) {
    callbacks_ = std::move(callbacks);
  }

  /// Called when the connection goes up and when it goes down. [before connectEstablished()]
  void setConnectionCallback(ConnectionCallback cb) {
    changeCallbacks([&](Callbacks& c) { c.connection = std::move(cb); });
  }
  /// Called with the input Buffer after each read. [before connectEstablished()]
  void setMessageCallback(MessageCallback cb) {
    changeCallbacks([&](Callbacks& c) { c.message = std::move(cb); });
  }
  /// Called when all output has been written to the kernel. [before connectEstablished()]
  void setWriteCompleteCallback(WriteCompleteCallback cb) {
    changeCallbacks([&](Callbacks& c) { c.writeComplete = std::move(cb); });
  }
  /// Called (queued, on the loop thread) when the output Buffer grows from below
  /// `highWaterMark` bytes to at least that many; again only after it has fallen below.
  /// [loop thread; e.g. from the connection callback]
  void setHighWaterMarkCallback(HighWaterMarkCallback cb, size_t highWaterMark) {
    changeCallbacks([&](Callbacks& c) {
      c.highWaterMark = std::move(cb);
      c.highWaterMarkBytes = highWaterMark;
    });
  }
  /// Keeps `context`, application state that lives and dies with the connection (HttpServer
  /// keeps each connection's request parser here). [loop thread]
  void setContext(std::any context) { context_ = std::move(context); }
  /// The context given to setContext(); an empty std::any before. [loop thread]
  const std::any& getContext() const { return context_; }
  /// The context, for changing it in place: `std::any_cast<T>(getMutableContext())` gives a T*.
  /// [loop thread]
  std::any* getMutableContext() { return &context_; }

  /// The connection's place in its loop's idle wheel and the time of its last activity, which
  /// every read or write that moves bytes updates. Only TimingWheel uses it. [loop thread]
  TimingWheel::Hook& idleHook() { return idleHook_; }

  /// Internal, for TcpServer: called once when the connection has closed, after the connection
  /// callback saw it go down. [before connectEstablished()]
  void setCloseCallback(CloseCallback cb) {
    changeCallbacks([&](Callbacks& c) { c.close = std::move(cb); });
  }

  /// Registers the socket with the loop and reports the connection up. Called once by the
  /// owner (TcpServer), right after creation. [loop thread]
  void connectEstablished();
  /// Unregisters the socket; reports the connection down first if nobody has yet (the server
  /// is destroying it). The last call the connection receives from its owner. [loop thread]
  void connectDestroyed();

 private:
  void handleRead();
  void handleWrite();
  void handleClose();
  void handleError();
  void sendInLoop(std::string_view data);
  void forceCloseInLoop();
  void shutdownInLoop();
  /// Moves to `next`, aborting with both state names if the transition is not allowed.
  void setState(StateE next);
  /// Replaces callbacks_ by a changed copy, leaving the shared set as it is for the others.
  template <typename Change>
  void changeCallbacks(Change change) {
    auto copy = std::make_shared<Callbacks>(*callbacks_);
    change(*copy);
    callbacks_ = std::move(copy);
  }

  EventLoop* loop_;  // does not own
  const std::string name_;
  std::atomic<StateE> state_{kConnecting};
  Socket socket_;
  Channel channel_;  ///< a member, not a separate allocation: it lives exactly as long as we do
  const InetAddress peerAddr_;
  /// Never null; see setCallbacks().
  std::shared_ptr<const Callbacks> callbacks_;
  Buffer inputBuffer_;   ///< read, not yet retrieved by the message callback
  Buffer outputBuffer_;  ///< sent, not yet taken by the kernel, in order
  std::any context_;     ///< the application's per-connection state
  /// In a TimingWheel while the server watches the connection for idleness.
  TimingWheel::Hook idleHook_{this};
};

}  // namespace net
