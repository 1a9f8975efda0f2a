// ocirun events [--stats] [--interval 5s] <id>: the container's resource
// usage as JSON lines (runc events). --stats prints one "stats" event;
// otherwise a "stats" event every interval and an "oom" event for each OOM
// kill, until the container stops.
#include "runtime/cli/events.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/cli/common.h"
#include "runtime/log.h"
#include "runtime/state.h"

namespace skiff::runtime::cli {

absl::StatusOr<absl::Duration> ParseInterval(const std::string& s) {
  absl::Duration d;
  if (!absl::ParseDuration(s, &d) || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: invalid --interval \"", s, "\": want a duration such as 5s or 500ms"));
  }
  if (d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: --interval \"", s, "\" must be greater than 0"));
  }
  return d;
}

std::string EventLine(const std::string& type, const std::string& id,
                      const nlohmann::json* data) {
  std::string line = absl::StrCat("{\"type\":", nlohmann::json(type).dump(),
                                  ",\"id\":", nlohmann::json(id).dump());
  if (data) absl::StrAppend(&line, ",\"data\":", data->dump());
  return line + "}";
}

namespace {

void Emit(const std::string& line) {
  printf("%s\n", line.c_str());
  fflush(stdout);
}

// A pidfd of the container's init, readable once it exits; invalid when the
// kernel has none (then the loop checks the status each interval).
UniqueFd InitPidfd(const ContainerState& st) {
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, st.pid, 0)));
  if (fd && st.pid_start_time && ProcessStartTime(st.pid) != st.pid_start_time) fd.reset();
  return fd;
}

int Stream(const ContainerState& st, const StateDir& dir, Cgroup& cg, absl::Duration interval) {
  std::unique_ptr<Cgroup::OomNotifier> oom;
  if (absl::StatusOr<std::unique_ptr<Cgroup::OomNotifier>> n = cg.NotifyOom(); n.ok()) {
    oom = std::move(*n);
  } else {
    LogWarning(absl::StrCat("events: no OOM events: ", n.status().message()));
  }
  UniqueFd pidfd = InitPidfd(st);
  absl::Time next = absl::Now() + interval;
  for (;;) {
    if (CurrentStatus(st, dir) == Status::kStopped) return 0;
    pollfd fds[2];
    int nfds = 0;
    if (oom) fds[nfds++] = {oom->fd(), POLLIN, 0};
    if (pidfd) fds[nfds++] = {pidfd.get(), POLLIN, 0};
    absl::Duration left = next - absl::Now();
    int timeout_ms = left <= absl::ZeroDuration()
                         ? 0
                         : static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1,
                                                              INT32_MAX));
    int r = poll(fds, static_cast<nfds_t>(nfds), timeout_ms);
    if (r < 0 && errno != EINTR) return Fail(Errno("poll for", "container events"));
    if (oom && r > 0 && (fds[0].revents & POLLIN)) {
      absl::StatusOr<uint64_t> count = oom->Consume();
      if (!count.ok()) {
        LogWarning(absl::StrCat("events: ", count.status().message()));
        oom.reset();
      } else {
        for (uint64_t i = 0; i < *count; ++i) Emit(EventLine("oom", st.id));
      }
    }
    if (absl::Now() >= next) {
      if (CurrentStatus(st, dir) == Status::kStopped) return 0;
      absl::StatusOr<nlohmann::json> stats = cg.Stats();
      if (stats.ok()) {
        Emit(EventLine("stats", st.id, &*stats));
      } else {
        LogError(absl::StrCat("events: ", stats.status().message()));
      }
      next += interval;
      if (next < absl::Now()) next = absl::Now() + interval;
    }
  }
}

}  // namespace

int CmdEvents(const GlobalOptions& g, const Args& args) {
  ParsedFlags f;
  int rc;
  if (!ParseOrUsage("events", "events [--stats] [--interval 5s] <container-id>",
                    "print container events (stats, OOM) as JSON lines until it stops",
                    {{"interval", 0, true, "how often to print stats (default: 5s)", "duration"},
                     {"stats", 0, false, "print the stats once and exit"}},
                    args, &f, &rc))
    return rc;
  std::string id;
  if (!OneId("events", f, &id, &rc)) return rc;
  absl::StatusOr<absl::Duration> interval = ParseInterval(f.Get("interval", "5s"));
  if (!interval.ok()) return Fail(interval.status());
  StateDir dir(g.root, id);
  absl::StatusOr<ContainerState> st = dir.Load();
  if (!st.ok()) return Fail(st.status());
  if (CurrentStatus(*st, dir) == Status::kStopped) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("events: container `", id, "` is not running")));
  }
  std::unique_ptr<Cgroup> cg = Cgroup::Open(st->cgroup_path, st->id);
  if (!cg) {
    return Fail(absl::FailedPreconditionError(
        absl::StrCat("events: the cgroup of container `", id, "` cannot be found")));
  }
  if (f.GetBool("stats")) {
    absl::StatusOr<nlohmann::json> stats = cg->Stats();
    if (!stats.ok()) return Fail(Annotate(stats.status(), "events"));
    Emit(EventLine("stats", id, &*stats));
    return 0;
  }
  return Stream(*st, dir, *cg, *interval);
}

}  // namespace skiff::runtime::cli
