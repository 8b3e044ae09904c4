#include "LogFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace net {

LogFile::Fd::~Fd() { ::close(fd_); }

LogFile::LogFile(std::string basename, size_t rollSize, std::chrono::milliseconds flushInterval)
    : basename_(std::move(basename)),
      rollSize_(rollSize),
      flushInterval_(flushInterval),
      lastFlush_(std::chrono::steady_clock::now()),
      buffer_(std::make_unique<char[]>(kBufferSize)) {
  openNext();
}

LogFile::~LogFile() { flushBuffer(); }

//! [append]
void LogFile::append(std::string_view data) {
  if (!fd_) {
    lostBytes_ += data.size();  // no file: flush() tries to open one again
  }
  while (fd_ && !data.empty()) {
    const size_t room = rollSize_ > fileBytes_ ? rollSize_ - fileBytes_ : 0;
    if (data.size() <= room) {
      writeToFile(data);
      break;
    }
    // Too much for this file: write the complete lines that fit, then start the next file.
    const size_t lastNewline = room > 0 ? data.rfind('\n', room - 1) : std::string_view::npos;
    if (lastNewline != std::string_view::npos) {
      writeToFile(data.substr(0, lastNewline + 1));
      data.remove_prefix(lastNewline + 1);
      roll();
    } else if (fileBytes_ > 0) {
      roll();  // not even the next line fits: it starts the next file
    } else {
      // The file is empty and its first line alone is longer than rollSize: the line gets the
      // file to itself (splitting it is what the roll rule promises never to do).
      const size_t newline = data.find('\n');
      const size_t n = newline == std::string_view::npos ? data.size() : newline + 1;
      writeToFile(data.substr(0, n));
      data.remove_prefix(n);
    }
  }
  if (std::chrono::steady_clock::now() - lastFlush_ >= flushInterval_) flush();
}
//! [append]

void LogFile::flush() {
  if (!fd_) openNext();
  flushBuffer();
  lastFlush_ = std::chrono::steady_clock::now();
}

void LogFile::roll() {
  flushBuffer();
  fd_.reset();
  openNext();
}

//! [openNext]
void LogFile::openNext() {
  // UTC time of opening, then pid (two processes sharing a basename never collide), then a
  // zero-padded sequence number (two files opened within one second still sort in order).
  char suffix[80];
  const time_t now = ::time(nullptr);
  tm fields;
  ::gmtime_r(&now, &fields);
  char when[32];
  std::strftime(when, sizeof when, "%Y%m%d-%H%M%S", &fields);
  std::snprintf(suffix, sizeof suffix, ".%s.%d.%06llu.log", when, static_cast<int>(::getpid()),
                static_cast<unsigned long long>(seq_ + 1));
  path_ = basename_ + suffix;
  fileBytes_ = 0;
  // O_APPEND: every write goes to the end even if something else writes to the file too.
  // O_CLOEXEC: a child started by the server does not inherit the log. (O_NONBLOCK would change
  // nothing: writes to a regular file never return EAGAIN.)
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    reportError("open", errno);
    path_.clear();
    return;
  }
  fd_ = std::make_unique<Fd>(fd);
  ++seq_;
}
//! [openNext]

void LogFile::writeToFile(std::string_view data) {
  fileBytes_ += data.size();
  if (buffered_ + data.size() > kBufferSize) flushBuffer();
  if (data.size() >= kBufferSize) {
    writeOut(data);  // a large batch (AsyncLogging's) goes straight out, not through the copy
  } else {
    std::memcpy(buffer_.get() + buffered_, data.data(), data.size());
    buffered_ += data.size();
  }
}

void LogFile::flushBuffer() {
  if (buffered_ == 0) return;
  writeOut(std::string_view(buffer_.get(), buffered_));
  buffered_ = 0;
}

void LogFile::writeOut(std::string_view data) {
  if (!fd_) {
    lostBytes_ += data.size();
    return;
  }
  while (!data.empty()) {
    const ssize_t n = ::write(fd_->get(), data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      // ENOSPC, EFBIG, EIO...: a log must not take the server down with it. The bytes are
      // dropped and counted; the next write tries again.
      reportError("write", n < 0 ? errno : EIO);
      lostBytes_ += data.size();
      return;
    }
  }
  if (failing_) {
    std::fprintf(stderr, "LogFile: writing to %s again (%llu bytes lost so far)\n", path_.c_str(),
                 static_cast<unsigned long long>(lostBytes_));
    failing_ = false;
  }
}

void LogFile::reportError(const char* what, int err) {
  // Straight to stderr, never through Logger: its output may be the very AsyncLogging whose
  // back end is calling us. Reported once per run of failures, not once per line.
  if (failing_) return;
  failing_ = true;
  std::fprintf(stderr, "LogFile: %s %s: %s; log lines are lost until it succeeds again\n", what,
               path_.c_str(), std::strerror(err));
}

}  // namespace net
