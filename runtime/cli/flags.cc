#include "runtime/cli/flags.h"

#include "absl/strings/str_cat.h"

namespace skiff::runtime::cli {

std::string ParsedFlags::Get(const std::string& name, const std::string& def) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? def : it->second.back();
}

bool ParsedFlags::GetBool(const std::string& name) const {
  auto it = values.find(name);
  return it != values.end() && !it->second.empty() && it->second.back() == "true";
}

const std::vector<std::string>& ParsedFlags::GetAll(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = values.find(name);
  return it == values.end() ? kEmpty : it->second;
}

const FlagDef* FlagSet::Find(const std::string& name) const {
  for (const auto& d : defs_)
    if (d.name == name || (name.size() == 1 && d.short_name == name[0])) return &d;
  return nullptr;
}

const FlagDef* FlagSet::FindShort(char c) const {
  for (const auto& d : defs_)
    if (d.short_name == c) return &d;
  return nullptr;
}

absl::StatusOr<ParsedFlags> FlagSet::Parse(const std::vector<std::string>& args,
                                           bool stop_at_positional) const {
  ParsedFlags out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.positional.insert(out.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (stop_at_positional) {
        out.positional.insert(out.positional.end(), args.begin() + i, args.end());
        break;
      }
      out.positional.push_back(a);
      continue;
    }
    std::string body = a.substr(a[1] == '-' ? 2 : 1);
    std::string value;
    bool has_value = false;
    if (auto eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
      has_value = true;
    }
    const FlagDef* d = Find(body);
    if (!d) return absl::InvalidArgumentError(absl::StrCat("flag provided but not defined: ", a));
    if (d->takes_value) {
      if (!has_value) {
        if (i + 1 >= args.size())
          return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: ", a));
        value = args[++i];
      }
      out.values[d->name].push_back(value);
    } else {
      if (has_value && value != "true" && value != "false")
        return absl::InvalidArgumentError(
            absl::StrCat("invalid boolean value \"", value, "\" for ", a));
      out.values[d->name].push_back(has_value ? value : "true");
    }
  }
  return out;
}

std::string FlagSet::Usage() const {
  std::string out;
  for (const auto& d : defs_) {
    std::string left = absl::StrCat("   --", d.name, d.takes_value ? " " + d.value_name : "");
    if (d.short_name)
      absl::StrAppend(&left, ", -", std::string(1, d.short_name),
                      d.takes_value ? " " + d.value_name : "");
    if (left.size() < 34) left.resize(34, ' ');
    absl::StrAppend(&out, left, " ", d.help, "\n");
  }
  return out;
}

}  // namespace skiff::runtime::cli
