// /stats and /stats.html of the http_server program: the JSON is valid and its counts follow
// connections as they open and close, per loop (round robin over the sub loops); the page,
// loaded in headless Chromium, fills in what it fetched from /stats.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "HttpTestUtil.h"

using namespace net;
using namespace net::test;

namespace {

/// A JSON value, enough of JSON for /stats: objects, arrays, numbers, strings, true/false/null.
struct Json {
  std::variant<std::nullptr_t, bool, double, std::string, std::vector<Json>,
               std::map<std::string, Json>>
      value;

  const Json& operator[](const std::string& key) const {
    static const Json missing;
    const auto* object = std::get_if<std::map<std::string, Json>>(&value);
    if (object == nullptr) return missing;
    auto it = object->find(key);
    return it == object->end() ? missing : it->second;
  }
  const std::vector<Json>& array() const {
    static const std::vector<Json> empty;
    const auto* a = std::get_if<std::vector<Json>>(&value);
    return a ? *a : empty;
  }
  double number() const {
    const auto* d = std::get_if<double>(&value);
    return d ? *d : -1;
  }
  std::string string() const {
    const auto* s = std::get_if<std::string>(&value);
    return s ? *s : "";
  }
};

/// A strict recursive-descent reader for RFC 8259 JSON (no escapes beyond \" and \\, which is
/// all /stats could need); nothing when the text is not one valid value.
class JsonReader {
 public:
  static std::optional<Json> parse(const std::string& text) {
    JsonReader reader(text);
    Json json;
    if (!reader.value(&json)) return std::nullopt;
    reader.space();
    if (reader.pos_ != text.size()) return std::nullopt;
    return json;
  }

 private:
  explicit JsonReader(const std::string& text) : text_(text) {}

  void space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool literal(const std::string& word) {
    if (text_.compare(pos_, word.size(), word) != 0) return false;
    pos_ += word.size();
    return true;
  }
  bool str(std::string* out) {
    if (!eat('"')) return false;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') ++pos_;
      if (pos_ >= text_.size() || static_cast<unsigned char>(text_[pos_]) < 0x20) return false;
      out->push_back(text_[pos_++]);
    }
    return eat('"');
  }
  bool value(Json* out) {
    space();
    if (pos_ >= text_.size()) return false;
    char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      std::map<std::string, Json> object;
      if (!eat('}')) {
        do {
          std::string key;
          Json member;
          if (!str(&key) || !eat(':') || !value(&member)) return false;
          object[key] = std::move(member);
        } while (eat(','));
        if (!eat('}')) return false;
      }
      out->value = std::move(object);
    } else if (c == '[') {
      ++pos_;
      std::vector<Json> array;
      if (!eat(']')) {
        do {
          Json element;
          if (!value(&element)) return false;
          array.push_back(std::move(element));
        } while (eat(','));
        if (!eat(']')) return false;
      }
      out->value = std::move(array);
    } else if (c == '"') {
      std::string s;
      if (!str(&s)) return false;
      out->value = std::move(s);
    } else if (literal("true")) {
      out->value = true;
    } else if (literal("false")) {
      out->value = false;
    } else if (literal("null")) {
      out->value = nullptr;
    } else {
      size_t start = pos_;
      if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
      while (pos_ < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
              text_[pos_] == 'e' || text_[pos_] == 'E' || text_[pos_] == '+')) {
        ++pos_;
      }
      if (pos_ == start) return false;
      char* end = nullptr;
      std::string number = text_.substr(start, pos_ - start);
      out->value = std::strtod(number.c_str(), &end);
      if (*end != '\0') return false;
    }
    return true;
  }

  const std::string& text_;
  size_t pos_ = 0;
};

/// GET /stats on `client`, parsed.
std::optional<Json> fetchStats(HttpClient& client) {
  auto response = client.roundTrip(httpGet("/stats"));
  if (!response || response->status != 200) return std::nullopt;
  if (response->header("Content-Type") != "application/json") return std::nullopt;
  return JsonReader::parse(response->body);
}

/// The connections per loop name.
std::map<std::string, int> perLoop(const Json& stats) {
  std::map<std::string, int> loops;
  for (const Json& loop : stats["loops"].array()) {
    loops[loop["name"].string()] = static_cast<int>(loop["connections"].number());
  }
  return loops;
}

TEST(JsonReader, AcceptsJsonAndRefusesTheRest) {
  EXPECT_TRUE(JsonReader::parse(R"({"a": [1, 2.5, -3e2], "b": {"c": "d"}, "e": true})"));
  EXPECT_FALSE(JsonReader::parse(R"({"a": 1,})"));
  EXPECT_FALSE(JsonReader::parse(R"({"a": 1} x)"));
  EXPECT_FALSE(JsonReader::parse(R"({a: 1})"));
}

TEST(HttpStats, CountsFollowConnectionsPerLoop) {
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", "2"});
  ASSERT_TRUE(server.ok()) << server.banner();
  // One at a time, each answered before the next connects: accepted in this order, they go to
  // http-io0, http-io1, http-io0, http-io1 (round robin), and each is counted by then.
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<HttpClient>(server.port()));
    ASSERT_TRUE(clients.back()->send(httpGet("/hello")));
    ASSERT_TRUE(clients.back()->read());
  }
  HttpClient observer(server.port());  // the fifth: http-io0 again
  auto before = fetchStats(observer);
  ASSERT_TRUE(before) << "/stats is not valid JSON";
  EXPECT_EQ((*before)["connections"].number(), 5);
  EXPECT_EQ((*before)["connectionsAccepted"].number(), 5);
  EXPECT_EQ(perLoop(*before),
            (std::map<std::string, int>{{"base", 0}, {"http-io0", 3}, {"http-io1", 2}}));
  EXPECT_EQ((*before)["requests"].number(), 5);  // four /hello and this /stats
  EXPECT_GT((*before)["bytesIn"].number(), 0);
  EXPECT_GT((*before)["bytesOut"].number(), 0);
  EXPECT_GE((*before)["uptimeSeconds"].number(), 0);
  EXPECT_EQ((*before)["deferred"].number(), 0);
  EXPECT_EQ((*before)["compute"]["threads"].number(), 2);

  clients.clear();  // all four close
  std::optional<Json> after;
  ASSERT_TRUE(waitUntil([&] {
    after = fetchStats(observer);
    return after && (*after)["connections"].number() == 1;
  }));
  EXPECT_EQ(perLoop(*after),
            (std::map<std::string, int>{{"base", 0}, {"http-io0", 1}, {"http-io1", 0}}));
  EXPECT_EQ((*after)["connectionsAccepted"].number(), 5);
  EXPECT_GT((*after)["requests"].number(), (*before)["requests"].number());
  EXPECT_GT((*after)["bytesIn"].number(), (*before)["bytesIn"].number());
  EXPECT_GT((*after)["bytesOut"].number(), (*before)["bytesOut"].number());
}

TEST(HttpStats, OneLoopServesEverythingWithoutSubLoops) {
  ServerProcess server(HTTP_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  HttpClient observer(server.port());
  auto stats = fetchStats(observer);
  ASSERT_TRUE(stats);
  EXPECT_EQ(perLoop(*stats), (std::map<std::string, int>{{"base", 1}}));
}

TEST(HttpStats, ThePageIsSelfContained) {
  ServerProcess server(HTTP_SERVER_PATH);
  ASSERT_TRUE(server.ok());
  HttpClient client(server.port());
  ASSERT_TRUE(client.send(httpGet("/stats.html")));
  auto page = client.read();
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("fetch(\"/stats\""), std::string::npos);
  // Nothing from elsewhere: no external scripts, styles, images or fonts.
  EXPECT_EQ(page->body.find("src="), std::string::npos);
  EXPECT_EQ(page->body.find("href="), std::string::npos);
  EXPECT_EQ(page->body.find("http://"), std::string::npos);
  EXPECT_EQ(page->body.find("https://"), std::string::npos);
}

/// Runs `command` and returns its standard output.
std::string capture(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  ::pclose(pipe);
  return output;
}

/// The text of the element with id `id` in `dom` (`<dd id="requests">7</dd>` -> "7").
std::string elementText(const std::string& dom, const std::string& id) {
  size_t start = dom.find("id=\"" + id + "\"");
  if (start == std::string::npos) return "";
  start = dom.find('>', start) + 1;  // after the start tag's other attributes
  return dom.substr(start, dom.find('<', start) - start);
}

TEST(HttpStats, ThePageShowsTheLoopsInHeadlessChromium) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "chromium is not installed (Debian: apt-get install chromium)";
  }
  ServerProcess server(HTTP_SERVER_PATH, {"--threads", "2"});
  ASSERT_TRUE(server.ok());
  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<HttpClient>(server.port()));
    ASSERT_TRUE(idle.back()->send(httpGet("/hello")));
    ASSERT_TRUE(idle.back()->read());
  }
  char profile[] = "/tmp/stats-chromium-XXXXXX";  // a profile of its own: tests run in parallel
  ASSERT_NE(::mkdtemp(profile), nullptr);
  // The virtual time budget lets the page's timers run (about three refreshes) without waiting
  // for them in real time; `timeout` bounds the whole run. The sandbox refuses to run as root.
  std::string command =
      std::string("timeout 60 chromium --headless --disable-gpu") +
      (::geteuid() == 0 ? " --no-sandbox" : "") + " --user-data-dir=" + profile +
      " --virtual-time-budget=3000 --dump-dom http://127.0.0.1:" + std::to_string(server.port()) +
      "/stats.html 2>/dev/null";
  std::string dom = capture(command);
  std::error_code ignored;
  std::filesystem::remove_all(profile, ignored);

  ASSERT_NE(dom.find("id=\"loops\""), std::string::npos) << "no page in:\n" << dom;
  // The rows exist only when the script fetched /stats and drew them.
  for (const char* name : {"base", "http-io0", "http-io1"}) {
    EXPECT_NE(dom.find(std::string("<td class=\"name\">") + name + "</td>"), std::string::npos)
        << name << " missing in:\n"
        << dom;
  }
  // Our three idle connections plus the browser's own.
  std::string connections = elementText(dom, "connections");
  ASSERT_FALSE(connections.empty() || connections == "-") << dom;
  EXPECT_GE(std::stoi(connections), 3);
  std::string requests = elementText(dom, "requests");
  ASSERT_FALSE(requests.empty() || requests == "-") << dom;
  EXPECT_GE(std::stoi(requests), 4);  // three /hello, then the page and /stats
  EXPECT_NE(elementText(dom, "status").find("updated"), std::string::npos) << dom;
}

}  // namespace
