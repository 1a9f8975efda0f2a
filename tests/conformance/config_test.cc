// Conformance: config.md — root, mounts, process, hostname and domainname.
// Everything about what the container sees is asked from inside it, through
// /ocitest or busybox.
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/conformance/conformance.h"

namespace skiff::conformance {
namespace {

using itest::CapMask;
using itest::ConsoleSocket;
using itest::Contains;
using itest::PathExists;
using itest::ReadFileOr;
using itest::ReadUntilClosed;
using itest::SplitLines;
using itest::Trim;
using itest::WaitFor;
using itest::WriteFile;

constexpr char kTmpfsMagic[] = "magic=0x1021994";

// ===========================================================================
// Root

class ConfigRoot : public ConformanceTest {};

// root.path: "On POSIX platforms, path is either an absolute path or a
// relative path to the bundle."
TEST_F(ConfigRoot, PathIsRelativeToBundleOrAbsolute) {
  for (bool absolute : {false, true}) {
    SCOPED_TRACE(absolute ? "absolute root.path" : "relative root.path");
    Bundle b;
    WriteFile(b.InRootfs("/etc/which-rootfs"), b.rootfs());
    b.config()["root"]["path"] = absolute ? b.rootfs() : "rootfs";
    auto out = Probe(b, {"cat", "/etc/which-rootfs"}, 1);
    EXPECT_EQ(out[0], b.rootfs());
  }
}

// root.readonly: "If true then the root filesystem MUST be read-only inside
// the container, defaults to false."
TEST_F(ConfigRoot, ReadonlyTrueMakesRootReadOnly) {
  Bundle b;
  b.config()["root"]["readonly"] = true;
  auto out = Probe(b, {"write", "/new-file", "+", "statfs-ro", "/"}, 2);
  EXPECT_EQ(out[0], "Read-only file system");
  EXPECT_EQ(out[1], "ro");
  EXPECT_FALSE(PathExists(b.InRootfs("/new-file")));
}

// root.readonly: "... defaults to false."
TEST_F(ConfigRoot, ReadonlyDefaultsToFalse) {
  Bundle b;
  b.config()["root"].erase("readonly");
  auto out = Probe(b, {"write", "/new-file", "+", "statfs-ro", "/"}, 2);
  EXPECT_EQ(out[0], "ok");
  EXPECT_EQ(out[1], "rw");
  EXPECT_TRUE(PathExists(b.InRootfs("/new-file")));
}

// ===========================================================================
// Mounts

class ConfigMounts : public ConformanceTest {};

// mounts: "The runtime MUST mount entries in the listed order."
// A mount below an earlier one must land on it, and of two mounts on the
// same destination the later one must be on top.
TEST_F(ConfigMounts, MountedInListedOrder) {
  Bundle b;
  b.Mount("/mnt/outer", "tmpfs", "tmpfs", {"size=1m"});
  b.Mount("/mnt/outer/inner", "tmpfs", "tmpfs", {"size=2m"});
  b.Mount("/mnt/same", "tmpfs", "tmpfs", {"size=1m"});
  b.Mount("/mnt/same", "tmpfs", "tmpfs", {"size=3m"});
  auto out = Probe(b, {"statfs", "/mnt/outer/inner", "+", "statfs", "/mnt/same", "+",
                       "mountinfo"},
                   2);
  EXPECT_TRUE(Contains(out[0], std::string(kTmpfsMagic) + " bytes=2097152")) << out[0];
  EXPECT_TRUE(Contains(out[1], std::string(kTmpfsMagic) + " bytes=3145728")) << out[1];
  // In the mount table, /mnt/outer comes before /mnt/outer/inner.
  int outer = -1, inner = -1;
  for (size_t i = 2; i < out.size(); i++) {
    auto w = Words(out[i]);
    if (w.size() < 5) continue;
    if (w[4] == "/mnt/outer" && outer < 0) outer = static_cast<int>(i);
    if (w[4] == "/mnt/outer/inner") inner = static_cast<int>(i);
  }
  EXPECT_GE(outer, 0);
  EXPECT_GT(inner, outer);
}

// mounts[].options: "Mount options of the filesystem to be used." (Linux:
// the mount(2) flags and the filesystem's own data options.)
TEST_F(ConfigMounts, OptionsAreApplied) {
  Bundle b;
  b.Mount("/mnt/opts", "tmpfs", "tmpfs",
          {"nosuid", "nodev", "noexec", "noatime", "size=2m", "mode=0710"});
  b.Mount("/mnt/ro", "tmpfs", "tmpfs", {"ro", "size=1m"});
  auto out = Probe(b, {"mountopts", "/mnt/opts", "+", "stat", "/mnt/opts", "+", "statfs",
                       "/mnt/opts", "+", "write", "/mnt/ro/f", "+", "statfs-ro", "/mnt/ro"},
                   5);
  // "<fstype> <source> <mount options>,<super options>"
  auto w = Words(out[0]);
  ASSERT_EQ(w.size(), 3u) << out[0];
  EXPECT_EQ(w[0], "tmpfs");
  for (const char* opt : {"nosuid", "nodev", "noexec", "noatime", "size=2048k", "mode=710"}) {
    EXPECT_TRUE(Contains("," + w[2] + ",", std::string(",") + opt + ",")) << opt << ": " << out[0];
  }
  EXPECT_EQ(out[1], "d 0710 0:0");
  EXPECT_TRUE(Contains(out[2], "bytes=2097152 rw,nosuid,nodev,noexec")) << out[2];
  EXPECT_EQ(out[3], "Read-only file system");
  EXPECT_EQ(out[4], "ro");
}

// mounts[].options "bind" and "rbind" (mount(2) MS_BIND, MS_BIND|MS_REC):
// only rbind takes the mounts below the source along.
TEST_F(ConfigMounts, BindAndRbindOptions) {
  TempDir src;
  ASSERT_EQ(mkdir((src / "below").c_str(), 0755), 0);
  WriteFile(src / "top-file", "top");
  ASSERT_EQ(mount("tmpfs", (src / "below").c_str(), "tmpfs", 0, "size=1m"), 0);
  WriteFile(src / "below/below-file", "below");
  Bundle b;
  b.Mount("/mnt/bind", "bind", src.path(), {"bind"});
  b.Mount("/mnt/rbind", "bind", src.path(), {"rbind", "ro"});
  auto out = Probe(b, {"exists", "/mnt/bind/top-file", "+", "exists", "/mnt/bind/below/below-file",
                       "+", "exists", "/mnt/rbind/below/below-file", "+", "write",
                       "/mnt/rbind/new"},
                   4);
  umount2((src / "below").c_str(), MNT_DETACH);
  EXPECT_EQ(out[0], "yes");
  EXPECT_EQ(out[1], "no") << "\"bind\" must not be recursive";
  EXPECT_EQ(out[2], "yes") << "\"rbind\" must be recursive";
  EXPECT_EQ(out[3], "Read-only file system");
}

// mounts[].options "rshared", "rslave", "rprivate" (mount propagation, as
// mount(8)/mount(2) define it): a mount made on the host below a shared
// source reaches the container's shared and slave copies, not the private one.
TEST_F(ConfigMounts, PropagationOptions) {
  TempDir src;
  ASSERT_EQ(mkdir((src / "sub").c_str(), 0755), 0);
  // The source becomes a shared mount of its own, whatever the host's / is.
  ASSERT_EQ(mount(src.path().c_str(), src.path().c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(mount(nullptr, src.path().c_str(), nullptr, MS_SHARED, nullptr), 0);
  Bundle b;
  // The container's view of the host stays connected (rootfsPropagation
  // "slave"), so that the per-mount options decide.
  b.config()["linux"]["rootfsPropagation"] = "slave";
  b.Mount("/mnt/rshared", "bind", src.path(), {"rbind", "rshared"});
  b.Mount("/mnt/rslave", "bind", src.path(), {"rbind", "rslave"});
  b.Mount("/mnt/rprivate", "bind", src.path(), {"rbind", "rprivate"});
  b.Sh("echo ready; i=0; while [ ! -e /mnt/rslave/sub/marker ] && [ $i -lt 100 ]; do "
       "usleep 50000; i=$((i+1)); done; "
       "/ocitest exists /mnt/rshared/sub/marker + exists /mnt/rslave/sub/marker + "
       "exists /mnt/rprivate/sub/marker");
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  RunResult cr = c.Create({}, o);
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return Contains(out.Read(), "ready"); })) << out.Read();
  ASSERT_EQ(mount("tmpfs", (src / "sub").c_str(), "tmpfs", 0, "size=1m"), 0);
  WriteFile(src / "sub/marker", "m");
  EXPECT_TRUE(c.WaitForStatus("stopped", milliseconds(10000)));
  umount2((src / "sub").c_str(), MNT_DETACH);
  auto lines = AtLeast(SplitLines(out.Read()), 4);
  EXPECT_EQ(lines[1], "yes") << "rshared: " << out.Read();
  EXPECT_EQ(lines[2], "yes") << "rslave: " << out.Read();
  EXPECT_EQ(lines[3], "no") << "rprivate: " << out.Read();
}

// ===========================================================================
// Process

class ConfigProcess : public ConformanceTest {};

// process.args: "...at least one entry is REQUIRED, and that entry is used
// with the same semantics as execvp's file." The other entries reach the
// program as they are: no shell, no splitting, no expansion.
TEST_F(ConfigProcess, ArgsHaveExecvpSemantics) {
  Bundle b;
  b.Args({"echo", "two  spaces", "$HOME", "*", "'q'"});  // "echo" found on the container's PATH
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "two  spaces $HOME * 'q'\n");
}

// process.env: "with the same semantics as IEEE Std 1003.1-2008's environ."
// The entries are the environment, values taken verbatim.
TEST_F(ConfigProcess, EnvIsTheEnvironment) {
  Bundle b;
  b.config()["process"]["env"] = {"PATH=/usr/bin:/bin", "PLAIN=value", "WITH_EQUALS=a=b=c",
                                  "EMPTY=", "SPACES= x  y "};
  auto out = Probe(b, {"env", "PLAIN", "+", "env", "WITH_EQUALS", "+", "env", "EMPTY", "+", "env",
                       "SPACES", "+", "env", "TERM"},
                   5);
  EXPECT_EQ(out[0], "value");
  EXPECT_EQ(out[1], "a=b=c");
  EXPECT_EQ(out[2], "");
  EXPECT_EQ(out[3], " x  y ");
  EXPECT_EQ(out[4], "<unset>") << "TERM was not in process.env";
}

// process.cwd: "is the working directory that will be set for the
// executable. This value MUST be an absolute path."
TEST_F(ConfigProcess, CwdIsTheWorkingDirectory) {
  Bundle b;
  b.config()["process"]["cwd"] = "/etc";
  auto out = Probe(b, {"cwd", "+", "read", "passwd"}, 2);
  EXPECT_EQ(out[0], "/etc");
  EXPECT_TRUE(out[1].rfind("ok ", 0) == 0) << "relative paths resolve from cwd: " << out[1];
}

// process.user: "uid (int, REQUIRED) specifies the user ID in the container
// namespace. gid ... the group ID ... additionalGids (array of ints,
// OPTIONAL) specifies additional group IDs in the container namespace to be
// added to the process." Ids need no /etc/passwd entry.
TEST_F(ConfigProcess, UserUidGidAdditionalGids) {
  Bundle b;
  b.config()["process"]["user"] = {{"uid", 4242}, {"gid", 4343}, {"additionalGids", {10, 4444}}};
  auto out = Probe(b, {"ids"}, 1);
  EXPECT_EQ(out[0], "uid=4242 gid=4343 euid=4242 egid=4343 groups=10,4444");
}

// process.user.umask: "specifies the umask of the user."
TEST_F(ConfigProcess, UserUmask) {
  Bundle b;
  b.config()["process"]["user"]["umask"] = 077;
  auto out = Probe(b, {"umask", "+", "write", "/tmp/created", "+", "stat", "/tmp/created"}, 3);
  EXPECT_EQ(out[0], "0077");
  EXPECT_EQ(out[1], "ok");
  EXPECT_EQ(out[2], "- 0600 0:0") << "0644 & ~umask";
}

// process.capabilities: "an object containing arrays that specifies the
// sets of capabilities for the process" — bounding, effective, inheritable,
// permitted, ambient. Root keeps the configured bounding/permitted/effective
// sets across execve; a non-root user keeps only the ambient set (execve
// rules of capabilities(7)). The bounding set limits what root can do.
TEST_F(ConfigProcess, CapabilitiesFiveSets) {
  const std::vector<std::string> bnd = {"CAP_DAC_OVERRIDE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                                        "CAP_NET_RAW", "CAP_SETUID", "CAP_SETGID",
                                        "CAP_SYS_CHROOT"};  // no CAP_CHOWN
  const std::vector<std::string> prm = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID",
                                        "CAP_SETGID", "CAP_SYS_CHROOT"};
  const std::vector<std::string> inh = {"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"};
  const std::vector<std::string> amb = {"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"};
  const std::string none = "0000000000000000";
  {
    SCOPED_TRACE("root");
    Bundle b;
    b.config()["process"]["capabilities"] = {{"bounding", bnd},  {"effective", bnd},
                                             {"permitted", bnd}, {"inheritable", inh},
                                             {"ambient", amb}};
    auto out = ShProbe(b, "/ocitest caps; touch /tmp/f; chown 1000 /tmp/f 2>&1; echo rc=$?", 3);
    EXPECT_EQ(out[0], "inh=" + CapMask(inh) + " prm=" + CapMask(bnd) + " eff=" + CapMask(bnd) +
                          " bnd=" + CapMask(bnd) + " amb=" + CapMask(amb));
    EXPECT_TRUE(Contains(out[1], "Operation not permitted")) << out[1];
    EXPECT_EQ(out.back(), "rc=1") << "chown without CAP_CHOWN in the bounding set";
  }
  {
    SCOPED_TRACE("uid 1000");
    Bundle b;
    b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    b.config()["process"]["capabilities"] = {{"bounding", bnd},  {"effective", prm},
                                             {"permitted", prm}, {"inheritable", inh},
                                             {"ambient", amb}};
    auto out = Probe(b, {"caps"}, 1);
    EXPECT_EQ(out[0], "inh=" + CapMask(inh) + " prm=" + CapMask(amb) + " eff=" + CapMask(amb) +
                          " bnd=" + CapMask(bnd) + " amb=" + CapMask(amb));
  }
  {
    SCOPED_TRACE("no capabilities object");
    Bundle b;
    b.config()["process"].erase("capabilities");
    b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    auto out = Probe(b, {"caps"}, 1);
    auto w = Words(out[0]);
    ASSERT_EQ(w.size(), 5u) << out[0];
    EXPECT_EQ(w[0], "inh=" + none);
    EXPECT_EQ(w[1], "prm=" + none);
    EXPECT_EQ(w[2], "eff=" + none);
    EXPECT_EQ(w[4], "amb=" + none);
  }
}

// process.rlimits: "For each entry in rlimits, a getrlimit(3) on type MUST
// succeed. ... rlim.rlim_cur MUST match the configured value. ...
// rlim.rlim_max MUST match the configured value."
// Hard limits stay within the test's own: raising one needs
// CAP_SYS_RESOURCE, which neither the runtime nor the container may have.
TEST_F(ConfigProcess, RlimitsSoftAndHard) {
  struct Want {
    const char* name;
    int resource;
    rlim_t soft, hard;
  } want[] = {{"NOFILE", RLIMIT_NOFILE, 321, 654},
              {"MSGQUEUE", RLIMIT_MSGQUEUE, 1000, 2000},
              {"CORE", RLIMIT_CORE, 0, 4096},
              {"CPU", RLIMIT_CPU, 1000, 2000}};
  Bundle b;
  json rlimits = json::array();
  std::vector<std::string> args;
  for (auto& w : want) {
    struct rlimit own;
    ASSERT_EQ(getrlimit(w.resource, &own), 0);
    if (own.rlim_max != RLIM_INFINITY && w.hard > own.rlim_max) w.hard = own.rlim_max;
    if (w.soft > w.hard) w.soft = w.hard;
    rlimits.push_back({{"type", std::string("RLIMIT_") + w.name}, {"soft", w.soft}, {"hard", w.hard}});
    if (!args.empty()) args.push_back("+");
    args.insert(args.end(), {"rlimit", w.name});
  }
  b.config()["process"]["rlimits"] = rlimits;
  auto out = Probe(b, args, 4);
  for (size_t i = 0; i < 4; i++) {
    EXPECT_EQ(out[i], std::to_string(want[i].soft) + " " + std::to_string(want[i].hard))
        << want[i].name;
  }
}

// process.noNewPrivileges: "setting noNewPrivileges to true prevents the
// process from gaining additional privileges." A set-user-ID-root copy of
// /ocitest run by uid 1000 gains euid 0 only without it.
TEST_F(ConfigProcess, NoNewPrivilegesBlocksSetuid) {
  for (bool nnp : {false, true}) {
    SCOPED_TRACE(nnp ? "noNewPrivileges: true" : "noNewPrivileges: false");
    Bundle b;
    struct statvfs sv;
    ASSERT_EQ(statvfs(b.rootfs().c_str(), &sv), 0);
    if (!nnp && (sv.f_flag & ST_NOSUID)) {
      ADD_FAILURE() << "the bundle's file system is nosuid; cannot check the control case";
      continue;
    }
    std::string suid = b.InRootfs("/ocitest-suid");
    ASSERT_EQ(itest::RunCommand({"cp", b.InRootfs("/ocitest"), suid}).exit_code, 0);
    ASSERT_EQ(chmod(suid.c_str(), 04755), 0);
    b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    b.config()["process"]["noNewPrivileges"] = nnp;
    b.Args({"/ocitest-suid", "nnp", "+", "ids"});
    RunResult r = RunOnce(b);
    ASSERT_TRUE(r.ok()) << r.Describe();
    auto out = AtLeast(SplitLines(r.out), 2);
    EXPECT_EQ(out[0], nnp ? "1" : "0");
    EXPECT_TRUE(Contains(out[1], nnp ? " euid=1000 " : " euid=0 ")) << out[1];
  }
}

// process.oomScoreAdj: "If oomScoreAdj is set, the runtime MUST set
// oom_score_adj to the given value. If oomScoreAdj is not set, the runtime
// MUST NOT change the value of oom_score_adj."
TEST_F(ConfigProcess, OomScoreAdjSetOrLeftAlone) {
  const std::string own = "/proc/self/oom_score_adj";
  const std::string saved = Trim(ReadFileOr(own, "0"));
  // Inherited by the runtime we start. (Raising is allowed; lowering it back
  // may not be, without CAP_SYS_RESOURCE: later tests do not depend on it.)
  ASSERT_TRUE(WriteFile(own, "123"));
  std::vector<std::string> got;
  for (bool set : {true, false}) {
    Bundle b;
    if (set)
      b.config()["process"]["oomScoreAdj"] = 456;
    else
      b.config()["process"].erase("oomScoreAdj");
    auto out = Probe(b, {"oom_score_adj"}, 1);
    got.push_back(out[0]);
  }
  WriteFile(own, saved);
  EXPECT_EQ(got[0], "456") << "oomScoreAdj set";
  EXPECT_EQ(got[1], "123") << "oomScoreAdj unset: the runtime's own value must be kept";
}

// process.terminal: "if set to true on Linux a pseudoterminal pair is
// allocated for the process and the pseudoterminal pty is duplicated on the
// process's standard streams." (The master goes to --console-socket.)
// config-linux.md: "/dev/console is set up if terminal is enabled in the
// config by bind mounting the pseudoterminal pty to /dev/console."
TEST_F(ConfigProcess, TerminalIsAPtyOnStdio) {
  TempDir sock_dir;
  ConsoleSocket sock(sock_dir / "console.sock");
  ASSERT_TRUE(sock.listening());
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.Args({"/ocitest", "isatty", "0", "+", "isatty", "1", "+", "isatty", "2", "+", "ttyname", "0",
          "+", "stat", "/dev/console"});
  Container c(rt(), b);
  RunResult cr = c.Create({"--console-socket", sock.path()});
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  int master = sock.ReceiveFd();
  ASSERT_GE(master, 0) << "no pty master on the console socket";
  ASSERT_TRUE(c.Start().ok());
  std::string text = ReadUntilClosed(master, milliseconds(10000));
  close(master);
  auto out = AtLeast(SplitLines(text), 5);
  EXPECT_EQ(out[0], "yes");
  EXPECT_EQ(out[1], "yes");
  EXPECT_EQ(out[2], "yes");
  EXPECT_EQ(out[3].rfind("/dev/pts/", 0), 0u) << out[3];
  auto w = Words(out[4]);
  ASSERT_GE(w.size(), 2u) << out[4];
  EXPECT_EQ(w[0], "c") << "/dev/console: " << out[4];
  EXPECT_EQ(w[1].rfind("136:", 0), 0u) << "/dev/console is not the pty: " << out[4];
}

// process.consoleSize: "specifies the console size in characters of the
// terminal."
TEST_F(ConfigProcess, ConsoleSizeSetsTheTerminalSize) {
  TempDir sock_dir;
  ConsoleSocket sock(sock_dir / "console.sock");
  ASSERT_TRUE(sock.listening());
  Bundle b;
  b.config()["process"]["terminal"] = true;
  b.config()["process"]["consoleSize"] = {{"height", 33}, {"width", 111}};
  b.Args({"/bin/stty", "size"});
  Container c(rt(), b);
  RunResult cr = c.Create({"--console-socket", sock.path()});
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  int master = sock.ReceiveFd();
  ASSERT_GE(master, 0) << "no pty master on the console socket";
  ASSERT_TRUE(c.Start().ok());
  std::string text = ReadUntilClosed(master, milliseconds(10000));
  close(master);
  EXPECT_EQ(Trim(text), "33 111");
}

// ===========================================================================
// Hostname and domainname

class ConfigHostname : public ConformanceTest {};

// hostname: "specifies the container's hostname as seen by processes running
// inside the container. On Linux, for example, this will change the hostname
// in the container UTS namespace."
TEST_F(ConfigHostname, HostnameInsideContainer) {
  std::string host_before = Trim(ReadFileOr("/proc/sys/kernel/hostname"));
  Bundle b;
  b.config()["hostname"] = "conformance-host";
  auto out = Probe(b, {"hostname"}, 1);
  EXPECT_EQ(Words(out[0]).at(0), "conformance-host") << out[0];
  EXPECT_EQ(Trim(ReadFileOr("/proc/sys/kernel/hostname")), host_before);
}

// domainname: "specifies the container's domainname as seen by processes
// running inside the container. On Linux, for example, this will change the
// domainname in the container UTS namespace."
TEST_F(ConfigHostname, DomainnameInsideContainer) {
  std::string host_before = Trim(ReadFileOr("/proc/sys/kernel/domainname"));
  Bundle b;
  b.config()["hostname"] = "conformance-host";
  b.config()["domainname"] = "conformance.example";
  auto out = Probe(b, {"hostname"}, 1);
  EXPECT_EQ(out[0], "conformance-host conformance.example");
  EXPECT_EQ(Trim(ReadFileOr("/proc/sys/kernel/domainname")), host_before);
}

}  // namespace
}  // namespace skiff::conformance
