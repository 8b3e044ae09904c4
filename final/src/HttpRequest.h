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
/// tokens, RFC 9110 section 9.1); the target is split into path and query but not percent-decoded,
/// so the handler decides how to interpret it.
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

  /// The target's path: "/index.html", or "*" for "OPTIONS *". Not percent-decoded.
  const std::string& path() const { return path_; }
  /// Sets the path.
  void setPath(std::string_view path) { path_.assign(path); }

  /// The target's query, the part after '?' without the '?' (empty when there is none).
  const std::string& query() const { return query_; }
  /// Sets the query.
  void setQuery(std::string_view query) { query_.assign(query); }

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

  /// The body (Content-Length bytes; empty when the request had none).
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
  std::string path_;
  std::string query_;
  Version version_ = Version::kUnknown;
  Headers headers_;
  std::string body_;
};

}  // namespace net
