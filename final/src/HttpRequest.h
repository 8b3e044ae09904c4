// HttpRequest: one parsed HTTP/1.x request (request line, header fields, body), a value type.
//
// Filled by HttpContext while it parses; read by the HTTP callback. Header names compare
// case-insensitively (RFC 9110 section 5.1), as HTTP requires.
// Thread safety: distinct objects are safe; a shared object is safe to read from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace net {

/// True when `a` and `b` are equal ignoring ASCII case (header names, connection options).
bool equalsIgnoreCase(std::string_view a, std::string_view b);

/// Orders strings ignoring ASCII case: the comparator of HttpRequest::Headers. Transparent, so a
/// lookup by std::string_view does not build a std::string.
struct CaseInsensitiveLess {
  /// Marks the comparator as transparent for heterogeneous lookup.
  using is_transparent = void;
  /// Lexicographic comparison of the lower-cased bytes.
  bool operator()(std::string_view a, std::string_view b) const;
};

/// A request as the parser understood it. The method is kept as sent (methods are case-sensitive
/// tokens, RFC 9110 section 9.1). The target is kept raw (target()) and split into a
/// percent-decoded path and a raw query: the path is decoded once, here, so that routing and the
/// static-file resolver see the same bytes and nothing downstream decodes a second time.
class HttpRequest {
 public:
  /// The protocol versions this server speaks. HTTP/1.2 and later minors are read as 1.1, as RFC
  /// 9110 section 2.5 asks of a recipient.
  enum class Version { kUnknown, kHttp10, kHttp11 };
  /// Header fields by name, case-insensitive; a repeated field's values are joined with ", ".
  using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

  /// "HTTP/1.0", "HTTP/1.1" or "unknown".
  static const char* versionToString(Version version);

  /// The method token, e.g. "GET".
  const std::string& method() const { return method_; }
  /// Sets the method token.
  void setMethod(std::string_view method) { method_.assign(method); }

  /// The request-target exactly as sent: "/a%20b?x=1", "http://host/p" or "*".
  const std::string& target() const { return target_; }
  /// Sets the raw target.
  void setTarget(std::string_view target) { target_.assign(target); }

  /// The target's path, percent-decoded ("/a%20b" gives "/a b", "%2F" gives '/'): "/index.html",
  /// or "*" for "OPTIONS *". For an absolute-form target, the path part of the URI. Never holds a
  /// NUL byte (the parser refuses "%00").
  const std::string& path() const { return path_; }
  /// Sets the (already decoded) path.
  void setPath(std::string_view path) { path_.assign(path); }

  /// The target's query, the part after '?' without the '?' (empty when there is none), raw: not
  /// percent-decoded, because how to split and decode it (form data, '+') is the handler's call.
  const std::string& query() const { return query_; }
  /// Sets the query.
  void setQuery(std::string_view query) { query_.assign(query); }

  /// The effective host (RFC 9112 section 3.3): the authority of an absolute-form target, which
  /// replaces the Host field (section 3.2.2), else the Host field's value; empty for an HTTP/1.0
  /// request without Host. As sent: "example.com:8080" keeps its port and its case.
  const std::string& host() const { return host_; }
  /// Sets the effective host.
  void setHost(std::string_view host) { host_.assign(host); }

  /// The protocol version of the request line.
  Version version() const { return version_; }
  /// Sets the protocol version.
  void setVersion(Version version) { version_ = version; }

  /// Adds a header field. A repeated name is combined into one comma-separated value, which RFC
  /// 9110 section 5.3 says is equivalent for list-valued fields.
  void addHeader(std::string_view name, std::string_view value);
  /// The value of header `name` (any case), or "" when absent.
  std::string getHeader(std::string_view name) const;
  /// True when header `name` (any case) was sent.
  bool hasHeader(std::string_view name) const { return headers_.count(name) != 0; }
  /// All header fields.
  const Headers& headers() const { return headers_; }

  /// Adds a trailer field (a field line after a chunked body, RFC 9112 section 7.1.2). Trailers
  /// are kept apart from the header fields: RFC 9110 section 6.5.1 forbids merging them without
  /// knowing that the field may be sent in a trailer, and a client that could set, say,
  /// Content-Length or Host after the body would be rewriting a request already acted on.
  void addTrailer(std::string_view name, std::string_view value);
  /// The trailer fields of a chunked request (empty for others), repeated names joined like
  /// header fields.
  const Headers& trailers() const { return trailers_; }

  /// The body: the Content-Length bytes, or the chunked body with its framing removed (chunk sizes,
  /// extensions and trailers gone). Empty when the request had none.
  const std::string& body() const { return body_; }
  /// Appends `len` bytes to the body.
  void appendBody(const char* data, size_t len) { body_.append(data, len); }

  /// Whether the connection stays open after the response, by RFC 9112 section 9.3: a "close"
  /// connection option always closes; otherwise HTTP/1.1 persists, and HTTP/1.0 persists only with
  /// the "keep-alive" option.
  bool keepAlive() const;

  /// Forgets everything, ready for the next request on the connection.
  void clear();

 private:
  std::string method_;
  std::string target_;
  std::string path_;
  std::string query_;
  std::string host_;
  Version version_ = Version::kUnknown;
  Headers headers_;
  Headers trailers_;
  std::string body_;
};

}  // namespace net
