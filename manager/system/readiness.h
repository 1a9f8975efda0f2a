#pragma once
// Host readiness: what skiffd needs from the kernel, the filesystems and its
// helper binaries, checked at start (and again for `skiff info`). Every check
// yields one skiff.v1.ReadinessCheck, passed or not; a problem always comes
// with a concrete fix:
//
//   cgroup          a cgroup hierarchy (v1, hybrid or v2)           ERROR if none
//   cgroup.memory   } controllers limits need; each missing one     WARNING
//   cgroup.pids     } says what degrades (--memory, --pids-limit,
//   cgroup.cpu      } --cpus, pause)
//   cgroup.freezer  }
//   overlay         overlay in /proc/filesystems                    WARNING (copy
//                                                                    snapshotter)
//   seccomp         the kernel supports seccomp                     WARNING
//   kernel.pidfd    pidfd_open(2) (Linux 5.3)                       WARNING
//   kernel.openat2  openat2(2) (Linux 5.6)                          WARNING
//   runtime         `<runtime> --version` runs                      ERROR
//   shim            `<shim> --version` runs                         ERROR
//   root            --root is (or can be created) writable          ERROR
//   state           --state is (or can be created) writable         ERROR
//   user            euid 0                                          ERROR
//
// Example:
//   ReadinessOptions o{.root_dir = "/var/lib/skiff", .state_dir = "/run/skiff",
//                      .runtime_path = "/usr/bin/ocirun",
//                      .shim_path = "/usr/bin/skiff-shim"};
//   std::vector<skiff::v1::ReadinessCheck> checks = CheckHost(o);
//   if (!IsReady(checks)) ...  // log each problem with its fix

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "proto/skiff/v1/system.pb.h"

namespace skiff::manager {

struct ReadinessOptions {
  std::string root_dir = "/var/lib/skiff";
  std::string state_dir = "/run/skiff";
  std::string runtime_path;
  std::string shim_path;
  // "overlay" or "copy": the snapshotter skiffd was asked for.
  std::string snapshotter = "overlay";

  // Where the host is read from; tests point these at fakes.
  std::string mountinfo_path = "/proc/self/mountinfo";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string filesystems_path = "/proc/filesystems";
  std::string self_status_path = "/proc/self/status";
  // Syscall probes, returning 0 when the call works and its errno otherwise;
  // unset means the real syscall.
  std::function<int()> probe_pidfd_open;
  std::function<int()> probe_openat2;
  std::function<uid_t()> euid;
};

// Runs every check above, in that order. Never fails: a check that cannot
// look (an unreadable /proc file) reports that as its problem.
std::vector<skiff::v1::ReadinessCheck> CheckHost(const ReadinessOptions& options);

// False when any check is SEVERITY_ERROR.
bool IsReady(const std::vector<skiff::v1::ReadinessCheck>& checks);

// Individual checks, for callers that need one (the snapshotter choice asks
// CheckOverlay).
skiff::v1::ReadinessCheck CheckOverlay(const ReadinessOptions& options);
skiff::v1::ReadinessCheck CheckBinary(const std::string& name, const std::string& path,
                                      const std::string& flag);

}  // namespace skiff::manager
