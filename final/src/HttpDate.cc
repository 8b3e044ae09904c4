#include "HttpDate.h"

#include <algorithm>
#include <cstring>

namespace net {

namespace {

// Case-sensitive, as RFC 9110 section 5.6.7 spells them (%s"Sun" and so on).
constexpr const char* kDayNames[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kLongDayNames[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
constexpr const char* kMonthNames[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The range a four-digit year can show: 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
constexpr time_t kMinTime = -62167219200;
constexpr time_t kMaxTime = 253402300799;

void putDigits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

//! [format]
/// Writes the kHttpDateLength characters of `t`'s IMF-fixdate to `out`.
void formatInto(time_t t, char* out) {
  t = std::clamp(t, kMinTime, kMaxTime);
  struct tm tm {};
  ::gmtime_r(&t, &tm);  // UTC fields whatever TZ says; no locale is consulted
  std::memcpy(out, kDayNames[tm.tm_wday], 3);
  std::memcpy(out + 3, ", ", 2);
  putDigits(out + 5, tm.tm_mday, 2);
  out[7] = ' ';
  std::memcpy(out + 8, kMonthNames[tm.tm_mon], 3);
  out[11] = ' ';
  putDigits(out + 12, tm.tm_year + 1900, 4);
  out[16] = ' ';
  putDigits(out + 17, tm.tm_hour, 2);
  out[19] = ':';
  putDigits(out + 20, tm.tm_min, 2);
  out[22] = ':';
  putDigits(out + 23, tm.tm_sec, 2);
  std::memcpy(out + 25, " GMT", 4);
}
//! [format]

/// The fields of a date as parsed, before they are checked and converted.
struct Fields {
  int year = 0;
  int month = 0;  // 0..11
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

/// Reads a date from left to right; every method consumes input only when it matches.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool atEnd() const { return text_.empty(); }

  bool literal(std::string_view expected) {
    if (text_.substr(0, expected.size()) != expected) return false;
    text_.remove_prefix(expected.size());
    return true;
  }

  /// Exactly `count` decimal digits.
  bool digits(int count, int* value) {
    if (text_.size() < static_cast<size_t>(count)) return false;
    int result = 0;
    for (int i = 0; i < count; ++i) {
      char c = text_[static_cast<size_t>(i)];
      if (c < '0' || c > '9') return false;
      result = result * 10 + (c - '0');
    }
    text_.remove_prefix(static_cast<size_t>(count));
    *value = result;
    return true;
  }

  /// One of `names` (none is a prefix of another); its index, or -1.
  template <size_t N>
  int oneOf(const char* const (&names)[N]) {
    for (size_t i = 0; i < N; ++i) {
      if (literal(names[i])) return static_cast<int>(i);
    }
    return -1;
  }

  bool month(Fields* fields) {
    fields->month = oneOf(kMonthNames);
    return fields->month >= 0;
  }

  /// time-of-day = hour ":" minute ":" second, two digits each.
  bool timeOfDay(Fields* fields) {
    return digits(2, &fields->hour) && literal(":") && digits(2, &fields->minute) && literal(":") &&
           digits(2, &fields->second);
  }

 private:
  std::string_view text_;
};

bool isLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int daysInMonth(int year, int month) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 1 && isLeapYear(year) ? 29 : kDays[month];
}

/// Checks the ranges (RFC 9110 section 5.6.7: second 60 is a leap second) and converts.
std::optional<time_t> toTime(const Fields& f) {
  if (f.day < 1 || f.day > daysInMonth(f.year, f.month) || f.hour > 23 || f.minute > 59 ||
      f.second > 60) {
    return std::nullopt;
  }
  struct tm tm {};
  tm.tm_year = f.year - 1900;
  tm.tm_mon = f.month;
  tm.tm_mday = f.day;
  tm.tm_hour = f.hour;
  tm.tm_min = f.minute;
  tm.tm_sec = f.second;  // 60 becomes the first second of the next minute
  return ::timegm(&tm);  // UTC, whatever TZ says
}

// IMF-fixdate = day-name "," SP day SP month SP year SP time-of-day SP "GMT"
std::optional<time_t> parseImfFixdate(std::string_view text) {
  Cursor in(text);
  Fields f;
  if (in.oneOf(kDayNames) >= 0 && in.literal(", ") && in.digits(2, &f.day) && in.literal(" ") &&
      in.month(&f) && in.literal(" ") && in.digits(4, &f.year) && in.literal(" ") &&
      in.timeOfDay(&f) && in.literal(" GMT") && in.atEnd()) {
    return toTime(f);
  }
  return std::nullopt;
}

// rfc850-date = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"
std::optional<time_t> parseRfc850(std::string_view text) {
  Cursor in(text);
  Fields f;
  int shortYear = 0;
  if (!(in.oneOf(kLongDayNames) >= 0 && in.literal(", ") && in.digits(2, &f.day) &&
        in.literal("-") && in.month(&f) && in.literal("-") && in.digits(2, &shortYear) &&
        in.literal(" ") && in.timeOfDay(&f) && in.literal(" GMT") && in.atEnd())) {
    return std::nullopt;
  }
  // RFC 9110 section 5.6.7: a two-digit year that appears to be more than 50 years in the
  // future is the most recent past year with the same last two digits.
  time_t now = ::time(nullptr);
  struct tm today {};
  ::gmtime_r(&now, &today);
  int thisYear = today.tm_year + 1900;
  f.year = thisYear - thisYear % 100 + shortYear;
  if (f.year > thisYear + 50) f.year -= 100;
  return toTime(f);
}

// asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year
std::optional<time_t> parseAsctime(std::string_view text) {
  Cursor in(text);
  Fields f;
  if (!(in.oneOf(kDayNames) >= 0 && in.literal(" ") && in.month(&f) && in.literal(" "))) {
    return std::nullopt;
  }
  bool day = (in.literal(" ") && in.digits(1, &f.day)) || in.digits(2, &f.day);
  if (day && in.literal(" ") && in.timeOfDay(&f) && in.literal(" ") && in.digits(4, &f.year) &&
      in.atEnd()) {
    return toTime(f);
  }
  return std::nullopt;
}

}  // namespace

//! [httpDateNow]
std::string_view httpDateNow() {
  // One cache per thread: no lock, and no thread ever reads text another is rewriting. The
  // sentinel is no second time() can return, so the first call always formats.
  thread_local time_t cachedSecond = kMinTime - 1;
  thread_local char cached[kHttpDateLength];
  time_t now = ::time(nullptr);
  if (now != cachedSecond) {
    formatInto(now, cached);
    cachedSecond = now;
  }
  return {cached, kHttpDateLength};
}
//! [httpDateNow]

std::string formatHttpDate(time_t t) {
  std::string text(kHttpDateLength, '\0');
  formatInto(t, text.data());
  return text;
}

std::optional<time_t> parseHttpDate(std::string_view text) {
  // Each form is recognised by its whole shape; at most one can match a given text.
  if (auto t = parseImfFixdate(text)) return t;
  if (auto t = parseRfc850(text)) return t;
  return parseAsctime(text);
}

}  // namespace net
