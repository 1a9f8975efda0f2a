#include "cli/commands/parse_flags.h"

#include "absl/strings/str_cat.h"

namespace skiff::cli {

int ParseFlags(Context& ctx, FlagSet& fs, const std::string& cmd,
               const std::vector<std::string>& args, std::vector<std::string>* pos) {
  absl::StatusOr<std::vector<std::string>> parsed = fs.Parse(args);
  if (!parsed.ok()) return ctx.UsageError(cmd, std::string(parsed.status().message()));
  if (fs.help_requested()) {
    ctx.out() << fs.Help();
    return 0;
  }
  *pos = std::move(*parsed);
  return -1;
}

int ArgCountError(Context& ctx, const std::string& cmd, const std::string& requirement) {
  return ctx.UsageError(cmd, absl::StrCat("\"skiff ", cmd, "\" requires ", requirement, "."), 1);
}

}  // namespace skiff::cli
