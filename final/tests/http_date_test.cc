// HTTP dates (RFC 9110 section 5.6.7): formatting as IMF-fixdate, the three accepted forms of
// the RFC's own example, round trips over a wide range of times, strict refusal of everything
// else (wrong names and case, out-of-range fields, trailing or leading junk), and the per-thread
// cache of httpDateNow(). THREADED: one test reads the cache from a second thread.
#include "HttpDate.h"

#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <thread>
#include <vector>

using namespace net;

namespace {

// RFC 9110 section 5.6.7's example: Sun, 06 Nov 1994 08:49:37 GMT.
constexpr time_t kRfcExample = 784111777;

TEST(HttpDate, FormatsTheRfcExampleAsImfFixdate) {
  EXPECT_EQ(formatHttpDate(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDate, FormatsEpochLeapDayAndTimesBeforeTheEpoch) {
  EXPECT_EQ(formatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(formatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(formatHttpDate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(formatHttpDate(4133980799), "Fri, 31 Dec 2100 23:59:59 GMT");
}

TEST(HttpDate, ClampsTimesOutsideFourDigitYears) {
  EXPECT_EQ(formatHttpDate(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(formatHttpDate(253402300800), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(formatHttpDate(-62167219200), "Sat, 01 Jan 0000 00:00:00 GMT");
  EXPECT_EQ(formatHttpDate(-62167219201), "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(HttpDate, ParsesAllThreeFormsOfTheRfcExample) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);   // IMF-fixdate
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);  // RFC 850
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), kRfcExample);        // asctime
}

TEST(HttpDate, AsctimeTakesATwoDigitDayToo) {
  EXPECT_EQ(parseHttpDate("Wed Nov 16 08:49:37 1994"), kRfcExample + 10 * 86400);
  EXPECT_EQ(parseHttpDate("Sun Nov 06 08:49:37 1994"), kRfcExample);
}

TEST(HttpDate, Rfc850YearMoreThanFiftyYearsAheadIsInThePastCentury) {
  time_t now = std::time(nullptr);
  struct tm today {};
  gmtime_r(&now, &today);
  int year = today.tm_year + 1900;
  auto shortYear = [](int y) {
    std::string two = std::to_string(y % 100);
    return two.size() == 1 ? "0" + two : two;
  };
  auto yearOf = [](time_t t) {
    struct tm tm {};
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
  };
  // Day names are not checked against the date, so any valid long name does.
  auto nearFuture = parseHttpDate("Monday, 01-Jan-" + shortYear(year + 10) + " 00:00:00 GMT");
  ASSERT_TRUE(nearFuture);
  EXPECT_EQ(yearOf(*nearFuture), year + 10);
  auto farFuture = parseHttpDate("Monday, 01-Jan-" + shortYear(year + 51) + " 00:00:00 GMT");
  ASSERT_TRUE(farFuture);
  EXPECT_EQ(yearOf(*farFuture), year + 51 - 100);
}

TEST(HttpDate, LeapSecondIsTheFirstSecondOfTheNextMinute) {
  EXPECT_EQ(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT"), 1483228800);
}

TEST(HttpDate, LeapDayOnlyInLeapYears) {
  EXPECT_EQ(parseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
  EXPECT_FALSE(parseHttpDate("Thu, 29 Feb 1900 00:00:00 GMT"));  // divisible by 100, not 400
  EXPECT_FALSE(parseHttpDate("Sun, 29 Feb 2023 00:00:00 GMT"));
}

TEST(HttpDate, RoundTripsOverFourCenturies) {
  // A step that is prime in seconds visits every time of day and every day of the month.
  int checked = 0;
  for (time_t t = -2208988800; t < 10413792000; t += 7919 * 613) {
    std::string text = formatHttpDate(t);
    ASSERT_EQ(parseHttpDate(text), t) << text;
    ++checked;
  }
  EXPECT_GT(checked, 2000);
}

TEST(HttpDate, RoundTripsTheEdgesOfTheFormat) {
  for (time_t t : {time_t{-62167219200}, time_t{-1}, time_t{0}, time_t{253402300799}}) {
    EXPECT_EQ(parseHttpDate(formatHttpDate(t)), t) << formatHttpDate(t);
  }
}

TEST(HttpDate, DayNameIsNotCheckedAgainstTheDate) {
  // A valid name on the wrong day: accepted, as curl and nginx accept it (nginx skips the name).
  EXPECT_EQ(parseHttpDate("Mon, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
}

class HttpDateInvalid : public ::testing::TestWithParam<const char*> {};

TEST_P(HttpDateInvalid, IsRefused) { EXPECT_FALSE(parseHttpDate(GetParam())) << GetParam(); }

INSTANTIATE_TEST_SUITE_P(
    BadNames, HttpDateInvalid,
    ::testing::Values("Sux, 06 Nov 1994 08:49:37 GMT",      // no such day
                      "sun, 06 Nov 1994 08:49:37 GMT",      // day names are case-sensitive
                      "SUN, 06 Nov 1994 08:49:37 GMT",      //
                      "Sunday, 06 Nov 1994 08:49:37 GMT",   // long name in IMF-fixdate
                      "Sun, 06-Nov-94 08:49:37 GMT",        // short name in RFC 850
                      "Sonday, 06-Nov-94 08:49:37 GMT",     // no such long name
                      "Sun, 06 nov 1994 08:49:37 GMT",      // month names are case-sensitive
                      "Sun, 06 NOV 1994 08:49:37 GMT",      //
                      "Sun, 06 Nev 1994 08:49:37 GMT",      // no such month
                      "Sun, 06 November 1994 08:49:37 GMT"  // long month name
                      ));

INSTANTIATE_TEST_SUITE_P(OutOfRange, HttpDateInvalid,
                         ::testing::Values("Sun, 00 Nov 1994 08:49:37 GMT",  // day 0
                                           "Sun, 31 Nov 1994 08:49:37 GMT",  // November has 30 days
                                           "Sun, 32 Dec 1994 08:49:37 GMT",  //
                                           "Sun, 06 Nov 1994 24:00:00 GMT",  // hour 24
                                           "Sun, 06 Nov 1994 23:60:00 GMT",  // minute 60
                                           "Sun, 06 Nov 1994 23:59:61 GMT",  // second 61
                                           "Sunday, 31-Apr-94 08:49:37 GMT",  // April has 30 days
                                           "Sun Nov 31 08:49:37 1994",        //
                                           "Sun Nov  0 08:49:37 1994"         //
                                           ));

INSTANTIATE_TEST_SUITE_P(
    Shape, HttpDateInvalid,
    ::testing::Values("",                                //
                      "Sun, 06 Nov 1994 08:49:37 GMT ",  // trailing space
                      "Sun, 06 Nov 1994 08:49:37 GMTx",  // trailing junk
                      "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",  // a list
                      " Sun, 06 Nov 1994 08:49:37 GMT",    // leading space
                      "Sun, 06 Nov 1994 08:49:37 UTC",     // only GMT
                      "Sun, 06 Nov 1994 08:49:37 gmt",     //
                      "Sun, 06 Nov 1994 08:49:37 +0000",   //
                      "Sun, 06 Nov 1994 08:49:37",         // no zone
                      "Sun, 6 Nov 1994 08:49:37 GMT",      // one-digit day
                      "Sun, 06 Nov 94 08:49:37 GMT",       // two-digit year in IMF-fixdate
                      "Sun, 06 Nov 01994 08:49:37 GMT",    // five-digit year
                      "Sun,  06 Nov 1994 08:49:37 GMT",    // two spaces
                      "Sun,06 Nov 1994 08:49:37 GMT",      // no space
                      "Sun, 06 Nov 1994 8:49:37 GMT",      // one-digit hour
                      "Sun, 06 Nov 1994 08:49 GMT",        // no seconds
                      "Sun, 06 Nov 1994 08-49-37 GMT",     //
                      "Sun,\t06 Nov 1994 08:49:37 GMT",    // tab
                      "Sun, 0a Nov 1994 08:49:37 GMT",     // not a digit
                      "Sun, +6 Nov 1994 08:49:37 GMT",     //
                      "Sunday, 06-Nov-1994 08:49:37 GMT",  // four-digit year in RFC 850
                      "Sunday, 06 Nov 94 08:49:37 GMT",    //
                      "Sun Nov 6 08:49:37 1994",           // asctime day without its space
                      "Sun Nov  6 08:49:37 1994 GMT",      // asctime has no zone
                      "Sun Nov  6 08:49:37 94",            //
                      "Sun, Nov  6 08:49:37 1994",         //
                      "1994-11-06T08:49:37Z",              // ISO 8601 is not HTTP
                      "784111777"                          //
                      ));

TEST(HttpDate, EveryTruncationOfAValidDateIsRefused) {
  for (std::string valid : {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                            "Sun Nov  6 08:49:37 1994"}) {
    for (size_t n = 0; n < valid.size(); ++n) {
      EXPECT_FALSE(parseHttpDate(valid.substr(0, n))) << valid.substr(0, n);
    }
  }
}

TEST(HttpDate, EmbeddedNulIsRefused) {
  std::string withNul("Sun, 06 Nov 1994 08:49:37 GMT\0", 30);
  EXPECT_FALSE(parseHttpDate(withNul));
  withNul[10] = '\0';
  EXPECT_FALSE(parseHttpDate(withNul.substr(0, 29)));
}

TEST(HttpDateNow, IsTheCurrentSecond) {
  // The second may change between the calls: retry until one attempt sees a single second.
  for (int attempt = 0; attempt < 5; ++attempt) {
    time_t before = std::time(nullptr);
    std::string now(httpDateNow());
    time_t after = std::time(nullptr);
    if (before != after) continue;
    EXPECT_EQ(now, formatHttpDate(before));
    return;
  }
  FAIL() << "the clock changed second during every attempt";
}

TEST(HttpDateNow, RepeatedCallsReturnTheSameThreadLocalText) {
  std::string_view first = httpDateNow();
  std::string copy(first);
  std::string_view second = httpDateNow();
  EXPECT_EQ(first.data(), second.data()) << "one buffer per thread, rewritten in place";
  EXPECT_EQ(second.size(), kHttpDateLength);
  // Within one second the text is unchanged; across a second boundary it is the next second.
  auto a = parseHttpDate(copy);
  auto b = parseHttpDate(second);
  ASSERT_TRUE(a && b);
  EXPECT_LE(*b - *a, 1);
  EXPECT_GE(*b, *a);
}

TEST(HttpDateNow, EachThreadHasItsOwnCache) {
  const char* mine = httpDateNow().data();
  const char* theirs = nullptr;
  std::string theirText;
  std::thread other([&] {
    std::string_view view = httpDateNow();
    theirs = view.data();
    theirText = std::string(view);
  });
  other.join();
  EXPECT_NE(mine, theirs);
  EXPECT_TRUE(parseHttpDate(theirText)) << theirText;
}

}  // namespace
