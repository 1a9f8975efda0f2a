#include "manager/images/platform.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace skiff::manager {

namespace {

// Arm variants v8 down to v5; a v7 host runs v7, v6 and v5 code.
int ArmLevel(absl::string_view variant) {
  if (variant.size() == 2 && variant[0] == 'v' && variant[1] >= '5' && variant[1] <= '8') {
    return variant[1] - '0';
  }
  return -1;
}

std::string DefaultVariant(absl::string_view arch) {
  if (arch == "arm64") return "v8";
  if (arch == "arm") return "v7";
  return "";
}

// How well `have` suits `want`: higher is better, -1 is no match.
int Score(const Platform& want, const Platform& have_raw) {
  Platform have = Normalize(have_raw);
  if (have.os != want.os || have.architecture != want.architecture) return -1;
  if (want.variant.empty()) {
    // Any variant; the architecture's default (or none) first.
    return have.variant == DefaultVariant(have.architecture) ? 100 : 50;
  }
  if (have.variant == want.variant) return 100;
  if (want.architecture == "arm") {
    int w = ArmLevel(want.variant), h = ArmLevel(have.variant);
    if (w > 0 && h > 0 && h < w) return 100 - (w - h);
  }
  return -1;
}

}  // namespace

Platform DefaultPlatform() {
  Platform p;
  p.os = "linux";
  p.architecture = "amd64";
  return p;
}

Platform Normalize(Platform p) {
  p.os = absl::AsciiStrToLower(p.os);
  std::string a = absl::AsciiStrToLower(p.architecture);
  std::string v = absl::AsciiStrToLower(p.variant);
  if (a == "i386" || a == "i686") {
    a = "386";
  } else if (a == "x86_64" || a == "x86-64") {
    a = "amd64";
  } else if (a == "aarch64" || a == "arm64") {
    a = "arm64";
    if (v == "8" || v == "v8") v = "v8";
  } else if (a == "armhf") {
    a = "arm";
    v = "v7";
  } else if (a == "armel") {
    a = "arm";
    v = "v6";
  } else if (a == "arm") {
    if (v.size() == 1 && v[0] >= '5' && v[0] <= '8') v = "v" + v;
  }
  if (v.empty()) v = DefaultVariant(a);
  p.architecture = a;
  p.variant = v;
  return p;
}

absl::StatusOr<Platform> ParsePlatform(absl::string_view s) {
  std::vector<std::string> parts = absl::StrSplit(s, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid platform `", s, "`: want os/arch[/variant], e.g. linux/amd64"));
  }
  Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return Normalize(p);
}

std::string PlatformString(const Platform& p) {
  std::string s = absl::StrCat(p.os, "/", p.architecture);
  if (!p.variant.empty()) absl::StrAppend(&s, "/", p.variant);
  return s;
}

absl::StatusOr<Descriptor> SelectManifest(const Index& index, const Platform& want_raw) {
  Platform want = want_raw;
  // An unset wanted variant means "any"; Normalize would pin the default.
  bool any_variant = want.variant.empty();
  want = Normalize(want);
  if (any_variant) want.variant.clear();
  const Descriptor* best = nullptr;
  int best_score = -1;
  std::vector<std::string> offered;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform.has_value()) continue;
    offered.push_back(PlatformString(*d.platform));
    int s = Score(want, *d.platform);
    if (s > best_score) {  // strict: the first of equals wins, as in the index order
      best_score = s;
      best = &d;
    }
  }
  if (best != nullptr) return *best;
  // An index of one manifest with no platform (common in OCI layouts written
  // by tools that know they hold one image) is taken as it is.
  if (index.manifests.size() == 1 && !index.manifests[0].platform.has_value()) {
    return index.manifests[0];
  }
  return absl::NotFoundError(absl::StrCat(
      "no manifest for platform ", PlatformString(want_raw.os.empty() ? DefaultPlatform() : want_raw),
      " in the index (it has: ", offered.empty() ? "no platforms" : absl::StrJoin(offered, ", "),
      ")"));
}

}  // namespace skiff::manager
