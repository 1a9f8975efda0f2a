#pragma once
// Platforms ("linux/amd64", "linux/arm/v7") and choosing one manifest out of
// an index or Docker manifest list, the way containerd's default matcher
// does:
//  - os and architecture must match after normalization (x86_64 -> amd64,
//    aarch64 -> arm64, ...);
//  - a wanted variant matches that variant, and on arm also older ones
//    (v7 runs v6 and v5 images), best first; arm64's default variant is v8;
//  - with no wanted variant any variant matches, the default one first;
//  - entries without a platform, or unknown/unknown (attestations), never
//    match.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "manager/images/manifest.h"

namespace skiff::manager {

// linux/amd64: what Skiff runs.
Platform DefaultPlatform();

// "os/arch[/variant]" with normalization; InvalidArgument otherwise.
absl::StatusOr<Platform> ParsePlatform(absl::string_view s);
// "os/arch[/variant]".
std::string PlatformString(const Platform& p);
// Lower-cased, architecture aliases resolved, default variants made explicit
// (arm64 -> v8, arm -> v7).
Platform Normalize(Platform p);

// The descriptor of the manifest in `index` that suits `want`. NotFound lists
// the platforms the index offers.
absl::StatusOr<Descriptor> SelectManifest(const Index& index, const Platform& want);

}  // namespace skiff::manager
