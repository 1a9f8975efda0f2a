#pragma once
// The OCI runtime spec's config.json (Linux parts), parsed and validated.
//
// ParseSpec() turns JSON text into a Spec, rejecting what the runtime could
// not honour with an error naming the field: `process.args: must not be
// empty`, `linux.namespaces[2].type: unknown namespace "foo"`. Unknown fields
// are ignored, as the spec requires.
//
//   ASSIGN_OR_RETURN(Spec spec, LoadSpec("/path/to/bundle"));

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace skiff::runtime {

struct Rlimit {
  int resource = 0;  // RLIMIT_* value
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct User {
  uid_t uid = 0;
  gid_t gid = 0;
  std::optional<mode_t> umask;
  std::vector<gid_t> additional_gids;
};

struct Capabilities {
  // Capability numbers (CAP_*). Like runc, names this build does not know
  // are skipped (and listed in `unknown` so the caller can warn).
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
  std::vector<std::string> unknown;
};

struct Process {
  bool terminal = false;
  unsigned console_height = 0, console_width = 0;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;
  std::string selinux_label;
};

struct Root {
  std::string path;  // absolute (resolved against the bundle)
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;  // as given, for hooks and debugging
  // Derived from options by ParseMountOptions():
  unsigned long flags = 0;            // MS_* to set
  unsigned long clear_flags = 0;      // MS_* explicitly cleared ("rw", "suid", ...)
  unsigned long propagation = 0;      // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC]
  std::string data;                   // comma-joined filesystem-specific options
  // Recursive mount_setattr(2) attributes from runc's "rro", "rnosuid", ...
  // options (MOUNT_ATTR_*), applied to the whole tree after the mount.
  uint64_t rec_attr_set = 0, rec_attr_clr = 0;
  bool tmpcopyup = false;             // "tmpcopyup": copy the image's content into a tmpfs
  bool bind() const;                  // "bind"/"rbind" or type "bind"
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
};

struct Namespace {
  std::string type;  // "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"
  int clone_flag = 0;  // CLONE_NEW*
  std::string path;  // join this one when set
};

struct IdMapping {
  uint32_t container_id = 0, host_id = 0, size = 0;
};

struct Device {
  std::string path;
  char type = 'c';  // 'c', 'b', 'u', 'p'
  int64_t major = 0, minor = 0;
  std::optional<mode_t> file_mode;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
};

struct DeviceRule {
  bool allow = false;
  std::string type = "a";  // "a", "c", "b"
  std::optional<int64_t> major, minor;
  std::string access;  // "rwm" subset
};

struct MemoryResources {
  std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus, mems;
  std::optional<int64_t> idle;
};

// linux.resources.blockIO. Weights are 10..1000 (0: unset); leaf weights
// and per-device weights exist only with CFQ/BFQ.
struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};

struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;  // bytes or operations per second; 0 removes the limit
};

struct BlockIoResources {
  std::optional<uint16_t> weight, leaf_weight;
  std::vector<WeightDevice> weight_device;
  std::vector<ThrottleDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops,
      throttle_write_iops;
};

struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB"
  uint64_t limit = 0;     // bytes
};

struct NetworkPriority {
  std::string name;  // interface
  uint32_t priority = 0;
};

struct NetworkResources {
  std::optional<uint32_t> class_id;
  std::vector<NetworkPriority> priorities;
};

struct RdmaLimit {
  std::optional<uint32_t> hca_handles, hca_objects;
};

struct Resources {
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<int64_t> pids_limit;
  std::vector<DeviceRule> devices;
  std::optional<BlockIoResources> block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<NetworkResources> network;
  std::map<std::string, RdmaLimit> rdma;  // by HCA device name
  std::map<std::string, std::string> unified;
  // Sections this runtime does not know, recorded so the runtime can warn
  // rather than silently ignore them.
  std::vector<std::string> unsupported;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::map<std::string, int64_t> time_offsets_secs;  // "monotonic"/"boottime"
  std::map<std::string, uint32_t> time_offsets_nsecs;
  std::vector<Device> devices;
  std::string cgroups_path;
  std::optional<Resources> resources;
  std::string rootfs_propagation;
  unsigned long rootfs_propagation_flags = 0;
  std::vector<std::string> masked_paths, readonly_paths;
  std::map<std::string, std::string> sysctl;
  std::string mount_label;
  std::optional<nlohmann::json> seccomp;  // applied by runtime/seccomp.cc
  nlohmann::json personality;
  std::optional<int> oom_score_adj;
};

struct Spec {
  std::string oci_version;
  Root root;
  std::optional<Process> process;
  std::string hostname, domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;

  const Namespace* FindNamespace(const std::string& type) const;
  bool HasNewNamespace(int clone_flag) const;
};

// Parses config.json text. `bundle` resolves a relative root.path.
absl::StatusOr<Spec> ParseSpec(const std::string& json_text, const std::string& bundle);

// Parses an OCI process object (`ocirun exec --process FILE`) with the same
// rules as config.json's `process`.
absl::StatusOr<Process> ParseProcessJson(const std::string& json_text);

// Parses an OCI LinuxResources object (`ocirun update --resources FILE`) with
// the same rules as config.json's `linux.resources`.
absl::StatusOr<Resources> ParseResourcesJson(const std::string& text);

// Reads and parses <bundle>/config.json.
absl::StatusOr<Spec> LoadSpec(const std::string& bundle);

// Turns mount options into flags; unknown options become filesystem data.
void ParseMountOptions(Mount& m);

// The default spec `ocirun spec` writes (runc's shape); rootless drops the
// network namespace and adds a user namespace mapping the caller's ids.
nlohmann::json DefaultSpec(bool rootless, uid_t uid, gid_t gid);

// Capability name ("CAP_SYS_ADMIN") to number, or -1.
int CapabilityFromName(const std::string& name);
// RLIMIT_* name to resource number, or -1.
int RlimitFromName(const std::string& name);

}  // namespace skiff::runtime
