// HttpSyntax: the small grammars of HTTP/1.1 that the request parser checks, as free functions.
//
// Each function implements one ABNF rule of RFC 9110 (semantics), RFC 9112 (HTTP/1.1 messages) or
// RFC 3986 (URIs) and says which. They are strict on purpose: where two parsers of the same bytes
// disagree (a proxy and this server), a request can be smuggled past the first one (RFC 9112
// section 11.2), so nothing outside the grammar is accepted "to be nice".
// Thread safety: pure functions, callable from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace net::syntax {

/// DIGIT of RFC 5234: '0' to '9'.
bool isDigit(char c);

/// HEXDIG of RFC 5234, either case (RFC 9112 section 7.1 chunk-size is 1*HEXDIG).
bool isHexDigit(char c);

/// tchar of RFC 9110 section 5.6.2: the characters of a method, a field name or a coding name.
bool isTchar(char c);

/// token = 1*tchar (RFC 9110 section 5.6.2).
bool isToken(std::string_view s);

/// A field value may hold HTAB, SP, visible ASCII and obs-text (bytes >= 0x80), but no other
/// control character: RFC 9110 section 5.5 (CR, LF and NUL "MUST" be rejected or replaced).
bool isFieldValueChar(char c);

/// A request-target is visible ASCII only: anything else must be percent-encoded (RFC 3986 2.1).
bool isTargetChar(char c);

/// `s` without leading and trailing OWS (SP and HTAB, RFC 9110 section 5.6.3).
std::string_view trimOws(std::string_view s);

/// Parses 1*DIGIT into `*value`; false when empty, not all digits, or too large for uint64_t. The
/// grammar of Content-Length (RFC 9110 section 8.6): no sign, no spaces, no hex.
bool parseDecimal(std::string_view s, uint64_t* value);

/// Takes the next element of a comma-separated list (RFC 9110 section 5.6.1) off the front of
/// `*list` into `*element`, OWS-trimmed. Returns false once the list is used up (`*list` is then a
/// default-constructed view; start with a view of a field value). Empty elements ("a, , b", and
/// the one element of an empty value) come out as empty strings; the caller decides whether to
/// skip them.
bool nextListElement(std::string_view* list, std::string_view* element);

/// chunk-ext of RFC 9112 section 7.1.1: *( BWS ";" BWS name [ BWS "=" BWS ( token /
/// quoted-string ) ] ), the text after a chunk's size. True for the empty string. Whitespace is
/// only allowed next to ';' and '=', so "5 " (a size with trailing space) is refused.
bool isChunkExtensions(std::string_view s);

/// authority = host [ ":" port ] of RFC 3986 section 3.2 without userinfo (RFC 9110 section
/// 4.2.4 says a recipient SHOULD treat userinfo in an http URI as an error): a non-empty reg-name
/// or IPv4 address, or an IP-literal in brackets, then an optional ":" *DIGIT. With `portRequired`
/// (the authority-form of CONNECT, RFC 9112 section 3.2.3) the port must be present and non-empty.
bool isAuthority(std::string_view s, bool portRequired);

/// The result of percentDecode().
enum class DecodeResult {
  kOk,            ///< `*out` holds the decoded bytes
  kMalformed,     ///< a '%' not followed by two hex digits ("%G1", "%4" at the end)
  kNulCharacter,  ///< "%00": a NUL would cut the path short in any C string API below
};

/// Decodes the %XX escapes of `in` (RFC 3986 section 2.1) into `*out`, once. Every escape is
/// decoded, "%2F" included; '+' stays '+' (it means a space only in HTML form data).
DecodeResult percentDecode(std::string_view in, std::string* out);

}  // namespace net::syntax
