#include "FileSender.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "EventLoop.h"
#include "TcpConnection.h"

namespace net {

const char* FileSender::stateToString(State state) {
  switch (state) {
    case State::kIdle:
      return "kIdle";
    case State::kSending:
      return "kSending";
    case State::kDone:
      return "kDone";
    case State::kAborted:
      return "kAborted";
  }
  return "unknown state";
}

FileSender::FileSender(UniqueFd file, uint64_t size, size_t chunkSize)
    : file_(std::move(file)), size_(size), chunkSize_(chunkSize) {
  if (chunkSize_ == 0) {
    std::fprintf(stderr, "FileSender: chunk size 0\n");
    std::abort();
  }
}

void FileSender::setState(State next) {
  // kSending, kDone and kAborted all follow kIdle or kSending; kIdle is only the constructor's.
  bool allowed = next != State::kIdle && (state_ == State::kIdle || state_ == State::kSending);
  if (!allowed) {
    std::fprintf(stderr, "FileSender: illegal transition %s -> %s\n", stateToString(state_),
                 stateToString(next));
    std::abort();
  }
  state_ = next;
  if (state_ == State::kDone || state_ == State::kAborted) file_.reset();  // the fd goes early
}

FileSender::State FileSender::start(const TcpConnectionPtr& conn, std::string_view head) {
  conn->getLoop()->assertInLoopThread();
  if (state_ != State::kIdle) {
    std::fprintf(stderr, "FileSender::start() in state %s\n", stateToString(state_));
    std::abort();
  }
  if (!conn->connected()) return abort(conn);
  return sendChunk(conn, head);
}

//! [onWriteComplete]
FileSender::State FileSender::onWriteComplete(const TcpConnectionPtr& conn) {
  conn->getLoop()->assertInLoopThread();
  if (state_ == State::kIdle) {
    std::fprintf(stderr, "FileSender::onWriteComplete() before start()\n");
    std::abort();
  }
  if (state_ != State::kSending) return state_;  // a callback for output after the file
  // shutdown() or forceClose() from elsewhere, or the peer is gone: send() would drop the
  // chunk anyway.
  if (!conn->connected()) return abort(conn);
  return sendChunk(conn, {});
}
//! [onWriteComplete]

//! [sendChunk]
FileSender::State FileSender::sendChunk(const TcpConnectionPtr& conn, std::string_view head) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(chunkSize_, size_ - offset_));
  // The chunk lives only for this call: send() writes what the kernel takes and copies the
  // rest into the output Buffer, so nothing of the file stays here between chunks.
  std::string chunk;
  chunk.reserve(head.size() + want);
  chunk.append(head);
  chunk.resize(head.size() + want);
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(file_.get(), chunk.data() + head.size() + got, want - got,
                        static_cast<off_t>(offset_ + got));
    if (n < 0 && errno == EINTR) continue;
    // An I/O error, or the file shrank after its size was announced: the response can no longer
    // be what its Content-Length promised.
    if (n <= 0) return abort(conn);
    got += static_cast<size_t>(n);
  }
  offset_ += want;
  setState(offset_ == size_ ? State::kDone : State::kSending);
  conn->send(chunk);
  return state_;
}
//! [sendChunk]

FileSender::State FileSender::abort(const TcpConnectionPtr& conn) {
  // Closing is the only honest end for a response whose head promised more bytes than will
  // come; the client sees the connection end before Content-Length bytes arrived.
  conn->forceClose();
  setState(State::kAborted);
  return state_;
}

}  // namespace net
