#pragma once
// Test images built in the test itself: layers from TarEntry lists, a config
// listing their DiffIDs, an OCI manifest, all ingested into a content store.
// BusyboxLayer() packs the host's /bin/busybox (Debian's busybox-static)
// with a few applet links, so a saved image really runs.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/content/content_store.h"
#include "manager/images/image.h"
#include "manager/testing/tar_builder.h"

namespace skiff::manager::testing {

struct TestLayer {
  std::string blob;  // as stored (maybe compressed)
  Digest diff_id;    // sha256 of the uncompressed tar
  std::string media_type;
};

absl::StatusOr<TestLayer> MakeLayer(const std::vector<TarEntry>& entries,
                                    TarCompression compression = TarCompression::kNone);

// bin/busybox plus bin/{sh,echo,true,ls,cat} -> busybox. NotFound when the
// host has no /bin/busybox.
absl::StatusOr<TestLayer> BusyboxLayer(TarCompression compression = TarCompression::kNone);

// The busybox image the integration tests and benchmarks run, shaped like
// Docker Hub's: bin/busybox (the host's static /bin/busybox) with a symlink
// bin/<applet> -> busybox for every applet `/bin/busybox --list` names at
// call time; /etc/passwd with root, nobody and app (uid 1000, home
// /home/app), /etc/group with their groups; /tmp 1777, /root 0700, /home/app
// (owned by app), /var, /proc, /sys, /dev. NotFound when the host has no
// /bin/busybox; Internal when `busybox --list` fails or lists nothing.
absl::StatusOr<TestLayer> FullBusyboxLayer(TarCompression compression = TarCompression::kNone);

// The config that goes with FullBusyboxLayer: linux on the host's
// architecture, Cmd ["sh"], the usual PATH, no Entrypoint, and one history
// entry per layer. Deterministic: the same layers give the same image id.
std::string BusyboxConfigJson(const std::vector<Digest>& diff_ids);

// An image config for linux/amd64 with the given DiffIDs and Cmd, plus an
// Env, WorkingDir, Labels, ExposedPorts and one history entry per layer.
std::string MakeConfigJson(const std::vector<Digest>& diff_ids,
                           const std::vector<std::string>& cmd = {"sh"});

// Ingests layers, config and an OCI manifest; returns the resolved image
// named `names`.
absl::StatusOr<Image> AddImage(ContentStore& store, const std::vector<TestLayer>& layers,
                               const std::string& config_json,
                               const std::vector<std::string>& names);

}  // namespace skiff::manager::testing
