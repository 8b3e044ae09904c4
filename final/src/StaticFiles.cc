#include "StaticFiles.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "HttpDate.h"
#include "HttpRequest.h"
#include "HttpResponse.h"

namespace net {

namespace {

// A file to serve is opened with O_NONBLOCK so that opening a FIFO does not wait for a writer
// (fifo(7)); it makes no difference to reading a regular file. O_NOCTTY: a terminal device
// never becomes the process's controlling terminal.
constexpr int kReadFlags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
// A directory whose existence is all that matters: O_PATH needs no read permission.
constexpr int kDirectoryFlags = O_PATH | O_DIRECTORY | O_CLOEXEC;

[[noreturn]] void throwErrno(int err, const char* what) {
  throw std::system_error(err, std::generic_category(), what);
}

//! [openat2]
/// openat2(2), which glibc does not wrap. RESOLVE_BENEATH: every step of the walk, ".." and
/// symlink targets included, must stay under `dirfd`; an absolute path or absolute symlink
/// fails with EXDEV. RESOLVE_NO_MAGICLINKS: no /proc/<pid>/fd-style links, which point at open
/// files rather than names.
int openat2Beneath(int dirfd, const char* path, int flags) {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}
//! [openat2]

//! [walk]
/// The fallback for kernels without openat2: one openat() per component, each with O_NOFOLLOW,
/// so no symlink is ever followed. `relative` has no "." or ".." segments (checked before), so
/// every step goes one directory down and the walk cannot leave `root`. Returns the fd or
/// -errno: a symlink gives ENOTDIR in the middle (O_DIRECTORY) and ELOOP at the end.
int walkNoSymlinks(int root, std::string_view relative, int flags) {
  UniqueFd directory;  // the directory reached so far, once below the root
  int current = root;
  while (true) {
    size_t start = relative.find_first_not_of('/');
    if (start == std::string_view::npos) {
      // Nothing left (the root itself, or a trailing slash after the last directory).
      int fd = ::openat(current, ".", flags);
      return fd < 0 ? -errno : fd;
    }
    relative.remove_prefix(start);
    size_t slash = relative.find('/');
    std::string name(relative.substr(0, slash));
    bool last = slash == std::string_view::npos ||
                relative.find_first_not_of('/', slash) == std::string_view::npos;
    if (last) {
      // A trailing slash names a directory, as it does for the kernel's own lookup.
      int extra = slash == std::string_view::npos ? 0 : O_DIRECTORY;
      int fd = ::openat(current, name.c_str(), flags | extra | O_NOFOLLOW);
      return fd < 0 ? -errno : fd;
    }
    int fd = ::openat(current, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -errno;
    directory = UniqueFd(fd);
    current = fd;
    relative.remove_prefix(slash);
  }
}
//! [walk]

/// Whether openat2 works here: ENOSYS before Linux 5.6; EPERM where an older container runtime's
/// seccomp profile refuses system calls it does not know.
bool haveOpenat2(int root) {
  int fd = openat2Beneath(root, ".", kDirectoryFlags);
  if (fd >= 0) {
    ::close(fd);
    return true;
  }
  return errno != ENOSYS && errno != EPERM;
}

//! [checkPath]
enum class PathCheck { kOk, kBad, kTooLong };

/// The checks made before the file system is asked anything. The path is already
/// percent-decoded, so "%2e%2e" arrives here as "..". A client following RFC 3986 section 5.2.4
/// removes dot segments before sending; only an attacker (or a broken client) sends them, so
/// they are refused rather than resolved. NUL would end the string the kernel sees; a backslash
/// is a separator for some other systems and a name character here, so it is refused as
/// ambiguous.
PathCheck checkPath(std::string_view path) {
  if (path.size() > StaticFiles::kMaxPathLength) return PathCheck::kTooLong;
  if (path.empty() || path[0] != '/') return PathCheck::kBad;
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) {
    return PathCheck::kBad;
  }
  for (size_t start = 1; start <= path.size();) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, end - start);
    if (segment == "." || segment == "..") return PathCheck::kBad;
    start = end + 1;
  }
  return PathCheck::kOk;
}
//! [checkPath]

//! [statusForErrno]
/// What a failed open means for the client. Everything that does not lead to a file under the
/// root is 404: missing, a file used as a directory, and also a symlink that leaves the root
/// (EXDEV from openat2, ELOOP or ENOTDIR from the walk). A 403 there would tell a prober that
/// the link exists and where it cannot go. 403 is kept for what exists under the root but may
/// not be served: no permission, a socket or device without a driver (ENXIO).
int statusForErrno(int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case EXDEV:
    case ENAMETOOLONG:  // a component longer than NAME_MAX: no such file can exist (nginx: 404)
      return 404;
    case EACCES:
    case EPERM:
    case ENXIO:
      return 403;
    case EAGAIN:  // openat2 could not rule out a racing rename; or a conflicting file lease
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return 503;  // transient: the same request may succeed later
    default:
      return 500;
  }
}
//! [statusForErrno]

/// A short plain-text page for an error or a redirect.
StaticFileResponse textResponse(int status, bool head) {
  StaticFileResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  std::string body = std::to_string(status) + " " + HttpResponse::reasonPhrase(status) + "\n";
  response.contentLength = body.size();
  if (!head) response.body = std::move(body);
  return response;
}

bool isUnreservedOrPathChar(unsigned char c) {
  // pchar of RFC 3986 section 3.3 (unreserved, sub-delims, ':' and '@'), plus '/'.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

void appendPercentEncoded(std::string* out, unsigned char c) {
  constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

//! [location]
/// The Location of the redirect from "/dir" to "/dir/": the decoded path encoded again (a
/// space, '%', '?', '#' or non-ASCII byte in a name must not change the URI's meaning, nor
/// reach the header raw), and the query as it came. A path-absolute reference: RFC 9110
/// section 10.2.2 allows a relative Location, and it is right behind any proxy (nginx writes
/// an absolute URI unless `absolute_redirect off`).
std::string redirectLocation(std::string_view path, std::string_view query) {
  std::string location;
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (isUnreservedOrPathChar(byte)) {
      location.push_back(c);
    } else {
      appendPercentEncoded(&location, byte);
    }
  }
  location.push_back('/');
  if (!query.empty()) {
    location.push_back('?');
    for (char c : query) {
      auto byte = static_cast<unsigned char>(c);
      // The parser admits only visible ASCII in a target; anything else is encoded, so no
      // caller can put CR or LF into the header.
      if (byte > 0x20 && byte < 0x7f) {
        location.push_back(c);
      } else {
        appendPercentEncoded(&location, byte);
      }
    }
  }
  return location;
}
//! [location]

//! [notModified]
/// Whether a conditional GET or HEAD gets 304 (RFC 9110 section 13.1.3 and 13.2.2). This server
/// sends no ETag, so of If-None-Match only "*" (any current representation) can match; and
/// when If-None-Match is present, If-Modified-Since MUST be ignored. An If-Modified-Since that
/// is not one valid HTTP-date (a repeated field arrives joined with ", " and fails to parse)
/// is ignored too. Otherwise: not modified when the file's date is not later than the date the
/// client has.
bool notModified(time_t lastModified, const HttpRequest& request) {
  std::string ifNoneMatch = request.getHeader("If-None-Match");
  if (!ifNoneMatch.empty()) return ifNoneMatch == "*";
  std::string ifModifiedSince = request.getHeader("If-Modified-Since");
  if (ifModifiedSince.empty()) return false;
  std::optional<time_t> since = parseHttpDate(ifModifiedSince);
  return since && lastModified <= *since;
}
//! [notModified]

/// Reads all `size` bytes (fewer if the file shrank meanwhile) from offset 0.
bool readWhole(int fd, uint64_t size, std::string* out) {
  out->resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out->data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return true;
}

struct ContentType {
  const char* extension;
  const char* type;
};

//! [contentTypes]
// By extension, as nginx's mime.types maps them, with RFC 9239's text/javascript. Text types
// say their charset: without it a browser guesses, and UTF-8 is what files here are written in.
constexpr ContentType kContentTypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},  // UTF-8 by definition; RFC 8259 section 11 defines no charset
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"xml", "text/xml; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},  // WebAssembly.instantiateStreaming() insists on it
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"map", "application/json"},  // source maps
};
//! [contentTypes]

}  // namespace

std::string StaticFileResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::string();
}

const char* StaticFiles::resolverToString(Resolver resolver) {
  switch (resolver) {
    case Resolver::kAuto:
      return "kAuto";
    case Resolver::kOpenat2:
      return "kOpenat2";
    case Resolver::kNoSymlinkWalk:
      return "kNoSymlinkWalk";
  }
  return "unknown resolver";
}

StaticFiles::StaticFiles(const std::string& root, Resolver resolver, size_t inMemoryLimit)
    : root_(::open(root.c_str(), kDirectoryFlags)),
      resolver_(resolver),
      inMemoryLimit_(inMemoryLimit) {
  if (!root_.valid()) throwErrno(errno, "open root directory");
  if (resolver_ != Resolver::kNoSymlinkWalk) {
    bool openat2 = haveOpenat2(root_.get());
    if (resolver_ == Resolver::kOpenat2 && !openat2) throwErrno(ENOSYS, "openat2");
    resolver_ = openat2 ? Resolver::kOpenat2 : Resolver::kNoSymlinkWalk;
  }
}

std::string_view StaticFiles::contentTypeFor(std::string_view fileName) {
  size_t dot = fileName.rfind('.');
  size_t slash = fileName.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string_view extension = fileName.substr(dot + 1);
    for (const ContentType& entry : kContentTypes) {
      if (equalsIgnoreCase(extension, entry.extension)) return entry.type;
    }
  }
  return "application/octet-stream";
}

int StaticFiles::openBeneath(const std::string& relative, int flags) const {
  if (resolver_ == Resolver::kNoSymlinkWalk) return walkNoSymlinks(root_.get(), relative, flags);
  const char* path = relative.empty() ? "." : relative.c_str();
  // EAGAIN: a rename elsewhere raced with a ".." step of a symlink target, and the kernel could
  // not prove the walk stayed beneath (openat2(2)); a retry usually succeeds.
  for (int attempt = 0; attempt < 3; ++attempt) {
    int fd = openat2Beneath(root_.get(), path, flags);
    if (fd >= 0) return fd;
    if (errno != EAGAIN) return -errno;
  }
  return -EAGAIN;
}

//! [serve]
StaticFileResponse StaticFiles::serve(const HttpRequest& request) const {
  const std::string& method = request.method();
  bool head = method == "HEAD";
  if (method != "GET" && !head) {
    StaticFileResponse response = textResponse(405, false);
    response.headers.emplace_back("Allow", "GET, HEAD");  // RFC 9110 15.5.6: a 405 MUST list them
    return response;
  }
  std::string_view path = request.path();
  switch (checkPath(path)) {
    case PathCheck::kTooLong:
      return textResponse(414, head);
    case PathCheck::kBad:
      return textResponse(400, head);
    case PathCheck::kOk:
      break;
  }
  // Relative to the root: leading slashes go ("//etc/passwd" is "etc/passwd" under the root,
  // as nginx's merge_slashes makes it), so the path can never be absolute.
  size_t first = path.find_first_not_of('/');
  std::string relative(first == std::string_view::npos ? "" : path.substr(first));
  if (path.back() == '/') return serveDirectoryIndex(relative, request, head);

  int fd = openBeneath(relative, kReadFlags);
  if (fd < 0) return textResponse(statusForErrno(-fd), head);
  UniqueFd file(fd);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return textResponse(500, head);
  if (S_ISDIR(st.st_mode)) {
    // "/dir" names a directory: send the client to "/dir/", so that relative links in its
    // index.html resolve inside it (nginx does the same).
    StaticFileResponse response = textResponse(301, head);
    response.headers.emplace_back("Location", redirectLocation(path, request.query()));
    return response;
  }
  // A FIFO, socket or device: opened without blocking (O_NONBLOCK), never read.
  if (!S_ISREG(st.st_mode)) return textResponse(403, head);
  return serveRegular(std::move(file), static_cast<uint64_t>(st.st_size), st.st_mtime,
                      path.substr(path.rfind('/') + 1), request, head);
}
//! [serve]

StaticFileResponse StaticFiles::serveDirectoryIndex(const std::string& relative,
                                                    const HttpRequest& request, bool head) const {
  int fd = openBeneath(relative + "index.html", kReadFlags);
  if (fd >= 0) {
    UniqueFd file(fd);
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) return textResponse(500, head);
    // An index.html that is not a regular file is no index at all.
    if (!S_ISREG(st.st_mode)) return textResponse(403, head);
    return serveRegular(std::move(file), static_cast<uint64_t>(st.st_size), st.st_mtime,
                        "index.html", request, head);
  }
  if (-fd != ENOENT) return textResponse(statusForErrno(-fd), head);
  // No index.html: 403 if the directory exists (nginx without autoindex), else 404.
  fd = openBeneath(relative, kDirectoryFlags);
  if (fd < 0) return textResponse(statusForErrno(-fd), head);
  UniqueFd directory(fd);
  return textResponse(403, head);
}

StaticFileResponse StaticFiles::serveRegular(UniqueFd file, uint64_t size, time_t mtime,
                                             std::string_view name, const HttpRequest& request,
                                             bool head) const {
  // RFC 9110 section 8.8.2.1: a Last-Modified later than the response's Date must be replaced
  // by that Date (a clock set wrong when the file was written).
  time_t lastModified = std::min(mtime, ::time(nullptr));
  StaticFileResponse response;
  if (notModified(lastModified, request)) {
    // RFC 9110 section 15.4.5: no body and no content headers; Last-Modified stays, since
    // without an ETag it is what the cache revalidates with.
    response.status = 304;
    response.headers.emplace_back("Last-Modified", formatHttpDate(lastModified));
    return response;
  }
  response.headers.emplace_back("Content-Type", std::string(contentTypeFor(name)));
  response.headers.emplace_back("Last-Modified", formatHttpDate(lastModified));
  response.contentLength = size;
  if (head) return response;  // the same headers as GET; the file is closed unread
  if (size <= inMemoryLimit_) {
    if (!readWhole(file.get(), size, &response.body)) return textResponse(500, head);
    response.contentLength = response.body.size();
  } else {
    response.file = std::move(file);
  }
  return response;
}

}  // namespace net
