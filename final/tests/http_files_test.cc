// http_server --root DIR end to end, over raw sockets: files are served with the built-in routes
// taking precedence, a large file is streamed and the requests pipelined behind it are answered
// after it, and every way out of DIR (dot segments, percent-encoded dots, NUL, backslashes, a
// symlink) gets an error status and never the bytes of the file outside.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "HttpTestUtil.h"

using namespace net;
using namespace net::test;

namespace {

namespace fs = std::filesystem;

/// The secret outside the root: a response that contains it is an escape.
constexpr char kSecret[] = "top secret: outside the root\n";

/// A large file's bytes: position-dependent, so a lost, repeated or reordered chunk shows.
std::string pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return data;
}

void writeFile(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

/// base/secret.txt, and base/root/ with index.html, a.txt, hello (shadowed by the built-in
/// route), sub/b.txt, big.bin (1 MiB + 1) and link -> ../secret.txt.
class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/http-files-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    base_ = dir;
    root_ = base_ / "root";
    fs::create_directories(root_ / "sub");
    writeFile(base_ / "secret.txt", kSecret);
    writeFile(root_ / "index.html", "<html>index</html>\n");
    writeFile(root_ / "a.txt", "file a\n");
    writeFile(root_ / "hello", "the file, not the route\n");
    writeFile(root_ / "sub" / "b.txt", "file b\n");
    writeFile(root_ / "big.bin", pattern(kBigSize));
    fs::create_symlink("../secret.txt", root_ / "link");
    server_ = std::make_unique<ServerProcess>(
        HTTP_SERVER_PATH,
        std::vector<std::string>{"--root", root_.string(), "--stop-timeout", "30"});
    ASSERT_TRUE(server_->ok()) << server_->banner();
  }
  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    fs::remove_all(base_, ignored);
  }
  uint16_t port() const { return server_->port(); }

  static constexpr size_t kBigSize = (1 << 20) + 1;
  fs::path base_;
  fs::path root_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(FilesTest, ServesFilesWithTheBuiltInRoutesFirst) {
  HttpClient client(port());
  ASSERT_TRUE(client.send(httpGet("/a.txt") + httpGet("/") + httpGet("/sub/b.txt") +
                          httpGet("/hello") + httpGet("/stats") + httpGet("/missing.txt")));
  auto a = client.read();
  auto index = client.read();
  auto b = client.read();
  auto hello = client.read();
  auto stats = client.read();
  auto missing = client.read();
  ASSERT_TRUE(a && index && b && hello && stats && missing);
  EXPECT_EQ(a->body, "file a\n");
  EXPECT_EQ(a->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_FALSE(a->header("Last-Modified").empty());
  EXPECT_EQ(index->body, "<html>index</html>\n");
  EXPECT_EQ(b->body, "file b\n");
  EXPECT_EQ(hello->body, "Hello, World!");  // the route, not the file named "hello"
  EXPECT_EQ(stats->header("Content-Type"), "application/json");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->header("Connection"), "keep-alive");
}

TEST_F(FilesTest, ALargeFileIsStreamedAndThePipelinedRequestsFollowIt) {
  HttpClient client(port());
  ASSERT_TRUE(client.send(httpGet("/big.bin") + httpGet("/a.txt") + httpGet("/hello")));
  auto big = client.read();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 200);
  EXPECT_EQ(big->header("Content-Length"), std::to_string(kBigSize));
  EXPECT_TRUE(big->body == pattern(kBigSize)) << "the streamed bytes differ from the file";
  auto a = client.read();
  auto hello = client.read();
  ASSERT_TRUE(a && hello);
  EXPECT_EQ(a->body, "file a\n");
  EXPECT_EQ(hello->body, "Hello, World!");
}

TEST_F(FilesTest, HeadOfALargeFileAnnouncesItsLengthWithoutTheBody) {
  HttpClient client(port());
  ASSERT_TRUE(client.send("HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n" + httpGet("/a.txt")));
  auto head = client.read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), std::to_string(kBigSize));
  auto a = client.read();  // would read file bytes as a status line if HEAD had sent a body
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "file a\n");
}

TEST_F(FilesTest, ConnectionCloseAfterAStreamedFileClosesAfterItsLastByte) {
  HttpClient client(port());
  ASSERT_TRUE(client.send(httpGet("/big.bin", "Connection: close\r\n") + httpGet("/a.txt")));
  auto big = client.read();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->body.size(), kBigSize);
  EXPECT_EQ(big->header("Connection"), "close");
  EXPECT_TRUE(client.closedByServer());
}

TEST_F(FilesTest, AStopDuringAStreamedFileClosesRightAfterItsLastByte) {
  constexpr size_t kHugeSize = 16 << 20;  // far more than the socket buffers hold
  writeFile(root_ / "huge.bin", pattern(kHugeSize));
  HttpClient idle(port());
  ASSERT_TRUE(idle.send(httpGet("/a.txt")));
  ASSERT_TRUE(idle.read());
  HttpClient slow(port());
  ASSERT_TRUE(slow.send(httpGet("/huge.bin")));
  ASSERT_EQ(slow.take(15), "HTTP/1.1 200 OK");  // streaming, and stalled: nobody reads

  ASSERT_EQ(::kill(server_->pid(), SIGTERM), 0);
  ReadResult idleEnd = readToEnd(idle.fd());
  EXPECT_TRUE(idleEnd.eof && idleEnd.data.empty());  // the stop has begun, mid-file
  slow.pending() = "HTTP/1.1 200 OK" + slow.pending();
  auto huge = slow.read();
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->body.size(), kHugeSize);
  EXPECT_TRUE(slow.closedByServer());  // at once, not at the 30 s bound
  idle.close();
  slow.close();
  auto status = server_->stop(/*sig=*/0, std::chrono::seconds(5));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
}

struct Attack {
  const char* name;
  const char* target;  ///< sent as is on the request line
};

class FilesAttack : public FilesTest, public ::testing::WithParamInterface<Attack> {};

TEST_P(FilesAttack, IsRefusedWithoutTheFileOutside) {
  HttpClient client(port());
  ASSERT_TRUE(
      client.send(std::string("GET ") + GetParam().target + " HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.read();
  ASSERT_TRUE(response) << "no answer";
  EXPECT_TRUE(response->status == 400 || response->status == 403 || response->status == 404)
      << response->status;
  EXPECT_EQ(response->body.find("top secret"), std::string::npos);
  EXPECT_EQ(client.pending().find("top secret"), std::string::npos);
}

std::string attackName(const ::testing::TestParamInfo<Attack>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(
    Forms, FilesAttack,
    ::testing::Values(Attack{"DotDot", "/../secret.txt"},
                      Attack{"DotDotBelowADirectory", "/sub/../../secret.txt"},
                      Attack{"EncodedDots", "/%2e%2e/secret.txt"},
                      Attack{"EncodedDotsUpperCase", "/%2E%2E/secret.txt"},
                      Attack{"EncodedDotsBelowADirectory", "/a/%2e%2e/%2e%2e/secret.txt"},
                      Attack{"EncodedSlash", "/%2e%2e%2fsecret.txt"}, Attack{"Nul", "/a.txt%00"},
                      Attack{"NulBeforeDots", "/%00/../secret.txt"},
                      Attack{"Backslash", "/..\\secret.txt"},
                      Attack{"EncodedBackslash", "/%2e%2e%5csecret.txt"},
                      Attack{"SymlinkOutside", "/link"},
                      Attack{"AbsoluteForm", "http://t/../secret.txt"}),
    attackName);

TEST(FilesFlags, ARootThatIsNoDirectoryExitsWithUsageError) {
  int status = runProgram(HTTP_SERVER_PATH, "--port 0 --root /nonexistent-directory-of-test");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  status = runProgram(HTTP_SERVER_PATH, "--port 0 --root /dev/null");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
