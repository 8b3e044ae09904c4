#include "HttpSyntax.h"

#include <algorithm>
#include <limits>

namespace net::syntax {

namespace {

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool isWhitespace(char c) { return c == ' ' || c == '\t'; }

/// The characters of a reg-name (RFC 3986 section 3.2.2): unreserved, sub-delims and the '%' of
/// pct-encoded (whose two hex digits are checked by the caller).
bool isRegNameChar(char c) {
  if (isAlpha(c) || isDigit(c)) return true;
  return std::string_view("-._~!$&'()*+,;=%").find(c) != std::string_view::npos;
}

/// A reg-name or IPv4address: non-empty, reg-name characters, every '%' followed by two HEXDIG.
bool isRegName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!isRegNameChar(s[i])) return false;
    if (s[i] == '%' && (i + 2 >= s.size() || !isHexDigit(s[i + 1]) || !isHexDigit(s[i + 2]))) {
      return false;
    }
  }
  return true;
}

/// quoted-string (RFC 9110 section 5.6.4) starting at s[*i] == '"'; on success *i is past the
/// closing quote.
bool skipQuotedString(std::string_view s, size_t* i) {
  auto isQdtext = [](unsigned char u) {
    return u == '\t' || u == ' ' || u == 0x21 || (u >= 0x23 && u <= 0x5b) ||
           (u >= 0x5d && u <= 0x7e) || u >= 0x80;
  };
  size_t j = *i + 1;
  while (j < s.size()) {
    auto u = static_cast<unsigned char>(s[j]);
    if (u == '"') {
      *i = j + 1;
      return true;
    }
    if (u == '\\') {  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      if (j + 1 >= s.size() || !isFieldValueChar(s[j + 1])) return false;
      j += 2;
    } else if (isQdtext(u)) {
      ++j;
    } else {
      return false;
    }
  }
  return false;  // no closing quote
}

}  // namespace

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool isTchar(char c) {
  if (isDigit(c) || isAlpha(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), isTchar); }

bool isFieldValueChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

bool isTargetChar(char c) { return c > 0x20 && c < 0x7f; }

std::string_view trimOws(std::string_view s) {
  size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  size_t last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool parseDecimal(std::string_view s, uint64_t* value) {
  if (s.empty()) return false;
  uint64_t result = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    auto digit = static_cast<uint64_t>(c - '0');
    if (result > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

bool nextListElement(std::string_view* list, std::string_view* element) {
  if (list->data() == nullptr) return false;  // used up (a default view has no data)
  size_t comma = list->find(',');
  *element = trimOws(list->substr(0, comma));
  if (comma == std::string_view::npos) {
    *list = std::string_view();
  } else {
    list->remove_prefix(comma + 1);
  }
  return true;
}

//! [isChunkExtensions]
bool isChunkExtensions(std::string_view s) {
  size_t i = 0;
  auto skipBws = [&] {
    while (i < s.size() && isWhitespace(s[i])) ++i;
  };
  auto skipToken = [&] {
    size_t start = i;
    while (i < s.size() && isTchar(s[i])) ++i;
    return i > start;
  };
  while (i < s.size()) {
    skipBws();
    if (i == s.size() || s[i] != ';') return false;  // BWS only before ';'
    ++i;
    skipBws();
    if (!skipToken()) return false;  // chunk-ext-name
    size_t afterName = i;
    skipBws();
    if (i < s.size() && s[i] == '=') {
      ++i;
      skipBws();
      bool quoted = i < s.size() && s[i] == '"';
      if (quoted ? !skipQuotedString(s, &i) : !skipToken()) return false;
    } else {
      i = afterName;  // the whitespace belongs to the next ';' (or is an error at the end)
    }
  }
  return true;
}
//! [isChunkExtensions]

bool isAuthority(std::string_view s, bool portRequired) {
  std::string_view rest;
  if (!s.empty() && s[0] == '[') {
    // IP-literal: an IPv6 address (hex digits, ':' and a dotted IPv4 tail) in brackets.
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view inner = s.substr(1, close - 1);
    if (!std::all_of(inner.begin(), inner.end(),
                     [](char c) { return isHexDigit(c) || c == ':' || c == '.'; })) {
      return false;
    }
    rest = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    if (!isRegName(s.substr(0, colon))) return false;
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
  }
  if (rest.empty()) return !portRequired;
  if (rest[0] != ':') return false;
  std::string_view port = rest.substr(1);
  if (port.empty()) return !portRequired;  // port = *DIGIT (RFC 3986 section 3.2.3)
  return std::all_of(port.begin(), port.end(), isDigit);
}

//! [percentDecode]
DecodeResult percentDecode(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || !isHexDigit(in[i + 1]) || !isHexDigit(in[i + 2])) {
      return DecodeResult::kMalformed;
    }
    char c = static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
    if (c == '\0') return DecodeResult::kNulCharacter;
    out->push_back(c);
    i += 2;
  }
  return DecodeResult::kOk;
}
//! [percentDecode]

}  // namespace net::syntax
