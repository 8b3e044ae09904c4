#include "UniqueFd.h"

#include <unistd.h>

namespace net {

UniqueFd::~UniqueFd() { reset(); }

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int UniqueFd::release() noexcept {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void UniqueFd::reset() noexcept {
  // close(2) is not retried on EINTR: on Linux the fd is released whatever close returns, and a
  // retry could close an fd another thread has just been given.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace net
