// ocirun pause <id> / ocirun resume <id>: freeze and thaw every process of
// the container through its cgroup (runc pause/resume).
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/cli/common.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

namespace {

// runc pauses created and running containers and resumes paused ones.
int Freeze(const GlobalOptions& g, const Args& args, bool freeze) {
  const char* verb = freeze ? "pause" : "resume";
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage(verb, freeze ? "pause <container-id>" : "resume <container-id>",
                    freeze ? "suspend every process in the container (cgroup freezer)"
                           : "resume every process of a paused container",
                    {}, args, &f, &rc))
    return rc;
  std::string id;
  if (!OneId(verb, f, &id, &rc)) return rc;
  StateDir dir(g.root, id);
  absl::StatusOr<ContainerState> st = dir.Load();
  if (!st.ok()) return Fail(st.status());
  Status status = CurrentStatus(*st, dir);
  if (freeze && status != Status::kRunning && status != Status::kCreated) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("cannot pause container `", id, "`: it is ", StatusName(status),
                     ", not running")));
  }
  if (!freeze && status != Status::kPaused) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("cannot resume container `", id, "`: it is ", StatusName(status),
                     ", not paused")));
  }
  std::unique_ptr<Cgroup> cg = Cgroup::Open(st->cgroup_path, st->id);
  if (!cg) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("cannot ", verb, " container `", id, "`: its cgroup cannot be found")));
  }
  absl::Status s = cg->SetFrozen(freeze);
  if (!s.ok()) return Fail(Annotate(s, absl::StrCat(verb, " container `", id, "`")));
  return 0;
}

}  // namespace

int CmdPause(const GlobalOptions& g, const Args& args) { return Freeze(g, args, true); }

int CmdResume(const GlobalOptions& g, const Args& args) { return Freeze(g, args, false); }

}  // namespace skiff::runtime::cli
