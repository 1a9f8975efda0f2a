// The busybox test image as a client of the tars sees it: LoadArchive of
// busybox.tar (docker-archive) and busybox-oci.tar (OCI layout) into a
// private content store, then the image's name, config and layer contents;
// and mkimage's answers to bad flags.

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/content/content_store.h"
#include "manager/images/archive_load.h"
#include "manager/images/test_images.h"

namespace skiff::manager {
namespace {

constexpr char kName[] = "docker.io/library/busybox:latest";

std::string Runfile(const std::string& rel) {
  const char* dir = getenv("TEST_SRCDIR");
  return std::string(dir ? dir : ".") + "/skiff/tests/images/" + rel;
}

std::string TempDir(const std::string& name) {
  const char* base = getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs `cmd` through the shell; returns its exit code and output (stdout
// and stderr).
int RunShell(const std::string& cmd, std::string* out) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  out->clear();
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

struct Entry {
  mode_t type = 0;
  mode_t perm = 0;
  uid_t uid = 0;
  std::string link;
  std::string data;  // regular files only
};

// Every entry of a layer tar, by path without a leading "./".
std::map<std::string, Entry> ReadLayer(int fd) {
  std::map<std::string, Entry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_support_filter_all(a);
  if (archive_read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
    ADD_FAILURE() << "open layer: " << archive_error_string(a);
    archive_read_free(a);
    return out;
  }
  struct archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(e);
    if (path.rfind("./", 0) == 0) path = path.substr(2);
    while (!path.empty() && path.back() == '/') path.pop_back();
    Entry& x = out[path];
    x.type = archive_entry_filetype(e);
    x.perm = archive_entry_perm(e);
    x.uid = archive_entry_uid(e);
    if (const char* l = archive_entry_symlink(e)) x.link = l;
    if (x.type == AE_IFREG) {
      char buf[1 << 16];
      la_ssize_t n;
      while ((n = archive_read_data(a, buf, sizeof buf)) > 0) x.data.append(buf, n);
    }
  }
  EXPECT_EQ(r, ARCHIVE_EOF) << archive_error_string(a);
  archive_read_free(a);
  return out;
}

class BusyboxImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ContentStore::Open(TempDir("store"));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  // Loads `tar` and returns its one image.
  Image Load(const std::string& tar) {
    absl::StatusOr<std::vector<Image>> imgs = LoadArchive(Runfile(tar), *store_);
    EXPECT_TRUE(imgs.ok()) << imgs.status();
    if (!imgs.ok() || imgs->size() != 1) {
      ADD_FAILURE() << tar << ": want exactly one image";
      return Image{};
    }
    return (*imgs)[0];
  }

  std::unique_ptr<ContentStore> store_;
};

TEST_F(BusyboxImageTest, DockerArchiveIsBusyboxLatestRunningSh) {
  Image img = Load("busybox.tar");
  EXPECT_EQ(img.names, std::vector<std::string>{kName});
  EXPECT_EQ(img.config.os, "linux");
  EXPECT_EQ(img.config.config.cmd, std::vector<std::string>{"sh"});
  EXPECT_TRUE(img.config.config.entrypoint.empty());
  EXPECT_EQ(img.config.config.env,
            std::vector<std::string>{
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
  EXPECT_TRUE(img.config.config.user.empty());
  EXPECT_EQ(img.layers().size(), 1u);
  EXPECT_EQ(img.diff_ids().size(), 1u);
}

TEST_F(BusyboxImageTest, LayerHasBusyboxEveryAppletAndTheBaseFiles) {
  Image img = Load("busybox.tar");
  ASSERT_EQ(img.layers().size(), 1u);
  absl::StatusOr<UniqueFd> fd = store_->Open(img.layers()[0].digest);
  ASSERT_TRUE(fd.ok()) << fd.status();
  std::map<std::string, Entry> layer = ReadLayer(fd->get());

  absl::StatusOr<std::string> host = ReadFile("/bin/busybox");
  ASSERT_TRUE(host.ok()) << host.status();
  ASSERT_EQ(layer.count("bin/busybox"), 1u);
  EXPECT_EQ(layer["bin/busybox"].type, AE_IFREG);
  EXPECT_EQ(layer["bin/busybox"].perm, 0755u);
  EXPECT_TRUE(layer["bin/busybox"].data == *host)
      << "bin/busybox differs from the host's /bin/busybox";

  std::string list;
  ASSERT_EQ(RunShell("/bin/busybox --list", &list), 0) << list;
  int applets = 0;
  for (absl::string_view a : absl::StrSplit(list, '\n', absl::SkipWhitespace())) {
    if (a == "busybox") continue;
    ++applets;
    std::string path = "bin/" + std::string(a);
    auto it = layer.find(path);
    if (it == layer.end()) {
      ADD_FAILURE() << "no link for applet " << a;
      continue;
    }
    EXPECT_EQ(it->second.type, AE_IFLNK) << path;
    EXPECT_EQ(it->second.link, "busybox") << path;
  }
  EXPECT_GT(applets, 100) << list;  // Debian's busybox-static has ~270

  for (const char* dir : {"dev", "etc", "home", "proc", "sys", "var"}) {
    ASSERT_EQ(layer.count(dir), 1u) << dir;
    EXPECT_EQ(layer[dir].type, AE_IFDIR) << dir;
  }
  EXPECT_EQ(layer["tmp"].type, AE_IFDIR);
  EXPECT_EQ(layer["tmp"].perm, 01777u);
  EXPECT_EQ(layer["root"].type, AE_IFDIR);
  EXPECT_EQ(layer["root"].perm, 0700u);
  EXPECT_EQ(layer["home/app"].type, AE_IFDIR);
  EXPECT_EQ(layer["home/app"].uid, 1000u);

  const std::string& passwd = layer["etc/passwd"].data;
  EXPECT_NE(passwd.find("root:x:0:0:root:/root:/bin/sh\n"), std::string::npos) << passwd;
  EXPECT_NE(passwd.find("app:x:1000:1000:app:/home/app:/bin/sh\n"), std::string::npos) << passwd;
  EXPECT_NE(passwd.find("nobody:x:65534:65534:"), std::string::npos) << passwd;
  const std::string& group = layer["etc/group"].data;
  EXPECT_NE(group.find("root:x:0:\n"), std::string::npos) << group;
  EXPECT_NE(group.find("app:x:1000:\n"), std::string::npos) << group;
  EXPECT_NE(group.find("nogroup:x:65534:\n"), std::string::npos) << group;
}

// Both formats hold the same image, and it is the one FullBusyboxLayer and
// BusyboxConfigJson make now: the tool adds nothing of its own and the
// image id does not change from build to build.
TEST_F(BusyboxImageTest, OciLayoutHoldsTheSameDeterministicImage) {
  Image docker = Load("busybox.tar");
  Image oci = Load("busybox-oci.tar");
  EXPECT_EQ(oci.names, std::vector<std::string>{kName});
  EXPECT_EQ(oci.config_digest, docker.config_digest);
  EXPECT_EQ(oci.diff_ids(), docker.diff_ids());

  absl::StatusOr<testing::TestLayer> layer = testing::FullBusyboxLayer();
  ASSERT_TRUE(layer.ok()) << layer.status();
  EXPECT_EQ(std::vector<Digest>{layer->diff_id}, docker.diff_ids());
  EXPECT_EQ(Sha256Of(testing::BusyboxConfigJson({layer->diff_id})), docker.config_digest);
}

TEST(MkimageTest, BadFlagsAreErrorsAndWriteNothing) {
  std::string dir = TempDir("mkimage");
  std::string out_path = dir + "/x.tar";
  std::string tool = Runfile("mkimage");
  std::string out;

  EXPECT_EQ(RunShell(tool + " --output " + out_path + " --format zip", &out), 1) << out;
  EXPECT_NE(out.find("--format `zip`: want docker or oci"), std::string::npos) << out;

  EXPECT_EQ(RunShell(tool + " --output " + out_path + " --tag Busybox", &out), 1) << out;
  EXPECT_NE(out.find("must be lowercase"), std::string::npos) << out;

  EXPECT_EQ(RunShell(tool, &out), 2) << out;
  EXPECT_NE(out.find("usage: mkimage --output FILE"), std::string::npos) << out;

  EXPECT_EQ(RunShell(tool + " --output " + dir + "/missing/x.tar", &out), 1) << out;
  EXPECT_NE(out.find(dir + "/missing"), std::string::npos) << out;

  // Nothing left behind: no tar, no temp store.
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "mkimage left files in " << dir;
}

TEST(MkimageTest, TagIsNormalized) {
  std::string dir = TempDir("mkimage-tag");
  std::string out;
  ASSERT_EQ(
      RunShell(Runfile("mkimage") + " --tag localhost/skifftest/box:1 --output " + dir + "/t.tar",
               &out),
      0)
      << out;
  auto store = ContentStore::Open(dir + "/store");
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<Image>> imgs = LoadArchive(dir + "/t.tar", **store);
  ASSERT_TRUE(imgs.ok()) << imgs.status();
  ASSERT_EQ(imgs->size(), 1u);
  EXPECT_EQ((*imgs)[0].names, std::vector<std::string>{"localhost/skifftest/box:1"});
}

}  // namespace
}  // namespace skiff::manager
