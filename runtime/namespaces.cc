#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"

namespace skiff::runtime {

std::string FormatIdMap(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps) absl::StrAppend(&out, m.container_id, " ", m.host_id, " ", m.size, "\n");
  return out;
}

absl::StatusOr<NamespacePlan> PlanNamespaces(const Spec& spec) {
  NamespacePlan plan;
  for (const Namespace& ns : spec.linux.namespaces) {
    if (ns.path.empty()) {
      if (ns.clone_flag == CLONE_NEWCGROUP) plan.new_cgroup = true;
      else if (ns.clone_flag == CLONE_NEWTIME) plan.new_time = true;
      else plan.clone_flags |= ns.clone_flag;
      if (ns.clone_flag == CLONE_NEWUSER) plan.new_user = true;
      continue;
    }
    UniqueFd fd(open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Errno(absl::StrCat("open ", ns.type, " namespace"), ns.path);
    if (ns.clone_flag == CLONE_NEWPID) {
      plan.join_pid = std::move(fd);
    } else if (ns.clone_flag == CLONE_NEWTIME) {
      plan.join_time = std::move(fd);
    } else {
      for (int i = 0; i < 6; ++i)
        if (kJoinOrder[i] == ns.clone_flag) plan.join[i] = std::move(fd);
    }
  }
  return plan;
}

absl::Status EnterParentSideNamespaces(const Spec& spec, NamespacePlan& plan) {
  // Joining a user namespace by path: the namespaces clone() creates must
  // belong to it, so we enter it before cloning (the init inherits it).
  if (plan.join[0]) {
    if (setns(plan.join[0].get(), CLONE_NEWUSER) != 0)
      return Errno("join user namespace", spec.FindNamespace("user")->path);
    plan.join[0].reset();
    plan.joined_user = true;
  }
  if (plan.join_pid && setns(plan.join_pid.get(), CLONE_NEWPID) != 0)
    return Errno("join pid namespace", spec.FindNamespace("pid")->path);
  if (plan.join_time && setns(plan.join_time.get(), CLONE_NEWTIME) != 0)
    return Errno("join time namespace", spec.FindNamespace("time")->path);
  if (plan.new_time) {
    if (unshare(CLONE_NEWTIME) != 0) return Errno("create time namespace");
    // One write per clock: the kernel takes one line at a time reliably.
    for (const auto& [clock, secs] : spec.linux.time_offsets_secs) {
      auto ns = spec.linux.time_offsets_nsecs.find(clock);
      RETURN_IF_ERROR(WriteFile(
          "/proc/self/timens_offsets",
          absl::StrCat(clock, " ", secs, " ",
                       ns == spec.linux.time_offsets_nsecs.end() ? 0 : ns->second)));
    }
  }
  return absl::OkStatus();
}

namespace {

// An unprivileged user may map only its own id itself; more needs the
// setuid helpers newuidmap/newgidmap (package uidmap) and /etc/sub[ug]id.
absl::Status MapWithHelper(const char* helper, pid_t pid, const std::vector<IdMapping>& maps,
                           const absl::Status& direct_error) {
  std::vector<std::string> args = {helper, std::to_string(pid)};
  for (const auto& m : maps) {
    args.push_back(std::to_string(m.container_id));
    args.push_back(std::to_string(m.host_id));
    args.push_back(std::to_string(m.size));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t h = fork();
  if (h < 0) return Errno("fork", helper);
  if (h == 0) {
    execvp(helper, argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(h, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      direct_error.message(), "; ", helper,
      WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " is not installed (package uidmap)"
                                                       : " failed (check /etc/subuid, /etc/subgid)"));
}

absl::Status WriteMap(pid_t pid, const char* file, const char* helper,
                      const std::vector<IdMapping>& maps) {
  absl::Status st = WriteFile(absl::StrCat("/proc/", pid, "/", file), FormatIdMap(maps));
  if (st.ok() || geteuid() == 0) return st;
  return MapWithHelper(helper, pid, maps, st);
}

}  // namespace

absl::Status WriteIdMappings(pid_t pid, const Spec& spec) {
  if (!spec.linux.uid_mappings.empty())
    RETURN_IF_ERROR(Annotate(WriteMap(pid, "uid_map", "newuidmap", spec.linux.uid_mappings),
                             "linux.uidMappings"));
  // Unprivileged gid_map writes require setgroups to be denied first.
  if (geteuid() != 0) (void)WriteFile(absl::StrCat("/proc/", pid, "/setgroups"), "deny");
  if (!spec.linux.gid_mappings.empty())
    RETURN_IF_ERROR(Annotate(WriteMap(pid, "gid_map", "newgidmap", spec.linux.gid_mappings),
                             "linux.gidMappings"));
  return absl::OkStatus();
}

}  // namespace skiff::runtime
