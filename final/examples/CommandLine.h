// CommandLine: the flag parser behind every program's uniform contract.
//
//   --port N (0 = ephemeral), --help, and program-specific flags; a bad flag prints usage to
//   stderr and exits 2; --help prints usage to stdout and exits 0.
// Used from main() only, before any thread starts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "InetAddress.h"

namespace net {

/// A minimal `--name value` / `--name` parser. Each flag writes straight into a variable the
/// program owns, so the defaults live next to the variables and `--help` shows them.
class CommandLine {
 public:
  /// `program` names the program in messages; `summary` is the line under "usage:".
  CommandLine(std::string program, std::string summary)
      : program_(std::move(program)), summary_(std::move(summary)) {}

  /// An integer flag accepted in [min, max].
  void addInt(const std::string& name, int* target, int min, int max, const std::string& help) {
    flags_.push_back({name, "N", help + " (default " + std::to_string(*target) + ")",
                      [=](const std::string& text) {
                        char* end = nullptr;
                        long value = std::strtol(text.c_str(), &end, 10);
                        if (text.empty() || *end != '\0' || value < min || value > max) {
                          return false;
                        }
                        *target = static_cast<int>(value);
                        return true;
                      }});
  }

  /// A string flag.
  void addString(const std::string& name, std::string* target, const std::string& help) {
    flags_.push_back(
        {name, "TEXT", help + " (default \"" + *target + "\")", [=](const std::string& text) {
           *target = text;
           return true;
         }});
  }

  /// A switch without a value.
  void addSwitch(const std::string& name, bool* target, const std::string& help) {
    flags_.push_back({name, "", help, [=](const std::string&) {
                        *target = true;
                        return true;
                      }});
  }

  /// Parses argv; returns only when every argument was understood.
  void parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        printUsage(stdout);
        std::exit(0);
      }
      const Flag* flag = find(arg);
      if (flag == nullptr) fail("unknown option '" + arg + "'");
      std::string value;
      if (!flag->valueName.empty()) {
        if (i + 1 >= argc) fail("option '" + arg + "' needs a value");
        value = argv[++i];
      }
      if (!flag->apply(value)) fail("invalid value '" + value + "' for " + arg);
    }
  }

 private:
  struct Flag {
    std::string name;
    std::string valueName;  // empty for a switch
    std::string help;
    std::function<bool(const std::string&)> apply;
  };

  const Flag* find(const std::string& arg) const {
    for (const Flag& flag : flags_) {
      if ("--" + flag.name == arg) return &flag;
    }
    return nullptr;
  }

  [[noreturn]] void fail(const std::string& message) const {
    std::fprintf(stderr, "%s: %s\n", program_.c_str(), message.c_str());
    printUsage(stderr);
    std::exit(2);
  }

  void printUsage(std::FILE* out) const {
    std::fprintf(out, "usage: %s [options]\n%s\n\noptions:\n", program_.c_str(), summary_.c_str());
    for (const Flag& flag : flags_) {
      std::string left = "--" + flag.name + (flag.valueName.empty() ? "" : " " + flag.valueName);
      std::fprintf(out, "  %-22s %s\n", left.c_str(), flag.help.c_str());
    }
    std::fprintf(out, "  %-22s %s\n", "--help", "show this help and exit");
  }

  std::string program_;
  std::string summary_;
  std::vector<Flag> flags_;
};

/// The contract's first line of output, flushed so a parent process can read the port.
inline void announceListening(const InetAddress& addr) {
  std::printf("listening on %s\n", addr.toIpPort().c_str());
  std::fflush(stdout);
}

}  // namespace net
