#include "Buffer.h"

#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace net {

namespace {

constexpr char kCRLF[] = "\r\n";

/// Misuse of the Buffer (retrieving more than is readable...) is a bug in the caller: stop with a
/// message instead of corrupting the indices. Checked in release builds too.
void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "Buffer: %s\n", what);
    std::abort();
  }
}

}  // namespace

Buffer::Buffer() : readerIndex_(0), writerIndex_(0) {}

const char* Buffer::findCRLF(const char* start) const {
  check(peek() <= start && start <= beginWrite(), "findCRLF: start outside the readable bytes");
  const char* crlf = std::search(start, beginWrite(), kCRLF, kCRLF + 2);
  return crlf == beginWrite() ? nullptr : crlf;
}

void Buffer::retrieve(size_t len) {
  check(len <= readableBytes(), "retrieve: more than readableBytes()");
  if (len < readableBytes()) {
    readerIndex_ += len;
  } else {
    retrieveAll();
  }
}

void Buffer::retrieveUntil(const char* end) {
  check(peek() <= end && end <= beginWrite(), "retrieveUntil: end outside the readable bytes");
  retrieve(static_cast<size_t>(end - peek()));
}

void Buffer::retrieveAll() {
  const size_t front = buffer_.empty() ? 0 : kCheapPrepend;  // no storage, no prepend area
  readerIndex_ = front;
  writerIndex_ = front;
}

std::string Buffer::retrieveAllAsString() { return retrieveAsString(readableBytes()); }

std::string Buffer::retrieveAsString(size_t len) {
  check(len <= readableBytes(), "retrieveAsString: more than readableBytes()");
  std::string result(peek(), len);
  retrieve(len);
  return result;
}

void Buffer::append(const char* data, size_t len) {
  ensureWritableBytes(len);
  std::copy(data, data + len, beginWrite());
  hasWritten(len);
}

void Buffer::prepend(const void* data, size_t len) {
  ensureWritableBytes(0);  // a buffer without storage gets its prepend area now
  check(len <= prependableBytes(), "prepend: more than prependableBytes()");
  readerIndex_ -= len;
  const char* bytes = static_cast<const char*>(data);
  std::copy(bytes, bytes + len, begin() + readerIndex_);
}

void Buffer::hasWritten(size_t len) {
  check(len <= writableBytes(), "hasWritten: more than writableBytes()");
  writerIndex_ += len;
}

//! [ensureWritableBytes]
void Buffer::ensureWritableBytes(size_t len) {
  if (buffer_.empty()) {
    // The first write, or the first since releaseIfEmpty(): the storage appears now, prepend
    // area included.
    buffer_.resize(kCheapPrepend + std::max(len, kInitialSize));
    readerIndex_ = kCheapPrepend;
    writerIndex_ = kCheapPrepend;
  } else if (writableBytes() < len) {
    makeSpace(len);
  }
}
//! [ensureWritableBytes]

//! [makeSpace]
void Buffer::makeSpace(size_t len) {
  // STUDENT-BEGIN(buffer-make-space): compact when the consumed front space suffices, else grow
  // STUDENT-STUB: buffer_.resize(writerIndex_ + len);  // always grows: works, but wastes memory
  if (writableBytes() + prependableBytes() < len + kCheapPrepend) {
    // Even with the consumed front space reused there is not enough room: grow to exactly what is
    // needed. std::vector grows its capacity geometrically, so repeated appends stay amortised O(1)
    // although the size grows only by what was asked for.
    buffer_.resize(writerIndex_ + len);
  } else {
    // Enough room in total: slide the readable bytes back to kCheapPrepend instead of growing. This
    // is a memmove of readableBytes(), usually small since the reader keeps up.
    size_t readable = readableBytes();
    std::copy(begin() + readerIndex_, begin() + writerIndex_, begin() + kCheapPrepend);
    readerIndex_ = kCheapPrepend;
    writerIndex_ = readerIndex_ + readable;
  }
  // STUDENT-END(buffer-make-space)
}
//! [makeSpace]

//! [readFd]
ssize_t Buffer::readFd(int fd, int* savedErrno) {
  // STUDENT-BEGIN(buffer-read-fd): one readv into the writable space plus a 64 KiB stack buffer
  // STUDENT-STUB: (void)fd;
  // STUDENT-STUB: *savedErrno = ENOSYS;
  // STUDENT-STUB: return -1;
  // The trick is muduo's (net/Buffer.cc): the stack buffer lets one system call take up to
  // writable + 64 KiB without every connection keeping a large buffer of its own, and the Buffer
  // grows only by what actually arrived. Level-triggered epoll reports the fd again if even more
  // is queued, so one call per readiness is enough.
  char extrabuf[65536];
  const size_t writable = writableBytes();
  iovec vec[2];
  vec[0].iov_base = beginWrite();
  vec[0].iov_len = writable;
  vec[1].iov_base = extrabuf;
  vec[1].iov_len = sizeof extrabuf;
  const ssize_t n = ::readv(fd, vec, 2);
  if (n < 0) {
    *savedErrno = errno;
  } else if (static_cast<size_t>(n) <= writable) {
    writerIndex_ += static_cast<size_t>(n);
  } else {
    writerIndex_ = buffer_.size();
    append(extrabuf, static_cast<size_t>(n) - writable);
  }
  return n;
  // STUDENT-END(buffer-read-fd)
}
//! [readFd]

//! [releaseIfEmpty]
void Buffer::releaseIfEmpty() {
  if (readableBytes() != 0) return;
  // Swapping with an empty vector frees the storage: clear() would keep the capacity, and
  // shrink_to_fit() is only a request.
  std::vector<char>().swap(buffer_);
  readerIndex_ = 0;
  writerIndex_ = 0;
}
//! [releaseIfEmpty]

}  // namespace net
