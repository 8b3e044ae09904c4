// StaticFiles: maps a request path to a file under one directory, the way nginx's `root` and
// `index` directives do, without any way out of that directory.
//
// The root is opened once, as an O_PATH directory fd; every request is resolved relative to it
// by the kernel with openat2(2) and RESOLVE_BENEATH, which refuses, during the walk itself,
// every ".." or symbolic link that would leave the root. Where openat2 is missing (Linux before
// 5.6, or a seccomp filter that refuses it), a component-by-component walk with O_NOFOLLOW
// takes its place, which refuses every symbolic link. Before the file system is touched at all,
// paths that no well-behaved client sends (dot segments, NUL, backslashes, no leading '/', too
// long) are refused with 400 or 414.
// The answer carries the status and headers, and either a small body in memory or the open file
// to stream (see FileSender).
// Owns: the root directory fd. Thread safety: serve() is const and uses only that fd, so one
// StaticFiles may serve every loop thread at once. [any thread]
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "UniqueFd.h"

namespace net {

class HttpRequest;

/// What StaticFiles::serve() decided for one request. Exactly one of three payloads: the body in
/// `body`, the open file in `file` (GET of a file larger than the in-memory limit), or none
/// (HEAD, 304). `contentLength` is the Content-Length to announce in every case but 304, also
/// for HEAD, where it is the length GET would send (RFC 9110 section 9.3.2).
struct StaticFileResponse {
  /// 200, 301, 304, 400, 403, 404, 405, 414, or 5xx for a server-side failure.
  int status = 200;
  /// Content-Type, Last-Modified, Location, Allow, in that order where they apply. The framing
  /// headers (Content-Length, Connection) and Date are the server's.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The whole body when it is held in memory (error pages, files up to the in-memory limit).
  std::string body;
  /// The file to stream when it is too large for `body`: open for reading, positioned nowhere
  /// (read it with pread from offset 0). Invalid otherwise.
  UniqueFd file;
  /// The body's length: body.size(), or the file's size when `file` is set, or the length GET
  /// would have sent (HEAD).
  uint64_t contentLength = 0;

  /// The value of header `name` (exact case, as StaticFiles writes it), or "" when absent.
  std::string header(std::string_view name) const;
};

/// Serves the files under one directory. See the file comment for the resolution rules.
class StaticFiles {
 public:
  /// How a path is resolved under the root.
  enum class Resolver {
    kAuto,     ///< openat2 when the kernel has it, else the walk (decided once, at construction)
    kOpenat2,  ///< openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: symlinks that stay
               ///< under the root are followed; absolute ones and those that leave are refused
    kNoSymlinkWalk,  ///< one openat(O_NOFOLLOW) per component: every symlink is refused
  };
  /// The name of a Resolver value, e.g. "kOpenat2".
  static const char* resolverToString(Resolver resolver);

  /// Files up to this size are read into the response body, so a small response leaves in one
  /// write with its headers; larger ones are streamed.
  static constexpr size_t kDefaultInMemoryLimit = 64 * 1024;
  /// The longest decoded path accepted (PATH_MAX less its NUL); longer ones get 414.
  static constexpr size_t kMaxPathLength = 4095;

  /// Opens `root` (O_PATH | O_DIRECTORY | O_CLOEXEC). Throws std::system_error when it cannot be
  /// opened or is not a directory (ENOTDIR), and with ENOSYS when kOpenat2 is asked for on a
  /// kernel without it. [any thread]
  explicit StaticFiles(const std::string& root, Resolver resolver = Resolver::kAuto,
                       size_t inMemoryLimit = kDefaultInMemoryLimit);

  /// The answer to `request`: method() (GET, HEAD; others 405), path() (percent-DECODED, as
  /// HttpContext delivers it), query() (kept in a redirect's Location), and the
  /// If-Modified-Since and If-None-Match headers. Blocks only as long as open(2), fstat(2) and,
  /// for a small file, one read take on a local disk. Never throws for bad input. [any thread]
  StaticFileResponse serve(const HttpRequest& request) const;

  /// The resolver in use (kAuto has been decided by now). [any thread]
  Resolver resolver() const { return resolver_; }

  /// The Content-Type for a file name, by its extension (ASCII case ignored); text types carry
  /// "; charset=utf-8"; "application/octet-stream" when the extension is unknown. [any thread]
  static std::string_view contentTypeFor(std::string_view fileName);

 private:
  StaticFileResponse serveDirectoryIndex(const std::string& relative, const HttpRequest& request,
                                         bool head) const;
  StaticFileResponse serveRegular(UniqueFd file, uint64_t size, time_t mtime, std::string_view name,
                                  const HttpRequest& request, bool head) const;
  int openBeneath(const std::string& relative, int flags) const;

  UniqueFd root_;
  Resolver resolver_;
  size_t inMemoryLimit_;
};

}  // namespace net
