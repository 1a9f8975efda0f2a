// Interoperability with a real podman: what SaveArchive writes, `podman load`
// takes, and what `podman save` writes, LoadArchive takes, in both the
// docker-archive and the OCI format. podman runs as root on private
// --root/--runroot/--tmpdir dirs with the vfs driver, so the host's images
// are never touched.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "manager/images/archive_load.h"
#include "manager/images/archive_save.h"
#include "manager/images/test_images.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager {
namespace {

constexpr char kPodman[] = "/usr/bin/podman";
constexpr char kName[] = "docker.io/library/skiffbox:test";

class PodmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat(kPodman, &st) != 0) GTEST_SKIP() << kPodman << " is not installed";
    if (geteuid() != 0) GTEST_SKIP() << "podman load needs root (uid " << geteuid() << ")";
    absl::StatusOr<testing::TestLayer> bb = testing::BusyboxLayer(testing::TarCompression::kGzip);
    if (!bb.ok()) GTEST_SKIP() << bb.status();
    auto s = ContentStore::Open(tmp_.Sub("store"));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    absl::StatusOr<Image> img = testing::AddImage(
        *store_, {*bb}, testing::MakeConfigJson({bb->diff_id}, {"echo", "hello"}), {kName});
    ASSERT_TRUE(img.ok()) << img.status();
    image_ = *std::move(img);
    mkdir(tmp_.Sub("tmp").c_str(), 0700);
  }

  // Runs podman with private storage; returns its exit code and output.
  int Podman(const std::string& args, std::string* out) {
    std::string cmd = absl::StrCat(
        "TMPDIR=", tmp_.Sub("tmp"), " ", kPodman, " --root ", tmp_.Sub("root"), " --runroot ",
        runroot_.Sub("r"), " --tmpdir ", runroot_.Sub("l"),
        " --storage-driver vfs --events-backend none --cgroup-manager cgroupfs ", args, " 2>&1");
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return -1;
    char buf[4096];
    out->clear();
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  void RoundTrip(ArchiveFormat ours, const std::string& podman_format) {
    std::string saved = tmp_.Sub("ours.tar");
    ASSERT_TRUE(SaveArchive({image_}, saved, ours, *store_).ok());
    std::string out;
    ASSERT_EQ(Podman("load -i " + saved, &out), 0) << out;
    EXPECT_NE(out.find("skiffbox:test"), std::string::npos) << out;
    ASSERT_EQ(Podman("images --format '{{.Repository}}:{{.Tag}} {{.ID}}'", &out), 0) << out;
    EXPECT_NE(out.find(absl::StrCat("docker.io/library/skiffbox:test ", image_.config_digest.hex().substr(0, 12))),
              std::string::npos)
        << "podman's view of the loaded image (want our config digest as its id):\n" << out;
    ASSERT_EQ(Podman("inspect --format '{{.Config.Cmd}}' skiffbox:test", &out), 0) << out;
    EXPECT_NE(out.find("[echo hello]"), std::string::npos) << out;

    std::string theirs = tmp_.Sub("theirs.tar");
    ASSERT_EQ(Podman(absl::StrCat("save --format ", podman_format, " -o ", theirs, " skiffbox:test"), &out), 0)
        << out;
    auto other = ContentStore::Open(tmp_.Sub("store2-" + podman_format));
    ASSERT_TRUE(other.ok());
    absl::StatusOr<std::vector<Image>> back = LoadArchive(theirs, **other);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].names, std::vector<std::string>{kName});
    EXPECT_EQ((*back)[0].diff_ids(), image_.diff_ids());
    EXPECT_EQ((*back)[0].config.config.cmd, (std::vector<std::string>{"echo", "hello"}));
    ASSERT_EQ(Podman("rmi -a -f", &out), 0) << out;
  }

  testing::TempDir tmp_;
  testing::TempDir runroot_{"/tmp"};  // podman wants a runroot under 50 characters
  std::unique_ptr<ContentStore> store_;
  Image image_;
};

TEST_F(PodmanTest, DockerArchiveBothWays) { RoundTrip(ArchiveFormat::kDockerArchive, "docker-archive"); }

TEST_F(PodmanTest, OciLayoutBothWays) { RoundTrip(ArchiveFormat::kOciLayout, "oci-archive"); }

}  // namespace
}  // namespace skiff::manager
