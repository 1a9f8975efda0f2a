#pragma once
// `ocirun update`'s flag handling, apart from the verb so it can be tested:
// runc's flags to the Resources that Cgroup::Update() applies.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/cli/flags.h"
#include "runtime/spec.h"

namespace skiff::runtime::cli {

// A byte size as runc's memory flags take it (go-units RAMInBytes): a
// decimal number, optionally fractional, with an optional binary unit k, m,
// g, t, p (any case, optionally followed by "b" or "ib"): "64m", "1.5G",
// "512KiB", "1048576". "-1" is -1 (unlimited).
absl::StatusOr<int64_t> ParseMemorySize(const std::string& s);

// The flags of `update` (runc's names; --cpu-shares is also accepted).
std::vector<FlagDef> UpdateFlagDefs();

// The resource flags that were given, as Resources: only those fields are
// set. Errors name the flag: `invalid value for --memory: ...`.
absl::StatusOr<Resources> ResourcesFromUpdateFlags(const ParsedFlags& f);

// Whether any resource flag (not --resources) was given.
bool HasResourceFlags(const ParsedFlags& f);

}  // namespace skiff::runtime::cli
