// UniqueFd: the RAII owner of one file descriptor in the load client (sockets, the epoll fd).
//
// Owns: its fd (closed in the destructor; move-only, exactly one owner).
// Thread safety: distinct objects are safe; one object must not be used by two threads at once.
#pragma once

#include <unistd.h>

namespace loadgen {

/// One file descriptor, closed when the UniqueFd is destroyed or reset.
class UniqueFd {
 public:
  /// Takes ownership of `fd` (-1 makes an empty UniqueFd).
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  /// Takes the fd of `other`, leaving it empty.
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  /// Closes the current fd (if any) and takes the fd of `other`.
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  /// The fd, still owned by this object; -1 when empty.
  int get() const { return fd_; }
  /// True when an fd is owned.
  bool valid() const { return fd_ >= 0; }
  /// Gives up ownership: returns the fd and leaves this object empty.
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  /// Closes the owned fd (if any) and owns `fd` instead. close(2) errors are ignored: on Linux
  /// the fd is released whatever close returns, and there is nothing left to retry.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace loadgen
