#include "cli/flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace skiff::cli {
namespace {

const char* TypeName(int kind) {
  switch (kind) {
    case 1:
      return "string";
    case 2:
      return "list";
    case 3:
      return "int";
    case 4:
      return "bytes";
    case 5:
      return "decimal";
    default:
      return "";
  }
}

// Go's strconv.ParseBool.
bool ParseGoBool(const std::string& s, bool* out) {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") {
    *out = true;
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
    *out = false;
    return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<int64_t> ParseBytes(const std::string& text) {
  // go-units RAMInBytes: "<number>[ ][kmgtp][i][b]", case-insensitive,
  // binary multiples.
  std::string s = absl::AsciiStrToLower(text);
  size_t i = 0;
  while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '.')) ++i;
  std::string num = s.substr(0, i);
  std::string unit = s.substr(i);
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  double value = 0;
  if (num.empty() || !absl::SimpleAtod(num, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size: '", text, "'"));
  }
  int64_t mult = 1;
  if (!unit.empty()) {
    switch (unit[0]) {
      case 'b':
        mult = 1;
        break;
      case 'k':
        mult = int64_t{1} << 10;
        break;
      case 'm':
        mult = int64_t{1} << 20;
        break;
      case 'g':
        mult = int64_t{1} << 30;
        break;
      case 't':
        mult = int64_t{1} << 40;
        break;
      case 'p':
        mult = int64_t{1} << 50;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("invalid size: '", text, "'"));
    }
    std::string rest = unit.substr(1);
    if (unit[0] == 'b' && !rest.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid size: '", text, "'"));
    }
    if (rest != "" && rest != "b" && rest != "i" && rest != "ib") {
      return absl::InvalidArgumentError(absl::StrCat("invalid size: '", text, "'"));
    }
  }
  double bytes = value * static_cast<double>(mult);
  if (bytes > 9.2e18) {
    return absl::InvalidArgumentError(absl::StrCat("invalid size: '", text, "': too large"));
  }
  return static_cast<int64_t>(bytes);
}

FlagSet::FlagSet(std::string usage, std::string summary)
    : usage_(std::move(usage)), summary_(std::move(summary)) {}

void FlagSet::Bool(const char* name, char short_name, bool* out, const char* help) {
  flags_.push_back({name, short_name, Flag::kBool, out, help});
}
void FlagSet::String(const char* name, char short_name, std::string* out, const char* help) {
  flags_.push_back({name, short_name, Flag::kString, out, help});
}
void FlagSet::StringList(const char* name, char short_name, std::vector<std::string>* out,
                         const char* help) {
  flags_.push_back({name, short_name, Flag::kList, out, help});
}
void FlagSet::Int(const char* name, char short_name, int64_t* out, const char* help) {
  flags_.push_back({name, short_name, Flag::kInt, out, help});
}
void FlagSet::Bytes(const char* name, char short_name, int64_t* out, const char* help) {
  flags_.push_back({name, short_name, Flag::kBytes, out, help});
}
void FlagSet::NanoCpus(const char* name, char short_name, int64_t* out, const char* help) {
  flags_.push_back({name, short_name, Flag::kNanoCpus, out, help});
}

FlagSet::Flag* FlagSet::Find(const std::string& name) {
  for (Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

FlagSet::Flag* FlagSet::FindShort(char c) {
  for (Flag& f : flags_) {
    if (f.short_name == c) return &f;
  }
  return nullptr;
}

bool FlagSet::Changed(const std::string& name) const { return changed_.count(name) > 0; }

absl::Status FlagSet::Set(Flag& f, const std::string& value, bool has_value) {
  std::string display =
      f.short_name ? absl::StrFormat("-%c, --%s", f.short_name, f.name) : "--" + f.name;
  auto invalid = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid argument \"%s\" for \"%s\" flag: %s", value, display, why));
  };
  changed_[f.name] = true;
  switch (f.kind) {
    case Flag::kBool: {
      bool b = true;
      if (has_value && !ParseGoBool(value, &b)) {
        return invalid(absl::StrFormat("strconv.ParseBool: parsing \"%s\": invalid syntax", value));
      }
      *static_cast<bool*>(f.out) = b;
      return absl::OkStatus();
    }
    case Flag::kString:
      *static_cast<std::string*>(f.out) = value;
      return absl::OkStatus();
    case Flag::kList:
      static_cast<std::vector<std::string>*>(f.out)->push_back(value);
      return absl::OkStatus();
    case Flag::kInt: {
      int64_t n;
      if (!absl::SimpleAtoi(value, &n)) {
        return invalid(absl::StrFormat("strconv.ParseInt: parsing \"%s\": invalid syntax", value));
      }
      *static_cast<int64_t*>(f.out) = n;
      return absl::OkStatus();
    }
    case Flag::kBytes: {
      // docker's MemSwapBytes: -1 means unlimited.
      if (value == "-1") {
        *static_cast<int64_t*>(f.out) = -1;
        return absl::OkStatus();
      }
      auto bytes = ParseBytes(value);
      if (!bytes.ok()) return invalid(std::string(bytes.status().message()));
      *static_cast<int64_t*>(f.out) = *bytes;
      return absl::OkStatus();
    }
    case Flag::kNanoCpus: {
      double cpus;
      if (!absl::SimpleAtod(value, &cpus) || !std::isfinite(cpus) || cpus < 0) {
        return invalid("failed to parse " + value + " as a rational number");
      }
      *static_cast<int64_t*>(f.out) = static_cast<int64_t>(std::llround(cpus * 1e9));
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string>& args,
                                                        bool interspersed) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (!interspersed) {
        positional.insert(positional.end(), args.begin() + i, args.end());
        break;
      }
      positional.push_back(a);
      continue;
    }
    if (a[1] == '-') {
      std::string name = a.substr(2);
      std::string value;
      bool has_value = false;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      Flag* f = Find(name);
      if (f == nullptr) {
        if (name == "help") {
          help_ = true;
          continue;
        }
        return absl::InvalidArgumentError("unknown flag: --" + name);
      }
      if (f->kind != Flag::kBool && !has_value) {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError("flag needs an argument: --" + name);
        }
        value = args[++i];
        has_value = true;
      }
      absl::Status s = Set(*f, value, has_value);
      if (!s.ok()) return s;
      continue;
    }
    // A group of shorthands: -itd, -e VAL, -eVAL, -e=VAL, -d=false.
    std::string shorts = a.substr(1);
    for (size_t j = 0; j < shorts.size(); ++j) {
      char c = shorts[j];
      Flag* f = FindShort(c);
      if (f == nullptr) {
        if (c == 'h') {
          help_ = true;
          continue;
        }
        return absl::InvalidArgumentError(
            absl::StrFormat("unknown shorthand flag: '%c' in -%s", c, shorts));
      }
      std::string value;
      bool has_value = false;
      if (j + 1 < shorts.size() && shorts[j + 1] == '=') {
        value = shorts.substr(j + 2);
        has_value = true;
        j = shorts.size();
      } else if (f->kind != Flag::kBool) {
        if (j + 1 < shorts.size()) {
          value = shorts.substr(j + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return absl::InvalidArgumentError(
              absl::StrFormat("flag needs an argument: '%c' in -%s", c, shorts));
        }
        has_value = true;
        j = shorts.size();
      }
      absl::Status s = Set(*f, value, has_value);
      if (!s.ok()) return s;
    }
  }
  return positional;
}

std::string FlagSet::Help() const {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const Flag& f : flags_) {
    std::string left = f.short_name ? absl::StrFormat("  -%c, --%s", f.short_name, f.name)
                                    : absl::StrFormat("      --%s", f.name);
    if (f.kind != Flag::kBool) absl::StrAppend(&left, " ", TypeName(f.kind));
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), f.help);
  }
  std::string out = absl::StrCat("\nUsage:  ", usage_, "\n\n", summary_, "\n");
  if (!rows.empty()) {
    absl::StrAppend(&out, "\nOptions:\n");
    for (const auto& [left, help] : rows) {
      absl::StrAppend(&out, left, std::string(width - left.size() + 3, ' '), help, "\n");
    }
  }
  return out;
}

}  // namespace skiff::cli
