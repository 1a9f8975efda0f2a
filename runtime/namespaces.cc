#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>
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
  if (plan.join_pid && setns(plan.join_pid.get(), CLONE_NEWPID) != 0)
    return Errno("join pid namespace", spec.FindNamespace("pid")->path);
  if (plan.join_time && setns(plan.join_time.get(), CLONE_NEWTIME) != 0)
    return Errno("join time namespace", spec.FindNamespace("time")->path);
  if (plan.new_time) {
    if (unshare(CLONE_NEWTIME) != 0) return Errno("create time namespace");
    std::string offsets;
    for (const auto& [clock, secs] : spec.linux.time_offsets_secs) {
      auto ns = spec.linux.time_offsets_nsecs.find(clock);
      absl::StrAppend(&offsets, clock, " ", secs, " ",
                      ns == spec.linux.time_offsets_nsecs.end() ? 0 : ns->second, "\n");
    }
    if (!offsets.empty()) {
      // One write per clock: the kernel takes one line at a time reliably.
      for (const auto& [clock, secs] : spec.linux.time_offsets_secs) {
        auto ns = spec.linux.time_offsets_nsecs.find(clock);
        RETURN_IF_ERROR(WriteFile(
            "/proc/self/timens_offsets",
            absl::StrCat(clock, " ", secs, " ",
                         ns == spec.linux.time_offsets_nsecs.end() ? 0 : ns->second)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WriteIdMappings(pid_t pid, const Spec& spec) {
  std::string base = absl::StrCat("/proc/", pid);
  if (!spec.linux.uid_mappings.empty())
    RETURN_IF_ERROR(Annotate(WriteFile(base + "/uid_map", FormatIdMap(spec.linux.uid_mappings)),
                             "linux.uidMappings"));
  if (geteuid() != 0) (void)WriteFile(base + "/setgroups", "deny");
  if (!spec.linux.gid_mappings.empty())
    RETURN_IF_ERROR(Annotate(WriteFile(base + "/gid_map", FormatIdMap(spec.linux.gid_mappings)),
                             "linux.gidMappings"));
  return absl::OkStatus();
}

}  // namespace skiff::runtime
