#include "manager/images/reference.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace skiff::manager {

namespace {

constexpr char kDefaultDomain[] = "docker.io";
constexpr char kLegacyDomain[] = "index.docker.io";
constexpr size_t kMaxNameLength = 255;

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool ValidPathComponent(absl::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    // A separator run: ".", "_", "__" or "-"+, always followed by alnum.
    size_t j = i;
    if (c[i] == '.') {
      j = i + 1;
    } else if (c[i] == '_') {
      j = i + 1;
      if (j < c.size() && c[j] == '_') ++j;
    } else if (c[i] == '-') {
      while (j < c.size() && c[j] == '-') ++j;
    } else {
      return false;
    }
    if (j >= c.size() || !IsLowerAlnum(c[j])) return false;
    i = j;
  }
  return true;
}

// host[:port], host being dot-separated labels of [A-Za-z0-9-] (not starting
// or ending with '-'), or a bracketed IPv6 address.
bool ValidDomain(absl::string_view d) {
  absl::string_view host = d;
  size_t colon = d.rfind(':');
  if (!d.empty() && d[0] == '[') {
    size_t close = d.find(']');
    if (close == absl::string_view::npos) return false;
    for (char c : d.substr(1, close - 1)) {
      if (!(absl::ascii_isxdigit(c) || c == ':')) return false;
    }
    absl::string_view rest = d.substr(close + 1);
    if (rest.empty()) return true;
    if (rest[0] != ':' || rest.size() == 1) return false;
    for (char c : rest.substr(1)) {
      if (!absl::ascii_isdigit(c)) return false;
    }
    return true;
  }
  if (colon != absl::string_view::npos) {
    absl::string_view port = d.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port) {
      if (!absl::ascii_isdigit(c)) return false;
    }
    host = d.substr(0, colon);
  }
  if (host.empty()) return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!(absl::ascii_isalnum(c) || c == '-')) return false;
    }
  }
  return true;
}

bool ValidTag(absl::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return absl::ascii_isalnum(c) || c == '_'; };
  if (!word(t[0])) return false;
  for (char c : t.substr(1)) {
    if (!(word(c) || c == '.' || c == '-')) return false;
  }
  return true;
}

bool IsHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Reference> Reference::Parse(absl::string_view s) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid reference `", s, "`: ", why));
  };
  if (s.empty()) return bad("empty");
  Reference r;
  absl::string_view rest = s;

  size_t at = rest.find('@');
  if (at != absl::string_view::npos) {
    absl::StatusOr<Digest> d = Digest::Parse(rest.substr(at + 1));
    if (!d.ok()) return bad(d.status().message());
    r.digest_ = *std::move(d);
    rest = rest.substr(0, at);
  }
  // A tag follows the last ':' that comes after the last '/' (a ':' before
  // it is a registry port).
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    absl::string_view tag = rest.substr(colon + 1);
    if (!ValidTag(tag)) {
      return bad(absl::StrCat("invalid tag `", tag,
                              "`: want up to 128 of [A-Za-z0-9_.-], not starting with . or -"));
    }
    r.tag_ = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return bad("no repository name");
  if (rest.size() > kMaxNameLength) return bad("repository name longer than 255 characters");

  std::string name(rest);
  slash = name.find('/');
  if (slash != std::string::npos) {
    std::string first = name.substr(0, slash);
    bool is_domain = first.find_first_of(".:") != std::string::npos || first == "localhost" ||
                     absl::AsciiStrToLower(first) != first;
    if (is_domain) {
      if (!ValidDomain(first)) return bad(absl::StrCat("invalid registry `", first, "`"));
      r.domain_ = first;
      r.path_ = name.substr(slash + 1);
    }
  }
  if (r.domain_.empty()) {
    r.domain_ = kDefaultDomain;
    r.path_ = name;
  }
  if (r.domain_ == kLegacyDomain) r.domain_ = kDefaultDomain;
  if (r.domain_ == kDefaultDomain && r.path_.find('/') == std::string::npos) {
    if (IsHex64(r.path_)) {
      return bad("64-hex-digit names are image ids, not repository names");
    }
    r.path_ = "library/" + r.path_;
  }
  for (absl::string_view c : absl::StrSplit(r.path_, '/')) {
    if (ValidPathComponent(c)) continue;
    if (absl::AsciiStrToLower(c) != c) return bad("repository name must be lowercase");
    if (c.empty()) return bad("empty path component");
    return bad(absl::StrCat("invalid path component `", c,
                            "`: want lowercase letters and digits joined by '.', '_', '__' or '-'"));
  }
  if (r.tag_.empty() && r.digest_.empty()) r.tag_ = "latest";
  return r;
}

std::string Reference::String() const {
  std::string s = Name();
  if (!tag_.empty()) absl::StrAppend(&s, ":", tag_);
  if (!digest_.empty()) absl::StrAppend(&s, "@", digest_.str());
  return s;
}

std::string Reference::FamiliarName() const {
  if (domain_ != kDefaultDomain) return Name();
  if (absl::StartsWith(path_, "library/") && path_.find('/', 8) == std::string::npos) {
    return path_.substr(8);
  }
  return path_;
}

std::string Reference::Familiar() const {
  std::string s = FamiliarName();
  if (!tag_.empty()) absl::StrAppend(&s, ":", tag_);
  if (!digest_.empty()) absl::StrAppend(&s, "@", digest_.str());
  return s;
}

}  // namespace skiff::manager
