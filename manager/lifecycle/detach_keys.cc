#include "manager/lifecycle/detach_keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::manager {

absl::StatusOr<std::string> ParseDetachKeys(absl::string_view spec) {
  if (spec.empty()) return std::string("\x10\x11");
  if (spec == "none") return std::string();
  std::string keys;
  for (absl::string_view part : absl::StrSplit(spec, ',')) {
    std::string p = absl::AsciiStrToLower(std::string(part));
    if (p.size() == 1) {
      keys.push_back(p[0]);
    } else if (p.size() == 6 && p.rfind("ctrl-", 0) == 0) {
      char c = p[5];
      if (c >= 'a' && c <= 'z') {
        keys.push_back(static_cast<char>(c - 'a' + 1));
      } else if (c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '_') {
        keys.push_back(static_cast<char>(c == '@' ? 0 : c - '[' + 27));
      } else {
        return absl::InvalidArgumentError(absl::StrCat("invalid detach keys (", spec, "): unknown key ", part));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid detach keys (", spec, "): `", part,
                       "` is neither one character nor ctrl-<key>; example: ctrl-p,ctrl-q"));
    }
  }
  return keys;
}

bool DetachScanner::Feed(absl::string_view in, std::string* out) {
  if (keys_.empty()) {
    out->append(in.data(), in.size());
    return false;
  }
  for (char c : in) {
    if (c == keys_[matched_]) {
      if (++matched_ == keys_.size()) {
        matched_ = 0;
        return true;
      }
      continue;
    }
    // The sequence broke: what was held back goes out, then this byte is
    // looked at afresh (it may start a new sequence).
    out->append(keys_, 0, matched_);
    matched_ = 0;
    if (c == keys_[0]) {
      matched_ = 1;
      if (keys_.size() == 1) {
        matched_ = 0;
        return true;
      }
    } else {
      out->push_back(c);
    }
  }
  return false;
}

}  // namespace skiff::manager
