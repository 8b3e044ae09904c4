// FileSender: streams one open file into a TcpConnection, one chunk at a time, each chunk sent
// when the connection reports that the previous one has reached the kernel.
//
// TcpConnection::send() never refuses bytes: what the kernel cannot take waits in the output
// Buffer. Sending a 1 GiB file with one send() would therefore put 1 GiB in memory for a client
// that reads slowly. FileSender sends the response head with the first chunk (64 KiB by
// default), and each later chunk from the write-complete callback, which runs once the output
// Buffer has drained into the kernel. A connection streaming a file thus holds at most about
// one chunk in its output Buffer (two when a write-complete of earlier output arrives after
// start(); see the chapter), however large the file and however slow the client.
// Bytes are read with pread(2) into user space and go through TcpConnection::send(), so they
// take their place in the connection's output order behind anything sent before.
// Owns: the file (closed when the last chunk has been sent, on abort, or with the FileSender).
// Does not hold the connection: it is passed to each call, so a FileSender kept in the
// connection's own context (std::any) makes no reference cycle.
// Thread rules: every call on the loop thread of the connection it is given (asserted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "Callbacks.h"
#include "UniqueFd.h"

namespace net {

/// Sends `size` bytes of a file, from offset 0, through a TcpConnection, driven by its
/// write-complete callback. One FileSender per file and response; not reusable.
class FileSender {
 public:
  /// Where the transfer is. kIdle -> kSending -> kDone, with kAborted possible from kIdle and
  /// kSending, and kIdle -> kDone when the whole file fits in the first chunk.
  enum class State {
    kIdle,     ///< created, start() not called yet
    kSending,  ///< some chunks are still to be sent: forward write-complete callbacks
    kDone,     ///< every byte has been handed to TcpConnection::send(); the file is closed
    kAborted,  ///< stopped early (the connection went away, or the file could not be read)
  };
  /// The enumerator's name, e.g. "kSending", for messages and logs.
  static const char* stateToString(State state);

  /// The default chunk, 64 KiB: large enough that the system calls per byte are few, small
  /// enough that a connection streaming a file holds little; the size of Buffer::readFd's
  /// spill area too.
  static constexpr size_t kDefaultChunkSize = 64 * 1024;

  /// Takes ownership of `file` (open for reading; regular) and will send its first `size`
  /// bytes in chunks of `chunkSize` (> 0). Nothing happens until start(). [any thread]
  FileSender(UniqueFd file, uint64_t size, size_t chunkSize = kDefaultChunkSize);
  /// Not copyable: it owns the file.
  FileSender(const FileSender&) = delete;
  /// Not copyable: it owns the file.
  FileSender& operator=(const FileSender&) = delete;

  /// Sends `head` (the status line and headers, or whatever must precede the file, e.g. the
  /// earlier responses of a pipelined batch) together with the first chunk, in one send().
  /// Returns kSending when more is to come (then forward every write-complete callback of the
  /// connection to onWriteComplete()), kDone when the file fitted, kAborted when the connection
  /// is not connected or the file could not be read (the connection is then force-closed:
  /// a client that got part of a response must see it cut off, not read a wrong length).
  /// Must be called once, in state kIdle. [loop thread of `conn`]
  State start(const TcpConnectionPtr& conn, std::string_view head);

  /// The connection's write-complete callback, forwarded: everything sent so far has reached
  /// the kernel, so the next chunk is sent. Returns the new state: kDone once the last chunk
  /// is handed over (the owner may then answer the next pipelined request; its bytes follow
  /// the file's in the output order), kAborted if the connection is no longer connected or
  /// the file ended early or failed to read (the connection is force-closed then). In kDone or
  /// kAborted it does nothing and returns the state, so a late callback is harmless.
  /// [loop thread of `conn`]
  State onWriteComplete(const TcpConnectionPtr& conn);

  /// The current state. [loop thread]
  State state() const { return state_; }
  /// The number of file bytes to send. [any thread]
  uint64_t size() const { return size_; }
  /// The number of file bytes handed to TcpConnection::send() so far. [loop thread]
  uint64_t bytesSent() const { return offset_; }

 private:
  State sendChunk(const TcpConnectionPtr& conn, std::string_view head);
  State abort(const TcpConnectionPtr& conn);
  /// Moves to `next`, aborting the process with both state names if the diagram above does
  /// not allow the transition.
  void setState(State next);

  UniqueFd file_;
  const uint64_t size_;
  const size_t chunkSize_;
  uint64_t offset_ = 0;  ///< the next byte to send
  State state_ = State::kIdle;
};

}  // namespace net
