#pragma once
// cgroup v2: one directory below the unified root. Limits use runc's v1 -> v2
// conversions so one config.json behaves alike on both. Device rules become
// an eBPF program attached to the directory (devices_bpf.h).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/cgroups/cgroups.h"

namespace skiff::runtime {

class CgroupV2 final : public Cgroup {
 public:
  // `root` is the cgroup2 mount ("/sys/fs/cgroup", or "<root>/unified" on a
  // hybrid host), `path` the resolved cgroup path ("/ocirun/abc").
  CgroupV2(std::string root, std::string path)
      : root_(std::move(root)), path_(std::move(path)), dir_(root_ + path_) {}

  // mkdir -p, enables the controllers in the ancestors' subtree_control and
  // applies `resources` (may be null). On error, what it created is removed.
  static absl::StatusOr<std::unique_ptr<CgroupV2>> Create(const std::string& root,
                                                          const std::string& path,
                                                          const Resources* resources,
                                                          std::vector<std::string>* warnings);

  const std::string& path() const override { return path_; }
  const std::string& dir() const { return dir_; }
  absl::Status AddProcess(pid_t pid) override;
  absl::StatusOr<std::vector<pid_t>> Pids() const override;
  absl::Status Destroy() override;
  bool Exists() const override;
  absl::Status Update(const Resources& r, std::vector<std::string>* warnings) override;
  absl::Status SetFrozen(bool frozen) override;
  bool IsFrozen() const override;
  absl::StatusOr<nlohmann::json> Stats() const override;  // v2_stats.cc
  absl::StatusOr<std::unique_ptr<OomNotifier>> NotifyOom() const override;

 private:
  // `needed`: controllers the config writes to; `fields`: the config field
  // needing each, for errors.
  absl::Status Setup(const Resources* r, const std::vector<std::string>& needed,
                     const std::vector<std::string>& fields, std::vector<std::string>* warnings,
                     std::vector<std::string>* created);
  absl::Status EnableControllers(const std::vector<std::string>& needed,
                                 const std::vector<std::string>& fields, bool parent_existed);
  absl::Status Apply(const Resources& r, bool fresh, std::vector<std::string>* warnings);
  absl::Status ApplyIo(const BlockIoResources& b, std::vector<std::string>* warnings);
  absl::Status ApplyDevices(const std::vector<DeviceRule>& rules,
                            std::vector<std::string>* warnings);

  std::string root_, path_, dir_;
};

// cpu.shares (2..262144) to cpu.weight (1..10000): 1 + ((shares-2)*9999)/262142,
// with shares clamped to the v1 range first. 0 (unset) stays 0.
uint64_t CpuSharesToWeight(uint64_t shares);

// v1 memory.memsw (memory+swap, OCI memory.swap) to v2 memory.swap.max (swap
// only), as runc does: -1 -> -1 (max), 0 -> 0 (unset), else swap - limit;
// unlimited memory with swap unset means unlimited swap. Errors when a swap
// limit comes without a memory limit or is below it.
absl::StatusOr<int64_t> MemorySwapToV2(int64_t swap, int64_t limit);

// blkio.weight (10..1000) to io.weight (1..10000): 1 + (weight-10)*9999/990,
// runc's conversion. 0 (unset) stays 0.
uint64_t BlkioWeightToIoWeight(uint16_t weight);

// Checks before touching cgroupfs: unified keys, network (v1 only), weight
// ranges, huge page sizes.
absl::Status CheckV2Resources(const Resources& r);

// The cpu.max value for quota/period (0 = unset): "50000 100000",
// "max 100000", "50000"; "" when both are unset.
std::string CpuMaxValue(int64_t quota, uint64_t period);

// True when `rules` are only what every container gets anyway (deny-all,
// allow-all, the standard /dev/null, zero, full, random, urandom, tty,
// console, ptmx, pts, tun allows): those need no warning on v2.
bool IsDefaultDeviceRules(const std::vector<DeviceRule>& rules);

// Rejects linux.resources.unified keys that are not a plain file name.
absl::Status ValidateUnifiedKey(const std::string& key);

}  // namespace skiff::runtime
