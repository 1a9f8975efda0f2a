#include "manager/system/cgroup_detect.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"

namespace skiff::manager {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string TrimSlash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

std::string CgroupMounts::Version() const {
  switch (mode) {
    case Mode::kV1:
    case Mode::kHybrid:
      return "1";
    case Mode::kV2:
      return "2";
    case Mode::kNone:
      break;
  }
  return "";
}

bool CgroupMounts::Has(const std::string& controller) const {
  if (mode == Mode::kV2) {
    // The freezer is built into cgroup2 (cgroup.freeze), not a controller.
    if (controller == "freezer") return true;
    return v2.count(controller) > 0;
  }
  return v1.count(controller) > 0;
}

CgroupMounts ParseCgroupMounts(absl::string_view mountinfo, absl::string_view cgroup_root) {
  CgroupMounts m;
  const std::string root = TrimSlash(std::string(cgroup_root));
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // id parent major:minor root mount_point options [optional...] - fstype source super
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t dash = 0;
    for (size_t i = 6; i < f.size(); ++i) {
      if (f[i] == "-") {
        dash = i;
        break;
      }
    }
    if (dash == 0 || dash + 3 >= f.size()) continue;
    absl::string_view fstype = f[dash + 1];
    const std::string mount_point = TrimSlash(Unescape(f[4]));
    if (fstype == "cgroup2") {
      // The root one wins over a nested one (some hosts have both).
      if (m.unified.empty() || mount_point == root) m.unified = mount_point;
    } else if (fstype == "cgroup") {
      for (absl::string_view opt : absl::StrSplit(f[dash + 3], ',')) {
        if (opt == "rw" || opt == "ro" || opt.empty() || absl::StartsWith(opt, "release_agent") ||
            opt == "clone_children" || opt == "noprefix" || opt == "xattr" ||
            opt == "cpuset_v2_mode" || opt == "favordynmods") {
          continue;
        }
        m.v1.emplace(std::string(opt), mount_point);
      }
    }
  }
  bool has_v1_controller = false;
  for (const auto& [name, path] : m.v1) {
    if (!absl::StartsWith(name, "name=")) has_v1_controller = true;
  }
  if (has_v1_controller) {
    m.mode = m.unified.empty() ? CgroupMounts::Mode::kV1 : CgroupMounts::Mode::kHybrid;
  } else if (!m.unified.empty()) {
    // Usually at the root; a cgroup2 mounted elsewhere with no v1 controllers
    // beside it is still the only usable hierarchy.
    m.mode = CgroupMounts::Mode::kV2;
    absl::StatusOr<std::string> controllers = ReadFile(m.unified + "/cgroup.controllers");
    if (controllers.ok()) {
      for (absl::string_view c :
           absl::StrSplit(*controllers, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
        m.v2.insert(std::string(c));
      }
    }
  }
  return m;
}

absl::StatusOr<CgroupMounts> DetectCgroups(const std::string& mountinfo_path,
                                           const std::string& cgroup_root) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(mountinfo_path));
  return ParseCgroupMounts(text, cgroup_root);
}

}  // namespace skiff::manager
