#include "manager/snapshots/native/native.h"

#include <sys/stat.h>

#include "common/status.h"
#include "manager/snapshots/native/copy_tree.h"

namespace skiff::manager {

absl::StatusOr<std::unique_ptr<NativeSnapshotter>> NativeSnapshotter::Open(const std::string& root) {
  std::unique_ptr<NativeSnapshotter> s(new NativeSnapshotter(root));
  RETURN_IF_ERROR(Annotate(s->Load(), "native snapshotter"));
  return s;
}

absl::Status NativeSnapshotter::Populate(const std::string& dir, SnapshotKind kind,
                                         const std::vector<std::string>& parent_fs) {
  std::string fs = dir + "/fs";
  if (mkdir(fs.c_str(), 0755) != 0) return Errno("mkdir", fs);
  if (parent_fs.empty()) return absl::OkStatus();
  return CopyTree(parent_fs[0], fs);
}

std::vector<Mount> NativeSnapshotter::MountsFor(const std::string& dir, SnapshotKind kind,
                                                const std::vector<std::string>& parent_fs) {
  return {Mount{"bind", dir + "/fs", {"rbind", kind == SnapshotKind::kView ? "ro" : "rw"}}};
}

}  // namespace skiff::manager
