#include "Logging.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace net {

namespace {

// The configured output and flush functions. Function-local statics: a LOG_* in another file's
// static initialiser still finds them constructed.
Logger::OutputFunc& outputFunc() {
  static Logger::OutputFunc output;
  return output;
}

Logger::FlushFunc& flushFunc() {
  static Logger::FlushFunc flush;
  return flush;
}

// The default output: one write(2) per line, so lines from different threads never interleave
// (a write of at most PIPE_BUF bytes to a pipe is atomic, pipe(7); a terminal or a file opened
// O_APPEND gets whole lines in practice), and nothing waits in a user-space buffer at a crash.
void writeToStderr(std::string_view line) {
  while (!line.empty()) {
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n > 0) {
      line.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // stderr closed or full: nowhere left to report that
    }
  }
}

// "2026-11-29 19:09:21", re-formatted only when the second changes: gmtime_r and the digits
// cost far more than the rest of the header, and a busy thread logs many lines per second.
// One cache per thread, so no lock (muduo's Logger keeps t_lastSecond the same way).
struct SecondCache {
  time_t second = -1;
  char text[64];  // 19 used; room for what snprintf could write for any int fields
};
thread_local SecondCache t_second;

// The kernel thread id (what top -H and /proc/PID/task show), as text, asked for once per thread.
struct ThreadIdCache {
  char text[16];
  size_t len = 0;
};
thread_local ThreadIdCache t_threadId;

constexpr size_t kSecondChars = 19;  // "YYYY-mm-dd HH:MM:SS"

// Indexed by LogLevel; padded to the same width so messages line up.
constexpr const char* kLevelColumn[] = {"TRACE ", "DEBUG ", "INFO  ", "WARN  ", "ERROR ", "FATAL "};

void appendTime(LogStream& stream) {
  timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  if (now.tv_sec != t_second.second) {
    tm fields;
    ::gmtime_r(&now.tv_sec, &fields);
    std::snprintf(t_second.text, sizeof t_second.text, "%04d-%02d-%02d %02d:%02d:%02d",
                  fields.tm_year + 1900, fields.tm_mon + 1, fields.tm_mday, fields.tm_hour,
                  fields.tm_min, fields.tm_sec);
    t_second.second = now.tv_sec;
  }
  char micros[9];  // ".uuuuuuZ " without a terminating NUL
  micros[0] = '.';
  int us = static_cast<int>(now.tv_nsec / 1000);
  for (int i = 6; i >= 1; --i) {
    micros[i] = static_cast<char>('0' + us % 10);
    us /= 10;
  }
  micros[7] = 'Z';
  micros[8] = ' ';
  stream.append(t_second.text, kSecondChars);
  stream.append(micros, sizeof micros);
}

void appendThreadId(LogStream& stream) {
  if (t_threadId.len == 0) {
    auto tid = static_cast<long>(::syscall(SYS_gettid));
    auto result = std::to_chars(t_threadId.text, t_threadId.text + sizeof t_threadId.text, tid);
    *result.ptr++ = ' ';
    t_threadId.len = static_cast<size_t>(result.ptr - t_threadId.text);
  }
  stream.append(t_threadId.text, t_threadId.len);
}

// Time, level, thread, file:line: everything before the message.
void appendHeader(LogStream& stream, LogLevel level, const char* file, int line) {
  appendTime(stream);
  stream << kLevelColumn[static_cast<int>(level)];
  appendThreadId(stream);
  // __FILE__ is the path the compiler was given; the file name is enough to find the line.
  const char* slash = std::strrchr(file, '/');
  stream << (slash != nullptr ? slash + 1 : file) << ':' << line << ' ';
}

}  // namespace

const char* toString(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "TRACE";
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
    case LogLevel::kFatal:
      return "FATAL";
  }
  return "?";
}

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  static constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "fatal"};
  for (size_t i = 0; i < std::size(kNames); ++i) {
    std::string_view name = kNames[i];
    if (text.size() != name.size()) continue;
    bool same = true;
    for (size_t j = 0; j < name.size() && same; ++j) {
      char c = text[j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == name[j];
    }
    if (same) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

//! [append]
void LogStream::append(const char* data, size_t len) {
  // Invariant: len_ <= kCapacity - kReserve. What does not fit is counted, never written past
  // the end: a message cannot overrun the stack buffer, however long it is.
  const size_t room = kCapacity - kReserve - len_;
  const size_t n = len <= room ? len : room;
  std::memcpy(buf_ + len_, data, n);
  len_ += n;
  dropped_ += len - n;
}
//! [append]

LogStream& LogStream::operator<<(double value) {
  char text[32];  // the shortest round-trip form of a double needs at most 24
  auto result = std::to_chars(text, text + sizeof text, value);
  append(text, static_cast<size_t>(result.ptr - text));
  return *this;
}

LogStream& LogStream::operator<<(const void* pointer) {
  char text[2 + 16] = {'0', 'x'};
  auto result =
      std::to_chars(text + 2, text + sizeof text, reinterpret_cast<uintptr_t>(pointer), 16);
  append(text, static_cast<size_t>(result.ptr - text));
  return *this;
}

LogStream& LogStream::operator<<(const char* text) {
  if (text == nullptr) return *this << std::string_view("(null)");
  return *this << std::string_view(text);
}

void LogStream::finishLine() {
  // Written into the reserved tail, which append() never touches.
  if (dropped_ > 0) {
    char note[kReserve];
    int n = std::snprintf(note, sizeof note, " [truncated: %zu bytes dropped]", dropped_);
    std::memcpy(buf_ + len_, note, static_cast<size_t>(n));
    len_ += static_cast<size_t>(n);
  }
  buf_[len_++] = '\n';
}

Logger::Logger(LogLevel level, const char* file, int line) : Logger(level, file, line, 0) {}

Logger::Logger(LogLevel level, const char* file, int line, int savedErrno)
    : level_(level), savedErrno_(savedErrno) {
  appendHeader(stream_, level, file, line);
}

//! [destructor]
Logger::~Logger() {
  if (savedErrno_ != 0) {
    char text[128];
    // The GNU strerror_r: returns the message, which may or may not be in `text`.
    stream_ << ": " << ::strerror_r(savedErrno_, text, sizeof text) << " (errno " << savedErrno_
            << ')';
  }
  stream_.finishLine();
  std::string_view line = stream_.view();
  if (const OutputFunc& output = outputFunc()) {
    output(line);
  } else {
    writeToStderr(line);
  }
  if (level_ == LogLevel::kFatal) {
    // The line must reach the log before the process dies: with an asynchronous output it is
    // still in memory now, and abort() would take it along.
    if (const FlushFunc& flush = flushFunc()) flush();
    std::abort();
  }
}
//! [destructor]

void Logger::setOutput(OutputFunc output) { outputFunc() = std::move(output); }

void Logger::setFlush(FlushFunc flush) { flushFunc() = std::move(flush); }

std::string Logger::formatLine(LogLevel level, const char* file, int line,
                               std::string_view message) {
  LogStream stream;
  appendHeader(stream, level, file, line);
  stream << message;
  stream.finishLine();
  return std::string(stream.view());
}

}  // namespace net
