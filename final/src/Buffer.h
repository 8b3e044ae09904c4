// Buffer: a growable byte queue for non-blocking I/O, with a cheap prepend area.
//
// Layout (the idea and the names come from muduo's net/Buffer.h):
//
//   +-------------------+------------------+------------------+
//   | prependable bytes |  readable bytes  |  writable bytes  |
//   |                   |     (CONTENT)    |                  |
//   +-------------------+------------------+------------------+
//   0      <=      readerIndex   <=   writerIndex    <=     size
//
// Data is appended at writerIndex and consumed at readerIndex; consuming only moves an index. When
// the writable space runs short, the buffer first slides the readable bytes back to the front
// (reusing the space already consumed) and only grows when that is not enough.
//
// The storage is allocated by the first write, not by the constructor, and releaseIfEmpty()
// hands it back once everything has been read: a connection that sits idle between requests
// then holds no buffer memory at all (nginx frees its request buffers the same way when a
// keep-alive connection goes idle). Without storage every size above is 0.
//
// Owns: its storage. Thread safety: none; a Buffer belongs to one connection and is used on that
// connection's loop thread only.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace net {

/// A contiguous byte queue: append at the back, read and retrieve at the front, and a small
/// reserved area before the data so a length header can be prepended without copying. Not
/// thread-safe: one owner, one thread.
class Buffer {
 public:
  /// Bytes reserved in front of the data for prepend(); enough for a 64-bit length header.
  static constexpr size_t kCheapPrepend = 8;
  /// Writable space of the first allocation: small, so a connection costs little memory.
  static constexpr size_t kInitialSize = 1024;

  /// An empty buffer without storage. The first write allocates kCheapPrepend + kInitialSize
  /// bytes, or more if that write needs more. (No per-buffer initial size: a member to hold it
  /// would cost every connection 16 bytes for a choice nobody makes.)
  Buffer();

  /// Bytes stored and not yet retrieved.
  size_t readableBytes() const { return writerIndex_ - readerIndex_; }
  /// Bytes that can be appended without moving or growing the storage (0 without storage).
  size_t writableBytes() const { return buffer_.size() - writerIndex_; }
  /// Bytes in front of the data: kCheapPrepend plus whatever was retrieved since the last
  /// compaction; 0 without storage (prepend() allocates it).
  size_t prependableBytes() const { return readerIndex_; }
  /// Size of the storage (prependable + readable + writable); tells whether the buffer grew,
  /// and is 0 before the first write and after releaseIfEmpty().
  size_t internalCapacity() const { return buffer_.size(); }

  /// The first readable byte. Valid until the next non-const call.
  const char* peek() const { return begin() + readerIndex_; }
  /// The readable bytes as a view. Valid until the next non-const call.
  std::string_view view() const { return {peek(), readableBytes()}; }

  /// The first "\r\n" in the readable bytes, or nullptr.
  const char* findCRLF() const { return findCRLF(peek()); }
  /// The first "\r\n" at or after `start` (which must lie within the readable bytes), or nullptr.
  const char* findCRLF(const char* start) const;

  /// Consumes `len` bytes (len <= readableBytes()).
  void retrieve(size_t len);
  /// Consumes the bytes before `end`, a pointer into the readable bytes (e.g. from findCRLF).
  void retrieveUntil(const char* end);
  /// Consumes everything and rewinds both indices, so the whole storage is writable again.
  /// Keeps the storage (see releaseIfEmpty()).
  void retrieveAll();
  /// Consumes everything and returns it.
  std::string retrieveAllAsString();
  /// Consumes `len` bytes and returns them.
  std::string retrieveAsString(size_t len);

  /// Appends `len` bytes, making room first (see ensureWritableBytes).
  void append(const char* data, size_t len);
  /// Appends the bytes of `data`.
  void append(std::string_view data) { append(data.data(), data.size()); }

  /// Puts `len` bytes in front of the readable bytes (len <= prependableBytes(), or
  /// kCheapPrepend on a buffer without storage): e.g. a length header written after the message
  /// body is known.
  void prepend(const void* data, size_t len);

  /// Makes at least `len` bytes writable: allocates the storage if there is none, compacts when
  /// the space already consumed at the front is enough, grows the storage otherwise.
  void ensureWritableBytes(size_t len);
  /// Where the next appended byte goes; pair with hasWritten() when filling it directly.
  char* beginWrite() { return begin() + writerIndex_; }
  /// Const overload of beginWrite().
  const char* beginWrite() const { return begin() + writerIndex_; }
  /// Marks `len` bytes at beginWrite() as readable (len <= writableBytes()).
  void hasWritten(size_t len);

  /// Reads what `fd` has, up to writableBytes() + 64 KiB, in one readv(2) call: the writable space
  /// first, then a 64 KiB stack buffer whose part is appended afterwards. Returns what readv
  /// returned (0 at EOF); on -1 the errno is stored in `*savedErrno`.
  ssize_t readFd(int fd, int* savedErrno);

  /// Frees the storage if nothing is readable, so the buffer holds no memory until the next
  /// write; does nothing otherwise. Costs one free() (the next write pays one malloc(), and a
  /// readFd() into a buffer without storage reads into its stack buffer and copies). Meant for
  /// the moment a connection goes idle, e.g. after the message callback took every byte.
  /// Same thread rule as the rest: the owner's thread (a connection's loop thread).
  void releaseIfEmpty();

 private:
  char* begin() { return buffer_.data(); }
  const char* begin() const { return buffer_.data(); }
  void makeSpace(size_t len);

  std::vector<char> buffer_;
  size_t readerIndex_;
  size_t writerIndex_;
};

}  // namespace net
