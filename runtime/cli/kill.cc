#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/cli/common.h"
#include "runtime/cli/signals.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

absl::Status SignalContainer(const ContainerState& st, int sig, bool all) {
  if (all) {
    std::unique_ptr<Cgroup> cg = Cgroup::Open(st.cgroup_path, st.id);
    if (cg) {
      auto pids = cg->Pids();
      if (pids.ok()) {
        for (pid_t p : *pids) kill(p, sig);
        return absl::OkStatus();
      }
    }
  }
  // A pidfd pins the process we checked: the signal cannot reach a pid
  // that was recycled in between.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, st.pid, 0));
  if (pidfd >= 0) {
    bool same = ProcessStartTime(st.pid) == st.pid_start_time || st.pid_start_time == 0;
    int r = same ? static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0)) : -1;
    int err = same ? errno : ESRCH;
    close(pidfd);
    if (r == 0) return absl::OkStatus();
    return ErrnoError(err, absl::StrCat("send signal ", sig, " to container `", st.id, "`"));
  }
  if (kill(st.pid, sig) != 0)
    return Errno(absl::StrCat("send signal ", sig, " to container `", st.id, "`"));
  return absl::OkStatus();
}

int CmdKill(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("kill", "kill [--all] <container-id> [signal]",
                    "send a signal (name or number, default SIGTERM) to the container's init",
                    {{"all", 'a', false, "send the signal to every process in the container"}},
                    args, &f, &rc))
    return rc;
  if (f.positional.empty() || f.positional.size() > 2)
    return Fail(absl::InvalidArgumentError(
        "kill: requires the container id and optionally a signal"));
  std::string id = f.positional[0];
  auto sig = ParseSignal(f.positional.size() == 2 ? f.positional[1] : "SIGTERM");
  if (!sig.ok()) return Fail(sig.status());
  StateDir dir(g.root, id);
  auto st = dir.Load();
  if (!st.ok()) return Fail(st.status());
  if (CurrentStatus(*st, dir) == Status::kStopped)
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("cannot kill container `", id, "`: it is not running")));
  absl::Status s = SignalContainer(*st, *sig, f.GetBool("all"));
  if (!s.ok()) return Fail(s);
  return 0;
}

}  // namespace skiff::runtime::cli
