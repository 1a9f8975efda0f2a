// Specs from BuildSpec, run by the bazel-built ocirun on a busybox rootfs:
// what the container sees (ids, cwd, env, hostname, /etc/hosts,
// capabilities, read-only rootfs, tmpfs, seccomp) and the cgroup limits the
// host sees. Needs root; skips with the reason otherwise.
#include <fstream>

#include "gtest/gtest.h"
#include "manager/containers/capabilities.h"
#include "manager/containers/spec_builder.h"
#include "tests/rootfs/bundle.h"

namespace skiff::manager {
namespace {

using itest::Contains;
using itest::RunResult;

class SpecIntegrationTest : public itest::RuntimeTest {
 protected:
  void SetUp() override {
    itest::RuntimeTest::SetUp();
    if (IsSkipped()) return;
    bundle_ = std::make_unique<itest::Bundle>();
    itest::WriteFile(bundle_->InRootfs("/etc/passwd"),
                     "root:x:0:0:root:/root:/bin/sh\n"
                     "app:x:1000:1000:app:/home/app:/bin/sh\n");
    itest::WriteFile(bundle_->InRootfs("/etc/group"), "root:x:0:\napp:x:1000:\n");
    in_.rootfs = bundle_->rootfs();
    in_.cgroups_path = bundle_->cgroups_path();
    in_.host.set_network_mode("none");
  }

  // Builds the spec for `script` and runs it in the foreground.
  RunResult Run(const std::string& script) {
    in_.id = itest::UniqueId();
    in_.config.mutable_cmd()->clear_values();
    for (const char* a : {"/bin/sh", "-c"}) in_.config.mutable_cmd()->add_values(a);
    in_.config.mutable_cmd()->add_values(script);
    auto spec = BuildSpec(in_);
    EXPECT_TRUE(spec.ok()) << spec.status();
    if (!spec.ok()) return {};
    bundle_->config() = *spec;
    itest::Container c(rt(), *bundle_, in_.id);
    return c.Run();
  }

  // The etc files skiffd would write, bound into the container.
  void EtcFiles(const std::string& hostname) {
    in_.hostname_file = bundle_->dir() + "/hostname";
    in_.hosts_file = bundle_->dir() + "/hosts";
    in_.resolv_conf_file = bundle_->dir() + "/resolv.conf";
    itest::WriteFile(in_.hostname_file, HostnameFile(hostname));
    itest::WriteFile(in_.hosts_file, HostsFile(hostname, "none"));
    itest::WriteFile(in_.resolv_conf_file, "nameserver 10.9.8.7\n");
  }

  std::string CapEff(const std::string& out) {
    for (const std::string& line : itest::SplitLines(out)) {
      if (line.rfind("CapEff:", 0) == 0) return itest::Trim(line.substr(7));
    }
    return "";
  }

  std::unique_ptr<itest::Bundle> bundle_;
  SpecInput in_;
};

TEST_F(SpecIntegrationTest, DefaultsAsTheContainerSeesThem) {
  in_.config.set_hostname("web1");
  EtcFiles("web1");
  RunResult r =
      Run("id -u; id -g; pwd; hostname; echo \"env:$HOSTNAME:$HOME:$PATH\"; cat /etc/hostname;"
          "cat /etc/resolv.conf; grep CapEff /proc/self/status; echo ---; cat /etc/hosts");
  ASSERT_TRUE(r.ok()) << r.Describe();
  const auto sep = r.out.find("---\n");
  ASSERT_NE(sep, std::string::npos) << r.out;
  auto lines = itest::SplitLines(r.out.substr(0, sep));
  ASSERT_GE(lines.size(), 8u) << r.out;
  EXPECT_EQ(lines[0], "0");
  EXPECT_EQ(lines[1], "0");
  EXPECT_EQ(lines[2], "/");
  EXPECT_EQ(lines[3], "web1");
  EXPECT_EQ(lines[4],
            "env:web1:/root:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  EXPECT_EQ(lines[5], "web1");
  EXPECT_EQ(lines[6], "nameserver 10.9.8.7");
  EXPECT_EQ(CapEff(r.out), itest::CapMask(DefaultCapabilities()));
  EXPECT_EQ(r.out.substr(sep + 4), HostsFile("web1", "none"));
}

TEST_F(SpecIntegrationTest, HostnameDefaultsToTheShortId) {
  RunResult r = Run("hostname");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(itest::Trim(r.out), in_.id.substr(0, 12));
}

TEST_F(SpecIntegrationTest, UserWorkdirAndEnv) {
  in_.config.set_user("app");
  in_.config.set_working_dir("/tmp");
  in_.config.add_env("GREETING=hello world");
  RunResult r = Run("id -u; id -g; pwd; echo \"$GREETING|$HOME\"; grep CapEff /proc/self/status");
  ASSERT_TRUE(r.ok()) << r.Describe();
  auto lines = itest::SplitLines(r.out);
  ASSERT_GE(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], "1000");
  EXPECT_EQ(lines[1], "1000");
  EXPECT_EQ(lines[2], "/tmp");
  EXPECT_EQ(lines[3], "hello world|/home/app");
  // docker: a non-root user starts without effective capabilities.
  EXPECT_EQ(CapEff(r.out), "0000000000000000");

  in_.config.set_user("1234:5678");
  r = Run("id -u; id -g");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "1234\n5678\n");
}

TEST_F(SpecIntegrationTest, MissingWorkdirIsCreated) {
  in_.config.set_working_dir("/srv/app");
  RunResult r = Run("pwd");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(r.out, "/srv/app\n");
}

TEST_F(SpecIntegrationTest, CapAddAndDrop) {
  in_.host.add_cap_add("net_admin");
  in_.host.add_cap_drop("CAP_CHOWN");
  in_.host.add_cap_drop("kill");
  RunResult r = Run("grep CapEff /proc/self/status; chown 1000 /tmp && echo chowned");
  EXPECT_FALSE(r.ok()) << r.Describe();  // chown without CAP_CHOWN
  std::vector<std::string> want;
  for (const std::string& c : DefaultCapabilities()) {
    if (c != "CAP_CHOWN" && c != "CAP_KILL") want.push_back(c);
  }
  want.push_back("CAP_NET_ADMIN");
  EXPECT_EQ(CapEff(r.out), itest::CapMask(want));
  EXPECT_FALSE(Contains(r.out, "chowned"));
  EXPECT_TRUE(Contains(r.err, "Operation not permitted")) << r.err;
}

TEST_F(SpecIntegrationTest, ReadOnlyRootfsAndTmpfs) {
  in_.host.set_read_only_rootfs(true);
  (*in_.host.mutable_tmpfs())["/run"] = "size=1m";
  RunResult r =
      Run("if touch /newfile 2>/dev/null; then echo rootfs-writable; else echo rootfs-ro; fi;"
          "touch /run/ok && echo run-writable; grep ' /run ' /proc/mounts");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "rootfs-ro")) << r.out;
  EXPECT_TRUE(Contains(r.out, "run-writable")) << r.out;
  EXPECT_TRUE(Contains(r.out, "tmpfs /run tmpfs rw,nosuid,nodev,noexec")) << r.out;
  EXPECT_TRUE(Contains(r.out, "size=1024k")) << r.out;
}

TEST_F(SpecIntegrationTest, SeccompBlocksNamespacesAndMountWithoutSysAdmin) {
  // unshare(CLONE_NEWUSER) needs no capability: only seccomp refuses it.
  RunResult r =
      Run("unshare -U true && echo unshared; mount -t tmpfs x /mnt && echo mounted; true");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_FALSE(Contains(r.out, "unshared")) << r.Describe();
  EXPECT_FALSE(Contains(r.out, "mounted")) << r.Describe();
  EXPECT_TRUE(Contains(r.err, "Operation not permitted")) << r.err;

  in_.host.add_security_opt("seccomp=unconfined");
  r = Run("unshare -U true && echo unshared");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "unshared"));

  // With CAP_SYS_ADMIN the default profile opens mount(2).
  in_.host.clear_security_opt();
  in_.host.add_cap_add("SYS_ADMIN");
  r = Run("mount -t tmpfs x /mnt && echo mounted");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_TRUE(Contains(r.out, "mounted"));
}

TEST_F(SpecIntegrationTest, MemoryAndPidsLimitsInTheCgroup) {
  in_.host.mutable_resources()->set_memory(64 << 20);
  in_.host.mutable_resources()->set_pids_limit(42);
  in_.id = itest::UniqueId();
  for (const char* a : {"sleep", "30"}) in_.config.mutable_cmd()->add_values(a);
  auto spec = BuildSpec(in_);
  ASSERT_TRUE(spec.ok()) << spec.status();
  bundle_->config() = *spec;
  itest::Container c(rt(), *bundle_, in_.id);
  RunResult r = c.Run({"--detach"});
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(itest::Trim(itest::ReadFileOr(itest::CgroupDir("memory", in_.cgroups_path) +
                                          "/memory.limit_in_bytes")),
            std::to_string(64 << 20));
  EXPECT_EQ(
      itest::Trim(itest::ReadFileOr(itest::CgroupDir("pids", in_.cgroups_path) + "/pids.max")),
      "42");
  EXPECT_TRUE(c.Kill("KILL").ok());
}

TEST_F(SpecIntegrationTest, PrivilegedHasAllCapsNoSeccompAndWritableSys) {
  in_.host.set_privileged(true);
  RunResult r =
      Run("grep CapEff /proc/self/status; unshare -U true && echo unshared; "
          "grep ' /sys sysfs ' /proc/mounts");
  ASSERT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(CapEff(r.out), itest::CapMask(AllCapabilities()));
  EXPECT_TRUE(Contains(r.out, "unshared"));
  EXPECT_TRUE(Contains(r.out, "sysfs /sys sysfs rw,")) << r.out;
}

}  // namespace
}  // namespace skiff::manager
