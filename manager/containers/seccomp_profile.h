#pragma once
// Docker's default seccomp profile and the conversion of docker-format
// profiles (`--security-opt seccomp=<file>`) into OCI linux.seccomp.
//
// The docker format is the OCI one plus per-rule conditions: "archMap"
// (native architecture -> its sub-architectures) instead of
// "architectures", and rules with "includes"/"excludes" on "arches" (Go's
// GOARCH names: amd64, arm64, ...), "caps" (capability names) and
// "minKernel" ("4.8"). Conversion keeps the rules whose conditions hold for
// the container: all included caps in its bounding set, no excluded one;
// the machine's architecture; the running kernel's version.
//
//   ASSIGN_OR_RETURN(json seccomp, DefaultSeccomp(caps));
//   spec["linux"]["seccomp"] = seccomp;

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace skiff::manager {

// What a profile is converted for.
struct SeccompTarget {
  // GOARCH name of the machine: "amd64", "arm64", "386", "arm", "s390x",
  // "ppc64le", "riscv64".
  std::string arch;
  // Kernel version, compared with minKernel.
  int kernel_major = 0;
  int kernel_minor = 0;
  // The container's bounding capability set ("CAP_SYS_ADMIN", ...).
  std::vector<std::string> caps;
};

// The machine this process runs on (uname), with the given caps.
SeccompTarget HostSeccompTarget(const std::vector<std::string>& caps);

// moby's profiles/seccomp/default.json, in the docker format: default action
// SCMP_ACT_ERRNO (EPERM), an allowlist, and the arch- and cap-conditional
// rules (CAP_SYS_ADMIN opens mount, unshare, setns, clone with namespace
// flags...; without it clone is allowed only without CLONE_NEW* flags and
// clone3 returns ENOSYS so libc falls back to clone).
const nlohmann::json& DefaultDockerSeccompProfile();

// Converts a docker-format profile (an OCI-format one passes through, minus
// rules whose conditions fail) to linux.seccomp. InvalidArgument, naming
// the field, for a profile that is not an object, lacks defaultAction, has
// both "architectures" and "archMap", or a rule with both "name" and
// "names".
absl::StatusOr<nlohmann::json> ToOciSeccomp(const nlohmann::json& profile,
                                            const SeccompTarget& target);

// The default profile converted for this machine and `caps`.
absl::StatusOr<nlohmann::json> DefaultSeccomp(const std::vector<std::string>& caps);

}  // namespace skiff::manager
