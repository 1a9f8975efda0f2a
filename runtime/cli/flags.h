#pragma once
// The runc-style command line: `ocirun [global flags] COMMAND [flags] ARGS`.
// Flags take `--name value`, `--name=value`, `-n value`; single-dash long
// names (`-bundle`) are accepted like urfave/cli does; `--` ends flags.
//
//   FlagSet fs({{"bundle", 'b', true}, {"detach", 'd', false}});
//   ASSIGN_OR_RETURN(auto parsed, fs.Parse(args));
//   parsed.Get("bundle", ".");

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace skiff::runtime::cli {

struct FlagDef {
  std::string name;
  char short_name = 0;
  bool takes_value = false;
  std::string help;
  std::string value_name = "value";
};

struct ParsedFlags {
  std::map<std::string, std::vector<std::string>> values;  // bool flags hold "true"/"false"
  std::vector<std::string> positional;

  bool Has(const std::string& name) const { return values.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& def = "") const;
  bool GetBool(const std::string& name) const;
  const std::vector<std::string>& GetAll(const std::string& name) const;
};

class FlagSet {
 public:
  explicit FlagSet(std::vector<FlagDef> defs) : defs_(std::move(defs)) {}

  // `stop_at_positional`: the global flags end at the first non-flag (the
  // command); a command's flags may be interleaved with its arguments.
  absl::StatusOr<ParsedFlags> Parse(const std::vector<std::string>& args,
                                    bool stop_at_positional = false) const;

  // "   --bundle value, -b value   path to the bundle" lines for --help.
  std::string Usage() const;

 private:
  const FlagDef* Find(const std::string& name) const;
  const FlagDef* FindShort(char c) const;
  std::vector<FlagDef> defs_;
};

}  // namespace skiff::runtime::cli
