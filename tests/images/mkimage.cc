// mkimage: writes the busybox test image (manager/images/test_images.h
// FullBusyboxLayer and BusyboxConfigJson, from the host's /bin/busybox) as a
// tar that `skiff load`, `podman load`, `docker load` and `ctr images import`
// read.
//
//   mkimage --output busybox.tar [--tag busybox:latest] [--format docker|oci]
//
// The blobs go through a private content store in a temp dir beside the
// output, removed on exit; the archive is written by SaveArchive, so it
// appears complete or not at all. Same host busybox, same bytes: the layer
// and config are deterministic.

#include <gflags/gflags.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/content/content_store.h"
#include "manager/images/archive_save.h"
#include "manager/images/reference.h"
#include "manager/images/test_images.h"

DEFINE_string(output, "", "the tar to write (required)");
DEFINE_string(tag, "busybox:latest", "the image's name, normalized as docker does");
DEFINE_string(format, "docker",
              "docker (docker-archive, as `docker save`) or oci (OCI image layout)");

namespace skiff::manager {
namespace {

absl::Status MakeImage(const std::string& output, const std::string& tag,
                       const std::string& format) {
  ArchiveFormat fmt;
  if (format == "docker" || format == "docker-archive") {
    fmt = ArchiveFormat::kDockerArchive;
  } else if (format == "oci" || format == "oci-archive") {
    fmt = ArchiveFormat::kOciLayout;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--format `", format, "`: want docker or oci"));
  }
  ASSIGN_OR_RETURN(Reference ref, Reference::Parse(tag));
  if (ref.tag().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--tag `", tag, "`: a digest cannot be a tag"));
  }

  std::string parent = std::filesystem::path(output).parent_path().string();
  std::string tmpl = (parent.empty() ? std::string(".") : parent) + "/.mkimage-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return Errno("creating temp dir", tmpl);
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } cleanup{tmpl};

  ASSIGN_OR_RETURN(auto store, ContentStore::Open(tmpl));
  ASSIGN_OR_RETURN(testing::TestLayer layer, testing::FullBusyboxLayer());
  ASSIGN_OR_RETURN(Image img,
                   testing::AddImage(*store, {layer}, testing::BusyboxConfigJson({layer.diff_id}),
                                     {ref.String()}));
  return SaveArchive({img}, output, fmt, *store);
}

}  // namespace
}  // namespace skiff::manager

int main(int argc, char** argv) {
  gflags::SetUsageMessage("mkimage --output FILE [--tag busybox:latest] [--format docker|oci]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_output.empty() || argc != 1) {
    fprintf(stderr, "usage: mkimage --output FILE [--tag busybox:latest] [--format docker|oci]\n");
    return 2;
  }
  absl::Status s = skiff::manager::MakeImage(FLAGS_output, FLAGS_tag, FLAGS_format);
  if (!s.ok()) {
    fprintf(stderr, "mkimage: %s: %s\n", FLAGS_output.c_str(), std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
