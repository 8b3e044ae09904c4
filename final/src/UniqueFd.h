// UniqueFd: the RAII owner of one file descriptor that is not a socket (a directory, a regular
// file being served).
//
// Socket owns socket fds and carries the socket calls; a file the server streams is no socket,
// so it gets this smaller owner instead: close on destruction, move-only, nothing else.
// Owns: its fd. Thread safety: distinct objects are safe; one object is used by one thread at a
// time.
#pragma once

namespace net {

/// One fd, closed when the UniqueFd is destroyed. Move-only: exactly one owner.
class UniqueFd {
 public:
  /// Takes ownership of `fd` (-1 makes an empty UniqueFd).
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  /// Closes the fd, if any.
  ~UniqueFd();
  /// Takes over `other`'s fd, leaving `other` empty.
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  /// Closes the fd this object held, then takes over `other`'s.
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  /// Not copyable: two owners would close one fd twice.
  UniqueFd(const UniqueFd&) = delete;
  /// Not copyable: two owners would close one fd twice.
  UniqueFd& operator=(const UniqueFd&) = delete;

  /// The fd, still owned by this object (-1 when empty).
  int get() const { return fd_; }
  /// True when this object holds an fd.
  bool valid() const { return fd_ >= 0; }
  /// Gives up ownership: returns the fd and leaves this object empty.
  int release() noexcept;
  /// Closes the fd now (if any); the object is empty afterwards.
  void reset() noexcept;

 private:
  int fd_;
};

}  // namespace net
