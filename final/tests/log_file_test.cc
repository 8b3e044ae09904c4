// LogFile: rolling by size without splitting a line, names that sort in creation order,
// buffering and flushing, close-on-exec, and errors that are reported once and never fatal.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "LogFile.h"
#include "LogTestUtil.h"
#include "TestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// Line `i`: "line <i> " plus 0-49 dots, so lines have different lengths.
std::string numberedLine(int i) {
  return "line " + std::to_string(i) + " " + std::string(static_cast<size_t>(i * 7 % 50), '.') +
         "\n";
}

TEST(LogFile, RollsBeforeAFileWouldExceedRollSizeAndNeverSplitsALine) {
  TempDir dir;
  const size_t rollSize = 1000;
  std::string expected;
  {
    LogFile file(dir / "app", rollSize, std::chrono::hours(1));
    for (int i = 0; i < 300;) {
      if (i % 3 == 0) {
        // A batch of lines in one append, as the AsyncLogging back end writes them.
        std::string batch;
        for (int j = 0; j < 17; ++j) batch += numberedLine(i++);
        file.append(batch);
        expected += batch;
      } else {
        file.append(numberedLine(i));
        expected += numberedLine(i++);
      }
    }
  }  // the destructor flushes

  std::vector<std::string> files = filesIn(dir.path());
  ASSERT_GE(files.size(), 10u) << "about " << expected.size() / rollSize << " files expected";
  std::string all;
  for (size_t k = 0; k < files.size(); ++k) {
    std::string content = readFile(files[k]);
    ASSERT_FALSE(content.empty()) << files[k];
    EXPECT_LE(content.size(), rollSize) << files[k];
    EXPECT_EQ(content.back(), '\n') << files[k] << " ends inside a line";
    if (k + 1 < files.size()) {
      // Rolled only when needed: the next file's first line would not have fit.
      std::string next = readFile(files[k + 1]);
      size_t firstLine = next.find('\n') + 1;
      EXPECT_GT(content.size() + firstLine, rollSize) << files[k] << " was rolled too early";
    }
    all += content;
  }
  EXPECT_EQ(all, expected);
}

TEST(LogFile, ALineLongerThanRollSizeGetsAFileOfItsOwn) {
  TempDir dir;
  const std::string longLine = std::string(300, 'L') + "\n";
  {
    LogFile file(dir / "app", 100, std::chrono::hours(1));
    file.append("short\n");
    file.append(longLine + "after\n");
  }
  std::vector<std::string> files = filesIn(dir.path());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(readFile(files[0]), "short\n");
  EXPECT_EQ(readFile(files[1]), longLine);
  EXPECT_EQ(readFile(files[2]), "after\n");
}

TEST(LogFile, FileNamesCarryTimePidAndSequenceAndSortInCreationOrder) {
  TempDir dir;
  std::string lastPath;
  {
    // 8-byte lines and a 10-byte roll size: every line after the first starts a new file, all
    // within the same second or two, so the order rests on the sequence number.
    LogFile file(dir / "app", 10, std::chrono::hours(1));
    for (int i = 0; i < 12; ++i) file.append("line " + std::to_string(10 + i) + "\n");
    EXPECT_EQ(file.filesOpened(), 12u);
    lastPath = file.currentPath();
  }
  std::vector<std::string> files = filesIn(dir.path());
  ASSERT_EQ(files.size(), 12u);
  EXPECT_EQ(files.back(), lastPath);
  const std::regex name(dir.path() + R"(/app\.\d{8}-\d{6}\.)" + std::to_string(::getpid()) +
                        R"(\.(\d{6})\.log)");
  for (size_t k = 0; k < files.size(); ++k) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(files[k], m, name)) << files[k];
    EXPECT_EQ(std::stoul(m[1]), k + 1);
    EXPECT_EQ(readFile(files[k]), "line " + std::to_string(10 + k) + "\n");
  }
}

TEST(LogFile, AppendsStayBufferedUntilFlush) {
  TempDir dir;
  LogFile file(dir / "app", 1 << 20, std::chrono::hours(1));
  file.append("buffered\n");
  EXPECT_EQ(readFile(file.currentPath()), "") << "one write(2) per line would be slow";
  EXPECT_EQ(file.fileBytes(), 9u);
  file.flush();
  EXPECT_EQ(readFile(file.currentPath()), "buffered\n");
}

TEST(LogFile, TheFirstAppendAfterTheFlushIntervalFlushes) {
  TempDir dir;
  LogFile file(dir / "app", 1 << 20, std::chrono::milliseconds(50));
  file.append("one\n");
  const auto appended = std::chrono::steady_clock::now();
  ASSERT_TRUE(waitUntil([&] { return std::chrono::steady_clock::now() - appended > 60ms; }));
  file.append("two\n");
  EXPECT_EQ(readFile(file.currentPath()), "one\ntwo\n");
}

TEST(LogFile, BatchesLargerThanTheBufferArriveWhole) {
  TempDir dir;
  std::string expected;
  {
    LogFile file(dir / "app", 64 << 20, std::chrono::hours(1));
    file.append("small\n");
    std::string big;
    for (int i = 0; big.size() < 200000; ++i) big += numberedLine(i);
    file.append(big);
    file.append("small again\n");
    expected = "small\n" + big + "small again\n";
  }
  EXPECT_EQ(readAll(dir.path()), expected);
}

TEST(LogFile, TheFileIsCloseOnExec) {
  TempDir dir;
  LogFile file(dir / "app", 1 << 20);
  int found = -1;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (std::filesystem::read_symlink(entry.path(), ec) == file.currentPath()) {
      found = std::stoi(entry.path().filename().string());
    }
  }
  ASSERT_GE(found, 0) << "no open fd for " << file.currentPath();
  EXPECT_TRUE(::fcntl(found, F_GETFD) & FD_CLOEXEC);
}

TEST(LogFile, AnOpenFailureIsReportedOnceCountedAndRetriedAtFlush) {
  TempDir dir;
  const std::string missing = dir / "not-yet";
  ::testing::internal::CaptureStderr();
  LogFile file(missing + "/app", 1 << 20, std::chrono::hours(1));
  file.append("lost 1\n");
  file.flush();  // tries to open again: fails again, says nothing new
  file.append("lost 2\n");
  file.flush();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(file.currentPath(), "");
  EXPECT_EQ(file.lostBytes(), 14u);
  static const std::regex once(
      R"(^LogFile: open \S+/not-yet/app\.\S+: No such file or directory[^\n]*\n$)");
  EXPECT_TRUE(std::regex_match(err, once)) << err;

  // Once the directory exists, the next flush opens a file and logging goes on.
  std::filesystem::create_directory(missing);
  ::testing::internal::CaptureStderr();
  file.flush();
  file.append("kept\n");
  file.flush();
  err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(readFile(file.currentPath()), "kept\n");
  EXPECT_NE(err.find("again (14 bytes lost so far)"), std::string::npos) << err;
}

// The child of the death test below: writes past a 1000-byte file size limit, which makes
// write(2) fail with EFBIG (for LogFile, the same as a full disk, without needing one). Exits 0
// when every byte that could not be written was counted.
[[noreturn]] void writePastAFileSizeLimit(const std::string& basename) {
  std::signal(SIGXFSZ, SIG_IGN);  // otherwise the failing write kills the process (setrlimit(2))
  rlimit limit{1000, 1000};
  ::setrlimit(RLIMIT_FSIZE, &limit);
  LogFile file(basename, 1 << 20, std::chrono::hours(1));
  for (int i = 0; i < 50; ++i) file.append(std::string(99, 'x') + "\n");
  file.flush();  // 1000 bytes go out, then EFBIG
  file.append("more\n");
  file.flush();  // fails again: counted, not reported again
  std::exit(file.lostBytes() == 4005 && file.fileBytes() == 5005 ? 0 : 1);
}

TEST(LogFileDeathTest, AWriteFailureIsReportedOnceAndTheBytesCounted) {
  TempDir dir;
  // In a child process, so that the limit stays there.
  EXPECT_EXIT(writePastAFileSizeLimit(dir / "app"), ::testing::ExitedWithCode(0),
              "^LogFile: write [^\n]*: File too large[^\n]*\n$");
  std::vector<std::string> files = filesIn(dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(readFile(files[0]).size(), 1000u);
}

}  // namespace
