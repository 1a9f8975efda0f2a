// Conformance: config-linux.md and runtime-linux.md — namespaces (new and
// joined by path), user namespace mappings, time offsets, devices, cgroups
// and resources, sysctl, maskedPaths, readonlyPaths, seccomp,
// rootfsPropagation.
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <set>

#include "gtest/gtest.h"
#include "tests/conformance/conformance.h"

namespace skiff::conformance {
namespace {

using itest::Contains;
using itest::OwnNamespace;
using itest::ReadFileOr;
using itest::SplitLines;
using itest::Trim;
using itest::WriteFile;

// ===========================================================================
// Namespaces

class LinuxNamespaces : public ConformanceTest {
 protected:
  // One container answers `ns NAME` for each name, then `pid`.
  std::vector<std::string> NamespacesSeen(Bundle& b, const std::vector<std::string>& names) {
    std::vector<std::string> args;
    for (const auto& n : names) {
      if (!args.empty()) args.push_back("+");
      args.push_back("ns");
      args.push_back(n);
    }
    args.push_back("+");
    args.push_back("pid");
    return Probe(b, args, names.size() + 1);
  }

  // namespaces[].path: "The runtime MUST place the container process in the
  // namespace associated with that path."
  void ExpectJoinedByPath(const std::string& type, const std::function<void(Bundle&)>& adjust = {}) {
    NsHolder holder(type);
    ASSERT_TRUE(holder.ok()) << "cannot create a " << type << " namespace: " << holder.error();
    Bundle b;
    b.AddNamespace(type, holder.path());
    if (adjust) adjust(b);
    const std::string name = NsProcName(type);
    auto out = NamespacesSeen(b, {name});
    EXPECT_EQ(out[0], holder.link()) << "the container is not in the " << type
                                     << " namespace at " << holder.path();
    EXPECT_NE(out[0], OwnNamespace(name));
    if (type == "pid") {
      EXPECT_NE(out[1], "1") << "the holder is pid 1 of that namespace";
    }
  }
};

// namespaces[]: "If path is not specified, the runtime MUST create a new
// container namespace of type type."
TEST_F(LinuxNamespaces, NewNamespaceForEachListedType) {
  Bundle b;
  for (const char* t : {"pid", "network", "mount", "ipc", "uts", "cgroup"}) b.AddNamespace(t);
  const std::vector<std::string> names = {"pid", "net", "mnt", "ipc", "uts", "cgroup"};
  auto out = NamespacesSeen(b, names);
  for (size_t i = 0; i < names.size(); i++) {
    EXPECT_EQ(out[i].rfind(names[i] + ":[", 0), 0u) << out[i];
    EXPECT_NE(out[i], OwnNamespace(names[i])) << names[i] << " is the runtime's namespace";
  }
  EXPECT_EQ(out[names.size()], "1") << "first process of a new pid namespace";
}

// namespaces[]: "If a namespace type is not specified in the namespaces
// array, the container MUST inherit the runtime namespace of that type."
TEST_F(LinuxNamespaces, UnlistedTypesInheritRuntimeNamespaces) {
  Bundle b;
  for (const char* t : {"pid", "network", "ipc", "uts", "cgroup", "user", "time"})
    b.RemoveNamespace(t);
  b.config().erase("hostname");  // would rename the host
  b.config().erase("domainname");
  const std::vector<std::string> names = {"pid", "net", "ipc", "uts", "cgroup", "user", "time"};
  auto out = NamespacesSeen(b, names);
  for (size_t i = 0; i < names.size(); i++) {
    EXPECT_EQ(out[i], OwnNamespace(names[i])) << names[i] << " was not inherited";
  }
  EXPECT_NE(out[names.size()], "1");
}

TEST_F(LinuxNamespaces, JoinPidByPath) { ExpectJoinedByPath("pid"); }
TEST_F(LinuxNamespaces, JoinNetworkByPath) { ExpectJoinedByPath("network"); }
TEST_F(LinuxNamespaces, JoinMountByPath) { ExpectJoinedByPath("mount"); }
TEST_F(LinuxNamespaces, JoinIpcByPath) { ExpectJoinedByPath("ipc"); }
TEST_F(LinuxNamespaces, JoinUtsByPath) {
  ExpectJoinedByPath("uts", [](Bundle& b) { b.config().erase("hostname"); });
}
TEST_F(LinuxNamespaces, JoinCgroupByPath) { ExpectJoinedByPath("cgroup"); }
TEST_F(LinuxNamespaces, JoinUserByPath) {
  // The mappings of the joined namespace, as a runtime needs them to know
  // who owns what (they are not written again: the namespace has them).
  ExpectJoinedByPath("user", [](Bundle& b) {
    json map = {{{"containerID", 0}, {"hostID", NsHolder::kUserNsHostId}, {"size", 65536}}};
    b.config()["linux"]["uidMappings"] = map;
    b.config()["linux"]["gidMappings"] = map;
  });
}
TEST_F(LinuxNamespaces, JoinTimeByPath) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  NsHolder holder("time");
  ASSERT_TRUE(holder.ok()) << holder.error();
  Bundle b;
  b.AddNamespace("time", holder.path());
  auto out = Probe(b, {"ns", "time", "+", "monotonic"}, 2);
  EXPECT_EQ(out[0], holder.link());
  EXPECT_GE(atoll(out[1].c_str()), now.tv_sec + NsHolder::kTimeOffsetSecs) << out[1];
}

// linux.uidMappings / gidMappings: "describes the user namespace uid/gid
// mappings from the host to the container." Two ranges; the process runs as
// container uid 1000, which is host uid 400000.
TEST_F(LinuxNamespaces, UserNamespaceMappings) {
  Bundle b;
  b.AddNamespace("user");
  json map = {{{"containerID", 0}, {"hostID", 300000}, {"size", 1000}},
              {{"containerID", 1000}, {"hostID", 400000}, {"size", 1000}}};
  b.config()["linux"]["uidMappings"] = map;
  b.config()["linux"]["gidMappings"] = map;
  b.config()["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  b.Sh("cat /proc/self/uid_map /proc/self/gid_map; /ocitest ids; echo done; exec sleep 30");
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  RunResult cr = c.Create({}, o);
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(itest::WaitFor([&] { return Contains(out.Read(), "done"); })) << out.Read();
  pid_t pid = StatePid(c);
  std::string status = ReadFileOr("/proc/" + std::to_string(pid) + "/status");
  EXPECT_TRUE(Contains(status, "\nUid:\t400000\t400000\t400000\t400000\n")) << status;
  EXPECT_TRUE(Contains(status, "\nGid:\t400000\t400000\t400000\t400000\n")) << status;
  auto lines = AtLeast(SplitLines(out.Read()), 5);
  for (int i : {0, 2})
    EXPECT_EQ(Words(lines[i]), (std::vector<std::string>{"0", "300000", "1000"})) << lines[i];
  for (int i : {1, 3})
    EXPECT_EQ(Words(lines[i]), (std::vector<std::string>{"1000", "400000", "1000"})) << lines[i];
  EXPECT_EQ(lines[4], "uid=1000 gid=1000 euid=1000 egid=1000 groups=");
}

// linux.timeOffsets: "sets the offset for Time Namespace." (monotonic and
// boottime clocks of a new time namespace).
TEST_F(LinuxNamespaces, TimeNamespaceOffsets) {
  struct timespec mono, boot;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  Bundle b;
  b.AddNamespace("time");
  b.config()["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 3 * 86400}, {"nanosecs", 0}}},
                                        {"boottime", {{"secs", 5 * 86400}, {"nanosecs", 0}}}};
  auto out = Probe(b, {"monotonic", "+", "boottime", "+", "ns", "time"}, 3);
  long long m = atoll(out[0].c_str()), bt = atoll(out[1].c_str());
  EXPECT_GE(m, mono.tv_sec + 3 * 86400) << out[0];
  EXPECT_LT(m, mono.tv_sec + 3 * 86400 + 60) << out[0];
  EXPECT_GE(bt, boot.tv_sec + 5 * 86400) << out[1];
  EXPECT_LT(bt, boot.tv_sec + 5 * 86400 + 60) << out[1];
  EXPECT_NE(out[2], OwnNamespace("time"));
}

// ===========================================================================
// Devices

class LinuxDevices : public ConformanceTest {};

// linux.devices: "lists devices that MUST be available in the container."
// With type, major/minor, fileMode, uid and gid as configured.
TEST_F(LinuxDevices, ConfiguredDevicesAreAvailable) {
  Bundle b;
  b.config()["linux"]["devices"] = {
      {{"path", "/dev/conf-null"}, {"type", "c"}, {"major", 1}, {"minor", 3},
       {"fileMode", 0664}, {"uid", 1000}, {"gid", 1001}},
      {{"path", "/dev/conf/zero"}, {"type", "c"}, {"major", 1}, {"minor", 5},
       {"fileMode", 0604}, {"uid", 0}, {"gid", 0}},
      {{"path", "/dev/conf-loop"}, {"type", "b"}, {"major", 7}, {"minor", 0},
       {"fileMode", 0600}, {"uid", 0}, {"gid", 0}},
      {{"path", "/dev/conf-fifo"}, {"type", "p"}, {"fileMode", 0620}, {"uid", 0}, {"gid", 0}},
  };
  // Usable too: the device allowlist (linux.resources.devices) lets them be.
  for (int minor : {3, 5}) {
    b.config()["linux"]["resources"]["devices"].push_back(
        {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", minor}, {"access", "rwm"}});
  }
  auto out = Probe(b, {"stat", "/dev/conf-null", "+", "stat", "/dev/conf/zero", "+", "stat",
                       "/dev/conf-loop", "+", "stat", "/dev/conf-fifo", "+", "read",
                       "/dev/conf-null", "+", "read", "/dev/conf/zero"},
                   6);
  EXPECT_EQ(out[0], "c 1:3 0664 1000:1001");
  EXPECT_EQ(out[1], "c 1:5 0604 0:0");
  EXPECT_EQ(out[2], "b 7:0 0600 0:0");
  EXPECT_EQ(out[3], "p 0620 0:0");
  EXPECT_EQ(out[4], "ok 0") << "the device is not usable";
  EXPECT_EQ(out[5], "ok 1048576") << "the device is not usable";
}

// config-linux.md, Default Devices: "In addition to any devices configured
// with this setting, the runtime MUST also supply: /dev/null, /dev/zero,
// /dev/full, /dev/random, /dev/urandom, /dev/tty, ... /dev/ptmx. A
// bind-mount or symlink of the container's /dev/pts/ptmx."
TEST_F(LinuxDevices, DefaultDevicesAreSupplied) {
  Bundle b;
  b.config()["linux"].erase("devices");
  auto out = Probe(b, {"stat", "/dev/null", "+", "stat", "/dev/zero", "+", "stat", "/dev/full",
                       "+", "stat", "/dev/random", "+", "stat", "/dev/urandom", "+", "stat",
                       "/dev/tty", "+", "write", "/dev/null", "+", "read", "/dev/zero", "+",
                       "write", "/dev/full", "+", "read", "/dev/urandom", "+", "stat",
                       "/dev/ptmx", "+", "readlink", "/dev/ptmx"},
                   12);
  const char* want[] = {"c 1:3", "c 1:5", "c 1:7", "c 1:8", "c 1:9", "c 5:0"};
  for (int i = 0; i < 6; i++) EXPECT_EQ(out[i].rfind(want[i], 0), 0u) << out[i];
  EXPECT_EQ(out[6], "ok") << "write /dev/null";
  EXPECT_EQ(out[7], "ok 1048576") << "read /dev/zero";
  EXPECT_EQ(out[8], "No space left on device") << "write /dev/full";
  EXPECT_EQ(out[9], "ok 1048576") << "read /dev/urandom";
  // A symlink to pts/ptmx, or the bind-mounted device itself (5:2).
  bool link = out[10].rfind("l ", 0) == 0 && (out[11] == "pts/ptmx" || out[11] == "/dev/pts/ptmx");
  bool dev = out[10].rfind("c 5:2", 0) == 0;
  EXPECT_TRUE(link || dev) << "/dev/ptmx: " << out[10] << " -> " << out[11];
}

// runtime-linux.md, Dev symbolic links: "While creating the container (step
// 2 in the lifecycle), runtimes MUST create the following symlinks if the
// source file exists after processing mounts: /proc/self/fd -> /dev/fd,
// /proc/self/fd/0 -> /dev/stdin, /proc/self/fd/1 -> /dev/stdout,
// /proc/self/fd/2 -> /dev/stderr."
TEST_F(LinuxDevices, DevSymlinks) {
  Bundle b;
  auto out = Probe(b, {"readlink", "/dev/fd", "+", "readlink", "/dev/stdin", "+", "readlink",
                       "/dev/stdout", "+", "readlink", "/dev/stderr"},
                   4);
  EXPECT_EQ(out[0], "/proc/self/fd");
  EXPECT_EQ(out[1], "/proc/self/fd/0");
  EXPECT_EQ(out[2], "/proc/self/fd/1");
  EXPECT_EQ(out[3], "/proc/self/fd/2");
}

// ===========================================================================
// Control groups and resources

// A character major with no driver here: opening such a node fails with
// ENXIO when the device cgroup allows it and EPERM when it does not.
int UnusedCharMajor() {
  std::set<int> used;
  bool chars = false;
  for (const auto& line : SplitLines(ReadFileOr("/proc/devices"))) {
    if (line == "Character devices:") chars = true;
    if (line == "Block devices:") chars = false;
    if (chars) used.insert(atoi(line.c_str()));
  }
  for (int m = 240; m <= 254; m++) {
    if (!used.count(m)) return m;
  }
  for (int m = 231; m < 240; m++) {
    if (!used.count(m)) return m;
  }
  return -1;
}

class LinuxResources : public ConformanceTest {
 protected:
  // Creates the container (the resources must be in place after create) and
  // returns its pid.
  pid_t Created(Container& c) {
    RunResult cr = c.Create();
    EXPECT_TRUE(cr.ok()) << cr.Describe();
    pid_t pid = cr.ok() ? StatePid(c) : 0;
    EXPECT_GT(pid, 0);
    return pid;
  }
  std::string Knob(pid_t pid, const std::string& controller, const std::string& v1_file,
                   const std::string& v2_file) {
    bool v1 = IsV1Controller(controller);
    std::string f = CgroupFileOf(pid, controller, v1 ? v1_file : v2_file);
    if (f.empty()) return "<no cgroup for " + controller + ">";
    return Trim(ReadFileOr(f, "<missing " + f + ">"));
  }
};

// linux.cgroupsPath: "If the value is specified, the runtime MUST
// consistently attach to the same place in the cgroups hierarchy given the
// same value of cgroupsPath." Asked from inside: /proc/self/cgroup of two
// containers run one after the other with the same cgroupsPath.
TEST_F(LinuxResources, CgroupsPathIsConsistent) {
  std::vector<std::string> seen;
  std::string path;
  for (int i = 0; i < 2; i++) {
    Bundle b;
    if (path.empty()) path = b.cgroups_path();
    b.config()["linux"]["cgroupsPath"] = path;
    b.RemoveNamespace("cgroup");  // show the paths as the host names them
    auto lines = Probe(b, {"cgroup"});
    std::string relevant;
    for (const auto& l : lines) {
      auto c1 = l.find(':'), c2 = l.find(':', c1 + 1);
      if (c1 == std::string::npos || c2 == std::string::npos) continue;
      std::string ctls = l.substr(c1 + 1, c2 - c1 - 1), p = l.substr(c2 + 1);
      bool v1_ctl = false;
      for (const char* ctl : {"memory", "pids", "cpu"}) {
        if (IsV1Controller(ctl) && Contains("," + ctls + ",", std::string(",") + ctl + ","))
          v1_ctl = true;
      }
      bool v2 = ctls.empty() && !IsV1Controller("memory");
      if (!v1_ctl && !v2) continue;
      relevant += l + "\n";
      EXPECT_TRUE(p.size() >= path.size() && p.compare(p.size() - path.size(), path.size(), path) == 0)
          << "not at cgroupsPath " << path << ": " << l;
    }
    EXPECT_FALSE(relevant.empty()) << "no memory/pids/cpu cgroup in /proc/self/cgroup";
    seen.push_back(relevant);
  }
  EXPECT_EQ(seen[0], seen[1]);
}

// linux.resources.devices: "configures the device allowlist. The runtime
// MUST apply entries in the listed order." Two nodes of a driverless major,
// made in the rootfs (not listed in linux.devices, so that only the
// allowlist decides): the first allowed; the second allowed, then its read
// access denied by a later entry.
TEST_F(LinuxResources, DevicesAllowlistInListedOrder) {
  const int major = UnusedCharMajor();
  ASSERT_GT(major, 0) << "no free character major";
  Bundle b;
  ASSERT_EQ(mkdir(b.InRootfs("/devnodes").c_str(), 0755), 0);
  json& rules = b.config()["linux"]["resources"]["devices"];
  for (int minor : {0, 1}) {
    std::string node = b.InRootfs("/devnodes/c" + std::to_string(minor));
    ASSERT_EQ(mknod(node.c_str(), S_IFCHR | 0666, makedev(major, minor)), 0) << node;
    ASSERT_EQ(chmod(node.c_str(), 0666), 0);
    rules.push_back({{"allow", true}, {"type", "c"}, {"major", major}, {"minor", minor},
                     {"access", "rwm"}});
  }
  rules.push_back(
      {{"allow", false}, {"type", "c"}, {"major", major}, {"minor", 1}, {"access", "r"}});
  auto out = Probe(b, {"read", "/devnodes/c0", "+", "read", "/devnodes/c1", "+", "write",
                       "/devnodes/c1"},
                   3);
  const std::string allowed = "No such device or address", denied = "Operation not permitted";
  EXPECT_EQ(out[0], allowed) << "c " << major << ":0 rwm was allowed";
  EXPECT_EQ(out[1], denied) << "c " << major << ":1 r was denied after it was allowed";
  EXPECT_EQ(out[2], allowed) << "c " << major << ":1 w stays allowed";
}

// linux.resources.memory: "limit (int64, OPTIONAL) - sets limit of memory
// usage in bytes; reservation (int64, OPTIONAL) - sets soft limit of memory
// usage in bytes."
TEST_F(LinuxResources, MemoryLimitAndReservation) {
  Bundle b;
  b.config()["linux"]["resources"]["memory"] = {{"limit", 96 * 1024 * 1024},
                                                {"reservation", 48 * 1024 * 1024}};
  Container c(rt(), b);
  pid_t pid = Created(c);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(Knob(pid, "memory", "memory.limit_in_bytes", "memory.max"), "100663296");
  EXPECT_EQ(Knob(pid, "memory", "memory.soft_limit_in_bytes", "memory.low"), "50331648");
}

// linux.resources.cpu: "shares ... quota (int64, OPTIONAL) - specifies the
// total amount of time in microseconds for which all tasks in a cgroup can
// run during one period; period ...; cpus (string, OPTIONAL) - list of CPUs
// the container will run in; mems ... list of Memory Nodes".
TEST_F(LinuxResources, CpuSharesQuotaPeriodCpusMems) {
  Bundle b;
  b.config()["linux"]["resources"]["cpu"] = {
      {"shares", 512}, {"quota", 25000}, {"period", 50000}, {"cpus", "0"}, {"mems", "0"}};
  Container c(rt(), b);
  pid_t pid = Created(c);
  ASSERT_GT(pid, 0);
  if (IsV1Controller("cpu")) {
    EXPECT_EQ(Knob(pid, "cpu", "cpu.shares", ""), "512");
    EXPECT_EQ(Knob(pid, "cpu", "cpu.cfs_quota_us", ""), "25000");
    EXPECT_EQ(Knob(pid, "cpu", "cpu.cfs_period_us", ""), "50000");
  } else {
    EXPECT_EQ(Knob(pid, "cpu", "", "cpu.max"), "25000 50000");
    // shares 512 as a cgroup v2 weight: 1 + ((512 - 2) * 9999) / 262142.
    EXPECT_EQ(Knob(pid, "cpu", "", "cpu.weight"), "20");
  }
  EXPECT_EQ(Knob(pid, "cpuset", "cpuset.cpus", "cpuset.cpus"), "0");
  EXPECT_EQ(Knob(pid, "cpuset", "cpuset.mems", "cpuset.mems"), "0");
}

// linux.resources.pids: "limit (int64, REQUIRED) - specifies the maximum
// number of tasks in the cgroup".
TEST_F(LinuxResources, PidsLimit) {
  Bundle b;
  b.config()["linux"]["resources"]["pids"] = {{"limit", 42}};
  Container c(rt(), b);
  pid_t pid = Created(c);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(Knob(pid, "pids", "pids.max", "pids.max"), "42");
}

// ===========================================================================
// Sysctl, maskedPaths, readonlyPaths

class LinuxSysctl : public ConformanceTest {};

// linux.sysctl: "allows kernel parameters to be modified at runtime for the
// container." Namespaced ones (ipc and net here) change only the container's.
TEST_F(LinuxSysctl, KernelParametersAreSetInTheContainer) {
  const std::string msgmax = "/proc/sys/kernel/msgmax";
  const std::string port = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
  std::string host_msgmax = ReadFileOr(msgmax), host_port = ReadFileOr(port);
  Bundle b;
  b.config()["linux"]["sysctl"] = {{"kernel.msgmax", "12345"},
                                   {"net.ipv4.ip_unprivileged_port_start", "123"}};
  auto out = Probe(b, {"cat", msgmax, "+", "cat", port}, 2);
  EXPECT_EQ(out[0], "12345");
  EXPECT_EQ(out[1], "123");
  EXPECT_EQ(ReadFileOr(msgmax), host_msgmax) << "the host's value changed";
  EXPECT_EQ(ReadFileOr(port), host_port) << "the host's value changed";
}

class LinuxMaskedPaths : public ConformanceTest {};

// linux.maskedPaths: "will mask over the provided paths inside the container
// so that they cannot be read."
TEST_F(LinuxMaskedPaths, MaskedFileAndDirectoryCannotBeRead) {
  Bundle b;
  ASSERT_TRUE(WriteFile(b.InRootfs("/etc/masked-file"), "SECRET-FILE"));
  ASSERT_EQ(mkdir(b.InRootfs("/etc/masked-dir").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(b.InRootfs("/etc/masked-dir/inner"), "SECRET-DIR"));
  b.config()["linux"]["maskedPaths"].push_back("/etc/masked-file");
  b.config()["linux"]["maskedPaths"].push_back("/etc/masked-dir");
  auto out = Probe(b, {"cat", "/etc/masked-file", "+", "echo", "+", "cat",
                       "/etc/masked-dir/inner", "+", "echo", "+", "exists", "/etc/masked-dir/inner",
                       "+", "cat", "/etc/passwd"});
  std::string all;
  for (const auto& l : out) all += l + "\n";
  EXPECT_FALSE(Contains(all, "SECRET-FILE")) << all;
  EXPECT_FALSE(Contains(all, "SECRET-DIR")) << all;
  EXPECT_TRUE(Contains(all, "root:x:0:0")) << "unmasked files must stay readable: " << all;
}

class LinuxReadonlyPaths : public ConformanceTest {};

// linux.readonlyPaths: "will set the provided paths as readonly inside the
// container."
TEST_F(LinuxReadonlyPaths, PathsAreReadOnly) {
  Bundle b;
  ASSERT_EQ(mkdir(b.InRootfs("/etc/ro-dir").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(b.InRootfs("/etc/ro-file"), "ro-content"));
  b.config()["linux"]["readonlyPaths"].push_back("/etc/ro-dir");
  b.config()["linux"]["readonlyPaths"].push_back("/etc/ro-file");
  auto out = Probe(b, {"write", "/etc/ro-dir/new", "+", "write", "/etc/ro-file", "+", "cat",
                       "/etc/ro-file", "+", "echo", "+", "write", "/etc/rw-file"},
                   4);
  EXPECT_EQ(out[0], "Read-only file system");
  EXPECT_EQ(out[1], "Read-only file system");
  EXPECT_EQ(out[2], "ro-content") << "read-only paths stay readable";
  EXPECT_EQ(out[3], "ok") << "other paths stay writable";
  EXPECT_EQ(ReadFileOr(b.InRootfs("/etc/ro-file")), "ro-content");
}

// ===========================================================================
// Seccomp

class LinuxSeccomp : public ConformanceTest {
 protected:
  static json Profile(const json& rule) {
    return {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
            {"syscalls", {rule}}};
  }
};

// linux.seccomp.syscalls[].errnoRet: "the errno return code to use. ... If
// not specified then its default value is EPERM." mkdir is denied with
// EPERM while everything else works.
TEST_F(LinuxSeccomp, DeniedMkdirFailsWithEperm) {
  Bundle b;
  b.config()["linux"]["seccomp"] =
      Profile({{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}});
  auto out = ShProbe(b,
                     "/ocitest seccomp + syscall mkdirat; mkdir /tmp/denied 2>&1; echo rc=$?; "
                     "ls / >/dev/null && echo ls-ok",
                     5);
  EXPECT_EQ(out[0], "2") << "no seccomp filter";
  EXPECT_EQ(out[1], "EPERM");
  EXPECT_TRUE(Contains(out[2], "Operation not permitted")) << out[2];
  EXPECT_EQ(out[3], "rc=1");
  EXPECT_EQ(out[4], "ls-ok");
  EXPECT_FALSE(itest::PathExists(b.InRootfs("/tmp/denied")));
}

// linux.seccomp.syscalls[].errnoRet: "the errno return code to use. Some
// actions like SCMP_ACT_ERRNO and SCMP_ACT_TRACE allow to specify the errno
// code to return."
TEST_F(LinuxSeccomp, ErrnoRetIsReturned) {
  Bundle b;
  b.config()["linux"]["seccomp"] = Profile(
      {{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 18}});
  auto out = Probe(b, {"syscall", "mkdirat", "+", "syscall", "getppid"}, 2);
  EXPECT_EQ(out[0], "EXDEV");
  EXPECT_EQ(out[1], "ok");
}

// linux.seccomp.syscalls[].errnoRet: "When the action doesn't support an
// errno, the runtime MUST print and error and fail."
TEST_F(LinuxSeccomp, ErrnoRetWithActionWithoutErrnoFails) {
  Bundle b;
  b.config()["linux"]["seccomp"] = Profile(
      {{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_KILL"}, {"errnoRet", 18}});
  b.Args({"/ocitest", "echo", "started"});
  Container c(rt(), b);
  RunResult r = c.Run();
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_FALSE(Contains(r.out, "started")) << r.Describe();
  ExpectNoTrace(c.id(), b);
}

// ===========================================================================
// rootfsPropagation

class LinuxRootfsPropagation : public ConformanceTest {
 protected:
  // The optional fields ("shared:N master:N unbindable ...") of the
  // container's "/" mount, as the container sees it.
  std::string RootOptionalFields(const std::string& propagation) {
    Bundle b;
    b.config()["linux"]["rootfsPropagation"] = propagation;
    auto lines = Probe(b, {"mountinfo"});
    std::string fields = "<no / mount>";
    for (const auto& l : lines) {
      auto w = Words(l);
      if (w.size() < 7 || w[4] != "/") continue;
      fields.clear();
      for (size_t i = 6; i < w.size() && w[i] != "-"; i++) fields += w[i] + " ";
    }
    return fields;
  }
};

// linux.rootfsPropagation: "sets the rootfs's mount propagation. Its value
// is either shared, slave, private or unbindable."
TEST_F(LinuxRootfsPropagation, Shared) {
  std::string f = RootOptionalFields("shared");
  EXPECT_TRUE(Contains(f, "shared:")) << "/ is not shared: " << f;
}

TEST_F(LinuxRootfsPropagation, Slave) {
  // A slave of a private mount is private: "master:N" appears only when the
  // host's rootfs mount is shared. Either way / must not be shared.
  std::string f = RootOptionalFields("slave");
  EXPECT_FALSE(Contains(f, "shared:")) << "/ is shared: " << f;
  EXPECT_FALSE(Contains(f, "unbindable")) << f;
}

TEST_F(LinuxRootfsPropagation, Private) {
  std::string f = RootOptionalFields("private");
  EXPECT_FALSE(Contains(f, "shared:")) << f;
  EXPECT_FALSE(Contains(f, "master:")) << f;
}

TEST_F(LinuxRootfsPropagation, Unbindable) {
  std::string f = RootOptionalFields("unbindable");
  EXPECT_TRUE(Contains(f, "unbindable")) << "/ is not unbindable: " << f;
}

}  // namespace
}  // namespace skiff::conformance
