#pragma once
// Applies process.capabilities with libcap: the bounding set is dropped to
// its list first (it needs CAP_SETPCAP, which we still have), the identity
// switch keeps capabilities (PR_SET_KEEPCAPS), then effective, permitted,
// inheritable and ambient are set.

#include "absl/status/status.h"
#include "runtime/spec.h"

namespace skiff::runtime {

absl::Status DropBoundingSet(const Capabilities& caps);
absl::Status ApplyCapabilities(const Capabilities& caps);

}  // namespace skiff::runtime
