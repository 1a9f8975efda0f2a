// Namespaces: new ones, shared ones, joined by path, user namespace id
// mappings, time namespace offsets, and namespaced sysctls.
#include <time.h>
#include <sstream>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/rootfs/bundle.h"

namespace skiff::itest {
namespace {

class NamespacesTest : public RuntimeTest {
 protected:
  RunResult RunOnce(Bundle& b) {
    Container c(rt(), b);
    return c.Run();
  }
  // `ocitest ns NAME` for each name, in one container.
  std::vector<std::string> ContainerNamespaces(Bundle& b, const std::vector<std::string>& names) {
    std::vector<std::string> args = {"/ocitest"};
    for (const auto& n : names) {
      if (args.size() > 1) args.push_back("+");
      args.push_back("ns");
      args.push_back(n);
    }
    b.Args(args);
    RunResult r = RunOnce(b);
    EXPECT_TRUE(r.ok()) << r.Describe();
    auto lines = SplitLines(r.out);
    EXPECT_EQ(lines.size(), names.size()) << r.out;
    lines.resize(names.size());
    return lines;
  }
};

std::string HostNsLinkOf(pid_t pid, const std::string& name) {
  char buf[256];
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/" + name).c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, n) : "";
}

TEST_F(NamespacesTest, ConfiguredNamespacesAreNew) {
  Bundle b;  // the default spec: pid, network, ipc, uts, mount (runc 1.2: cgroup too)
  b.AddNamespace("cgroup");
  std::vector<std::string> names = {"pid", "net", "ipc", "uts", "mnt", "cgroup"};
  auto got = ContainerNamespaces(b, names);
  for (size_t i = 0; i < names.size(); i++) {
    EXPECT_NE(got[i], OwnNamespace(names[i])) << names[i] << " namespace is the host's";
    EXPECT_EQ(got[i].rfind(names[i] + ":[", 0), 0u) << got[i];
  }
}

TEST_F(NamespacesTest, UnlistedNamespacesAreShared) {
  Bundle b;
  for (const char* ns : {"network", "ipc", "user", "cgroup"}) b.RemoveNamespace(ns);
  std::vector<std::string> names = {"net", "ipc", "user", "cgroup", "uts"};
  auto got = ContainerNamespaces(b, names);
  EXPECT_EQ(got[0], OwnNamespace("net"));
  EXPECT_EQ(got[1], OwnNamespace("ipc"));
  EXPECT_EQ(got[2], OwnNamespace("user"));
  EXPECT_EQ(got[3], OwnNamespace("cgroup"));
  EXPECT_NE(got[4], OwnNamespace("uts"));
}

TEST_F(NamespacesTest, NoPidNamespace) {
  Bundle b;
  b.RemoveNamespace("pid");
  b.Args({"/ocitest", "pid", "+", "ns", "pid"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto out = SplitLines(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0], "1");
  EXPECT_EQ(out[1], OwnNamespace("pid"));
}

TEST_F(NamespacesTest, JoinNetworkNamespaceByPath) {
  NetnsFile netns;
  ASSERT_TRUE(netns.ok()) << "could not create a network namespace";
  Bundle b;
  b.AddNamespace("network", netns.path());
  auto got = ContainerNamespaces(b, {"net"});
  EXPECT_EQ(got[0], netns.link());
  EXPECT_NE(got[0], OwnNamespace("net"));
}

TEST_F(NamespacesTest, JoinAnotherContainersNamespaces) {
  // The pod pattern: a second container joins the first one's ipc, uts and
  // network namespaces through /proc/PID/ns.
  Bundle first;
  first.Args({"/ocitest", "sleep", "60"});
  Container c1(rt(), first);
  ASSERT_TRUE(c1.Create().ok());
  auto st = c1.State();
  ASSERT_TRUE(st);
  pid_t pid = st->value("pid", 0);
  ASSERT_GT(pid, 0);
  std::string base = "/proc/" + std::to_string(pid) + "/ns/";
  Bundle second;
  second.AddNamespace("ipc", base + "ipc");
  second.AddNamespace("uts", base + "uts");
  second.AddNamespace("network", base + "net");
  second.config().erase("hostname");  // may not set the hostname of a joined uts ns
  auto got = ContainerNamespaces(second, {"ipc", "uts", "net", "pid"});
  EXPECT_EQ(got[0], HostNsLinkOf(pid, "ipc"));
  EXPECT_EQ(got[1], HostNsLinkOf(pid, "uts"));
  EXPECT_EQ(got[2], HostNsLinkOf(pid, "net"));
  EXPECT_NE(got[3], HostNsLinkOf(pid, "pid"));
}

TEST_F(NamespacesTest, UserNamespaceMappings) {
  Bundle b;
  b.AddNamespace("user");
  b.config()["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  b.config()["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  b.Sh("cat /proc/self/uid_map /proc/self/gid_map; /ocitest ids; /ocitest ns user; "
       "/ocitest stat /bin/busybox");
  Container c(rt(), b);
  CaptureFile out;
  RunOptions o;
  o.stdout_fd = out.fd();
  RunResult cr = c.Create({}, o);
  ASSERT_TRUE(cr.ok()) << cr.Describe();
  auto st = c.State();
  ASSERT_TRUE(st);
  pid_t pid = st->value("pid", 0);
  // Seen from the host, the container's root is uid 100000.
  std::string status = ReadFileOr("/proc/" + std::to_string(pid) + "/status");
  EXPECT_TRUE(Contains(status, "\nUid:\t100000\t100000\t100000\t100000\n")) << status;
  ASSERT_TRUE(c.Start().ok());
  ASSERT_TRUE(c.WaitForStatus("stopped"));
  auto lines = SplitLines(out.Read());
  ASSERT_EQ(lines.size(), 5u) << out.Read();
  auto words = [](const std::string& s) {
    std::vector<std::string> w;
    std::istringstream is(s);
    for (std::string x; is >> x;) w.push_back(x);
    return w;
  };
  EXPECT_EQ(words(lines[0]), (std::vector<std::string>{"0", "100000", "65536"}));
  EXPECT_EQ(words(lines[1]), (std::vector<std::string>{"0", "100000", "65536"}));
  EXPECT_EQ(lines[2], "uid=0 gid=0 euid=0 egid=0 groups=");
  EXPECT_NE(lines[3], OwnNamespace("user"));
  // Host root owns the rootfs; unmapped, it shows as the overflow id.
  EXPECT_EQ(lines[4], "- 0755 65534:65534");
}

TEST_F(NamespacesTest, TimeNamespaceOffsets) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  Bundle b;
  b.AddNamespace("time");
  b.config()["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 86400}, {"nanosecs", 0}}},
                                        {"boottime", {{"secs", 2 * 86400}, {"nanosecs", 0}}}};
  b.Args({"/ocitest", "monotonic", "+", "boottime", "+", "ns", "time"});
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto out = SplitLines(r.out);
  ASSERT_EQ(out.size(), 3u);
  long long mono = atoll(out[0].c_str()), boot = atoll(out[1].c_str());
  EXPECT_GE(mono, now.tv_sec + 86400) << r.out;
  EXPECT_LT(mono, now.tv_sec + 86400 + 60) << r.out;
  EXPECT_GE(boot, now.tv_sec + 2 * 86400) << r.out;
  EXPECT_NE(out[2], OwnNamespace("time"));
}

TEST_F(NamespacesTest, Sysctls) {
  std::string host_forward = ReadFileOr("/proc/sys/net/ipv4/ip_forward");
  std::string host_shmmax = ReadFileOr("/proc/sys/kernel/shmmax");
  Bundle b;
  b.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"},
                                   {"kernel.shmmax", "12345678"},
                                   {"net/ipv4/conf/all/forwarding", "1"}};
  b.Sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax "
       "/proc/sys/net/ipv4/conf/all/forwarding");
  RunResult r = RunOnce(b);
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "1\n12345678\n1\n");
  EXPECT_EQ(ReadFileOr("/proc/sys/net/ipv4/ip_forward"), host_forward) << "host sysctl changed";
  EXPECT_EQ(ReadFileOr("/proc/sys/kernel/shmmax"), host_shmmax) << "host sysctl changed";
}

TEST_F(NamespacesTest, NetworkSysctlWithoutNetnsIsRejected) {
  // Setting a net.* sysctl in the host's network namespace must fail.
  std::string host_forward = ReadFileOr("/proc/sys/net/ipv4/ip_forward");
  Bundle b;
  b.RemoveNamespace("network");
  b.config()["linux"]["sysctl"] = {{"net.ipv4.ip_forward", Trim(host_forward) == "1" ? "0" : "1"}};
  RunResult r = RunOnce(b);
  std::string after = ReadFileOr("/proc/sys/net/ipv4/ip_forward");
  if (after != host_forward) WriteFile("/proc/sys/net/ipv4/ip_forward", host_forward);  // undo
  EXPECT_NE(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "net.ipv4.ip_forward") || ContainsNoCase(r.err, "sysctl"))
      << r.Describe();
  EXPECT_EQ(after, host_forward) << "host sysctl changed";
}

}  // namespace
}  // namespace skiff::itest
