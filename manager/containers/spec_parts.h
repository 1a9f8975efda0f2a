#pragma once
// The parts BuildSpec (spec_builder.cc) assembles, one file each: mounts
// (mounts.cc), devices (devices.cc), resources, rlimits and sysctls
// (resources.cc). Internal to manager/containers; errors are
// InvalidArgument naming the docker flag and the bad value.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/types.pb.h"

namespace skiff::manager::internal {

// What the mounts depend on besides HostConfig.
struct MountContext {
  bool privileged = false;
  bool read_only_rootfs = false;
  // "host": /dev/shm is the host's; "none": no /dev/shm at all.
  std::string ipc_mode;
  // Host files bound to /etc/hostname, /etc/hosts, /etc/resolv.conf ("" skips).
  std::string hostname_file, hosts_file, resolv_conf_file;
};

// Docker's default mounts (/proc, /dev, /dev/pts, /sys, /sys/fs/cgroup,
// /dev/mqueue, /dev/shm), then the user's (--mount, --tmpfs) and the /etc
// files, sorted so that parents mount before children. A user mount on a
// default's target replaces it (on /dev: every /dev/... default too).
absl::StatusOr<nlohmann::json> BuildMounts(const skiff::v1::HostConfig& host,
                                           const MountContext& ctx);

// docker's tmpfs option merge (moby/sys/mount MergeTmpfsOptions): a later
// option overrides an earlier one of the same kind ("exec" after "noexec",
// "size=1m" after "size=64m"); "defaults" is dropped. Unknown data options
// are InvalidArgument.
absl::StatusOr<std::vector<std::string>> MergeTmpfsOptions(const std::vector<std::string>& opts);

// linux.devices and the device cgroup rules (linux.resources.devices):
// docker's allow list, or every host device when privileged, plus --device.
struct Devices {
  nlohmann::json nodes = nlohmann::json::array();
  nlohmann::json rules = nlohmann::json::array();
};
absl::StatusOr<Devices> BuildDevices(const skiff::v1::HostConfig& host);

// linux.resources without devices (memory, cpu, pids, blockIO); an empty
// object when nothing is limited.
absl::StatusOr<nlohmann::json> BuildResources(const skiff::v1::Resources& r);

// process.rlimits from --ulimit.
absl::StatusOr<nlohmann::json> BuildRlimits(const skiff::v1::Resources& r);

// linux.sysctl from --sysctl, checked against the namespaces the container
// owns (docker's allow list: IPC kernel.* keys and fs.mqueue.* with a
// private IPC namespace, net.* with a private network namespace).
absl::StatusOr<nlohmann::json> BuildSysctls(const skiff::v1::HostConfig& host, bool own_ipc,
                                            bool own_net);

}  // namespace skiff::manager::internal
