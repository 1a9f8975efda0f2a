#pragma once
// Docker-style (pflag) command-line flags for skiff's subcommands:
//   --name value, --name=value, -n value, -nvalue, combined booleans (-it,
//   -itd), booleans take no value (--rm, or --rm=false), repeatable list
//   flags (-e A -e B), "--" ends flags. With interspersed=false parsing stops
//   at the first positional argument (run, exec, create: the rest is the
//   container's command).
//
// Errors are InvalidArgument with docker's wording: "unknown flag: --nope",
// "unknown shorthand flag: 'z' in -z", "flag needs an argument: --name",
// "invalid argument \"x\" for \"-t, --time\" flag: strconv.ParseInt: parsing
// \"x\": invalid syntax" (the "strconv" tail is not required).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::cli {

class FlagSet {
 public:
  // `usage`: "skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]"; `summary`: one line.
  FlagSet(std::string usage, std::string summary);

  // short_name 0 for none. Each registers --help-visible documentation.
  void Bool(const char* name, char short_name, bool* out, const char* help);
  void String(const char* name, char short_name, std::string* out, const char* help);
  void StringList(const char* name, char short_name, std::vector<std::string>* out,
                  const char* help);
  void Int(const char* name, char short_name, int64_t* out, const char* help);
  // Bytes with docker's units: "512m", "1g", "100k", "1024" (b, k, m, g).
  void Bytes(const char* name, char short_name, int64_t* out, const char* help);
  // Decimal CPUs ("1.5") stored as nano CPUs.
  void NanoCpus(const char* name, char short_name, int64_t* out, const char* help);

  // Returns the positional arguments. `--help`/`-h` (when -h is not taken)
  // sets help_requested() and returns OK.
  absl::StatusOr<std::vector<std::string>> Parse(const std::vector<std::string>& args,
                                                 bool interspersed = true);
  bool help_requested() const { return help_; }
  // Whether the flag appeared on the command line.
  bool Changed(const std::string& name) const;
  // "Usage:  <usage>\n\n<summary>\n\nOptions:\n  -d, --detach   Run ...\n"
  std::string Help() const;

 private:
  struct Flag {
    std::string name;
    char short_name;
    enum Kind { kBool, kString, kList, kInt, kBytes, kNanoCpus } kind;
    void* out;
    std::string help;
  };
  absl::Status Set(Flag& f, const std::string& value, bool has_value);
  Flag* Find(const std::string& name);
  Flag* FindShort(char c);
  std::string usage_, summary_;
  std::vector<Flag> flags_;
  std::map<std::string, bool> changed_;
  bool help_ = false;
};

// Docker's byte units, for flags and --shm-size etc.
absl::StatusOr<int64_t> ParseBytes(const std::string& text);

}  // namespace skiff::cli
