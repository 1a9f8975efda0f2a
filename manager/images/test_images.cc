#include "manager/images/test_images.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/images/media_types.h"
#include "manager/images/platform.h"

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

namespace {

constexpr char kBusybox[] = "/bin/busybox";

// The applet names `/bin/busybox --list` prints, without "busybox" itself.
absl::StatusOr<std::vector<std::string>> BusyboxApplets() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return Errno("pipe for", "busybox --list");
  UniqueFd rd(p[0]), wr(p[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, wr.get(), STDOUT_FILENO);
  char arg0[] = "busybox", arg1[] = "--list";
  char* argv[] = {arg0, arg1, nullptr};
  char* envp[] = {nullptr};
  pid_t pid;
  int err = posix_spawn(&pid, kBusybox, &fa, nullptr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return ErrnoError(err, "running", "/bin/busybox --list");
  wr.reset();
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return absl::InternalError(
        absl::StrCat("`/bin/busybox --list` was killed by signal ", WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat("`/bin/busybox --list` exited with status ", WEXITSTATUS(status)));
  }
  std::vector<std::string> applets;
  for (absl::string_view a : absl::StrSplit(out, '\n', absl::SkipWhitespace())) {
    // A name with a '/' would put the link outside bin/.
    if (a == "busybox" || a == "." || a == ".." || a.find('/') != absl::string_view::npos) continue;
    applets.emplace_back(a);
  }
  if (applets.empty()) return absl::InternalError("`/bin/busybox --list` listed no applets");
  return applets;
}

}  // namespace

absl::StatusOr<TestLayer> FullBusyboxLayer(TarCompression compression) {
  struct stat st;
  if (stat(kBusybox, &st) != 0) {
    return absl::NotFoundError("/bin/busybox is missing (install busybox-static)");
  }
  ASSIGN_OR_RETURN(std::string bin, ReadFile(kBusybox));
  ASSIGN_OR_RETURN(std::vector<std::string> applets, BusyboxApplets());
  std::vector<TarEntry> e = {TarEntry::Dir("bin"), TarEntry::File("bin/busybox", bin, 0755)};
  for (const std::string& a : applets) e.push_back(TarEntry::Symlink("bin/" + a, "busybox"));
  e.push_back(TarEntry::Dir("dev"));
  e.push_back(TarEntry::Dir("etc"));
  e.push_back(TarEntry::File("etc/group",
                             "root:x:0:\n"
                             "app:x:1000:\n"
                             "nogroup:x:65534:\n"));
  e.push_back(TarEntry::File("etc/passwd",
                             "root:x:0:0:root:/root:/bin/sh\n"
                             "app:x:1000:1000:app:/home/app:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"));
  e.push_back(TarEntry::Dir("home"));
  TarEntry home = TarEntry::Dir("home/app");
  home.uid = home.gid = 1000;
  e.push_back(home);
  e.push_back(TarEntry::Dir("proc", 0555));
  e.push_back(TarEntry::Dir("root", 0700));
  e.push_back(TarEntry::Dir("sys", 0555));
  e.push_back(TarEntry::Dir("tmp", 01777));
  e.push_back(TarEntry::Dir("var"));
  e.push_back(TarEntry::Dir("var/tmp", 01777));
  return MakeLayer(e, compression);
}

std::string BusyboxConfigJson(const std::vector<Digest>& diff_ids) {
  struct utsname u;
  Platform host;
  host.os = "linux";
  host.architecture = uname(&u) == 0 ? u.machine : "amd64";
  host = Normalize(host);
  nlohmann::json ids = nlohmann::json::array();
  nlohmann::json history = nlohmann::json::array();
  for (const Digest& d : diff_ids) {
    ids.push_back(d.str());
    history.push_back({{"created", "2024-01-01T00:00:00Z"},
                       {"created_by", "skiff tests/images: busybox-static from the host"}});
  }
  nlohmann::json j = {
      {"architecture", host.architecture},
      {"os", "linux"},
      {"created", "2024-01-01T00:00:00Z"},
      {"config",
       {{"Cmd", {"sh"}},
        {"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"WorkingDir", "/"}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", ids}}},
      {"history", history},
  };
  if (!host.variant.empty()) j["variant"] = host.variant;
  return j.dump();
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
