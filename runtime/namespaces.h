#pragma once
// Namespaces from linux.namespaces: which to create (clone flags), which to
// join by path (opened by the parent so a bad path fails before clone, then
// setns'd by the init in a safe order: user first, mount last), and the
// uid/gid maps and time offsets the parent writes for the init.
//
// pid and time namespaces apply to children, so the parent joins (setns) or
// creates (unshare + timens_offsets) them before clone.

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "runtime/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace skiff::runtime {

// setns order used by the init; index into NamespacePlan::join.
inline constexpr int kJoinOrder[] = {CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS,
                                     CLONE_NEWNET,  CLONE_NEWCGROUP, CLONE_NEWNS};

struct NamespacePlan {
  int clone_flags = 0;        // CLONE_NEW* for clone(2) (not time, not cgroup)
  bool new_cgroup = false;    // unshared by the init once it is in its cgroup
  bool new_user = false;
  bool new_time = false;
  bool joined_user = false;   // the parent entered linux.namespaces' user path
  UniqueFd join[6];           // by kJoinOrder index
  UniqueFd join_pid, join_time;
};

absl::StatusOr<NamespacePlan> PlanNamespaces(const Spec& spec);

// In the parent, before clone: enter a user namespace given by path (so the
// new namespaces belong to it), and enter/create the pid and time
// namespaces the init is born into.
absl::Status EnterParentSideNamespaces(const Spec& spec, NamespacePlan& plan);

// In the parent, after clone: writes /proc/<pid>/{uid_map,setgroups,gid_map}.
absl::Status WriteIdMappings(pid_t pid, const Spec& spec);

// "0 100000 65536\n" lines.
std::string FormatIdMap(const std::vector<IdMapping>& maps);

}  // namespace skiff::runtime
