// Logger and the LOG_* macros: the line format, level filtering that evaluates nothing, macros
// that behave inside an unbraced if/else, parseLogLevel, LogStream's formatting and truncation,
// LOG_SYSERR, and LOG_FATAL's flush-then-abort.
#include <gtest/gtest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <regex>
#include <string>
#include <vector>

#include "Logging.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// Captures every line through Logger::setOutput; puts the defaults back afterwards.
class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Logger::setLevel(LogLevel::kInfo);
    Logger::setOutput([this](std::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    Logger::setOutput({});
    Logger::setFlush({});
    Logger::setLevel(LogLevel::kInfo);
  }

  std::vector<std::string> lines_;
};

/// The message part of a captured line: what follows "file:line ", without the newline.
std::string messageOf(const std::string& line) {
  static const std::regex header(R"(^\S+ \S+ \S+ +\d+ \S+:\d+ )");
  std::smatch m;
  if (!std::regex_search(line, m, header) || line.empty() || line.back() != '\n') return "?";
  return line.substr(static_cast<size_t>(m.length(0)),
                     line.size() - static_cast<size_t>(m.length(0)) - 1);
}

TEST_F(LoggingTest, LineHasUtcMicrosecondTimeLevelThreadIdFileLineAndMessage) {
  const time_t before = ::time(nullptr);
  const int line = __LINE__ + 1;
  LOG_INFO << "accepted " << 42;
  const time_t after = ::time(nullptr);

  ASSERT_EQ(lines_.size(), 1u);
  static const std::regex format(
      R"(^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.\d{6}Z INFO  (\d+) logging_test\.cc:(\d+) accepted 42\n$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines_[0], m, format)) << lines_[0];
  EXPECT_EQ(std::stol(m[7]), static_cast<long>(::syscall(SYS_gettid)));
  EXPECT_EQ(std::stoi(m[8]), line);
  tm fields{};
  fields.tm_year = std::stoi(m[1]) - 1900;
  fields.tm_mon = std::stoi(m[2]) - 1;
  fields.tm_mday = std::stoi(m[3]);
  fields.tm_hour = std::stoi(m[4]);
  fields.tm_min = std::stoi(m[5]);
  fields.tm_sec = std::stoi(m[6]);
  const time_t logged = ::timegm(&fields);  // the line's time read as UTC
  EXPECT_GE(logged, before);
  EXPECT_LE(logged, after);
}

TEST_F(LoggingTest, EachLevelIsNamedInTheLine) {
  Logger::setLevel(LogLevel::kTrace);
  LOG_TRACE << "t";
  LOG_DEBUG << "d";
  LOG_INFO << "i";
  LOG_WARN << "w";
  LOG_ERROR << "e";
  ASSERT_EQ(lines_.size(), 5u);
  const char* expected[] = {"Z TRACE ", "Z DEBUG ", "Z INFO  ", "Z WARN  ", "Z ERROR "};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NE(lines_[i].find(expected[i]), std::string::npos) << lines_[i];
  }
}

TEST_F(LoggingTest, BelowTheLevelNothingIsWrittenAndNoArgumentIsEvaluated) {
  int evaluated = 0;
  auto expensive = [&evaluated] {
    ++evaluated;
    return std::string("costly");
  };
  LOG_TRACE << expensive();
  LOG_DEBUG << expensive() << expensive();
  EXPECT_EQ(evaluated, 0);
  EXPECT_TRUE(lines_.empty());

  LOG_INFO << expensive();
  EXPECT_EQ(evaluated, 1);

  Logger::setLevel(LogLevel::kError);
  EXPECT_EQ(Logger::level(), LogLevel::kError);
  LOG_INFO << expensive();
  LOG_WARN << expensive();
  LOG_ERROR << "kept";
  EXPECT_EQ(evaluated, 1);
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(messageOf(lines_[1]), "kept");
}

TEST_F(LoggingTest, MacrosInsideAnUnbracedIfElseBindToTheRightBranch) {
  for (bool flag : {true, false}) {
    if (flag)
      LOG_INFO << "then";
    else
      LOG_WARN << "else";
  }
  ASSERT_EQ(lines_.size(), 2u);
  EXPECT_EQ(messageOf(lines_[0]), "then");
  EXPECT_EQ(messageOf(lines_[1]), "else");

  // The classic failure of an `if (enabled) Logger(...)` macro: a filtered LOG_DEBUG in the
  // then-branch would take the else for itself and run it although the condition was true.
  int elseRan = 0;
  bool condition = true;
  if (condition)
    LOG_DEBUG << "filtered";
  else
    ++elseRan;
  EXPECT_EQ(elseRan, 0);
  condition = false;
  if (condition)
    LOG_INFO << "not reached";
  else
    ++elseRan;
  EXPECT_EQ(elseRan, 1);
  EXPECT_EQ(lines_.size(), 2u);
}

TEST(ParseLogLevel, AcceptsTheSixNamesInAnyCase) {
  EXPECT_EQ(parseLogLevel("trace"), LogLevel::kTrace);
  EXPECT_EQ(parseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(parseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(parseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(parseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(parseLogLevel("fatal"), LogLevel::kFatal);
  EXPECT_EQ(parseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(parseLogLevel("Warn"), LogLevel::kWarn);
}

TEST(ParseLogLevel, RejectsAnythingElse) {
  for (std::string_view bad :
       {"", "inf", "infos", "information", "warning", " info", "info ", "err", "verbose", "5"}) {
    EXPECT_FALSE(parseLogLevel(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_FALSE(parseLogLevel(std::string_view("info\0", 5)).has_value());
}

TEST(ParseLogLevel, ReadsBackWhatToStringWrites) {
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                         LogLevel::kError, LogLevel::kFatal}) {
    EXPECT_EQ(parseLogLevel(toString(level)), level) << toString(level);
  }
}

TEST(LogStream, FormatsIntegersFloatingPointPointersAndText) {
  LogStream s;
  s << INT_MIN << ' ' << UINT64_MAX << ' ' << static_cast<short>(-5) << ' '
    << static_cast<unsigned char>(200) << ' ' << 'x' << ' ' << true << ' ' << false;
  EXPECT_EQ(s.view(), "-2147483648 18446744073709551615 -5 200 x true false");

  LogStream d;
  d << 0.1 << ' ' << 1e100 << ' ' << -2.5f << ' ' << 3.0;
  EXPECT_EQ(d.view(), "0.1 1e+100 -2.5 3");

  LogStream p;
  const char* null = nullptr;
  p << reinterpret_cast<const void*>(0x1234abcd) << ' ' << static_cast<const void*>(nullptr) << ' '
    << null << ' ' << std::string("str") << ' ' << std::string_view("a\0b", 3);
  EXPECT_EQ(p.view(), std::string_view("0x1234abcd 0x0 (null) str a\0b", 29));
}

TEST(LogStream, KeepsWhatFitsAndCountsTheRest) {
  LogStream s;
  const std::string big(LogStream::kCapacity, 'x');
  s << big;
  EXPECT_GT(s.droppedBytes(), 0u);
  EXPECT_LT(s.view().size(), LogStream::kCapacity);
  EXPECT_EQ(s.view().size() + s.droppedBytes(), big.size());
  s << 12345;  // nothing more fits: counted too
  EXPECT_EQ(s.view().size() + s.droppedBytes(), big.size() + 5);
}

TEST_F(LoggingTest, AnOverlongMessageIsTruncatedAndTheLineSaysHowMuch) {
  LOG_INFO << std::string(10000, 'a') << "tail";
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_LE(line.size(), LogStream::kCapacity);
  ASSERT_EQ(line.back(), '\n');
  const size_t headerSize = line.find('a');
  const size_t kept = line.find(" [truncated") - headerSize;
  const size_t dropped = 10000 + 4 - kept;
  EXPECT_NE(line.find(" [truncated: " + std::to_string(dropped) + " bytes dropped]\n"),
            std::string::npos)
      << line.substr(line.size() - 60);
  EXPECT_EQ(line.find("tail"), std::string::npos);
}

TEST_F(LoggingTest, SyserrAppendsTheErrnoDescription) {
  errno = ENOENT;
  LOG_SYSERR << "open /nonexistent";
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("Z ERROR "), std::string::npos);
  EXPECT_EQ(messageOf(lines_[0]), "open /nonexistent: No such file or directory (errno 2)");
}

TEST_F(LoggingTest, TheTimeAdvancesPastTheCachedSecond) {
  LOG_INFO << "first";
  const time_t first = ::time(nullptr);
  // The seconds text is cached per thread: a line written after the second changed must not
  // reuse the old one. Waits on the clock itself (at most about one second).
  ASSERT_TRUE(waitUntil([first] { return ::time(nullptr) > first; }, 3s));
  LOG_INFO << "second";
  ASSERT_EQ(lines_.size(), 2u);
  // "YYYY-mm-dd HH:MM:SS" compares like the time it stands for.
  EXPECT_LT(lines_[0].substr(0, 19), lines_[1].substr(0, 19));
}

TEST_F(LoggingTest, FormatLineWritesWhatTheMacroWould) {
  std::string line = Logger::formatLine(LogLevel::kWarn, "some/dir/Writer.cc", 77, "note");
  LOG_WARN << "note";
  ASSERT_EQ(lines_.size(), 1u);
  static const std::regex format(R"(^\S+ \S+Z WARN  \d+ Writer\.cc:77 note\n$)");
  EXPECT_TRUE(std::regex_match(line, format)) << line;
  // Same layout up to the file name: time, level and thread id columns line up.
  EXPECT_EQ(line.find(" Writer.cc"), lines_[0].find(" logging_test.cc"));
}

TEST(LoggerDefaultOutput, WritesWholeLinesToStderr) {
  Logger::setOutput({});
  ::testing::internal::CaptureStderr();
  LOG_WARN << "to stderr " << 1;
  LOG_WARN << "to stderr " << 2;
  std::string err = ::testing::internal::GetCapturedStderr();
  static const std::regex twoLines(
      R"(^\S+ \S+Z WARN  \d+ logging_test\.cc:\d+ to stderr 1\n\S+ \S+Z WARN  \d+ logging_test\.cc:\d+ to stderr 2\n$)");
  EXPECT_TRUE(std::regex_match(err, twoLines)) << err;
}

TEST(LoggerDeathTest, FatalWritesTheLineThenFlushesThenAborts) {
  EXPECT_EXIT(
      {
        Logger::setOutput({});
        Logger::setFlush([] {
          const char text[] = "flush ran\n";
          (void)!::write(STDERR_FILENO, text, sizeof text - 1);
        });
        LOG_FATAL << "cannot go on: " << 7;
      },
      ::testing::KilledBySignal(SIGABRT),
      "FATAL .*logging_test\\.cc:[0-9]+ cannot go on: 7\nflush ran\n");
}

TEST(LoggerDeathTest, FatalIsNeverFiltered) {
  EXPECT_EXIT(
      {
        Logger::setOutput({});
        Logger::setLevel(LogLevel::kFatal);
        LOG_ERROR << "filtered";
        LOG_FATAL << "still written";
      },
      ::testing::KilledBySignal(SIGABRT), "^[^\n]*FATAL [^\n]*still written\n$");
}

}  // namespace
