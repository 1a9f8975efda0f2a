#include "manager/containers/seccomp_profile.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::manager {
namespace {

using json = nlohmann::json;

// Allowed for every container, whatever its capabilities.
// clang-format off
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset", "chdir",
    "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl",
    "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr",
    "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
    "futex", "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
    "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit",
    "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc", "kill", "landlock_add_rule",
    "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
    "linkat", "listen", "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr",
    "lstat", "lstat64", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
    "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
    "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv",
    "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep",
    "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll",
    "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat",
    "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
    "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl", "semget",
    "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
    "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
    "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid",
    "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
    "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice",
    "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
    "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
    "wait4", "waitid", "waitpid", "write", "writev",
};
// clang-format on

// CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
// CLONE_NEWNET | CLONE_NEWCGROUP: clone may create threads and processes,
// not namespaces, without CAP_SYS_ADMIN.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

json Allow(std::vector<std::string> names) {
  return {{"names", std::move(names)}, {"action", "SCMP_ACT_ALLOW"}};
}

json AllowForArches(std::vector<std::string> names, std::vector<std::string> arches) {
  json r = Allow(std::move(names));
  r["includes"] = {{"arches", std::move(arches)}};
  return r;
}

json AllowWithCap(std::vector<std::string> names, const std::string& cap) {
  json r = Allow(std::move(names));
  r["includes"] = {{"caps", {cap}}};
  return r;
}

json Arg(int index, uint64_t value, const char* op) {
  return {{"index", index}, {"value", value}, {"op", op}};
}

json BuildDefault() {
  json rules = json::array();
  rules.push_back(Allow(std::vector<std::string>(std::begin(kAllowed), std::end(kAllowed))));
  // Unprivileged ptrace became safe with 4.8 (seccomp bypass fixed).
  json ptrace = Allow({"process_vm_readv", "process_vm_writev", "ptrace"});
  ptrace["includes"] = {{"minKernel", "4.8"}};
  rules.push_back(ptrace);
  // Every socket family but AF_VSOCK (40).
  json socket = Allow({"socket"});
  socket["args"] = json::array({Arg(0, 40, "SCMP_CMP_NE")});
  rules.push_back(socket);
  // personality(2) only with the harmless personas: PER_LINUX,
  // PER_LINUX32, UNAME26, UNAME26|PER_LINUX32 and the query 0xffffffff.
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    json p = Allow({"personality"});
    p["args"] = json::array({Arg(0, persona, "SCMP_CMP_EQ")});
    rules.push_back(p);
  }
  rules.push_back(AllowForArches({"sync_file_range2", "swapcontext"}, {"ppc64le"}));
  rules.push_back(AllowForArches({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                  "breakpoint", "cacheflush", "set_tls"},
                                 {"arm", "arm64"}));
  rules.push_back(AllowForArches({"arch_prctl"}, {"amd64", "x32"}));
  rules.push_back(AllowForArches({"modify_ldt"}, {"amd64", "x32", "x86"}));
  rules.push_back(AllowForArches(
      {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}, {"s390", "s390x"}));
  rules.push_back(AllowForArches({"riscv_flush_icache"}, {"riscv64"}));
  rules.push_back(AllowWithCap({"open_by_handle_at"}, "CAP_DAC_READ_SEARCH"));
  rules.push_back(
      AllowWithCap({"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
                    "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
                    "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
                    "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
                    "umount",        "umount2",       "unshare"},
                   "CAP_SYS_ADMIN"));
  json clone = Allow({"clone"});
  clone["args"] = json::array({Arg(0, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ")});
  clone["excludes"] = {{"caps", {"CAP_SYS_ADMIN"}}, {"arches", {"s390", "s390x"}}};
  rules.push_back(clone);
  // s390 passes clone's flags second.
  json clone_s390 = Allow({"clone"});
  clone_s390["args"] = json::array({Arg(1, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ")});
  clone_s390["includes"] = {{"arches", {"s390", "s390x"}}};
  clone_s390["excludes"] = {{"caps", {"CAP_SYS_ADMIN"}}};
  rules.push_back(clone_s390);
  // clone3's flags live in memory seccomp cannot read: ENOSYS makes libc
  // fall back to clone, which the rule above can check.
  json clone3 = {{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}};
  clone3["excludes"] = {{"caps", {"CAP_SYS_ADMIN"}}};
  rules.push_back(clone3);
  rules.push_back(AllowWithCap({"reboot"}, "CAP_SYS_BOOT"));
  rules.push_back(AllowWithCap({"chroot"}, "CAP_SYS_CHROOT"));
  rules.push_back(AllowWithCap({"delete_module", "init_module", "finit_module"}, "CAP_SYS_MODULE"));
  rules.push_back(AllowWithCap({"acct"}, "CAP_SYS_PACCT"));
  rules.push_back(AllowWithCap(
      {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"},
      "CAP_SYS_PTRACE"));
  rules.push_back(AllowWithCap({"iopl", "ioperm"}, "CAP_SYS_RAWIO"));
  rules.push_back(
      AllowWithCap({"settimeofday", "stime", "clock_settime", "clock_settime64"}, "CAP_SYS_TIME"));
  rules.push_back(AllowWithCap({"vhangup"}, "CAP_SYS_TTY_CONFIG"));
  rules.push_back(AllowWithCap(
      {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}, "CAP_SYS_NICE"));
  rules.push_back(AllowWithCap({"syslog"}, "CAP_SYSLOG"));
  rules.push_back(AllowWithCap({"bpf"}, "CAP_BPF"));
  rules.push_back(AllowWithCap({"perf_event_open"}, "CAP_PERFMON"));

  auto arch_map = [](const char* arch, std::vector<std::string> subs) {
    return json{{"architecture", arch}, {"subArchitectures", std::move(subs)}};
  };
  return {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", EPERM},
      {"archMap", json::array({
                      arch_map("SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}),
                      arch_map("SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}),
                      arch_map("SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}),
                      arch_map("SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}),
                      arch_map("SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}),
                      arch_map("SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}),
                      arch_map("SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}),
                      arch_map("SCMP_ARCH_RISCV64", {}),
                  })},
      {"syscalls", std::move(rules)},
  };
}

// GOARCH -> the libseccomp name of the native architecture.
std::string SeccompArch(const std::string& goarch) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"amd64", "SCMP_ARCH_X86_64"},      {"386", "SCMP_ARCH_X86"},
      {"arm64", "SCMP_ARCH_AARCH64"},     {"arm", "SCMP_ARCH_ARM"},
      {"s390x", "SCMP_ARCH_S390X"},       {"ppc64le", "SCMP_ARCH_PPC64LE"},
      {"riscv64", "SCMP_ARCH_RISCV64"},   {"mips64", "SCMP_ARCH_MIPS64"},
      {"mips64le", "SCMP_ARCH_MIPSEL64"},
  };
  for (const auto& [go, scmp] : kMap) {
    if (goarch == go) return scmp;
  }
  return "";
}

absl::Status Invalid(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("seccomp profile: ", field, ": ", what));
}

absl::StatusOr<std::vector<std::string>> StringList(const json& obj, const char* key,
                                                    const std::string& field) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return Invalid(field, "must be an array of strings");
  for (const json& v : *it) {
    if (!v.is_string()) return Invalid(field, "must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool In(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// "4.8" or "5.10.0" against the target; false when unparsable.
bool KernelAtLeast(const SeccompTarget& t, const std::string& version) {
  std::vector<std::string> parts = absl::StrSplit(version, '.');
  int major = 0, minor = 0;
  if (parts.empty() || !absl::SimpleAtoi(parts[0], &major)) return false;
  if (parts.size() > 1 && !absl::SimpleAtoi(parts[1], &minor)) return false;
  return t.kernel_major > major || (t.kernel_major == major && t.kernel_minor >= minor);
}

// Whether a rule's "includes" (want=true) or "excludes" (want=false)
// condition holds. For includes every part must match; for excludes any
// matching part drops the rule.
absl::StatusOr<bool> Matches(const json& cond, const std::string& field, const SeccompTarget& t,
                             bool includes) {
  if (cond.is_null()) return includes;
  if (!cond.is_object()) return Invalid(field, "must be an object");
  auto arches = StringList(cond, "arches", field + ".arches");
  if (!arches.ok()) return arches.status();
  auto caps = StringList(cond, "caps", field + ".caps");
  if (!caps.ok()) return caps.status();
  std::string min_kernel;
  if (auto it = cond.find("minKernel"); it != cond.end() && !it->is_null()) {
    if (!it->is_string()) return Invalid(field + ".minKernel", "must be a string like \"4.8\"");
    min_kernel = it->get<std::string>();
  }
  if (includes) {
    if (!arches->empty() && !In(*arches, t.arch)) return false;
    for (const std::string& c : *caps) {
      if (!In(t.caps, c)) return false;
    }
    if (!min_kernel.empty() && !KernelAtLeast(t, min_kernel)) return false;
    return true;
  }
  if (In(*arches, t.arch)) return true;
  for (const std::string& c : *caps) {
    if (In(t.caps, c)) return true;
  }
  return !min_kernel.empty() && KernelAtLeast(t, min_kernel);
}

}  // namespace

SeccompTarget HostSeccompTarget(const std::vector<std::string>& caps) {
  SeccompTarget t;
  t.caps = caps;
  struct utsname u;
  if (uname(&u) != 0) return t;
  const std::string machine = u.machine;
  if (machine == "x86_64")
    t.arch = "amd64";
  else if (machine == "aarch64")
    t.arch = "arm64";
  else if (machine.size() == 4 && machine[0] == 'i' && machine.substr(2) == "86")
    t.arch = "386";
  else if (machine.rfind("armv", 0) == 0)
    t.arch = "arm";
  else
    t.arch = machine;  // s390x, ppc64le, riscv64 are the same in both
  std::sscanf(u.release, "%d.%d", &t.kernel_major, &t.kernel_minor);
  return t;
}

const json& DefaultDockerSeccompProfile() {
  static const json* profile = new json(BuildDefault());
  return *profile;
}

absl::StatusOr<json> ToOciSeccomp(const json& profile, const SeccompTarget& target) {
  if (!profile.is_object()) return Invalid("profile", "must be a JSON object");
  auto def = profile.find("defaultAction");
  if (def == profile.end() || !def->is_string() || def->get<std::string>().empty())
    return Invalid("defaultAction", "required");
  const bool has_arches = profile.contains("architectures") &&
                          !profile["architectures"].is_null() && !profile["architectures"].empty();
  const bool has_map =
      profile.contains("archMap") && !profile["archMap"].is_null() && !profile["archMap"].empty();
  if (has_arches && has_map)
    return Invalid("architectures", "use either \"architectures\" or \"archMap\", not both");

  json out = json::object();
  out["defaultAction"] = *def;
  for (const char* key : {"defaultErrnoRet", "listenerPath", "listenerMetadata", "flags"}) {
    if (auto it = profile.find(key); it != profile.end() && !it->is_null()) out[key] = *it;
  }
  json arches = json::array();
  if (has_arches) {
    auto a = StringList(profile, "architectures", "architectures");
    if (!a.ok()) return a.status();
    arches = *a;
  } else if (has_map) {
    const json& map = profile["archMap"];
    if (!map.is_array()) return Invalid("archMap", "must be an array");
    const std::string native = SeccompArch(target.arch);
    for (size_t i = 0; i < map.size(); ++i) {
      const std::string field = absl::StrCat("archMap[", i, "]");
      if (!map[i].is_object() || !map[i].contains("architecture") ||
          !map[i]["architecture"].is_string())
        return Invalid(field, "must be an object with an \"architecture\" string");
      if (map[i]["architecture"] != native) continue;
      arches.push_back(native);
      auto subs = StringList(map[i], "subArchitectures", field + ".subArchitectures");
      if (!subs.ok()) return subs.status();
      for (const std::string& s : *subs) arches.push_back(s);
    }
  }
  if (!arches.empty()) out["architectures"] = std::move(arches);

  json syscalls = json::array();
  if (auto it = profile.find("syscalls"); it != profile.end() && !it->is_null()) {
    if (!it->is_array()) return Invalid("syscalls", "must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& rule = (*it)[i];
      const std::string field = absl::StrCat("syscalls[", i, "]");
      if (!rule.is_object()) return Invalid(field, "must be an object");
      auto names = StringList(rule, "names", field + ".names");
      if (!names.ok()) return names.status();
      if (auto n = rule.find("name"); n != rule.end() && !n->is_null()) {
        if (!names->empty()) return Invalid(field, "use either \"name\" or \"names\", not both");
        if (!n->is_string()) return Invalid(field + ".name", "must be a string");
        names->push_back(n->get<std::string>());
      }
      if (auto inc = rule.find("includes"); inc != rule.end()) {
        auto ok = Matches(*inc, field + ".includes", target, true);
        if (!ok.ok()) return ok.status();
        if (!*ok) continue;
      }
      if (auto exc = rule.find("excludes"); exc != rule.end()) {
        auto hit = Matches(*exc, field + ".excludes", target, false);
        if (!hit.ok()) return hit.status();
        if (*hit) continue;
      }
      auto action = rule.find("action");
      if (action == rule.end() || !action->is_string())
        return Invalid(field + ".action", "required");
      json r = {{"names", *names}, {"action", *action}};
      for (const char* key : {"errnoRet", "args"}) {
        if (auto v = rule.find(key); v != rule.end() && !v->is_null()) r[key] = *v;
      }
      syscalls.push_back(std::move(r));
    }
  }
  out["syscalls"] = std::move(syscalls);
  return out;
}

absl::StatusOr<json> DefaultSeccomp(const std::vector<std::string>& caps) {
  return ToOciSeccomp(DefaultDockerSeccompProfile(), HostSeccompTarget(caps));
}

}  // namespace skiff::manager
