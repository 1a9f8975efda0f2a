#pragma once
// Container cgroups on v1 (hybrid) and v2 (unified) hosts, detected at run time.
//
// Lifecycle: Cgroup::Create() makes the container's cgroup directories from
// linux.cgroupsPath (in every v1 controller hierarchy, or one v2 directory)
// and applies the limits; AddProcess() moves the container's init into it;
// Destroy() removes the directories again (on delete, or when create fails).
// Open() re-finds the cgroup of an existing container from its saved path.
//
//   ASSIGN_OR_RETURN(auto cg, Cgroup::Create(spec.linux.cgroups_path, id, res, &warnings));
//   RETURN_IF_ERROR(cg->AddProcess(pid));
//   ...
//   RETURN_IF_ERROR(cg->Destroy());
//
// Hybrid hosts (v1 controllers plus an empty cgroup2 at <root>/unified) use
// the v1 hierarchies, as runc does. Directories are only ever made on a
// cgroup or cgroup2 filesystem (checked with statfs), so a hierarchy that is
// unmounted or covered by another mount gets no litter. Implementations:
// v1.h, v2.h (limits, freezer, OOM events), v1_stats.cc, v2_stats.cc; device
// rules on v2 are an eBPF program (devices_bpf.h) built from the emulated v1
// rules (device_rules.h).

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runtime/spec.h"

namespace skiff::runtime {

enum class CgroupMode { kV1, kHybrid, kV2 };

// statfs(2) of `cgroup_root` (cgroup2 there means kV2); otherwise kHybrid
// when a cgroup2 mount below it, from /proc/self/mountinfo (read once per
// process and cached), is still cgroup2 by statfs. A directory that is not a
// cgroup2 mount is never taken for the v2 hierarchy: in a mount namespace
// where <root>/unified was unmounted it is a plain tmpfs directory.
CgroupMode DetectCgroupMode(const std::string& cgroup_root = "/sys/fs/cgroup");

// linux.cgroupsPath to the path below each hierarchy root, runc-style:
// "/a/b" as is (cleaned, ".." cannot climb above the root), "a/b" -> "/a/b",
// "" -> "/ocirun/<id>". The systemd form "slice:prefix:name" is an error, as
// is a path naming the root cgroup itself.
absl::StatusOr<std::string> ResolveCgroupPath(const std::string& cgroups_path,
                                              const std::string& id);

class Cgroup {
 public:
  virtual ~Cgroup() = default;

  // `cgroups_path` as in the spec (see ResolveCgroupPath). `resources` may be
  // null (membership only). Limits the host cannot apply but that are safe to
  // skip (swap without swap accounting, controllers not implemented yet) add a
  // message to `warnings` (may be null); anything else is an error, and then
  // every directory this call created has been removed again.
  static absl::StatusOr<std::unique_ptr<Cgroup>> Create(const std::string& cgroups_path,
                                                        const std::string& id,
                                                        const Resources* resources,
                                                        std::vector<std::string>* warnings,
                                                        const std::string& cgroup_root = "/sys/fs/cgroup");

  // Re-opens an existing container's cgroup (for kill --all, delete) from
  // the path saved in its state, without touching cgroupfs. Null if the path
  // is empty (the container has no cgroup: rootless without delegation) or
  // invalid, or no cgroupfs is mounted.
  static std::unique_ptr<Cgroup> Open(const std::string& cgroups_path, const std::string& id,
                                      const std::string& cgroup_root = "/sys/fs/cgroup");

  // The path relative to the hierarchy root ("/ocirun/abc"), saved in state.
  virtual const std::string& path() const = 0;

  // Writes `pid` to cgroup.procs (in every hierarchy on v1).
  virtual absl::Status AddProcess(pid_t pid) = 0;

  // Every pid in the cgroup (cgroup.procs).
  virtual absl::StatusOr<std::vector<pid_t>> Pids() const = 0;

  // Removes the leaf directories (not the parents); kills nothing. Missing
  // directories are fine. Processes still inside make it fail with EBUSY,
  // retried for ~100ms because the kernel frees exited tasks lazily.
  virtual absl::Status Destroy() = 0;

  // Whether the cgroup directory exists (on v1: in the first hierarchy).
  virtual bool Exists() const = 0;

  // --- The following serve `ocirun update/pause/resume/ps/events`. ---

  // Applies `resources` to the existing cgroup with runc's update semantics:
  // only the fields that are set change, and a zero number means "unset"
  // (pids.limit 0 included; -1 means unlimited). The controllers a field
  // needs must exist; warnings as in Create().
  virtual absl::Status Update(const Resources& resources, std::vector<std::string>* warnings) = 0;

  // Freezes or thaws every process (v1 freezer.state, v2 cgroup.freeze),
  // waiting until the kernel reports the new state. A freeze that does not
  // complete is undone and reported.
  virtual absl::Status SetFrozen(bool frozen) = 0;
  // Whether the cgroup is frozen (v1 freezer.state FROZEN, v2 cgroup.freeze
  // 1); false when it is gone. One small read.
  virtual bool IsFrozen() const = 0;

  // Usage counters in the JSON shape of runc's `events --stats` data (its
  // types/events.go Stats): "cpu" {usage {total, percpu, kernel, user, ...},
  // throttling}, "cpuset", "memory" {cache, usage, swap, kernel, kernelTCP
  // {limit, usage, max, failcnt}, raw}, "pids" {current, limit}, "blkio",
  // "hugetlb" {"2MB": {usage, max, failcnt}}. Zero numbers are left out as
  // Go's omitempty does; controllers that are not there read as zero.
  virtual absl::StatusOr<nlohmann::json> Stats() const = 0;

  // Watches for OOM kills in the cgroup (runc's NotifyOOM).
  class OomNotifier {
   public:
    virtual ~OomNotifier() = default;
    // Turns readable (POLLIN) when something may have happened.
    virtual int fd() const = 0;
    // After fd() turned readable: how many OOM events happened since the
    // last call (0 for a spurious wake-up).
    virtual absl::StatusOr<uint64_t> Consume() = 0;
  };
  // v1: an eventfd registered through cgroup.event_control on
  // memory.oom_control; v2: inotify on memory.events and its "oom_kill" count.
  virtual absl::StatusOr<std::unique_ptr<OomNotifier>> NotifyOom() const = 0;
};

}  // namespace skiff::runtime
