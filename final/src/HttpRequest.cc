#include "HttpRequest.h"

#include <algorithm>

namespace net {

namespace {

char toLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

/// True when the comma-separated list `value` holds `option` (case-insensitive, OWS trimmed): the
/// Connection field is such a list of options (RFC 9110 section 7.6.1).
bool hasListOption(std::string_view value, std::string_view option) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    size_t first = item.find_first_not_of(" \t");
    size_t last = item.find_last_not_of(" \t");
    if (first != std::string_view::npos &&
        equalsIgnoreCase(item.substr(first, last - first + 1), option)) {
      return true;
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

/// Adds a field to a header or trailer map; a repeated name is appended to the first's value.
void addField(HttpRequest::Headers* fields, std::string_view name, std::string_view value) {
  auto it = fields->find(name);
  if (it == fields->end()) {
    fields->emplace(std::string(name), std::string(value));
  } else {
    it->second.append(", ").append(value);
  }
}

}  // namespace

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return toLowerAscii(x) == toLowerAscii(y);
         });
}

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return toLowerAscii(x) < toLowerAscii(y);
  });
}

const char* HttpRequest::versionToString(Version version) {
  switch (version) {
    case Version::kHttp10:
      return "HTTP/1.0";
    case Version::kHttp11:
      return "HTTP/1.1";
    case Version::kUnknown:
      break;
  }
  return "unknown";
}

void HttpRequest::addHeader(std::string_view name, std::string_view value) {
  addField(&headers_, name, value);
}

void HttpRequest::addTrailer(std::string_view name, std::string_view value) {
  addField(&trailers_, name, value);
}

std::string HttpRequest::getHeader(std::string_view name) const {
  auto it = headers_.find(name);
  return it == headers_.end() ? std::string() : it->second;
}

bool HttpRequest::keepAlive() const {
  auto connection = headers_.find(std::string_view("Connection"));
  std::string_view options;
  if (connection != headers_.end()) options = connection->second;
  if (hasListOption(options, "close")) return false;
  if (version_ == Version::kHttp11) return true;
  return version_ == Version::kHttp10 && hasListOption(options, "keep-alive");
}

void HttpRequest::clear() {
  method_.clear();
  target_.clear();
  path_.clear();
  query_.clear();
  host_.clear();
  version_ = Version::kUnknown;
  headers_.clear();
  trailers_.clear();
  body_.clear();
}

}  // namespace net
