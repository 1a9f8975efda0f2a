// Which directories count as cgroup hierarchies, and that nothing is created
// anywhere else. The case that matters: a hybrid host's mount namespace in
// which <root>/unified was unmounted (crun and the benchmarks run that way),
// where the directory left behind is plain tmpfs.
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cgroups/cgroups.h"
#include "runtime/cgroups/internal.h"
#include "runtime/cgroups/v1.h"
#include "runtime/cgroups/v2.h"

namespace skiff::runtime {
namespace {

using cgroups_internal::CgroupMount;
using cgroups_internal::FsTypeFn;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kRoot[] = "/sys/fs/cgroup";
constexpr char kUnified[] = "/sys/fs/cgroup/unified";

// This host's layout as mountinfo lists it.
const std::vector<CgroupMount>& HybridMounts() {
  static const std::vector<CgroupMount> mounts = cgroups_internal::ParseCgroupMounts(
      "25 20 0:22 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
      "26 25 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
      "27 25 0:24 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
      "28 25 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  return mounts;
}

// statfs as described by `types`; any other path is ENOENT.
FsTypeFn FakeFs(std::map<std::string, int64_t> types) {
  return [types](const std::string& path) -> absl::StatusOr<int64_t> {
    auto it = types.find(path);
    if (it == types.end()) return absl::NotFoundError(absl::StrCat("statfs `", path, "`"));
    return it->second;
  };
}

TEST(DetectCgroupModeTest, HybridWhileUnifiedIsCgroup2) {
  EXPECT_EQ(
      cgroups_internal::DetectCgroupMode(
          kRoot, HybridMounts(), FakeFs({{kRoot, TMPFS_MAGIC}, {kUnified, CGROUP2_SUPER_MAGIC}})),
      CgroupMode::kHybrid);
}

TEST(DetectCgroupModeTest, UnmountedUnifiedIsPlainV1) {
  // mountinfo read before the umount still lists cgroup2 there.
  EXPECT_EQ(cgroups_internal::DetectCgroupMode(
                kRoot, HybridMounts(), FakeFs({{kRoot, TMPFS_MAGIC}, {kUnified, TMPFS_MAGIC}})),
            CgroupMode::kV1);
  EXPECT_EQ(
      cgroups_internal::DetectCgroupMode(kRoot, HybridMounts(), FakeFs({{kRoot, TMPFS_MAGIC}})),
      CgroupMode::kV1);
}

TEST(DetectCgroupModeTest, V2OnlyWhenTheRootIsCgroup2) {
  EXPECT_EQ(cgroups_internal::DetectCgroupMode(kRoot, {}, FakeFs({{kRoot, CGROUP2_SUPER_MAGIC}})),
            CgroupMode::kV2);
  // A v2 entry in mountinfo for the root itself, but a tmpfs there now.
  std::vector<CgroupMount> v2_listed = {{kRoot, true, {}}};
  EXPECT_EQ(cgroups_internal::DetectCgroupMode(kRoot, v2_listed, FakeFs({{kRoot, TMPFS_MAGIC}})),
            CgroupMode::kV1);
}

TEST(V1HierarchiesTest, MountPointsNoLongerCgroupfsAreLeftOut) {
  std::vector<V1Hierarchy> h = V1Hierarchies(kRoot, HybridMounts(),
                                             FakeFs({{"/sys/fs/cgroup/pids", CGROUP_SUPER_MAGIC},
                                                     {"/sys/fs/cgroup/memory", TMPFS_MAGIC},
                                                     {kUnified, CGROUP2_SUPER_MAGIC}}));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].mount, "/sys/fs/cgroup/pids");
  EXPECT_THAT(h[0].controllers, ElementsAre("pids"));
}

TEST(FsTypeNameTest, KnownAndUnknown) {
  EXPECT_EQ(cgroups_internal::FsTypeName(TMPFS_MAGIC), "tmpfs");
  EXPECT_EQ(cgroups_internal::FsTypeName(CGROUP2_SUPER_MAGIC), "cgroup2");
  EXPECT_EQ(cgroups_internal::FsTypeName(0xef53), "filesystem type 0xef53");
}

// A fresh directory on an ordinary filesystem, removed with what is in it.
class PlainDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string tmpl = absl::StrCat(tmp ? tmp : "/tmp", "/skiff-cgdetect.XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << strerror(errno);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = absl::StrCat("rm -rf '", dir_, "'");
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  bool Exists(const std::string& rel) const {
    struct stat st;
    return lstat((dir_ + rel).c_str(), &st) == 0;
  }
  std::string dir_;
};

TEST_F(PlainDirTest, MkdirAllRefusesAPlainFilesystem) {
  std::vector<std::string> created;
  absl::Status st = cgroups_internal::MkdirAll(dir_, "/a/b", &created);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(),
              HasSubstr(absl::StrCat("create cgroup `", dir_, "/a/b`: `", dir_, "` is ")));
  EXPECT_THAT(st.message(), HasSubstr("not a cgroup filesystem"));
  EXPECT_THAT(created, IsEmpty());
  EXPECT_FALSE(Exists("/a"));
}

TEST_F(PlainDirTest, V2CreateRefusesAPlainDirectory) {
  Resources r;
  auto cg = CgroupV2::Create(dir_, "/ctr", &r, nullptr);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("not a cgroup2 filesystem"));
  EXPECT_FALSE(Exists("/ctr"));
}

TEST_F(PlainDirTest, V1CreateRefusesAPlainDirectory) {
  auto cg = CgroupV1::Create("/ctr", {{dir_, {"pids"}}}, nullptr, nullptr);
  ASSERT_FALSE(cg.ok());
  EXPECT_THAT(cg.status().message(), HasSubstr("not a cgroup filesystem"));
  EXPECT_FALSE(Exists("/ctr"));
  EXPECT_FALSE(Exists("/ctr/cgroup.procs"));
}

bool IsFs(const std::string& path, int64_t type) {
  struct statfs st;
  return statfs(path.c_str(), &st) == 0 && static_cast<int64_t>(st.f_type) == type;
}

// For real: a child process unmounts the hybrid host's cgroup2 in its own
// mount namespace (with this process's mountinfo cache still listing it),
// then creates a container cgroup. It must land in the v1 hierarchies only.
TEST(ShadowedUnifiedTest, CreateWritesNothingUnderTheTmpfs) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (unshare, umount, cgroupfs)";
  if (!IsFs(kRoot, TMPFS_MAGIC) || !IsFs(kUnified, CGROUP2_SUPER_MAGIC)) {
    GTEST_SKIP() << "not a hybrid host (tmpfs " << kRoot << " with cgroup2 at " << kUnified << ")";
  }
  std::vector<V1Hierarchy> hierarchies = V1Hierarchies(kRoot);  // fills the cache
  if (hierarchies.empty()) GTEST_SKIP() << "no cgroup v1 hierarchy mounted";
  const std::string path = absl::StrCat("/skiff-detect-test-", getpid());

  int pipefd[2];
  ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipefd[0]);
    std::string out;
    auto say = [&](const std::string& line) { out += line + "\n"; };
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        umount2(kUnified, MNT_DETACH) != 0) {
      say(absl::StrCat("setup: ", strerror(errno)));
    } else {
      say(absl::StrCat("unified is tmpfs: ", IsFs(kUnified, TMPFS_MAGIC)));
      say(absl::StrCat("mode is v1: ", DetectCgroupMode(kRoot) == CgroupMode::kV1));
      auto cg = Cgroup::Create(path, "x", nullptr, nullptr, kRoot);
      say(absl::StrCat("create: ", cg.ok() ? "ok" : cg.status().ToString()));
      struct stat st;
      say(absl::StrCat("under unified: ", lstat((kUnified + path).c_str(), &st) == 0));
      if (cg.ok()) {
        absl::Status d = (*cg)->Destroy();
        say(absl::StrCat("destroy: ", d.ok() ? "ok" : d.ToString()));
      }
      auto v2 = CgroupV2::Create(kUnified, path, nullptr, nullptr);
      say(absl::StrCat("v2 on the tmpfs: ", v2.ok() ? "ok" : std::string(v2.status().message())));
      say(absl::StrCat("under unified: ", lstat((kUnified + path).c_str(), &st) == 0));
      // Our own litter, should there be any (host tmpfs, shared).
      unlink((kUnified + path + "/cgroup.procs").c_str());
      rmdir((kUnified + path).c_str());
    }
    (void)!write(pipefd[1], out.data(), out.size());
    _exit(0);
  }
  close(pipefd[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) got.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  for (const V1Hierarchy& h : hierarchies) rmdir((h.mount + path).c_str());

  EXPECT_EQ(got, absl::StrCat("unified is tmpfs: 1\n"
                              "mode is v1: 1\n"
                              "create: ok\n"
                              "under unified: 0\n"
                              "destroy: ok\n"
                              "v2 on the tmpfs: create cgroup `",
                              kUnified, path, "`: `", kUnified,
                              "` is tmpfs, not a cgroup2 filesystem\n"
                              "under unified: 0\n"));
}

}  // namespace
}  // namespace skiff::runtime
