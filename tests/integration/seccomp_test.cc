// linux.seccomp in real containers: denied syscalls, ENOSYS (not EPERM) for
// syscalls newer than an allow-list profile, kill actions, and
// SCMP_ACT_NOTIFY with an agent on listenerPath.
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

const json kArchitectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};

// Most of Docker's allow-list, without clone3 and everything numbered after
// it on x86_64 (close_range, openat2, faccessat2, epoll_pwait2, ...), and
// without personality: the highest syscall named is pidfd_open (434).
json AllowList() {
  return json::parse(R"([
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "capget", "capset",
    "chdir", "chmod", "chown", "clock_adjtime", "clock_getres", "clock_gettime",
    "clock_nanosleep", "clone", "close", "connect", "copy_file_range", "creat", "dup", "dup2",
    "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_wait",
    "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "fadvise64",
    "fallocate", "fchdir", "fchmod", "fchmodat", "fchown", "fchownat", "fcntl", "fdatasync",
    "fgetxattr", "flistxattr", "flock", "fork", "fstat", "fstatfs", "fsync", "ftruncate",
    "futex", "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups",
    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrandom", "getresgid", "getresuid", "getrlimit", "get_robust_list", "getrusage",
    "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid", "getxattr",
    "ioctl", "kill", "lchown", "link", "linkat", "listen", "lseek", "lstat", "madvise",
    "membarrier", "memfd_create", "mincore", "mkdir", "mkdirat", "mlock", "mmap", "mprotect",
    "mremap", "munmap", "nanosleep", "newfstatat", "open", "openat", "pause", "pipe", "pipe2",
    "poll", "ppoll", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "pselect6",
    "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv",
    "recvfrom", "recvmmsg", "recvmsg", "rename", "renameat", "renameat2", "restart_syscall",
    "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo",
    "sched_getaffinity", "sched_getparam", "sched_get_priority_max", "sched_getscheduler",
    "sched_setaffinity", "sched_yield", "select", "sendfile", "sendmmsg", "sendmsg", "sendto",
    "setfsgid", "setfsuid", "setgid", "setgroups", "setitimer", "setpgid", "setpriority",
    "setregid", "setresgid", "setresuid", "setreuid", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_tid_address", "setuid", "shutdown", "sigaltstack", "socket",
    "socketpair", "splice", "stat", "statfs", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
    "timerfd_gettime", "timerfd_settime", "tkill", "truncate", "umask", "uname", "unlink",
    "unlinkat", "utime", "utimensat", "utimes", "vfork", "wait4", "waitid", "write", "writev",
    "arch_prctl", "arm_fadvise64_64", "pidfd_open"
  ])");
}

json AllowListProfile() {
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"architectures", kArchitectures},
          {"syscalls", {{{"names", AllowList()}, {"action", "SCMP_ACT_ALLOW"}}}}};
}

class SeccompTest : public RuntimeTest {
 protected:
  RunResult RunOnce(Bundle& b) {
    Container c(rt(), b);
    return c.Run();
  }
};

TEST_F(SeccompTest, DeniedMkdirFailsWithEpermWhileLsWorks) {
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", kArchitectures},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  b.Sh("ls / >/dev/null && echo ls-ok; mkdir /tmp/x 2>&1; echo rc=$?");
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "ls-ok");
  EXPECT_TRUE(Contains(lines[1], "Operation not permitted")) << r.out;
  EXPECT_EQ(lines[2], "rc=1");
  EXPECT_FALSE(PathExists(b.InRootfs("/tmp/x")));
}

TEST_F(SeccompTest, AllowListGivesEnosysForClone3AndEpermForTheRest) {
  Bundle b;
  b.config()["linux"]["seccomp"] = AllowListProfile();
  b.Args(
      {"/ocitest", "syscall", "clone3", "+", "syscall", "personality", "+", "syscall", "getppid"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "ENOSYS\nEPERM\nok\n");
}

TEST_F(SeccompTest, DefaultErrnoRetAppliesToUnlistedSyscalls) {
  Bundle b;
  json p = AllowListProfile();
  p["defaultErrnoRet"] = EACCES;
  b.config()["linux"]["seccomp"] = p;
  b.Args({"/ocitest", "syscall", "personality", "+", "syscall", "clone3"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "EACCES\nENOSYS\n");
}

TEST_F(SeccompTest, Clone3GetsEnosysEvenWhenTheProfileNamesNewerSyscalls) {
  if (RuntimeIsRunc())
    GTEST_SKIP() << "runc 1.1 gives ENOSYS only above the highest syscall named; moby's "
                    "profile names clone3 itself";
  Bundle b;
  json p = AllowListProfile();
  p["syscalls"][0]["names"].push_back("faccessat2");  // 439 > clone3's 435
  b.config()["linux"]["seccomp"] = p;
  b.Args({"/ocitest", "syscall", "clone3", "+", "syscall", "personality"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "ENOSYS\nEPERM\n");
}

TEST_F(SeccompTest, KillProcessEndsTheContainerWithSigsys) {
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", kArchitectures},
      {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_KILL_PROCESS"}}}}};
  b.Args({"/ocitest", "echo", "before", "+", "ppid", "+", "echo", "after"});
  RunResult r = RunOnce(b);
  EXPECT_EQ(r.exit_code, 128 + SIGSYS) << r.Describe();
  EXPECT_EQ(r.out, "before\n");
}

TEST_F(SeccompTest, UnknownSyscallNamesAreSkipped) {
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", kArchitectures},
      {"syscalls",
       {{{"names", {"no_such_syscall_in_any_kernel", "mkdir", "mkdirat"}},
         {"action", "SCMP_ACT_ERRNO"},
         {"errnoRet", EROFS}}}}};
  b.Args({"/ocitest", "syscall", "mkdirat"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "EROFS\n");
}

TEST_F(SeccompTest, InvalidProfileFailsCreateNamingTheField) {
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_BOGUS"}}}}};
  RunResult r = RunOnce(b);
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  if (!RuntimeIsRunc()) {
    EXPECT_TRUE(Contains(r.err, "linux.seccomp.syscalls[0].action: unknown action"))
        << r.Describe();
  }
}

// The seccomp agent: accepts the runtime's connection on listenerPath,
// takes the fd and the container process state, then answers every
// notification with EXDEV until the filter's last user is gone.
class Agent {
 public:
  explicit Agent(const std::string& path) {
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ok_ = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
          listen(listen_fd_, 1) == 0;
    if (ok_) thread_ = std::thread([this] { Serve(); });
  }
  ~Agent() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(listen_fd_);
  }
  bool ok() const { return ok_; }
  // Valid once the thread has finished (after the container exited).
  json Message() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return message_;
  }
  int Notifications() {
    Message();
    return notifications_;
  }

 private:
  bool Wait(int fd, short events, short* revents) {
    while (!stop_) {
      pollfd p = {fd, events, 0};
      if (poll(&p, 1, 100) == 1) {
        *revents = p.revents;
        return true;
      }
    }
    return false;
  }
  void Serve() {
    short rev = 0;
    if (!Wait(listen_fd_, POLLIN, &rev)) return;
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0 || !Wait(conn, POLLIN, &rev)) return;
    char buf[65536];
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
    message_ = json::parse(std::string(buf, n), nullptr, false);
    cmsghdr* cm = CMSG_FIRSTHDR(&mh);
    if (cm == nullptr || cm->cmsg_type != SCM_RIGHTS) return;
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    // Serve until every task using the filter is gone (POLLHUP), even if
    // Message() was asked for meanwhile: the container is waiting on us.
    for (;;) {
      pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, 20000) != 1) break;
      if (p.revents & POLLIN) {
        seccomp_notif req;
        memset(&req, 0, sizeof req);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
        seccomp_notif_resp resp;
        memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        resp.error = -EXDEV;
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        ++notifications_;
      } else if (p.revents & (POLLHUP | POLLERR)) {
        break;
      }
    }
    close(fd);
  }

  int listen_fd_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  json message_;
  std::atomic<int> notifications_{0};
};

// SCMP_ACT_NOTIFY: the runtime connects to listenerPath and hands the agent
// the notify fd with the container's state (runc does the same).
TEST_F(SeccompTest, NotifySendsTheFdAndStateToTheAgent) {
  TempDir dir("skiff-agent");
  std::string sock = dir / "agent.sock";
  Agent agent(sock);
  ASSERT_TRUE(agent.ok()) << strerror(errno);
  Bundle b;
  b.config()["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", kArchitectures},
      {"listenerPath", sock},
      {"listenerMetadata", "skiff-meta"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  b.Sh("mkdir /tmp/x 2>&1; echo rc=$?");
  Container c(rt(), b);
  RunResult r = c.Run();
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "Invalid cross-device link")) << r.out;  // the agent's EXDEV
  EXPECT_TRUE(Contains(r.out, "rc=1")) << r.out;
  EXPECT_FALSE(PathExists(b.InRootfs("/tmp/x")));
  json m = agent.Message();
  ASSERT_TRUE(m.is_object()) << m;
  EXPECT_EQ(m["fds"], json::array({"seccompFd"})) << m;
  EXPECT_EQ(m["metadata"], "skiff-meta") << m;
  EXPECT_TRUE(m["pid"].is_number_integer() && m["pid"].get<int>() > 1) << m;
  EXPECT_EQ(m["state"]["id"], c.id()) << m;
  EXPECT_EQ(m["state"]["status"], "creating") << m;
  EXPECT_EQ(m["state"]["pid"], m["pid"]) << m;
  EXPECT_GE(agent.Notifications(), 1);
}

}  // namespace
}  // namespace skiff::itest
