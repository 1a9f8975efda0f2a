// linux.seccomp: validation messages, and the behaviour of loaded filters in
// forked children that probe syscalls (errno, ENOSYS stub, argument
// conditions, kill/trap/trace/log actions, architectures, notify).
#include "runtime/seccomp.h"

#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace skiff::runtime {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Validation.

json DockerLikeProfile() {
  return json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [
      {"names": ["accept", "accept4", "access", "arch_prctl", "bind", "brk", "capget",
                 "capset", "chdir", "close", "close_range", "connect", "dup", "dup3",
                 "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "execve",
                 "exit", "exit_group", "faccessat2", "fchdir", "fcntl", "fstat", "futex",
                 "futex_waitv", "getdents64", "getpid", "getppid", "getrandom", "ioctl",
                 "landlock_create_ruleset", "lseek", "mmap", "mprotect", "munmap",
                 "openat", "openat2", "pipe2", "prctl", "read", "rseq", "rt_sigaction",
                 "rt_sigprocmask", "rt_sigreturn", "sendmsg", "set_tid_address",
                 "setresuid", "setresgid", "write", "no_such_syscall_in_any_kernel"],
       "action": "SCMP_ACT_ALLOW"},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "comment": "unknown keys are ignored"}
    ]
  })");
}

TEST(ValidateSeccomp, AcceptsDockerLikeProfile) {
  EXPECT_TRUE(ValidateSeccomp(DockerLikeProfile()).ok()) << ValidateSeccomp(DockerLikeProfile());
}

TEST(ValidateSeccomp, AcceptsEmptyProfileAsDisabled) {
  EXPECT_TRUE(ValidateSeccomp(json::object()).ok());
  EXPECT_TRUE(ValidateSeccomp(json::parse(R"({"syscalls": []})")).ok());
}

TEST(ValidateSeccomp, AcceptsEveryActionFlagAndKnownArchitecture) {
  json p = json::parse(R"({
    "defaultAction": "SCMP_ACT_KILL_PROCESS",
    "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
              "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K"],
    "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["write"], "action": "SCMP_ACT_LOG"},
      {"names": ["getpid"], "action": "SCMP_ACT_KILL"},
      {"names": ["getppid"], "action": "SCMP_ACT_KILL_THREAD"},
      {"names": ["getuid"], "action": "SCMP_ACT_TRAP"},
      {"names": ["getgid"], "action": "SCMP_ACT_TRACE", "errnoRet": 5},
      {"names": ["geteuid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"names": ["getegid"], "action": "SCMP_ACT_KILL_PROCESS"}
    ]
  })");
  absl::Status st = ValidateSeccomp(p);
  EXPECT_TRUE(st.ok()) << st;
}

struct BadCase {
  const char* name;
  std::function<void(json&)> edit;
  std::string message;
};

TEST(ValidateSeccomp, RejectsBadProfilesNamingTheField) {
  const std::vector<BadCase> cases = {
      {"default action", [](json& p) { p["defaultAction"] = "SCMP_ACT_BOGUS"; },
       "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BOGUS\""},
      {"missing default", [](json& p) { p.erase("defaultAction"); },
       "linux.seccomp.defaultAction: required"},
      {"notify default",
       [](json& p) {
         p["defaultAction"] = "SCMP_ACT_NOTIFY";
         p.erase("defaultErrnoRet");
       },
       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
      {"syscall action", [](json& p) { p["syscalls"][3]["action"] = "X"; },
       "linux.seccomp.syscalls[3].action: unknown action \"X\""},
      {"action type", [](json& p) { p["syscalls"][0]["action"] = 7; },
       "linux.seccomp.syscalls[0].action: must be a string"},
      {"operator", [](json& p) { p["syscalls"][1]["args"][0]["op"] = "SCMP_CMP_XX"; },
       "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_XX\""},
      {"arg index", [](json& p) { p["syscalls"][2]["args"][0]["index"] = 6; },
       "linux.seccomp.syscalls[2].args[0].index: 6 is out of range (0..5)"},
      {"arg value", [](json& p) { p["syscalls"][2]["args"][0]["value"] = -1; },
       "linux.seccomp.syscalls[2].args[0].value: must not be negative, got -1"},
      {"missing op", [](json& p) { p["syscalls"][2]["args"][0].erase("op"); },
       "linux.seccomp.syscalls[2].args[0].op: required"},
      {"architecture", [](json& p) { p["architectures"][1] = "SCMP_ARCH_VAX"; },
       "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\""},
      {"flag",
       [](json& p) {
         p["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_X"};
       },
       "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_X\""},
      {"errnoRet on allow", [](json& p) { p["syscalls"][0]["errnoRet"] = 1; },
       "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an "
       "errno, not SCMP_ACT_ALLOW"},
      {"errnoRet range", [](json& p) { p["syscalls"][5]["errnoRet"] = 70000; },
       "linux.seccomp.syscalls[5].errnoRet: 70000 is out of range (0..65535)"},
      {"defaultErrnoRet type", [](json& p) { p["defaultErrnoRet"] = "EPERM"; },
       "linux.seccomp.defaultErrnoRet: must be a non-negative integer"},
      {"defaultErrnoRet on kill", [](json& p) { p["defaultAction"] = "SCMP_ACT_KILL_PROCESS"; },
       "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, "
       "not SCMP_ACT_KILL_PROCESS"},
      {"no names", [](json& p) { p["syscalls"][4].erase("names"); },
       "linux.seccomp.syscalls[4].names: required"},
      {"empty names", [](json& p) { p["syscalls"][4]["names"] = json::array(); },
       "linux.seccomp.syscalls[4].names: must name at least one syscall"},
      {"name type", [](json& p) { p["syscalls"][0]["names"][2] = 3; },
       "linux.seccomp.syscalls[0].names[2]: must be a string"},
      {"syscalls type", [](json& p) { p["syscalls"] = "all"; },
       "linux.seccomp.syscalls: must be an array"},
      {"notify without listener",
       [](json& p) {
         p["syscalls"][0] = {{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}};
       },
       "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"},
      {"notify on sendmsg",
       [](json& p) {
         p["listenerPath"] = "/run/agent.sock";
         p["syscalls"][0] = {{"names", {"mkdir", "sendmsg"}}, {"action", "SCMP_ACT_NOTIFY"}};
       },
       "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY cannot apply to sendmsg: the runtime "
       "sends the seccomp agent its fd with it"},
      {"listenerPath type", [](json& p) { p["listenerPath"] = 1; },
       "linux.seccomp.listenerPath: must be a string"},
  };
  for (const BadCase& c : cases) {
    json p = DockerLikeProfile();
    c.edit(p);
    absl::Status st = ValidateSeccomp(p);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << st;
    EXPECT_EQ(std::string(st.message()), c.message) << c.name;
  }
  absl::Status st = ValidateSeccomp(json::array());
  EXPECT_EQ(std::string(st.message()), "linux.seccomp: must be an object");
}

#if defined(__x86_64__)
TEST(ValidateSeccomp, RejectsArchitectureThatCannotJoinTheNativeOne) {
  json p = DockerLikeProfile();
  p["architectures"] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_PPC64"};  // big-endian
  absl::Status st = ValidateSeccomp(p);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  const std::string prefix =
      "linux.seccomp.architectures[1]: SCMP_ARCH_PPC64 cannot be combined with the native "
      "architecture in one filter: ";
  EXPECT_EQ(std::string(st.message().substr(0, prefix.size())), prefix) << st;
}
#endif

TEST(ValidateSeccomp, ProcessStateMessage) {
  json profile = {{"listenerMetadata", "meta"}};
  json state = {
      {"ociVersion", "1.0.2"}, {"id", "c1"}, {"status", "creating"}, {"pid", 42}, {"bundle", "/b"}};
  json m = SeccompProcessState(profile, state);
  EXPECT_EQ(m["ociVersion"], "1.0.2");
  EXPECT_EQ(m["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(m["pid"], 42);
  EXPECT_EQ(m["metadata"], "meta");
  EXPECT_EQ(m["state"], state);
  EXPECT_FALSE(SeccompProcessState(json::object(), state).contains("metadata"));
}

TEST(ConnectSeccompListener, NoListenerWithoutNotify) {
  auto fd = ConnectSeccompListener(DockerLikeProfile());
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_EQ(*fd, -1);
}

TEST(ConnectSeccompListener, NamesTheListenerPathWhenNobodyListens) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"listenerPath", "/nonexistent-skiff/agent.sock"},
            {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  if (seccomp_api_get() < 6) GTEST_SKIP() << "libseccomp API level < 6: no notify";
  auto fd = ConnectSeccompListener(p);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(std::string(fd.status().message()),
            "connect to the seccomp agent (linux.seccomp.listenerPath) "
            "`/nonexistent-skiff/agent.sock`: No such file or directory");
}

// ---------------------------------------------------------------------------
// Behaviour: a forked child loads the filter and probes.

struct Outcome {
  std::string apply_error;   // ApplySeccomp's error, if it failed
  std::vector<int> reports;  // what the probe reported, in order
  int exit_code = -1;
  int signal = 0;
};

// After the filter is in, the probe reports through Report() only: write(2)
// and exit_group(2) are all the child needs besides what it probes.
int g_report_fd = -1;
void Report(int v) { (void)!write(g_report_fd, &v, sizeof v); }
// errno of a failed raw syscall, 0 on success.
int Err(long rc) { return rc < 0 ? errno : 0; }

Outcome RunFiltered(const json& profile, const std::function<void()>& probe,
                    bool no_new_privs = true,
                    const std::function<SeccompListener()>& listener = nullptr,
                    const std::function<void(pid_t)>& parent = nullptr) {
  int rep[2], err[2];
  if (pipe2(rep, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(rep[0]);
    close(err[0]);
    if (no_new_privs) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    absl::Status st = listener ? ApplySeccomp(profile, listener()) : ApplySeccomp(profile);
    if (!st.ok()) {
      std::string m(st.message());
      (void)!write(err[1], m.data(), m.size());
      _exit(100);
    }
    g_report_fd = rep[1];
    probe();
    _exit(0);
  }
  close(rep[1]);
  close(err[1]);
  if (parent) parent(pid);
  Outcome o;
  int v;
  while (read(rep[0], &v, sizeof v) == sizeof v) o.reports.push_back(v);
  char buf[1024];
  ssize_t n;
  while ((n = read(err[0], buf, sizeof buf)) > 0) o.apply_error.append(buf, n);
  close(rep[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  return o;
}

#define EXPECT_APPLIED(o) ASSERT_EQ((o).apply_error, "") << "exit " << (o).exit_code

class TempDir {
 public:
  TempDir() {
    char t[] = "/tmp/skiff-seccomp-XXXXXX";
    if (mkdtemp(t) == nullptr) abort();
    path_ = t;
  }
  ~TempDir() { (void)!system(("rm -rf '" + path_ + "'").c_str()); }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// Syscalls a child needs after the filter (frees of the profile and the
// program may munmap or trim the heap), for default-errno allow-lists.
json AllowList(std::vector<std::string> extra = {}) {
  std::vector<std::string> names = {"write",  "exit_group", "exit",    "rt_sigreturn", "brk",
                                    "munmap", "mmap",       "madvise", "close"};
  names.insert(names.end(), extra.begin(), extra.end());
  return {{"names", names}, {"action", "SCMP_ACT_ALLOW"}};
}

TEST(ApplySeccomp, DeniedMkdirFailsWithEperm) {
  TempDir dir;
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  std::string target = dir / "x";
  Outcome o = RunFiltered(p, [&] {
    Report(mkdir(target.c_str(), 0755) == 0 ? 0 : errno);
    Report(getppid() > 0);
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.exit_code, 0);
  ASSERT_EQ(o.reports.size(), 2u);
  EXPECT_EQ(o.reports[0], EPERM);
  EXPECT_EQ(o.reports[1], 1);
  struct stat st;
  EXPECT_NE(stat(target.c_str(), &st), 0);
}

TEST(ApplySeccomp, CustomErrnoRet) {
  TempDir dir;
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls",
             {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EROFS}},
              {{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 0}}}}};
  std::string target = dir / "x";
  Outcome o = RunFiltered(p, [&] {
    Report(mkdir(target.c_str(), 0755) == 0 ? 0 : errno);
    Report(static_cast<int>(syscall(SYS_getppid)));  // errno 0: returns 0, not the ppid
  });
  EXPECT_APPLIED(o);
  ASSERT_EQ(o.reports.size(), 2u);
  EXPECT_EQ(o.reports[0], EROFS);
  EXPECT_EQ(o.reports[1], 0);
}

TEST(ApplySeccomp, UnknownSyscallNameIsSkipped) {
  TempDir dir;
  json p = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls",
       {{{"names", {"no_such_syscall_xyz", "mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  std::string target = dir / "x";
  Outcome o = RunFiltered(p, [&] { Report(mkdir(target.c_str(), 0755) == 0 ? 0 : errno); });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, std::vector<int>{EPERM});
}

TEST(ApplySeccomp, ArgumentConditionAllowsOnlyMatchingCalls) {
  // Docker's pattern: personality is allowed for the query value only.
  json p = {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"syscalls",
             {AllowList(),
              {{"names", {"personality"}},
               {"action", "SCMP_ACT_ALLOW"},
               {"args", {{{"index", 0}, {"value", 0xffffffffu}, {"op", "SCMP_CMP_EQ"}}}}}}}};
  Outcome o = RunFiltered(p, [] {
    Report(Err(syscall(SYS_personality, 0xffffffffUL)));
    Report(Err(syscall(SYS_personality, 0UL)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{0, EPERM}));
}

TEST(ApplySeccomp, ConditionsOnOneArgumentAreAlternatives) {
  // Two conditions on arg 0 cannot share a libseccomp rule: one rule each.
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls",
             {{{"names", {"getpgid"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"errnoRet", EXDEV},
               {"args",
                {{{"index", 0}, {"value", 111111}, {"op", "SCMP_CMP_EQ"}},
                 {{"index", 0}, {"value", 222222}, {"op", "SCMP_CMP_EQ"}}}}}}}};
  Outcome o = RunFiltered(p, [] {
    Report(Err(syscall(SYS_getpgid, 111111)));
    Report(Err(syscall(SYS_getpgid, 222222)));
    Report(Err(syscall(SYS_getpgid, 333333)));  // no such process
    Report(Err(syscall(SYS_getpgid, 0)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{EXDEV, EXDEV, ESRCH, 0}));
}

TEST(ApplySeccomp, ConditionsOnDifferentArgumentsMustAllMatch) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls",
             {{{"names", {"kill"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"args",
                {{{"index", 0}, {"value", 424242}, {"op", "SCMP_CMP_EQ"}},
                 {{"index", 1}, {"value", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
  Outcome o = RunFiltered(p, [] {
    Report(Err(syscall(SYS_kill, 424242, 0)));
    Report(Err(syscall(SYS_kill, 424242, SIGCONT)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{EPERM, ESRCH}));
}

TEST(ApplySeccomp, MaskedEqualUsesValueTwo) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls",
             {{{"names", {"getpgid"}},
               {"action", "SCMP_ACT_ERRNO"},
               {"args",
                {{{"index", 0},
                  {"value", 0xff000},
                  {"valueTwo", 0x12000},
                  {"op", "SCMP_CMP_MASKED_EQ"}}}}}}}};
  Outcome o = RunFiltered(p, [] {
    Report(Err(syscall(SYS_getpgid, 0x712345)));
    Report(Err(syscall(SYS_getpgid, 0x722345)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{EPERM, ESRCH}));
}

TEST(ApplySeccomp, NewerSyscallsThanTheProfileGetEnosys) {
  // Allow-list under a default errno: clone3 and getrandom lie above every
  // syscall the profile names, getppid below.
  json p = {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"defaultErrnoRet", EACCES},
            {"syscalls", {AllowList({"getpid"})}}};
  Outcome o = RunFiltered(p, [] {
    Report(Err(syscall(SYS_clone3, nullptr, 0)));
    Report(Err(syscall(SYS_getrandom, nullptr, 0, 0)));
    Report(Err(syscall(SYS_getppid)));
    Report(Err(syscall(SYS_getpid)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{ENOSYS, ENOSYS, EACCES, 0}));
}

TEST(ApplySeccomp, Clone3GetsEnosysEvenBelowTheHighestNamedSyscall) {
  // faccessat2 (439) is newer than clone3 (435): only the clone3 rule helps.
  json p = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {AllowList({"faccessat2"})}}};
  Outcome o = RunFiltered(p, [] {
    Report(Err(syscall(SYS_clone3, nullptr, 0)));
    Report(Err(syscall(SYS_getrandom, nullptr, 0, 0)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{ENOSYS, EPERM}));
}

TEST(ApplySeccomp, Clone3NamedByTheProfileKeepsItsAction) {
  json p = {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"syscalls",
       {AllowList(), {{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EXDEV}}}}};
  Outcome o = RunFiltered(p, [] { Report(Err(syscall(SYS_clone3, nullptr, 0))); });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, std::vector<int>{EXDEV});
}

TEST(ApplySeccomp, NoEnosysUnderPermissiveDefault) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls", {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  Outcome o = RunFiltered(p, [] { Report(Err(syscall(SYS_clone3, nullptr, 0))); });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, std::vector<int>{EINVAL});  // the kernel's answer to a null clone_args
}

#if defined(__x86_64__)
TEST(ApplySeccomp, EnosysCoversNumbersLibseccompDoesNotKnow) {
  // 462 (mseal, Linux 6.10) is newer than libseccomp 2.5.4.
  constexpr long kMseal = 462;
  Outcome plain = RunFiltered(json::object(), [] { Report(Err(syscall(kMseal, 0, 0, 0))); });
  ASSERT_EQ(plain.reports.size(), 1u);
  if (plain.reports[0] == ENOSYS) GTEST_SKIP() << "this kernel has no syscall 462";
  json p = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {AllowList()}}};
  Outcome o = RunFiltered(p, [] { Report(Err(syscall(kMseal, 0, 0, 0))); });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, std::vector<int>{ENOSYS});
}
#endif

TEST(ApplySeccomp, KillProcessKillsWithSigsys) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}}}};
  Outcome o = RunFiltered(p, [] {
    Report(1);
    syscall(SYS_getppid);
    Report(2);
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.signal, SIGSYS);
  EXPECT_EQ(o.reports, std::vector<int>{1});
}

TEST(ApplySeccomp, KillAndKillThreadKillTheOnlyThread) {
  for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"}) {
    json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"syscalls", {{{"names", {"getppid"}}, {"action", action}}}}};
    Outcome o = RunFiltered(p, [] { syscall(SYS_getppid); });
    EXPECT_APPLIED(o);
    EXPECT_EQ(o.signal, SIGSYS) << action;
  }
}

TEST(ApplySeccomp, TrapRaisesSigsys) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_TRAP"}}}}};
  Outcome o = RunFiltered(p, [] {
    signal(SIGSYS, SIG_DFL);
    syscall(SYS_getppid);
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.signal, SIGSYS);
}

TEST(ApplySeccomp, TraceWithoutTracerGivesEnosysAndLogAllows) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls",
             {{{"names", {"getppid"}}, {"action", "SCMP_ACT_TRACE"}},
              {{"names", {"getpgid"}}, {"action", "SCMP_ACT_LOG"}}}}};
  Outcome o = RunFiltered(p, [] {
    Report(Err(syscall(SYS_getppid)));
    Report(Err(syscall(SYS_getpgid, 0)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{ENOSYS, 0}));
}

TEST(ApplySeccomp, FlagsLoad) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"flags",
             {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
              "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}},
            {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  Outcome o = RunFiltered(p, [] { Report(Err(syscall(SYS_getppid))); });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, std::vector<int>{EPERM});
}

TEST(ApplySeccomp, DisabledProfileLoadsNothing) {
  Outcome o = RunFiltered(json::object(), [] { Report(prctl(PR_GET_SECCOMP, 0, 0, 0, 0)); });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, std::vector<int>{0});
}

bool HasCapSysAdmin() {
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) return false;
  char line[256];
  unsigned long long eff = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "CapEff: %llx", &eff) == 1) break;
  fclose(f);
  return eff & (1ULL << 21);
}

TEST(ApplySeccomp, SetsNoNewPrivsOnlyWithoutCapSysAdmin) {
  json p = {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  Outcome o = RunFiltered(
      p,
      [] {
        Report(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        Report(Err(syscall(SYS_getppid)));
      },
      /*no_new_privs=*/false);
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{HasCapSysAdmin() ? 0 : 1, EPERM}));
}

#if defined(__x86_64__)
// A 32-bit syscall from 64-bit code: the filter sees AUDIT_ARCH_I386.
long Int80(long nr) {
  long ret;
  asm volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory", "r8", "r9", "r10", "r11");
  return ret;
}
constexpr long kI386Getpid = 20;

TEST(ApplySeccomp, ArchitecturesCoverCompatSyscalls) {
  Outcome plain = RunFiltered(json::object(), [] { Report(Int80(kI386Getpid) == getpid()); });
  if (plain.reports != std::vector<int>{1}) GTEST_SKIP() << "no IA-32 emulation here";

  json p = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"syscalls", {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EXDEV}}}}};
  Outcome o = RunFiltered(p, [] {
    Report(static_cast<int>(-Int80(kI386Getpid)));
    Report(Err(syscall(SYS_getpid)));
  });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.reports, (std::vector<int>{EXDEV, EXDEV}));

  // Without SCMP_ARCH_X86, a 32-bit syscall is a bad architecture: killed.
  p["architectures"] = {"SCMP_ARCH_X86_64"};
  o = RunFiltered(p, [] { Int80(kI386Getpid); });
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.signal, SIGSYS);
}

TEST(ApplySeccomp, EnosysStubPerArchitecture) {
  Outcome plain = RunFiltered(json::object(), [] { Report(Int80(kI386Getpid) == getpid()); });
  if (plain.reports != std::vector<int>{1}) GTEST_SKIP() << "no IA-32 emulation here";
  // i386 clone3 is 435 as well; the i386 maximum here is exit_group (252).
  json p = {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
            {"syscalls", {AllowList({"getpid"})}}};
  Outcome o = RunFiltered(p, [] {
    Report(static_cast<int>(-Int80(kI386Getpid)));
    Report(static_cast<int>(-Int80(355)));  // i386 getrandom
    Report(static_cast<int>(-Int80(64)));   // i386 getppid
  });
  EXPECT_APPLIED(o);
  ASSERT_EQ(o.reports.size(), 3u);
  EXPECT_LT(o.reports[0], 0);  // -pid: allowed
  EXPECT_EQ(o.reports[1], ENOSYS);
  EXPECT_EQ(o.reports[2], EPERM);
}
#endif

// ---------------------------------------------------------------------------
// SCMP_ACT_NOTIFY with a listener: this test is the seccomp agent.

bool WaitReadable(int fd, int ms = 10000) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

json NotifyProfile(const std::string& sock) {
  return {{"defaultAction", "SCMP_ACT_ALLOW"},
          {"listenerPath", sock},
          {"listenerMetadata", "meta-data"},
          {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
}

void RunNotify(json profile, const std::string& sock, const std::string& target) {
  int lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(lsock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << strerror(errno);
  ASSERT_EQ(listen(lsock, 1), 0);

  json got;
  int notify_fd = -1;
  bool handled = false;
  Outcome o = RunFiltered(
      profile, [&] { Report(mkdir(target.c_str(), 0755) == 0 ? 0 : errno); }, true,
      [&] {
        auto fd = ConnectSeccompListener(profile);
        if (!fd.ok()) {
          (void)!write(2, fd.status().message().data(), fd.status().message().size());
          _exit(101);
        }
        return SeccompListener{*fd,
                               {{"ociVersion", "1.0.2"},
                                {"id", "c1"},
                                {"status", "creating"},
                                {"pid", getpid()},
                                {"bundle", "/bundle"}}};
      },
      [&](pid_t child) {
        if (!WaitReadable(lsock)) return;
        int conn = accept4(lsock, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0 || !WaitReadable(conn)) return;
        char buf[4096];
        iovec iov = {buf, sizeof buf};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        msghdr mh = {};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
        close(conn);
        if (n <= 0) return;
        got = json::parse(std::string(buf, n), nullptr, false);
        got["test_child_pid"] = child;
        cmsghdr* cm = CMSG_FIRSTHDR(&mh);
        if (cm == nullptr || cm->cmsg_type != SCM_RIGHTS) return;
        memcpy(&notify_fd, CMSG_DATA(cm), sizeof(int));
        if (!WaitReadable(notify_fd)) return;
        seccomp_notif* req = nullptr;
        seccomp_notif_resp* resp = nullptr;
        if (seccomp_notify_alloc(&req, &resp) != 0) return;
        if (seccomp_notify_receive(notify_fd, req) == 0) {
          handled = req->data.nr == SYS_mkdir || req->data.nr == SYS_mkdirat;
          resp->id = req->id;
          resp->error = -EXDEV;  // the agent answers instead of the kernel
          resp->val = 0;
          resp->flags = 0;
          seccomp_notify_respond(notify_fd, resp);
        }
        seccomp_notify_free(req, resp);
      });
  close(lsock);
  if (notify_fd >= 0) close(notify_fd);
  EXPECT_APPLIED(o);
  EXPECT_EQ(o.exit_code, 0);
  ASSERT_TRUE(got.is_object()) << got;
  EXPECT_EQ(got["ociVersion"], "1.0.2");
  EXPECT_EQ(got["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(got["metadata"], "meta-data");
  EXPECT_EQ(got["pid"], got["test_child_pid"]);
  EXPECT_EQ(got["state"]["id"], "c1");
  EXPECT_EQ(got["state"]["status"], "creating");
  EXPECT_TRUE(handled) << "the agent got no mkdir notification";
  EXPECT_EQ(o.reports, std::vector<int>{EXDEV});
  struct stat st;
  EXPECT_NE(stat(target.c_str(), &st), 0);
}

TEST(ApplySeccomp, NotifySendsTheFdToTheListener) {
  if (seccomp_api_get() < 6) GTEST_SKIP() << "libseccomp API level < 6 (needs Linux >= 5.7)";
  TempDir dir;
  RunNotify(NotifyProfile(dir / "agent.sock"), dir / "agent.sock", dir / "x");
}

TEST(ApplySeccomp, NotifyWithTsyncAndWaitKillableRecv) {
  if (seccomp_api_get() < 6) GTEST_SKIP() << "libseccomp API level < 6 (needs Linux >= 5.7)";
  TempDir dir;
  json p = NotifyProfile(dir / "agent.sock");
  p["flags"] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  absl::Status st = ValidateSeccomp(p);
  if (!st.ok() && st.message().find("not supported by this kernel") != std::string::npos)
    GTEST_SKIP() << st.message();
  ASSERT_TRUE(st.ok()) << st;
  RunNotify(p, dir / "agent.sock", dir / "x");
}

TEST(ApplySeccomp, NotifyWithoutListenerFailsBeforeLoading) {
  if (seccomp_api_get() < 6) GTEST_SKIP() << "libseccomp API level < 6 (needs Linux >= 5.7)";
  json p = NotifyProfile("/nonexistent-skiff/agent.sock");
  Outcome o = RunFiltered(p, [] {});
  EXPECT_EQ(o.exit_code, 100);
  EXPECT_EQ(o.apply_error,
            "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs the runtime to connect to the "
            "seccomp agent before loading the filter (ConnectSeccompListener)");
}

}  // namespace
}  // namespace skiff::runtime
