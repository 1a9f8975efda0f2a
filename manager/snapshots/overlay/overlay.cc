#include "manager/snapshots/overlay/overlay.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status.h"
#include "manager/fsutil/fsutil.h"

namespace skiff::manager {

absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> OverlaySnapshotter::Open(const std::string& root) {
  std::unique_ptr<OverlaySnapshotter> s(new OverlaySnapshotter(root));
  RETURN_IF_ERROR(Annotate(s->Load(), "overlay snapshotter"));
  return s;
}

absl::Status OverlaySnapshotter::Supported(const std::string& root) {
  absl::StatusOr<std::string> fss = ReadFile("/proc/filesystems");
  if (fss.ok() && fss->find("\toverlay\n") == std::string::npos) {
    return absl::FailedPreconditionError(
        "overlayfs is not available (not in /proc/filesystems; try `modprobe overlay`)");
  }
  if (geteuid() != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "overlay snapshots need root (running as uid ", geteuid(), ")"));
  }
  RETURN_IF_ERROR(MakeDirs(root, 0700));
  ASSIGN_OR_RETURN(std::string tmp, MakeTempDir(root, "tmp-check-"));
  absl::Cleanup cleanup = [&] { (void)RemoveAll(tmp); };
  for (const char* d : {"lower", "upper", "work", "merged"}) {
    if (mkdir((tmp + "/" + d).c_str(), 0755) != 0) return Errno("mkdir", tmp + "/" + d);
  }
  std::string opts = absl::StrCat("lowerdir=", tmp, "/lower,upperdir=", tmp, "/upper,workdir=", tmp, "/work");
  std::string merged = tmp + "/merged";
  if (mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0) {
    return Annotate(Errno("mount overlay on", merged),
                    absl::StrCat("overlay cannot be used under `", root,
                                 "` (its file system may not support overlay upper dirs)"));
  }
  umount2(merged.c_str(), MNT_DETACH);
  return absl::OkStatus();
}

absl::Status OverlaySnapshotter::Populate(const std::string& dir, SnapshotKind kind,
                                          const std::vector<std::string>& parent_fs) {
  if (mkdir((dir + "/fs").c_str(), 0755) != 0) return Errno("mkdir", dir + "/fs");
  if (kind == SnapshotKind::kActive && mkdir((dir + "/work").c_str(), 0700) != 0) {
    return Errno("mkdir", dir + "/work");
  }
  return absl::OkStatus();
}

std::vector<Mount> OverlaySnapshotter::MountsFor(const std::string& dir, SnapshotKind kind,
                                                 const std::vector<std::string>& parent_fs) {
  if (kind == SnapshotKind::kActive) {
    if (parent_fs.empty()) return {Mount{"bind", dir + "/fs", {"rbind", "rw"}}};
    return {Mount{"overlay",
                  "overlay",
                  {"workdir=" + dir + "/work", "upperdir=" + dir + "/fs",
                   "lowerdir=" + absl::StrJoin(parent_fs, ":")}}};
  }
  if (parent_fs.empty()) return {Mount{"bind", dir + "/fs", {"rbind", "ro"}}};
  if (parent_fs.size() == 1) return {Mount{"bind", parent_fs[0], {"rbind", "ro"}}};
  return {Mount{"overlay", "overlay", {"lowerdir=" + absl::StrJoin(parent_fs, ":")}}};
}

}  // namespace skiff::manager
