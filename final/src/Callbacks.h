// Callbacks: the types by which a TcpServer and its TcpConnections talk to the application.
//
// The "three and a half" callbacks of a connection: connection (up or down), message (bytes
// arrived), write complete (everything passed to send() reached the kernel), and the "half",
// high water mark (the output backlog crossed a threshold).
// Every callback runs on the loop thread of the connection it is given. A callback that throws
// is a bug: the exception would unwind through the event loop.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace net {

class Buffer;
class TcpConnection;

/// A connection's lifetime spans the loop's bookkeeping, the server's map and whatever the
/// application keeps, so it is reference-counted (see TcpConnection).
using TcpConnectionPtr = std::shared_ptr<TcpConnection>;

/// Called once when a connection is up (connected() is true) and once when it is down
/// (connected() is false).
using ConnectionCallback = std::function<void(const TcpConnectionPtr&)>;

/// Called after a read added bytes to the connection's input Buffer. A TCP byte stream has no
/// message boundaries, so the buffer may hold part of an application message, or several: the
/// callback retrieves what it used and leaves the rest, which the next read appends to.
using MessageCallback = std::function<void(const TcpConnectionPtr&, Buffer*)>;

/// Called when everything handed to TcpConnection::send() has been written to the kernel.
using WriteCompleteCallback = std::function<void(const TcpConnectionPtr&)>;

/// Called when the connection's unsent output grows past a threshold (the second argument is
/// the backlog in bytes), once each time it crosses the threshold from below.
using HighWaterMarkCallback = std::function<void(const TcpConnectionPtr&, size_t)>;

/// Internal: how a connection tells its owner (TcpServer) that it has closed.
using CloseCallback = std::function<void(const TcpConnectionPtr&)>;

}  // namespace net
