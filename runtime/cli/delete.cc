#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"
#include "runtime/cli/common.h"
#include "runtime/container.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

absl::Status SignalContainer(const ContainerState& st, int sig, bool all);

namespace {

// Kills the container and waits (up to 10s) until its init is gone.
absl::Status KillAndWait(const ContainerState& st) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, st.pid, 0)));
  // Without a private pid namespace, killing init leaves the others: kill
  // every process in the cgroup.
  (void)SignalContainer(st, SIGKILL, !st.own_pid_ns);
  for (int i = 0; i < 1000; ++i) {
    if (pidfd) {
      struct pollfd p = {pidfd.get(), POLLIN, 0};
      if (poll(&p, 1, 10) > 0) {
        // Exited; its parent may still have to reap it.
        if (ProcessStartTime(st.pid) != st.pid_start_time || st.pid_start_time == 0) break;
      }
    } else {
      usleep(10000);
    }
    if (ProcessStartTime(st.pid) != st.pid_start_time || ProcessStartTime(st.pid) == 0) break;
  }
  return absl::OkStatus();
}

}  // namespace

int CmdDelete(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("delete", "delete [--force] <container-id>",
                    "delete a stopped (or, with --force, any) container and its resources",
                    {{"force", 'f', false, "kill the container first if it is running"}}, args,
                    &f, &rc))
    return rc;
  std::string id;
  if (!OneId("delete", f, &id, &rc)) return rc;
  StateDir dir(g.root, id);
  auto st = dir.Load();
  if (!st.ok()) {
    // runc: deleting a container that does not exist is fine with --force.
    if (f.GetBool("force") && absl::IsNotFound(st.status())) return 0;
    return Fail(st.status());
  }
  Status s = CurrentStatus(*st, dir);
  if (s == Status::kRunning || s == Status::kPaused) {
    if (!f.GetBool("force"))
      return Fail(absl::FailedPreconditionError(
          absl::StrCat("cannot delete container `", id, "` that is not stopped: ",
                       StatusName(s), " (stop it first or use --force)")));
  }
  if (s != Status::kStopped) {
    absl::Status ks = KillAndWait(*st);
    if (!ks.ok()) return Fail(ks);
  }
  absl::Status cs = Cleanup(dir, *st);
  if (!cs.ok()) return Fail(cs);
  return 0;
}

}  // namespace skiff::runtime::cli
