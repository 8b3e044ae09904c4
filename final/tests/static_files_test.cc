// StaticFiles on a temporary directory tree made for each test: content types, index.html,
// the redirect of a directory without its slash, 403 for a directory without index, 404,
// conditional GET (304 for If-Modified-Since equal or later, 200 for earlier), HEAD, 405, and
// every way out of the root, each attack form its own test. The suite runs once per resolver:
// openat2 (symlinks that stay under the root are followed) and the O_NOFOLLOW walk used where
// openat2 is missing (every symlink is refused).
//
// The tree, under a mkdtemp directory that is removed afterwards:
//   secret.txt                     outside the root: must never be served
//   outside/inner.txt              a directory outside the root
//   root/                          the served directory
//     index.html a.txt a..b.txt big.bin limit.bin noext ... (one file per content type)
//     sub/index.html sub/page.txt sub/link_up -> ../a.txt
//     empty/ (no index)   indexdir/index.html/ (a directory)   "with space"/index.html
//     link_in -> a.txt   link_sub -> sub   link_abs_in -> <abs>/root/a.txt
//     link_out_rel -> ../secret.txt   link_out_abs -> <abs>/secret.txt
//     link_dir_out -> ../outside      link_dir_out_abs -> <abs>/outside   link_loop -> link_loop
//     fifo (a FIFO)   sock (a Unix socket)   noread.txt (mode 000)
#include "StaticFiles.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "HttpDate.h"
#include "HttpRequest.h"
#include "LoopTestUtil.h"

using namespace net;

namespace {

using Resolver = StaticFiles::Resolver;

// Sun, 06 Nov 1994 08:49:37 GMT: the mtime given to a.txt, big.bin and sub/index.html.
constexpr time_t kMtime = 784111777;
constexpr char kSecret[] = "outside secret";
constexpr size_t kBigSize = 200 * 1024;

/// Bytes that differ from position to position.
std::string makeContent(size_t size) {
  std::string content(size, '\0');
  uint32_t x = 2463534242u;
  for (char& c : content) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return content;
}

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

void setMtime(const std::string& path, time_t mtime) {
  struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

/// The directory tree above, created in the constructor and removed in the destructor.
class TempTree {
 public:
  TempTree() {
    char templ[] = "/tmp/static_files_test.XXXXXX";
    if (::mkdtemp(templ) == nullptr) throw std::system_error(errno, std::generic_category());
    base_ = templ;
    root_ = base_ + "/root";
  }
  ~TempTree() {
    std::error_code error;
    ::chmod((root_ + "/noread.txt").c_str(), 0644);
    std::filesystem::remove_all(base_, error);  // does not follow symlinks
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  void populate() {
    writeFile(base_ + "/secret.txt", kSecret);
    ASSERT_EQ(::mkdir((base_ + "/outside").c_str(), 0755), 0);
    writeFile(base_ + "/outside/inner.txt", kSecret);
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    for (const char* dir : {"sub", "empty", "indexdir", "indexdir/index.html", "with space"}) {
      ASSERT_EQ(::mkdir((root_ + "/" + dir).c_str(), 0755), 0) << dir;
    }
    writeFile(root_ + "/index.html", "<h1>root index</h1>\n");
    writeFile(root_ + "/a.txt", "hello a\n");
    writeFile(root_ + "/a..b.txt", "two dots inside a name\n");
    writeFile(root_ + "/sub/index.html", "<h1>sub index</h1>\n");
    writeFile(root_ + "/sub/page.txt", "sub page\n");
    writeFile(root_ + "/with space/index.html", "spaced\n");
    writeFile(root_ + "/big.bin", makeContent(kBigSize));
    writeFile(root_ + "/limit.bin", makeContent(StaticFiles::kDefaultInMemoryLimit));
    for (const char* name :
         {"style.css",      "app.js",   "mod.mjs",   "data.json",  "notes.md",   "feed.xml",
          "logo.svg",       "img.png",  "photo.JPG", "anim.gif",   "pic.webp",   "favicon.ico",
          "doc.pdf",        "mod.wasm", "font.woff", "font.woff2", "app.js.map", "noext",
          "archive.tar.gz", "page.htm", "photo.jpeg"}) {
      writeFile(root_ + "/" + name, name);
    }
    for (const char* name : {"/a.txt", "/big.bin", "/sub/index.html"}) {
      setMtime(root_ + name, kMtime);
    }
    symlink("a.txt", "link_in");
    symlink("sub", "link_sub");
    symlink("../a.txt", "sub/link_up");
    symlink(root_ + "/a.txt", "link_abs_in");
    symlink("../secret.txt", "link_out_rel");
    symlink(base_ + "/secret.txt", "link_out_abs");
    symlink("../outside", "link_dir_out");
    symlink(base_ + "/outside", "link_dir_out_abs");
    symlink("link_loop", "link_loop");
    ASSERT_EQ(::mkfifo((root_ + "/fifo").c_str(), 0644), 0);
    makeUnixSocket(root_ + "/sock");
    writeFile(root_ + "/noread.txt", kSecret);
    ASSERT_EQ(::chmod((root_ + "/noread.txt").c_str(), 0), 0);
  }

  const std::string& base() const { return base_; }
  const std::string& root() const { return root_; }

 private:
  void symlink(const std::string& target, const std::string& name) {
    ASSERT_EQ(::symlink(target.c_str(), (root_ + "/" + name).c_str()), 0) << name;
  }

  static void makeUnixSocket(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path.size(), sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);  // the socket file stays
    ASSERT_EQ(rc, 0) << std::strerror(errno);
  }

  std::string base_;
  std::string root_;
};

HttpRequest makeRequest(const std::string& method, const std::string& path,
                        const std::vector<std::pair<std::string, std::string>>& headers = {},
                        const std::string& query = "") {
  HttpRequest request;
  request.setMethod(method);
  request.setPath(path);
  request.setQuery(query);
  request.setVersion(HttpRequest::Version::kHttp11);
  for (const auto& [name, value] : headers) request.addHeader(name, value);
  return request;
}

/// Reads the whole of an open file (for the streamed case).
std::string readAll(int fd) {
  std::string content;
  char buf[65536];
  off_t offset = 0;
  ssize_t n;
  while ((n = ::pread(fd, buf, sizeof buf, offset)) > 0) {
    content.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  return content;
}

bool kernelHasOpenat2(const std::string& dir) {
  try {
    StaticFiles probe(dir, Resolver::kOpenat2);
    return true;
  } catch (const std::system_error& e) {
    if (e.code().value() == ENOSYS) return false;
    throw;
  }
}

class StaticFilesTest : public ::testing::TestWithParam<Resolver> {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(tree_.populate());
    if (GetParam() == Resolver::kOpenat2 && !kernelHasOpenat2(tree_.root())) {
      GTEST_SKIP() << "openat2(2) is not available here (Linux < 5.6 or a seccomp filter)";
    }
    files_ = std::make_unique<StaticFiles>(tree_.root(), GetParam());
  }

  bool followsSymlinks() const { return GetParam() == Resolver::kOpenat2; }

  StaticFileResponse get(const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return files_->serve(makeRequest("GET", path, headers));
  }

  /// The response must not be a success, and must not carry a byte of what lies outside.
  void expectRefused(const std::string& path, int status) {
    StaticFileResponse response = get(path);
    EXPECT_EQ(response.status, status) << "path: " << path;
    EXPECT_EQ(response.body.find(kSecret), std::string::npos) << "path: " << path;
    EXPECT_FALSE(response.file.valid()) << "path: " << path;
  }

  TempTree tree_;
  std::unique_ptr<StaticFiles> files_;
};

INSTANTIATE_TEST_SUITE_P(Resolvers, StaticFilesTest,
                         ::testing::Values(Resolver::kOpenat2, Resolver::kNoSymlinkWalk),
                         [](const ::testing::TestParamInfo<Resolver>& param) {
                           return std::string(StaticFiles::resolverToString(param.param) + 1);
                         });

// ---------------------------------------------------------------------------------------------
// Construction

TEST(StaticFilesRoot, ThatIsNotADirectoryThrowsEnotdir) {
  TempTree tree;
  ASSERT_NO_FATAL_FAILURE(tree.populate());
  try {
    StaticFiles files(tree.root() + "/a.txt");
    FAIL() << "a regular file was accepted as the root";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOTDIR);
  }
}

TEST(StaticFilesRoot, ThatDoesNotExistThrowsEnoent) {
  TempTree tree;
  try {
    StaticFiles files(tree.base() + "/missing");
    FAIL() << "a missing root was accepted";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

TEST(StaticFilesRoot, AutoPicksOpenat2WhenTheKernelHasIt) {
  TempTree tree;
  ASSERT_NO_FATAL_FAILURE(tree.populate());
  StaticFiles files(tree.root());
  EXPECT_EQ(files.resolver(),
            kernelHasOpenat2(tree.root()) ? Resolver::kOpenat2 : Resolver::kNoSymlinkWalk);
}

// ---------------------------------------------------------------------------------------------
// Content types

TEST(StaticFilesContentType, ByExtensionIgnoringCase) {
  const std::pair<const char*, const char*> cases[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"page.htm", "text/html; charset=utf-8"},
      {"INDEX.HTML", "text/html; charset=utf-8"},
      {"style.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"mod.mjs", "text/javascript; charset=utf-8"},
      {"data.json", "application/json"},
      {"notes.txt", "text/plain; charset=utf-8"},
      {"notes.md", "text/markdown; charset=utf-8"},
      {"feed.xml", "text/xml; charset=utf-8"},
      {"logo.svg", "image/svg+xml"},
      {"img.png", "image/png"},
      {"photo.jpg", "image/jpeg"},
      {"photo.JPEG", "image/jpeg"},
      {"anim.gif", "image/gif"},
      {"pic.webp", "image/webp"},
      {"favicon.ico", "image/x-icon"},
      {"doc.pdf", "application/pdf"},
      {"mod.wasm", "application/wasm"},
      {"font.woff", "font/woff"},
      {"font.woff2", "font/woff2"},
      {"app.js.map", "application/json"},
      {"archive.tar.gz", "application/octet-stream"},
      {"noext", "application/octet-stream"},
      {"trailingdot.", "application/octet-stream"},
      {"dir.html/file", "application/octet-stream"},
  };
  for (const auto& [name, type] : cases) {
    EXPECT_EQ(StaticFiles::contentTypeFor(name), type) << name;
  }
}

TEST_P(StaticFilesTest, ServedFilesCarryTheirContentType) {
  const std::pair<const char*, const char*> cases[] = {
      {"/a.txt", "text/plain; charset=utf-8"}, {"/style.css", "text/css; charset=utf-8"},
      {"/mod.wasm", "application/wasm"},       {"/photo.JPG", "image/jpeg"},
      {"/noext", "application/octet-stream"},  {"/app.js.map", "application/json"},
  };
  for (const auto& [path, type] : cases) {
    StaticFileResponse response = get(path);
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.header("Content-Type"), type) << path;
  }
}

// ---------------------------------------------------------------------------------------------
// Files, directories, errors

TEST_P(StaticFilesTest, SmallFileComesWholeInTheBody) {
  StaticFileResponse response = get("/a.txt");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello a\n");
  EXPECT_EQ(response.contentLength, 8u);
  EXPECT_FALSE(response.file.valid());
  EXPECT_EQ(response.header("Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST_P(StaticFilesTest, FileAtTheInMemoryLimitIsStillInTheBody) {
  StaticFileResponse response = get("/limit.bin");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, makeContent(StaticFiles::kDefaultInMemoryLimit));
  EXPECT_FALSE(response.file.valid());
}

TEST_P(StaticFilesTest, LargeFileComesAsAnOpenFileToStream) {
  StaticFileResponse response = get("/big.bin");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.contentLength, kBigSize);
  EXPECT_TRUE(response.body.empty());
  ASSERT_TRUE(response.file.valid());
  EXPECT_TRUE(readAll(response.file.get()) == makeContent(kBigSize));
  EXPECT_EQ(::fcntl(response.file.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST_P(StaticFilesTest, InMemoryLimitIsAConstructorParameter) {
  StaticFiles files(tree_.root(), GetParam(), /*inMemoryLimit=*/4);
  StaticFileResponse response = files.serve(makeRequest("GET", "/a.txt"));
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(response.file.valid());
  EXPECT_EQ(response.contentLength, 8u);
  EXPECT_EQ(readAll(response.file.get()), "hello a\n");
}

TEST_P(StaticFilesTest, RootServesItsIndexHtml) {
  StaticFileResponse response = get("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<h1>root index</h1>\n");
  EXPECT_EQ(response.header("Content-Type"), "text/html; charset=utf-8");
}

TEST_P(StaticFilesTest, DirectoryWithSlashServesItsIndexHtml) {
  StaticFileResponse response = get("/sub/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<h1>sub index</h1>\n");
  EXPECT_EQ(response.header("Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST_P(StaticFilesTest, DirectoryWithoutSlashIsRedirectedWithSlash) {
  StaticFileResponse response = get("/sub");
  EXPECT_EQ(response.status, 301);
  EXPECT_EQ(response.header("Location"), "/sub/");
  EXPECT_FALSE(response.file.valid());
  EXPECT_EQ(get("/empty").status, 301) << "a directory without index is still a directory";
}

TEST_P(StaticFilesTest, RedirectKeepsTheQueryAndEncodesThePath) {
  StaticFileResponse response = files_->serve(makeRequest("GET", "/sub", {}, "a=1&b=%20"));
  EXPECT_EQ(response.status, 301);
  EXPECT_EQ(response.header("Location"), "/sub/?a=1&b=%20");
  response = get("/with space");
  EXPECT_EQ(response.status, 301);
  EXPECT_EQ(response.header("Location"), "/with%20space/");
  EXPECT_EQ(get("/with space/").body, "spaced\n");
}

TEST_P(StaticFilesTest, DirectoryWithoutIndexIsForbidden) {
  StaticFileResponse response = get("/empty/");
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.body, "403 Forbidden\n");
  EXPECT_EQ(response.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(get("/indexdir/").status, 403) << "an index.html that is a directory is no index";
}

TEST_P(StaticFilesTest, MissingIsNotFound) {
  EXPECT_EQ(get("/nope").status, 404);
  EXPECT_EQ(get("/nope/").status, 404);
  EXPECT_EQ(get("/sub/nope.txt").status, 404);
  EXPECT_EQ(get("/a.txt/").status, 404) << "a file used as a directory (ENOTDIR)";
  EXPECT_EQ(get("/a.txt/x").status, 404);
  StaticFileResponse response = get("/nope");
  EXPECT_EQ(response.body, "404 Not Found\n");
  EXPECT_EQ(response.contentLength, response.body.size());
}

TEST_P(StaticFilesTest, DotsInsideANameAreJustAName) {
  StaticFileResponse response = get("/a..b.txt");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "two dots inside a name\n");
}

TEST_P(StaticFilesTest, RepeatedSlashesAreOneSlash) {
  EXPECT_EQ(get("//a.txt").body, "hello a\n");
  EXPECT_EQ(get("/sub//page.txt").body, "sub page\n");
}

TEST_P(StaticFilesTest, UnreadableFileIsForbidden) {
  // root reads anything (CAP_DAC_OVERRIDE). A file-system uid other than 0 drops that
  // capability for this thread's file accesses (setfsuid(2)), so the kernel says EACCES.
  int previous = -1;
  if (::geteuid() == 0) {
    previous = ::setfsuid(65534);
    // setfsuid() returns the previous id even when it fails; an invalid id (-1) changes
    // nothing and returns the current one, which tells whether the change took.
    if (::setfsuid(static_cast<uid_t>(-1)) != 65534) {
      ::setfsuid(static_cast<uid_t>(previous));
      GTEST_SKIP() << "running as root without CAP_SETUID: cannot drop CAP_DAC_OVERRIDE";
    }
  }
  StaticFileResponse response = get("/noread.txt");
  if (previous >= 0) ::setfsuid(static_cast<uid_t>(previous));
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.body.find(kSecret), std::string::npos);
}

TEST_P(StaticFilesTest, UnixSocketIsForbidden) { EXPECT_EQ(get("/sock").status, 403); }

TEST_P(StaticFilesTest, NoFileDescriptorIsLeftOpen) {
  int before = test::openFdCount();
  ASSERT_GT(before, 0);
  for (const char* path :
       {"/a.txt", "/", "/sub", "/sub/", "/empty/", "/nope", "/sock", "/link_out_rel",
        "/link_dir_out/", "/indexdir/", "/../x", "/limit.bin"}) {
    StaticFileResponse response = get(path);
    response = files_->serve(makeRequest("HEAD", path));
  }
  { StaticFileResponse streamed = get("/big.bin"); }  // its fd closes with the response
  EXPECT_EQ(test::openFdCount(), before);
}

// ---------------------------------------------------------------------------------------------
// Methods and HEAD

TEST_P(StaticFilesTest, OtherMethodsGet405WithAllow) {
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "get", "head"}) {
    StaticFileResponse response = files_->serve(makeRequest(method, "/a.txt"));
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(response.header("Allow"), "GET, HEAD") << method;
    EXPECT_FALSE(response.file.valid());
  }
}

TEST_P(StaticFilesTest, HeadHasTheHeadersOfGetWithoutABody) {
  for (const char* path : {"/a.txt", "/big.bin", "/", "/sub", "/nope", "/empty/", "/../x"}) {
    StaticFileResponse get = files_->serve(makeRequest("GET", path));
    StaticFileResponse head = files_->serve(makeRequest("HEAD", path));
    EXPECT_EQ(head.status, get.status) << path;
    EXPECT_EQ(head.headers, get.headers) << path;
    EXPECT_EQ(head.contentLength, get.contentLength) << path;
    EXPECT_TRUE(head.body.empty()) << path;
    EXPECT_FALSE(head.file.valid()) << path << ": HEAD never streams";
  }
}

// ---------------------------------------------------------------------------------------------
// Conditional GET (RFC 9110 section 13.1.3)

TEST_P(StaticFilesTest, IfModifiedSinceEqualGets304WithoutBody) {
  StaticFileResponse response =
      get("/a.txt", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  EXPECT_EQ(response.status, 304);
  EXPECT_TRUE(response.body.empty());
  EXPECT_EQ(response.contentLength, 0u);
  EXPECT_EQ(response.header("Last-Modified"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(response.header("Content-Type"), "") << "no content headers on a 304";
}

TEST_P(StaticFilesTest, IfModifiedSinceLaterGets304) {
  EXPECT_EQ(get("/a.txt", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:38 GMT"}}).status, 304);
  EXPECT_EQ(get("/a.txt", {{"If-Modified-Since", formatHttpDate(time(nullptr))}}).status, 304);
}

TEST_P(StaticFilesTest, IfModifiedSinceEarlierGets200) {
  StaticFileResponse response =
      get("/a.txt", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello a\n");
}

TEST_P(StaticFilesTest, IfModifiedSinceInTheObsoleteFormsIsUnderstood) {
  EXPECT_EQ(get("/a.txt", {{"If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"}}).status, 304);
  EXPECT_EQ(get("/a.txt", {{"If-Modified-Since", "Sun Nov  6 08:49:37 1994"}}).status, 304);
}

TEST_P(StaticFilesTest, InvalidOrRepeatedIfModifiedSinceIsIgnored) {
  EXPECT_EQ(get("/a.txt", {{"If-Modified-Since", "yesterday"}}).status, 200);
  EXPECT_EQ(get("/a.txt", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"},
                           {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}})
                .status,
            200)
      << "two values are not one valid HTTP-date";
}

TEST_P(StaticFilesTest, HeadWithIfModifiedSinceGets304) {
  StaticFileResponse response = files_->serve(
      makeRequest("HEAD", "/a.txt", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
  EXPECT_EQ(response.status, 304);
}

TEST_P(StaticFilesTest, NotModifiedLargeFileIsNotOpenedForStreaming) {
  StaticFileResponse response =
      get("/big.bin", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  EXPECT_EQ(response.status, 304);
  EXPECT_FALSE(response.file.valid());
}

TEST_P(StaticFilesTest, IndexHtmlAnswersConditionalRequestsToo) {
  EXPECT_EQ(get("/sub/", {{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status, 304);
}

TEST_P(StaticFilesTest, IfNoneMatchOverridesIfModifiedSince) {
  // No ETags here, so a list of tags never matches: 200, and If-Modified-Since is ignored.
  EXPECT_EQ(get("/a.txt", {{"If-None-Match", "\"abc\""},
                           {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}})
                .status,
            200);
  EXPECT_EQ(get("/a.txt", {{"If-None-Match", "*"}}).status, 304);
}

TEST_P(StaticFilesTest, ConditionalHeadersDoNotTurnErrorsInto304) {
  EXPECT_EQ(get("/nope", {{"If-Modified-Since", "Sun, 06 Nov 2094 08:49:37 GMT"}}).status, 404);
  EXPECT_EQ(files_
                ->serve(makeRequest("POST", "/a.txt",
                                    {{"If-Modified-Since", "Sun, 06 Nov 2094 08:49:37 GMT"}}))
                .status,
            405);
}

TEST_P(StaticFilesTest, LastModifiedInTheFutureIsSentAsNow) {
  // RFC 9110 section 8.8.2.1: never later than the response's Date.
  time_t now = time(nullptr);
  setMtime(tree_.root() + "/a..b.txt", now + 3600);
  auto lastModified = parseHttpDate(get("/a..b.txt").header("Last-Modified"));
  ASSERT_TRUE(lastModified);
  EXPECT_GE(*lastModified, now);
  EXPECT_LE(*lastModified, time(nullptr));
}

// ---------------------------------------------------------------------------------------------
// Attacks: every way out of the root. Each must fail, and carry nothing from outside.

TEST_P(StaticFilesTest, AttackDotDotAtTheStart) { expectRefused("/../secret.txt", 400); }

TEST_P(StaticFilesTest, AttackDotDotBelowADirectory) {
  expectRefused("/sub/../../secret.txt", 400);
  expectRefused("/a/../../secret.txt", 400);
}

TEST_P(StaticFilesTest, AttackDotDotAtTheEnd) {
  expectRefused("/..", 400);
  expectRefused("/sub/..", 400);
  expectRefused("/sub/../", 400);
}

TEST_P(StaticFilesTest, DotDotThatWouldStayInsideIsRefusedToo) {
  // A client resolves dot segments before sending (RFC 3986 section 5.2.4): refusing them all
  // costs nothing, and leaves no arithmetic to get wrong.
  expectRefused("/sub/../a.txt", 400);
}

TEST_P(StaticFilesTest, AttackSingleDotSegments) {
  expectRefused("/./a.txt", 400);
  expectRefused("/sub/.", 400);
  expectRefused("/.", 400);
}

TEST_P(StaticFilesTest, AttackPercentEncodedDotsAsTheParserDecodesThem) {
  // The parser turns %2e%2e, %2E%2E, .%2e, %2e. and ..%2f into ".." and "../" before StaticFiles
  // sees the path: these are the forms that arrive.
  for (const char* decoded : {"/../secret.txt",         // /%2e%2e/secret.txt
                              "/../../secret.txt",      // /%2e%2e%2f%2e%2e%2fsecret.txt
                              "/sub/../../secret.txt",  // /sub/%2E%2E/.%2e/secret.txt
                              "/..",                    // /%2e%2e
                              "/sub/.."}) {             // /sub/..%2f without the slash
    expectRefused(decoded, 400);
  }
}

TEST_P(StaticFilesTest, AttackPercentEncodedDotsLeftUndecodedAreOnlyNames) {
  // Called with an undecoded path (a caller that skipped the parser), "%2e%2e" is a name of six
  // characters; no such file exists, and nothing outside is reached.
  for (const char* raw : {"/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt", "/..%2fsecret.txt",
                          "/%2E%2E/%2E%2E/secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt"}) {
    expectRefused(raw, 404);
  }
}

TEST_P(StaticFilesTest, AttackOverlongUtf8DotsAreOnlyBytes) {
  // %c0%ae is an overlong (invalid) UTF-8 encoding of '.', which some decoders once turned into
  // a dot. Decoded to raw bytes it is no dot for Linux: a name that does not exist.
  expectRefused("/\xc0\xae\xc0\xae/secret.txt", 404);
}

TEST_P(StaticFilesTest, AttackRelativeSymlinkPointingOutside) {
  expectRefused("/link_out_rel", 404);
}

TEST_P(StaticFilesTest, AttackAbsoluteSymlinkPointingOutside) {
  expectRefused("/link_out_abs", 404);
}

TEST_P(StaticFilesTest, AttackSymlinkToADirectoryOutside) {
  expectRefused("/link_dir_out/inner.txt", 404);
  expectRefused("/link_dir_out_abs/inner.txt", 404);
  // Not even the redirect or the index lookup reveal that the link leads to a directory.
  expectRefused("/link_dir_out", 404);
  expectRefused("/link_dir_out/", 404);
}

TEST_P(StaticFilesTest, AttackAbsolutePathAfterDoubleSlash) {
  // "//<absolute path>": the leading slashes are dropped, the rest is looked up under the root.
  expectRefused("/" + tree_.base() + "/secret.txt", 404);
  expectRefused("//etc/passwd", 404);
}

TEST_P(StaticFilesTest, AttackNulInThePath) {
  expectRefused(std::string("/a.txt\0/../../secret.txt", 24), 400);
  expectRefused(std::string("/secret.txt\0", 12), 400);
  expectRefused(std::string("/\0", 2), 400);
}

TEST_P(StaticFilesTest, AttackBackslashes) {
  expectRefused("\\..\\secret.txt", 400);
  expectRefused("/..\\secret.txt", 400);
  expectRefused("/sub\\..\\..\\secret.txt", 400);
  expectRefused("/a.txt\\", 400);
}

/// SIGALRM without SA_RESTART: a blocking open(2) fails with EINTR instead of hanging the test.
void onAlarm(int) {}

TEST_P(StaticFilesTest, AttackFifoInTheRootIsForbiddenAndOpeningItDoesNotBlock) {
  // A FIFO planted in the root: without O_NONBLOCK, opening it for reading waits for a writer,
  // for ever, and the loop thread that called serve() stops serving everyone. The timer
  // interrupts such an open every second, so a regression fails (500 instead of 403) within
  // seconds instead of hanging until ctest's timeout.
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = onAlarm;
  ASSERT_EQ(::sigaction(SIGALRM, &action, &previous), 0);
  itimerval every{{1, 0}, {1, 0}};
  ASSERT_EQ(::setitimer(ITIMER_REAL, &every, nullptr), 0);
  StaticFileResponse response = get("/fifo");
  StaticFileResponse head = files_->serve(makeRequest("HEAD", "/fifo"));
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &previous, nullptr);
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(head.status, 403);
  EXPECT_FALSE(response.file.valid());
}

TEST_P(StaticFilesTest, AttackSymlinkLoopIsNotFound) { expectRefused("/link_loop", 404); }

TEST_P(StaticFilesTest, MalformedPathsAreBadRequests) {
  expectRefused("", 400);
  expectRefused("a.txt", 400);
  expectRefused("*", 400);
}

TEST_P(StaticFilesTest, OverlongPathIsUriTooLong) {
  expectRefused("/" + std::string(StaticFiles::kMaxPathLength, 'a'), 414);
  // At the limit the path is looked up (and its 4094-byte name is too long for any file).
  expectRefused("/" + std::string(StaticFiles::kMaxPathLength - 1, 'a'), 404);
  expectRefused("/" + std::string(300, 'x'), 404);  // one name above NAME_MAX
}

// ---------------------------------------------------------------------------------------------
// Symlinks that stay inside: followed by openat2, refused by the walk.

TEST_P(StaticFilesTest, SymlinkToAFileInsideTheRoot) {
  StaticFileResponse response = get("/link_in");
  if (followsSymlinks()) {
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "hello a\n");
  } else {
    EXPECT_EQ(response.status, 404);
  }
}

TEST_P(StaticFilesTest, SymlinkToADirectoryInsideTheRoot) {
  StaticFileResponse response = get("/link_sub/page.txt");
  EXPECT_EQ(response.status, followsSymlinks() ? 200 : 404);
  EXPECT_EQ(get("/link_sub").status, followsSymlinks() ? 301 : 404);
  EXPECT_EQ(get("/link_sub/").status, followsSymlinks() ? 200 : 404);
}

TEST_P(StaticFilesTest, SymlinkWithDotDotThatStaysInside) {
  StaticFileResponse response = get("/sub/link_up");
  EXPECT_EQ(response.status, followsSymlinks() ? 200 : 404);
  if (followsSymlinks()) {
    EXPECT_EQ(response.body, "hello a\n");
  }
}

TEST_P(StaticFilesTest, AbsoluteSymlinkIsRefusedEvenWhenItPointsInside) {
  // RESOLVE_BENEATH refuses absolute links outright: the tree does not depend on where it is
  // mounted.
  expectRefused("/link_abs_in", 404);
}

}  // namespace
