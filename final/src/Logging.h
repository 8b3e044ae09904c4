// Logging: levels, the LOG_* macros, and the Logger that formats one line per message.
//
//   LOG_INFO << "accepted " << peer.toIpPort() << " on loop " << loopIndex;
//
// A LOG_* statement below the current level costs one relaxed atomic load and a branch: its
// stream arguments are not even evaluated. An enabled one formats into a fixed buffer on the
// caller's stack (LogStream, no allocation), then hands the finished line to the output
// function: stderr by default (one write(2) per line, synchronous), or an AsyncLogging front
// end after Logger::setOutput().
//
// Line format (UTC, microseconds; level padded to 5; kernel thread id; source file:line):
//   2026-11-29 19:09:21.123456Z INFO  4242 TcpServer.cc:87 accepted 127.0.0.1:51234
//
// Thread safety: LOG_* from any thread. setLevel() from any thread. setOutput()/setFlush()
// while no other thread logs (start-up and shutdown), like muduo's Logger::setOutput.
#pragma once

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace net {

/// Severity of a message, in increasing order; messages below Logger::level() are skipped.
enum class LogLevel {
  kTrace,  ///< step-by-step detail (every event, every callback)
  kDebug,  ///< detail useful while debugging one component
  kInfo,   ///< normal operation worth a line (start-up, a listener, shutdown); the default level
  kWarn,   ///< something unexpected that the program handled
  kError,  ///< an operation failed; the program goes on
  kFatal,  ///< the program cannot go on: LOG_FATAL flushes the output and aborts
};

/// "TRACE", "DEBUG", "INFO", "WARN", "ERROR" or "FATAL". [any thread]
const char* toString(LogLevel level);

/// Parses "trace", "debug", "info", "warn", "error" or "fatal" (ASCII case ignored), as
/// given to a --log-level flag; nullopt for anything else. [any thread]
std::optional<LogLevel> parseLogLevel(std::string_view text);

/// A fixed-size output buffer with `<<` for the types a log line needs: no allocation, no
/// locale, no std::ostringstream. What does not fit is dropped and counted; Logger then ends
/// the line with a note saying how many bytes were cut. Lives on the logging thread's stack.
class LogStream {
 public:
  /// Bytes of one whole line, header and newline included.
  static constexpr size_t kCapacity = 4096;

  LogStream() = default;
  LogStream(const LogStream&) = delete;
  LogStream& operator=(const LogStream&) = delete;

  /// Appends `len` bytes, as many as fit; the rest is counted in droppedBytes().
  void append(const char* data, size_t len);

  /// "true" or "false".
  LogStream& operator<<(bool value) { return *this << (value ? "true" : "false"); }
  /// One character (a `char`, not a number).
  LogStream& operator<<(char c) {
    append(&c, 1);
    return *this;
  }
  /// Any other integer type, in decimal (std::to_chars: locale-free, no allocation).
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                             !std::is_same_v<T, char>,
                                         int> = 0>
  LogStream& operator<<(T value) {
    char digits[24];  // 20 digits for 2^64-1, a sign, spare
    auto result = std::to_chars(digits, digits + sizeof digits, value);
    append(digits, static_cast<size_t>(result.ptr - digits));
    return *this;
  }
  /// Shortest decimal form that reads back to the same value ("0.1", "1e+100", "inf").
  LogStream& operator<<(double value);
  /// As a double.
  LogStream& operator<<(float value) { return *this << static_cast<double>(value); }
  /// An address in hexadecimal with "0x" ("0x0" for null).
  LogStream& operator<<(const void* pointer);
  /// A NUL-terminated string; "(null)" for a null pointer.
  LogStream& operator<<(const char* text);
  /// The bytes of `text` (NUL bytes included).
  LogStream& operator<<(std::string_view text) {
    append(text.data(), text.size());
    return *this;
  }
  /// The bytes of `text`.
  LogStream& operator<<(const std::string& text) { return *this << std::string_view(text); }

  /// What was formatted so far.
  std::string_view view() const { return std::string_view(buf_, len_); }
  /// Bytes that did not fit and were dropped.
  size_t droppedBytes() const { return dropped_; }

 private:
  friend class Logger;
  // The last kReserve bytes are kept for Logger's truncation note and the newline, so a
  // truncated line still says so and still ends with '\n'.
  static constexpr size_t kReserve = 64;
  void finishLine();

  char buf_[kCapacity];  // not initialised: only [0, len_) is ever read
  size_t len_ = 0;
  size_t dropped_ = 0;
};

/// One log message in the making. A LOG_* macro creates a temporary Logger, which writes the
/// line header, lets the caller stream the message into stream(), and in its destructor ends
/// the line and passes it to the output function (for kFatal: then flushes and aborts).
/// Use it through the macros; the static members configure logging for the whole process.
class Logger {
 public:
  /// Where finished lines go. Gets one whole line, newline included; called on the logging
  /// thread. Must not log itself.
  using OutputFunc = std::function<void(std::string_view line)>;
  /// Makes the output durable, or as durable as it gets: called before LOG_FATAL aborts.
  using FlushFunc = std::function<void()>;

  /// Starts a line: time, level, thread id, basename of `file`, `line`. [any thread]
  Logger(LogLevel level, const char* file, int line);
  /// The same for LOG_SYSERR: the message is followed by strerror(`savedErrno`).
  Logger(LogLevel level, const char* file, int line, int savedErrno);
  /// Ends the line and writes it; for kFatal, flushes and calls std::abort().
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// The message part of the line; the macros stream into it.
  LogStream& stream() { return stream_; }

  /// The current threshold: messages below it are skipped. kInfo at start. [any thread]
  static LogLevel level() { return threshold_.load(std::memory_order_relaxed); }
  /// Changes the threshold; takes effect at the next LOG_* on every thread. [any thread]
  static void setLevel(LogLevel level) { threshold_.store(level, std::memory_order_relaxed); }
  /// Whether a message of `level` would be written now. [any thread]
  static bool enabled(LogLevel level) { return level >= Logger::level(); }

  /// Sends every line to `output` from now on; an empty function restores the default (write(2)
  /// to stderr). Call only while no other thread logs: at start-up, before the loop threads
  /// start, and at shutdown after they are joined.
  static void setOutput(OutputFunc output);
  /// Sets what LOG_FATAL calls before aborting; an empty function restores the default (nothing:
  /// stderr is unbuffered). Same thread rule as setOutput().
  static void setFlush(FlushFunc flush);

  /// A complete line exactly as a LOG_* statement at `file`:`line` would write it, message
  /// `message` (for writers that report on themselves, e.g. AsyncLogging's drop notice, which
  /// cannot go through the output function). [any thread]
  static std::string formatLine(LogLevel level, const char* file, int line,
                                std::string_view message);

 private:
  static inline std::atomic<LogLevel> threshold_{LogLevel::kInfo};

  LogStream stream_;
  const LogLevel level_;
  const int savedErrno_;  // 0 unless LOG_SYSERR
};

namespace detail {
/// Gives the message arm of the LOG_* conditional the type void, like the other arm. `&` binds
/// more loosely than `<<`, so it applies to the whole streamed expression (glog's
/// LogMessageVoidify trick).
struct LogVoidify {
  /// Discards the stream.
  void operator&(LogStream&) {}
};
}  // namespace detail

}  // namespace net

//! [macros]
/// Logs at `level` if enabled; otherwise evaluates nothing of what is streamed into it. A single
/// expression (a conditional, not an `if`), so it is safe as the body of an unbraced if/else.
#define NET_LOG_AT(level)        \
  !::net::Logger::enabled(level) \
      ? static_cast<void>(0)     \
      : ::net::detail::LogVoidify() & ::net::Logger(level, __FILE__, __LINE__).stream()
//! [macros]

/// Step-by-step detail; off unless the level is kTrace.
#define LOG_TRACE NET_LOG_AT(::net::LogLevel::kTrace)
/// Debugging detail; off unless the level is kDebug or lower.
#define LOG_DEBUG NET_LOG_AT(::net::LogLevel::kDebug)
/// Normal operation.
#define LOG_INFO NET_LOG_AT(::net::LogLevel::kInfo)
/// Something unexpected that was handled.
#define LOG_WARN NET_LOG_AT(::net::LogLevel::kWarn)
/// A failed operation.
#define LOG_ERROR NET_LOG_AT(::net::LogLevel::kError)
/// Writes the line, calls the flush function and aborts. Never filtered.
#define LOG_FATAL NET_LOG_AT(::net::LogLevel::kFatal)
/// LOG_ERROR followed by ": <strerror(errno)> (errno N)", errno read when the line starts.
#define LOG_SYSERR                                 \
  !::net::Logger::enabled(::net::LogLevel::kError) \
      ? static_cast<void>(0)                       \
      : ::net::detail::LogVoidify() &              \
            ::net::Logger(::net::LogLevel::kError, __FILE__, __LINE__, errno).stream()
