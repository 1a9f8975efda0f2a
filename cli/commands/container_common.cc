#include "cli/commands/container_common.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::cli::container {

std::optional<std::vector<std::string>> Parse(Context& ctx, FlagSet& fs, const std::string& cmd,
                                              const std::vector<std::string>& args, int* exit,
                                              size_t min_args, size_t max_args, bool interspersed) {
  auto parsed = fs.Parse(args, interspersed);
  if (!parsed.ok()) {
    *exit = ctx.UsageError(cmd, std::string(parsed.status().message()), 125);
    return std::nullopt;
  }
  if (fs.help_requested()) {
    ctx.out() << fs.Help();
    *exit = 0;
    return std::nullopt;
  }
  size_t n = parsed->size();
  if (n < min_args || n > max_args) {
    std::string want;
    if (min_args == max_args) {
      want = absl::StrCat("exactly ", min_args, min_args == 1 ? " argument" : " arguments");
    } else if (n < min_args) {
      want = absl::StrCat("at least ", min_args, min_args == 1 ? " argument" : " arguments");
    } else {
      want = absl::StrCat("at most ", max_args, max_args == 1 ? " argument" : " arguments");
    }
    ctx.err() << "\"skiff " << cmd << "\" requires " << want << ".\nSee 'skiff " << cmd
              << " --help'.\n"
              << fs.Help();
    *exit = 1;
    return std::nullopt;
  }
  return std::move(*parsed);
}

int ForEach(Context& ctx, const std::vector<std::string>& refs,
            const std::function<grpc::Status(const std::string& ref)>& op, bool print_ok) {
  int rc = 0;
  for (const std::string& ref : refs) {
    grpc::Status s = op(ref);
    if (s.ok()) {
      if (print_ok) ctx.out() << ref << "\n";
    } else {
      rc = ctx.Fail(s, 1);
    }
  }
  ctx.out().flush();
  return rc;
}

}  // namespace skiff::cli::container

namespace skiff::cli::container {

absl::StatusOr<absl::Time> ParseTimestamp(const std::string& text, absl::Time now,
                                          absl::TimeZone local) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("failed to parse value as time or duration: \"", text, "\""));
  };
  if (text.empty()) return bad();
  absl::Duration d;
  if (absl::ascii_isalpha(text.back()) && absl::ParseDuration(text, &d)) return now - d;
  // Unix seconds with an optional fraction.
  {
    std::pair<std::string, std::string> parts = absl::StrSplit(text, absl::MaxSplits('.', 1));
    int64_t secs;
    bool digits = !parts.second.empty() || text.find('.') == std::string::npos;
    for (char c : parts.second) digits = digits && absl::ascii_isdigit(c);
    if (digits && parts.second.size() <= 9 && absl::SimpleAtoi(parts.first, &secs) &&
        text.find('-') == std::string::npos) {
      int64_t nanos = 0;
      if (!parts.second.empty()) {
        std::string frac = parts.second + std::string(9 - parts.second.size(), '0');
        absl::SimpleAtoi(frac, &nanos);
      }
      return absl::FromUnixSeconds(secs) + absl::Nanoseconds(nanos);
    }
  }
  static const char* const kZoned[] = {"%Y-%m-%d%ET%H:%M:%E*S%Ez", "%Y-%m-%d%ET%H:%M%Ez"};
  static const char* const kLocal[] = {"%Y-%m-%d%ET%H:%M:%E*S", "%Y-%m-%d%ET%H:%M", "%Y-%m-%d%ET%H",
                                       "%Y-%m-%d"};
  absl::Time t;
  std::string err;
  for (const char* layout : kZoned) {
    if (absl::ParseTime(layout, text, absl::UTCTimeZone(), &t, &err)) return t;
  }
  for (const char* layout : kLocal) {
    if (absl::ParseTime(layout, text, local, &t, &err)) return t;
  }
  return bad();
}

}  // namespace skiff::cli::container
