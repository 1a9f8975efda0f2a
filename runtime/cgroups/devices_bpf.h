#pragma once
// Device access control on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program
// built from the emulated v1 rule state (device_rules.h) with raw bpf(2)
// calls, attached to the cgroup directory with BPF_F_ALLOW_MULTI.
//
// Program layout (runc's devicefilter): load type, access, major and minor
// from the bpf_cgroup_dev_ctx into r2..r5; one block per exception that
// returns the opposite of the default when the device matches; finally
// return the default. An allow exception matches when the requested access
// is a subset of its access, a deny exception when they overlap (the v1
// kernel's checks).

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/cgroups/device_rules.h"

namespace skiff::runtime {

std::vector<bpf_insn> DeviceFilterProgram(const DeviceState& state);

// Loads the program for `state` and attaches it to `cgroup_dir`, then
// detaches the device programs attached there before (an update replaces
// the old filter without a window where none applies). Errors carry the
// verifier log when loading fails.
absl::Status ApplyDeviceFilter(const std::string& cgroup_dir, const DeviceState& state);

// The ids of the device programs attached directly to `cgroup_dir`.
absl::StatusOr<std::vector<uint32_t>> AttachedDeviceFilters(const std::string& cgroup_dir);

}  // namespace skiff::runtime
