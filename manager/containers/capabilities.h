#pragma once
// Docker's capability rules for `skiff run`: the default set, the names
// --cap-add/--cap-drop accept, and how they combine.
//
// Names are case-insensitive, with or without "CAP_" ("net_admin",
// "CAP_NET_ADMIN"); "ALL" means every capability this build knows that the
// running kernel has. Results use the canonical "CAP_NET_ADMIN" form.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::manager {

// Docker's 14 defaults, in docker's order.
const std::vector<std::string>& DefaultCapabilities();

// Every capability known to this build that the kernel has
// (/proc/sys/kernel/cap_last_cap) and that this process may pass on (its
// bounding set), as dockerd lists them for --privileged and "ALL".
std::vector<std::string> AllCapabilities();

// "net_admin" -> "CAP_NET_ADMIN", "all" -> "ALL". InvalidArgument for a name
// no kernel has: "unknown capability: \"CAP_FOO\"".
absl::StatusOr<std::string> NormalizeCapability(absl::string_view name);

// The container's capability set (docker's TweakCapabilities):
//   privileged            -> AllCapabilities()
//   ALL in cap_add        -> all but cap_drop
//   ALL in cap_drop       -> exactly cap_add
//   otherwise             -> defaults - cap_drop + cap_add
// Duplicates are removed; the first occurrence keeps its place.
absl::StatusOr<std::vector<std::string>> ContainerCapabilities(
    const std::vector<std::string>& cap_add, const std::vector<std::string>& cap_drop,
    bool privileged);

}  // namespace skiff::manager
