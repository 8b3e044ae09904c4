// HttpDate: HTTP's date format (RFC 9110 section 5.6.7), written and read by hand.
//
// HTTP dates are always in English and always in GMT, so they are formatted and parsed here
// without strftime/strptime, whose day and month names follow the process locale. A server
// sends the preferred form, IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"); a recipient must
// also accept the two obsolete forms, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and C's
// asctime ("Sun Nov  6 08:49:37 1994").
// Thread safety: every function may be called from any thread; httpDateNow() keeps one cache
// per thread.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace net {

/// Length of an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr size_t kHttpDateLength = 29;

/// The current time as an IMF-fixdate, for the Date header of every response. Formatted at most
/// once per second per thread: a thread-local cache holds the text of the second it was last
/// formatted for, so a server answering thousands of requests a second formats the date once.
/// The view points into that thread-local buffer: it stays valid (and unchanged) until the next
/// call on the same thread, which may overwrite it; copy it to keep it longer. Never pass it to
/// another thread. [any thread]
std::string_view httpDateNow();

/// `t` (seconds since the epoch) as an IMF-fixdate. Times before year 0 or after 9999 are
/// clamped to the first or last second of that range, which the format's four-digit year can
/// show (a file's mtime can be set to anything). [any thread]
std::string formatHttpDate(time_t t);

/// The time an HTTP date names, in any of the three forms of RFC 9110 section 5.6.7, or nothing
/// when `text` is not exactly one of them: wrong case in a day or month name ("sun", "NOV"),
/// a day that the month does not have, an hour above 23, a minute above 59, a second above 60
/// (60 is a leap second), and any leading or trailing character are all refused. The day name
/// must be a valid name but is not checked against the date (as most recipients do). A
/// two-digit RFC 850 year is read as the most recent such year not more than 50 years in the
/// future, as the RFC asks. [any thread]
std::optional<time_t> parseHttpDate(std::string_view text);

}  // namespace net
