#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "manager/containers/spec_parts.h"

namespace skiff::manager::internal {
namespace {

using json = nlohmann::json;

constexpr int64_t kDefaultShmSize = 64 << 20;

json MountJson(const std::string& dest, const std::string& type, const std::string& source,
               const std::vector<std::string>& options) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
}

// "/a//b/" -> "/a/b"; "." and ".." are refused by the caller.
std::string CleanPath(const std::string& p) {
  std::string out;
  for (absl::string_view part : absl::StrSplit(p, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    absl::StrAppend(&out, "/", part);
  }
  return out.empty() ? "/" : out;
}

absl::StatusOr<std::string> Target(const std::string& flag, const std::string& target) {
  if (target.empty() || target[0] != '/')
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": target must be absolute: ", target.empty() ? "\"\"" : target));
  for (absl::string_view part : absl::StrSplit(target, '/')) {
    if (part == "..")
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": target must not contain \"..\": ", target));
  }
  std::string clean = CleanPath(target);
  if (clean == "/") return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot mount over /"));
  return clean;
}

std::vector<std::string> SplitOptions(const std::string& s) {
  return absl::StrSplit(s, ',', absl::SkipEmpty());
}

bool IsPropagation(const std::string& p) {
  static const std::set<std::string> kModes = {"private", "rprivate", "shared",
                                               "rshared", "slave",    "rslave"};
  return kModes.count(p) > 0;
}

size_t Depth(const std::string& path) { return std::count(path.begin(), path.end(), '/'); }

json DefaultMounts(const MountContext& ctx, int64_t shm_size) {
  std::vector<std::string> sys_opts = {"nosuid", "noexec", "nodev"};
  std::vector<std::string> cgroup_opts = {"nosuid", "noexec", "nodev"};
  if (!ctx.privileged) {
    sys_opts.push_back("ro");
    cgroup_opts.insert(cgroup_opts.begin(), "ro");
  }
  json mounts = json::array({
      MountJson("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      MountJson("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      MountJson("/dev/pts", "devpts", "devpts",
                {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      MountJson("/sys", "sysfs", "sysfs", sys_opts),
      MountJson("/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts),
      MountJson("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
  });
  if (ctx.ipc_mode == "host") {
    mounts.push_back(MountJson("/dev/shm", "bind", "/dev/shm", {"rbind", "rprivate"}));
  } else if (ctx.ipc_mode != "none") {
    mounts.push_back(
        MountJson("/dev/shm", "tmpfs", "shm",
                  {"nosuid", "noexec", "nodev", "mode=1777", absl::StrCat("size=", shm_size)}));
  }
  return mounts;
}

absl::StatusOr<json> TmpfsMount(const std::string& flag, const std::string& target,
                                const std::vector<std::string>& user_opts, bool read_only) {
  std::vector<std::string> opts = {"noexec", "nosuid", "nodev", "rprivate"};
  opts.insert(opts.end(), user_opts.begin(), user_opts.end());
  if (read_only) opts.push_back("ro");
  auto merged = MergeTmpfsOptions(opts);
  if (!merged.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", target, ": ", merged.status().message()));
  return MountJson(target, "tmpfs", "tmpfs", *merged);
}

absl::StatusOr<json> UserMount(const skiff::v1::Mount& m, size_t index) {
  const std::string flag = absl::StrCat("--mount (mounts[", index, "])");
  auto target = Target(flag, m.target());
  if (!target.ok()) return target.status();
  switch (m.type()) {
    case skiff::v1::Mount::MOUNT_TYPE_BIND: {
      if (m.source().empty() || m.source()[0] != '/')
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": bind source must be an absolute host path: ",
                         m.source().empty() ? "\"\"" : m.source()));
      struct stat st;
      if (stat(m.source().c_str(), &st) != 0)
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": bind source path does not exist: ", m.source()));
      const std::string propagation = m.propagation().empty() ? "rprivate" : m.propagation();
      if (!IsPropagation(propagation))
        return absl::InvalidArgumentError(
            absl::StrCat(flag, ": invalid bind propagation: ", m.propagation(),
                         " (want private, rprivate, shared, rshared, slave or rslave)"));
      std::vector<std::string> opts = {"rbind"};
      for (const std::string& o : SplitOptions(m.options())) {
        if (o != "bind" && o != "rbind" && !IsPropagation(o)) opts.push_back(o);
      }
      if (m.read_only()) opts.push_back("ro");
      opts.push_back(propagation);
      return MountJson(*target, "bind", m.source(), opts);
    }
    case skiff::v1::Mount::MOUNT_TYPE_TMPFS:
      return TmpfsMount(flag, *target, SplitOptions(m.options()), m.read_only());
    case skiff::v1::Mount::MOUNT_TYPE_VOLUME:
      return absl::UnimplementedError(
          absl::StrCat(flag, ": type=volume: volumes are not supported yet"));
    default:
      return absl::InvalidArgumentError(absl::StrCat(flag, ": a type is required (bind or tmpfs)"));
  }
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MergeTmpfsOptions(const std::vector<std::string>& opts) {
  // Flags that cancel each other share a key; all propagation modes share one.
  static const std::map<std::string, std::string> kFlagKey = {
      {"ro", "rdonly"},
      {"rw", "rdonly"},
      {"suid", "nosuid"},
      {"nosuid", "nosuid"},
      {"dev", "nodev"},
      {"nodev", "nodev"},
      {"exec", "noexec"},
      {"noexec", "noexec"},
      {"sync", "sync"},
      {"async", "sync"},
      {"dirsync", "dirsync"},
      {"remount", "remount"},
      {"mand", "mand"},
      {"nomand", "mand"},
      {"atime", "noatime"},
      {"noatime", "noatime"},
      {"diratime", "nodiratime"},
      {"nodiratime", "nodiratime"},
      {"relatime", "relatime"},
      {"norelatime", "relatime"},
      {"strictatime", "strictatime"},
      {"nostrictatime", "strictatime"},
      {"private", "propagation"},
      {"rprivate", "propagation"},
      {"shared", "propagation"},
      {"rshared", "propagation"},
      {"slave", "propagation"},
      {"rslave", "propagation"},
      {"unbindable", "propagation"},
      {"runbindable", "propagation"},
  };
  static const std::set<std::string> kData = {"size",      "mode",      "uid", "gid",
                                              "nr_inodes", "nr_blocks", "mpol"};
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (auto it = opts.rbegin(); it != opts.rend(); ++it) {
    const std::string& o = *it;
    if (o == "defaults") continue;
    std::string key;
    if (auto f = kFlagKey.find(o); f != kFlagKey.end()) {
      key = f->second;
    } else {
      auto eq = o.find('=');
      if (eq == std::string::npos || kData.count(o.substr(0, eq)) == 0)
        return absl::InvalidArgumentError(absl::StrCat("invalid tmpfs option \"", o, "\""));
      key = "data:" + o.substr(0, eq);
    }
    if (seen.insert(key).second) out.insert(out.begin(), o);
  }
  return out;
}

absl::StatusOr<json> BuildMounts(const skiff::v1::HostConfig& host, const MountContext& ctx) {
  if (host.shm_size() < 0)
    return absl::InvalidArgumentError(
        absl::StrCat("--shm-size: must not be negative: ", host.shm_size()));
  const int64_t shm_size = host.shm_size() > 0 ? host.shm_size() : kDefaultShmSize;

  json user = json::array();
  std::set<std::string> targets;
  auto add = [&](json m) -> absl::Status {
    const std::string dest = m["destination"].get<std::string>();
    if (!targets.insert(dest).second)
      return absl::InvalidArgumentError(absl::StrCat("duplicate mount point: ", dest));
    user.push_back(std::move(m));
    return absl::OkStatus();
  };
  for (int i = 0; i < host.mounts_size(); ++i) {
    auto m = UserMount(host.mounts(i), i);
    if (!m.ok()) return m.status();
    if (auto s = add(*std::move(m)); !s.ok()) return s;
  }
  // The proto map has no order; sort for a stable config.json.
  std::map<std::string, std::string> tmpfs(host.tmpfs().begin(), host.tmpfs().end());
  for (const auto& [target, options] : tmpfs) {
    auto clean = Target("--tmpfs", target);
    if (!clean.ok()) return clean.status();
    auto m = TmpfsMount("--tmpfs", *clean, SplitOptions(options), false);
    if (!m.ok()) return m.status();
    if (auto s = add(*std::move(m)); !s.ok()) return s;
  }
  // The user's own mount of one of these files wins.
  const std::pair<const char*, const std::string*> etc_files[] = {
      {"/etc/hostname", &ctx.hostname_file},
      {"/etc/hosts", &ctx.hosts_file},
      {"/etc/resolv.conf", &ctx.resolv_conf_file},
  };
  for (const auto& [dest, source] : etc_files) {
    if (source->empty() || targets.count(dest)) continue;
    std::vector<std::string> opts = {"rbind", "rprivate"};
    if (ctx.read_only_rootfs) opts.push_back("ro");
    user.push_back(MountJson(dest, "bind", *source, opts));
    targets.insert(dest);
  }
  std::stable_sort(user.begin(), user.end(), [](const json& a, const json& b) {
    return Depth(a["destination"].get<std::string>()) < Depth(b["destination"].get<std::string>());
  });

  json mounts = json::array();
  const bool user_dev = targets.count("/dev") > 0;
  for (json& m : DefaultMounts(ctx, shm_size)) {
    const std::string dest = m["destination"].get<std::string>();
    if (targets.count(dest) || (user_dev && absl::StartsWith(dest, "/dev/"))) continue;
    mounts.push_back(std::move(m));
  }
  for (json& m : user) mounts.push_back(std::move(m));
  return mounts;
}

}  // namespace skiff::manager::internal
