#include "manager/system/readiness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "manager/system/cgroup_detect.h"
#include "manager/system/command_version.h"

namespace skiff::manager {
namespace {

using skiff::v1::ReadinessCheck;

ReadinessCheck Ok(const std::string& name) {
  ReadinessCheck c;
  c.set_name(name);
  c.set_severity(ReadinessCheck::SEVERITY_OK);
  return c;
}

ReadinessCheck Problem(const std::string& name, ReadinessCheck::Severity severity,
                       std::string problem, std::string fix) {
  ReadinessCheck c;
  c.set_name(name);
  c.set_severity(severity);
  c.set_problem(std::move(problem));
  c.set_fix(std::move(fix));
  return c;
}

int RealPidfdOpen() {
  long fd = syscall(SYS_pidfd_open, getpid(), 0);
  if (fd < 0) return errno;
  close(static_cast<int>(fd));
  return 0;
}

int RealOpenat2() {
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
  if (fd < 0) return errno;
  close(static_cast<int>(fd));
  return 0;
}

struct Controller {
  const char* name;
  const char* v1_name;
  const char* degrades;
};

constexpr Controller kControllers[] = {
    {"memory", "memory", "--memory limits cannot be applied and OOM kills are not reported"},
    {"pids", "pids", "--pids-limit cannot be applied"},
    {"cpu", "cpu", "--cpus, --cpu-shares and --cpu-quota cannot be applied"},
    {"freezer", "freezer", "skiff pause and unpause do not work"},
};

void CheckCgroups(const ReadinessOptions& o, std::vector<ReadinessCheck>& out) {
  absl::StatusOr<CgroupMounts> m = DetectCgroups(o.mountinfo_path, o.cgroup_root);
  if (!m.ok()) {
    const std::string problem = absl::StrCat("cannot read the mount table: ", m.status().message());
    out.push_back(Problem("cgroup", ReadinessCheck::SEVERITY_ERROR, problem,
                          "mount procfs at /proc: mount -t proc proc /proc"));
    for (const Controller& c : kControllers) {
      out.push_back(Problem(absl::StrCat("cgroup.", c.name), ReadinessCheck::SEVERITY_WARNING,
                            absl::StrCat(problem, ": ", c.degrades),
                            "mount procfs at /proc: mount -t proc proc /proc"));
    }
    return;
  }
  if (m->mode == CgroupMounts::Mode::kNone) {
    const std::string fix = absl::StrCat("mount cgroup2: mount -t cgroup2 cgroup2 ", o.cgroup_root,
                                         " (systemd hosts have it mounted at boot)");
    out.push_back(Problem("cgroup", ReadinessCheck::SEVERITY_ERROR,
                          absl::StrCat("no cgroup filesystem is mounted (no cgroup or cgroup2 in ",
                                       o.mountinfo_path, "): containers cannot be limited"),
                          fix));
    for (const Controller& c : kControllers) {
      out.push_back(Problem(absl::StrCat("cgroup.", c.name), ReadinessCheck::SEVERITY_WARNING,
                            absl::StrCat("no cgroup filesystem is mounted: ", c.degrades), fix));
    }
    return;
  }
  out.push_back(Ok("cgroup"));
  for (const Controller& c : kControllers) {
    const std::string name = absl::StrCat("cgroup.", c.name);
    if (m->Has(c.v1_name)) {
      out.push_back(Ok(name));
    } else if (m->mode == CgroupMounts::Mode::kV2) {
      out.push_back(
          Problem(name, ReadinessCheck::SEVERITY_WARNING,
                  absl::StrCat("the ", c.name, " controller is not in ", m->unified,
                               "/cgroup.controllers: ", c.degrades),
                  absl::StrCat("enable it on the kernel command line (cgroup_enable=", c.name,
                               ", and no cgroup_disable=", c.name, ") and reboot")));
    } else {
      out.push_back(Problem(
          name, ReadinessCheck::SEVERITY_WARNING,
          absl::StrCat("no cgroup v1 hierarchy has the ", c.name, " controller: ", c.degrades),
          absl::StrCat("mount it: mkdir -p ", o.cgroup_root, "/", c.v1_name,
                       " && mount -t cgroup -o ", c.v1_name, " cgroup ", o.cgroup_root, "/",
                       c.v1_name)));
    }
  }
}

ReadinessCheck CheckSeccomp(const ReadinessOptions& o) {
  const char* fix = "use a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER";
  absl::StatusOr<std::string> status = ReadFile(o.self_status_path);
  if (status.ok()) {
    for (absl::string_view line : absl::StrSplit(*status, '\n')) {
      if (absl::StartsWith(line, "Seccomp:")) return Ok("seccomp");
    }
    return Problem(
        "seccomp", ReadinessCheck::SEVERITY_WARNING,
        absl::StrCat("the kernel has no seccomp support (no Seccomp field in ", o.self_status_path,
                     "): containers run without the default seccomp profile"),
        fix);
  }
  // No /proc: ask the kernel directly; EINVAL means no CONFIG_SECCOMP.
  if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0) return Ok("seccomp");
  return Problem("seccomp", ReadinessCheck::SEVERITY_WARNING,
                 absl::StrCat("prctl(PR_GET_SECCOMP) failed: ", strerror(errno),
                              ": containers run without the default seccomp profile"),
                 fix);
}

ReadinessCheck CheckSyscall(const char* name, const std::function<int()>& probe, int (*real)(),
                            const char* call, const char* since, const char* degrades) {
  int err = probe ? probe() : real();
  if (err == 0) return Ok(name);
  if (err == ENOSYS) {
    return Problem(name, ReadinessCheck::SEVERITY_WARNING,
                   absl::StrCat(call, " is not supported by this kernel: ", degrades),
                   absl::StrCat("upgrade to Linux ", since, " or newer"));
  }
  // EPERM: a seccomp filter around skiffd itself (a container, systemd's
  // SystemCallFilter=) forbids it.
  return Problem(name, ReadinessCheck::SEVERITY_WARNING,
                 absl::StrCat(call, " failed: ", strerror(err), ": ", degrades),
                 absl::StrCat("allow ", call,
                              " in the seccomp filter skiffd runs under (systemd "
                              "SystemCallFilter=, or the container skiffd runs in)"));
}

// The nearest existing ancestor of `path` (itself when it exists).
std::string ExistingAncestor(std::string path) {
  while (!path.empty() && access(path.c_str(), F_OK) != 0) {
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
  return path;
}

ReadinessCheck CheckWritableDir(const char* name, const std::string& dir, const char* flag) {
  if (dir.empty()) {
    return Problem(name, ReadinessCheck::SEVERITY_ERROR,
                   absl::StrCat("no ", flag, " directory is set"),
                   absl::StrCat("pass ", flag, " /path/to/dir"));
  }
  const std::string existing = ExistingAncestor(dir);
  if (access(existing.c_str(), W_OK | X_OK) == 0) return Ok(name);
  const std::string what = existing == dir ? absl::StrCat(flag, " `", dir, "` is not writable")
                                           : absl::StrCat(flag, " `", dir, "` cannot be created: `",
                                                          existing, "` is not writable");
  return Problem(name, ReadinessCheck::SEVERITY_ERROR, absl::StrCat(what, ": ", strerror(errno)),
                 absl::StrCat("run skiffd as root, remount the filesystem read-write, or pass ",
                              flag, " on a writable filesystem"));
}

ReadinessCheck CheckUser(const ReadinessOptions& o) {
  uid_t euid = o.euid ? o.euid() : geteuid();
  if (euid == 0) return Ok("user");
  return Problem("user", ReadinessCheck::SEVERITY_ERROR,
                 absl::StrCat("skiffd must run as root (rootless skiffd is not supported yet); "
                              "it runs as uid ",
                              euid),
                 "start skiffd as root (sudo skiffd, or a system service)");
}

}  // namespace

ReadinessCheck CheckOverlay(const ReadinessOptions& o) {
  absl::StatusOr<std::string> fs = ReadFile(o.filesystems_path);
  if (fs.ok()) {
    for (absl::string_view line : absl::StrSplit(*fs, '\n')) {
      std::vector<absl::string_view> f =
          absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
      if (!f.empty() && f.back() == "overlay") return Ok("overlay");
    }
  }
  const std::string where =
      fs.ok() ? absl::StrCat("overlay is not in ", o.filesystems_path)
              : absl::StrCat("cannot read ", o.filesystems_path, ": ", fs.status().message());
  if (o.snapshotter == "copy") {
    // Nothing degrades: copying was asked for.
    return Problem("overlay", ReadinessCheck::SEVERITY_WARNING,
                   absl::StrCat(where, " (the copying snapshotter is in use anyway)"),
                   "modprobe overlay");
  }
  return Problem("overlay", ReadinessCheck::SEVERITY_WARNING,
                 absl::StrCat(where,
                              ": the copying snapshotter is used (each container copies its "
                              "image: slower starts, more disk)"),
                 "modprobe overlay");
}

ReadinessCheck CheckBinary(const std::string& name, const std::string& path,
                           const std::string& flag) {
  const std::string binary = name == "runtime" ? "ocirun" : "skiff-shim";
  const std::string fix =
      absl::StrCat("install ", binary, " or point skiffd at it: ", flag, " /path/to/", binary);
  if (path.empty()) {
    return Problem(name, ReadinessCheck::SEVERITY_ERROR,
                   absl::StrCat("no ", name, " binary is configured"), fix);
  }
  absl::StatusOr<std::string> version = CommandVersion(path);
  if (version.ok()) return Ok(name);
  return Problem(name, ReadinessCheck::SEVERITY_ERROR,
                 absl::StrCat(name, " `", path, "` is not usable: ", version.status().message()),
                 fix);
}

std::vector<ReadinessCheck> CheckHost(const ReadinessOptions& o) {
  std::vector<ReadinessCheck> out;
  CheckCgroups(o, out);
  out.push_back(CheckOverlay(o));
  out.push_back(CheckSeccomp(o));
  out.push_back(
      CheckSyscall("kernel.pidfd", o.probe_pidfd_open, RealPidfdOpen, "pidfd_open(2)", "5.3",
                   "processes are tracked by pid, which the kernel may reuse after they exit"));
  out.push_back(CheckSyscall("kernel.openat2", o.probe_openat2, RealOpenat2, "openat2(2)", "5.6",
                             "paths inside container root filesystems are resolved in user "
                             "space, which is slower and races with the container"));
  out.push_back(CheckBinary("runtime", o.runtime_path, "--runtime"));
  out.push_back(CheckBinary("shim", o.shim_path, "--shim"));
  out.push_back(CheckWritableDir("root", o.root_dir, "--root"));
  out.push_back(CheckWritableDir("state", o.state_dir, "--state"));
  out.push_back(CheckUser(o));
  return out;
}

bool IsReady(const std::vector<ReadinessCheck>& checks) {
  for (const ReadinessCheck& c : checks) {
    if (c.severity() == ReadinessCheck::SEVERITY_ERROR) return false;
  }
  return true;
}

}  // namespace skiff::manager
