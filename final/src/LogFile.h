// LogFile: the files a log is written to, rolled by size, flushed on demand and periodically.
//
// Appends go into a 64 KiB user-space buffer and reach the kernel with one write(2) when it
// fills, at flush(), or at the first append after flushInterval (muduo's LogFile and
// FileUtil::AppendFile do the same with a FILE* buffer). A new file is started before a write
// would take the current one past rollSize; the cut is made after the last complete line that
// fits, so no line is ever split between two files. File names sort in creation order:
//
//   <basename>.<YYYYmmdd-HHMMSS>.<pid>.<seq>.log
//   e.g. /var/log/http.20261129-190921.4242.000003.log
//
// (UTC time of opening, seq counts the files this LogFile opened, zero-padded).
// Errors (a missing directory, EACCES, ENOSPC, EFBIG) never throw or abort: the first one of a
// run of failures is reported on stderr, the bytes that could not be written are counted
// (lostBytes()), a file that could not be opened is tried again at each flush(), and the next
// write is tried as if nothing had happened.
//
// Owns: the open file (an RAII fd, O_CLOEXEC). Thread safety: none; one thread uses it (the
// AsyncLogging back end), or the callers hold a lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace net {

/// Size-rolled, buffered append-only log files. Not thread-safe: see the file comment.
class LogFile {
 public:
  /// Opens the first file basename.TIME.PID.SEQ.log (its directory must exist). Files
  /// roll when they would exceed `rollSize` bytes; buffered bytes are flushed by the first
  /// append() after `flushInterval` and by flush(). A file that cannot be opened is reported on
  /// stderr, not thrown.
  LogFile(std::string basename, size_t rollSize,
          std::chrono::milliseconds flushInterval = std::chrono::seconds(3));
  /// Flushes and closes the current file.
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  /// Appends `data` (whole lines, normally), rolling first whenever the next complete line
  /// would take the current file past rollSize. A single line longer than rollSize gets a file
  /// of its own.
  void append(std::string_view data);
  /// Hands the buffered bytes to the kernel (write(2); no fsync: they survive a crash of this
  /// process, not a power loss). Reopens the file first if it could not be opened before.
  void flush();
  /// Closes the current file and starts the next one now.
  void roll();

  /// Path of the file being written; empty while no file could be opened.
  const std::string& currentPath() const { return path_; }
  /// Bytes in the current file, those still in the buffer included.
  size_t fileBytes() const { return fileBytes_; }
  /// Files opened so far (the first one included).
  uint64_t filesOpened() const { return seq_; }
  /// Bytes given to append() that were lost to errors (no file, a failed write).
  uint64_t lostBytes() const { return lostBytes_; }

 private:
  // Owns one open file descriptor; closes it when destroyed or replaced.
  class Fd {
   public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd();
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

   private:
    const int fd_;
  };

  void openNext();
  void writeToFile(std::string_view data);  // through the buffer
  void writeOut(std::string_view data);     // write(2) all, or count it lost
  void flushBuffer();
  void reportError(const char* what, int err);

  const std::string basename_;
  const size_t rollSize_;
  const std::chrono::milliseconds flushInterval_;

  std::unique_ptr<Fd> fd_;  // the current file; empty while none could be opened
  std::string path_;
  size_t fileBytes_ = 0;
  uint64_t seq_ = 0;
  uint64_t lostBytes_ = 0;
  bool failing_ = false;  // an error was reported and no write has succeeded since
  std::chrono::steady_clock::time_point lastFlush_;

  static constexpr size_t kBufferSize = 64 * 1024;
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;
};

}  // namespace net
