#include "manager/images/test_images.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/status.h"
#include "manager/images/media_types.h"

namespace skiff::manager::testing {

absl::StatusOr<TestLayer> MakeLayer(const std::vector<TarEntry>& entries,
                                    TarCompression compression) {
  ASSIGN_OR_RETURN(std::string raw, BuildTar(entries));
  TestLayer l;
  l.diff_id = Sha256Of(raw);
  if (compression == TarCompression::kNone) {
    l.blob = std::move(raw);
    l.media_type = media_types::kOciLayer;
  } else {
    ASSIGN_OR_RETURN(l.blob, BuildTar(entries, compression));
    l.media_type = compression == TarCompression::kGzip ? media_types::kOciLayerGzip
                                                        : media_types::kOciLayerZstd;
  }
  return l;
}

absl::StatusOr<TestLayer> BusyboxLayer(TarCompression compression) {
  struct stat st;
  if (stat("/bin/busybox", &st) != 0) {
    return absl::NotFoundError("/bin/busybox is missing (install busybox-static)");
  }
  ASSIGN_OR_RETURN(std::string bin, ReadFile("/bin/busybox"));
  std::vector<TarEntry> e = {TarEntry::Dir("bin"), TarEntry::File("bin/busybox", bin, 0755),
                             TarEntry::Dir("etc"), TarEntry::Dir("tmp", 01777)};
  for (const char* applet : {"sh", "echo", "true", "ls", "cat"}) {
    e.push_back(TarEntry::Symlink(std::string("bin/") + applet, "busybox"));
  }
  e.push_back(TarEntry::File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
  return MakeLayer(e, compression);
}

std::string MakeConfigJson(const std::vector<Digest>& diff_ids,
                           const std::vector<std::string>& cmd) {
  nlohmann::json ids = nlohmann::json::array();
  nlohmann::json history = nlohmann::json::array();
  for (const Digest& d : diff_ids) {
    ids.push_back(d.str());
    history.push_back({{"created", "2024-01-01T00:00:00Z"}, {"created_by", "skiff test"}});
  }
  nlohmann::json j = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"created", "2024-01-01T00:00:00Z"},
      {"config",
       {{"Cmd", cmd},
        {"Env", {"PATH=/bin"}},
        {"WorkingDir", "/"},
        {"Labels", {{"org.skiff.test", "yes"}}},
        {"ExposedPorts", {{"80/tcp", nlohmann::json::object()}}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", ids}}},
      {"history", history},
  };
  return j.dump();
}

absl::StatusOr<Image> AddImage(ContentStore& store, const std::vector<TestLayer>& layers,
                               const std::string& config_json,
                               const std::vector<std::string>& names) {
  Manifest m;
  m.media_type = media_types::kOciManifest;
  m.config.media_type = media_types::kOciConfig;
  ASSIGN_OR_RETURN(m.config.digest, store.Ingest(config_json));
  m.config.size = static_cast<int64_t>(config_json.size());
  for (const TestLayer& l : layers) {
    Descriptor d;
    d.media_type = l.media_type;
    ASSIGN_OR_RETURN(d.digest, store.Ingest(l.blob));
    d.size = static_cast<int64_t>(l.blob.size());
    m.layers.push_back(d);
  }
  std::string mtext = ToJson(m);
  Descriptor target;
  target.media_type = media_types::kOciManifest;
  ASSIGN_OR_RETURN(target.digest, store.Ingest(mtext));
  target.size = static_cast<int64_t>(mtext.size());
  ASSIGN_OR_RETURN(Image img, ResolveImage(store, target));
  img.names = names;
  return img;
}

}  // namespace skiff::manager::testing
