#pragma once
// cgroup v1: one directory per mounted controller hierarchy (also used on
// hybrid hosts). Each hierarchy gets the same relative path; limits go to the
// hierarchy that carries the controller (cpu and cpuacct may be separate
// mounts or one "cpu,cpuacct" mount).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/cgroups/internal.h"

namespace skiff::runtime {

struct V1Hierarchy {
  std::string mount;                     // "/sys/fs/cgroup/memory"
  std::vector<std::string> controllers;  // {"memory"}, {"cpu","cpuacct"}, {"name=systemd"}
  bool Has(absl::string_view controller) const;
};

// The v1 hierarchies mounted directly below `cgroup_root`, from the cached
// /proc/self/mountinfo (only hierarchies with a known controller, and only
// while statfs still finds a cgroup filesystem at the mount point).
std::vector<V1Hierarchy> V1Hierarchies(const std::string& cgroup_root);
// The same over given mounts and filesystem types (for tests).
std::vector<V1Hierarchy> V1Hierarchies(const std::string& cgroup_root,
                                       const std::vector<cgroups_internal::CgroupMount>& mounts,
                                       const cgroups_internal::FsTypeFn& fs_type);

class CgroupV1 final : public Cgroup {
 public:
  CgroupV1(std::string path, std::vector<V1Hierarchy> hierarchies)
      : path_(std::move(path)), hierarchies_(std::move(hierarchies)) {}

  // mkdir -p `path` in every hierarchy, then applies `resources` (may be
  // null). On error, everything it created is removed.
  static absl::StatusOr<std::unique_ptr<CgroupV1>> Create(const std::string& path,
                                                          std::vector<V1Hierarchy> hierarchies,
                                                          const Resources* resources,
                                                          std::vector<std::string>* warnings);

  const std::string& path() const override { return path_; }
  absl::Status AddProcess(pid_t pid) override;
  absl::StatusOr<std::vector<pid_t>> Pids() const override;
  absl::Status Destroy() override;
  bool Exists() const override;
  absl::Status Update(const Resources& r, std::vector<std::string>* warnings) override;
  absl::Status SetFrozen(bool frozen) override;
  bool IsFrozen() const override;
  absl::StatusOr<nlohmann::json> Stats() const override;  // v1_stats.cc
  absl::StatusOr<std::unique_ptr<OomNotifier>> NotifyOom() const override;

  // The container's directory in the hierarchy carrying `controller`
  // ("/sys/fs/cgroup/memory/ocirun/abc"), or "" when it is not mounted.
  std::string Dir(absl::string_view controller) const;

 private:
  absl::Status Setup(const Resources* r, std::vector<std::string>* warnings,
                     std::vector<std::string>* created);
  absl::Status EnsureCpuset(const V1Hierarchy& h, size_t n_created, const Resources* r);
  absl::Status Apply(const Resources& r, const std::vector<bool>& fresh,
                     std::vector<std::string>* warnings);
  absl::Status ApplyMemory(const MemoryResources& m, const std::string& dir, bool fresh,
                           std::vector<std::string>* warnings);
  absl::Status ApplyCpu(const CpuResources& c, const std::string& dir, bool fresh);
  absl::Status ApplyDevices(const std::vector<DeviceRule>& rules, const std::string& dir);
  // Writes only the difference to devices.list (update of a live cgroup).
  absl::Status UpdateDevices(const std::vector<DeviceRule>& rules, const std::string& dir);
  absl::Status ApplyBlkio(const BlockIoResources& b, const std::string& dir,
                          std::vector<std::string>* warnings);
  absl::Status ApplyHugetlb(const std::vector<HugepageLimit>& limits, const std::string& dir);
  absl::Status ApplyNetwork(const NetworkResources& n);
  absl::Status ApplyRdma(const std::map<std::string, RdmaLimit>& rdma, const std::string& dir);

  std::string path_;
  std::vector<V1Hierarchy> hierarchies_;
};

// What can be checked before touching cgroupfs: no `unified`, every needed
// controller mounted in `hierarchies`, huge page sizes known.
absl::Status CheckV1Resources(const Resources& r, const std::vector<V1Hierarchy>& hierarchies);

// The devices.allow/devices.deny lines for one rule ("c 1:3 rwm"); type "a"
// with wildcard numbers and full access is "a", otherwise it expands to c + b.
absl::StatusOr<std::vector<std::string>> V1DeviceLines(const DeviceRule& rule);

}  // namespace skiff::runtime
