#include "cli/run_options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

namespace skiff::cli {
namespace {

using skiff::v1::CreateContainerRequest;
using skiff::v1::Mount;

const char* FakeEnv(const char* name) {
  if (strcmp(name, "HOME_DIR") == 0) return "/home/me";
  return nullptr;
}

absl::StatusOr<CreateContainerRequest> Build(const std::vector<std::string>& argv) {
  RunOptions opts;
  FlagSet fs("skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container");
  opts.Register(fs, true);
  auto pos = fs.Parse(argv, false);
  if (!pos.ok()) return pos.status();
  return BuildCreateRequest(opts, fs, *pos, FakeEnv);
}

TEST(RunOptionsTest, ImageCommandAndProcessSettings) {
  auto req = Build({"--name", "web",     "-e",      "A=1",  "-e", "HOME_DIR",  "-e", "UNSET_VAR",
                    "-l",     "tier=db", "-l",      "flag", "-u", "1000:1000", "-w", "/srv",
                    "-h",     "box",     "busybox", "sh",   "-c", "echo hi"});
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->name(), "web");
  const auto& c = req->config();
  EXPECT_EQ(c.image(), "busybox");
  ASSERT_TRUE(c.has_cmd());
  EXPECT_EQ(std::vector<std::string>(c.cmd().values().begin(), c.cmd().values().end()),
            (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_FALSE(c.has_entrypoint());
  EXPECT_EQ(std::vector<std::string>(c.env().begin(), c.env().end()),
            (std::vector<std::string>{"A=1", "HOME_DIR=/home/me"}));
  EXPECT_EQ(c.labels().at("tier"), "db");
  EXPECT_EQ(c.labels().at("flag"), "");
  EXPECT_EQ(c.user(), "1000:1000");
  EXPECT_EQ(c.working_dir(), "/srv");
  EXPECT_EQ(c.hostname(), "box");
}

TEST(RunOptionsTest, NoCommandLeavesImageDefaults) {
  auto req = Build({"busybox"});
  ASSERT_TRUE(req.ok());
  EXPECT_FALSE(req->config().has_cmd());
  EXPECT_FALSE(req->config().has_entrypoint());
  EXPECT_FALSE(req->host_config().resources().has_pids_limit());
  EXPECT_FALSE(req->host_config().has_oom_score_adj());
  EXPECT_FALSE(req->config().has_stop_timeout_seconds());
}

TEST(RunOptionsTest, EmptyEntrypointResetsEntrypointAndCmd) {
  auto req = Build({"--entrypoint", "", "busybox"});
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(req->config().has_entrypoint());
  EXPECT_EQ(req->config().entrypoint().values_size(), 0);
  ASSERT_TRUE(req->config().has_cmd());
  EXPECT_EQ(req->config().cmd().values_size(), 0);

  req = Build({"--entrypoint=/bin/sh", "busybox", "-c", "true"});
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->config().entrypoint().values(0), "/bin/sh");
  EXPECT_EQ(req->config().cmd().values_size(), 2);
}

TEST(RunOptionsTest, StdioFlags) {
  auto req = Build({"-it", "busybox"});
  ASSERT_TRUE(req.ok());
  EXPECT_TRUE(req->config().tty());
  EXPECT_TRUE(req->config().open_stdin());
  EXPECT_TRUE(req->config().stdin_once());
  EXPECT_TRUE(req->config().attach_stdin());
  EXPECT_TRUE(req->config().attach_stdout());

  req = Build({"-di", "busybox"});
  ASSERT_TRUE(req.ok());
  EXPECT_TRUE(req->config().open_stdin());
  EXPECT_FALSE(req->config().stdin_once());
  EXPECT_FALSE(req->config().attach_stdin());
  EXPECT_FALSE(req->config().attach_stdout());
}

TEST(RunOptionsTest, Resources) {
  auto req = Build({"-m",
                    "512m",
                    "--memory-swap",
                    "1g",
                    "--memory-reservation",
                    "256m",
                    "--cpus",
                    "1.5",
                    "--cpu-shares",
                    "512",
                    "--cpuset-cpus",
                    "0-1",
                    "--pids-limit",
                    "100",
                    "--ulimit",
                    "nofile=1024:2048",
                    "--ulimit",
                    "nproc=64",
                    "--device",
                    "/dev/fuse",
                    "--device",
                    "/dev/null:/dev/mynull:r",
                    "busybox"});
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& r = req->host_config().resources();
  EXPECT_EQ(r.memory(), 512LL << 20);
  EXPECT_EQ(r.memory_swap(), 1LL << 30);
  EXPECT_EQ(r.memory_reservation(), 256LL << 20);
  EXPECT_EQ(r.nano_cpus(), 1500000000LL);
  EXPECT_EQ(r.cpu_shares(), 512);
  EXPECT_EQ(r.cpuset_cpus(), "0-1");
  ASSERT_TRUE(r.has_pids_limit());
  EXPECT_EQ(r.pids_limit(), 100);
  ASSERT_EQ(r.ulimits_size(), 2);
  EXPECT_EQ(r.ulimits(0).name(), "nofile");
  EXPECT_EQ(r.ulimits(0).soft(), 1024);
  EXPECT_EQ(r.ulimits(0).hard(), 2048);
  EXPECT_EQ(r.ulimits(1).hard(), 64);
  ASSERT_EQ(r.devices_size(), 2);
  EXPECT_EQ(r.devices(0).path_in_container(), "/dev/fuse");
  EXPECT_EQ(r.devices(0).cgroup_permissions(), "rwm");
  EXPECT_EQ(r.devices(1).path_on_host(), "/dev/null");
  EXPECT_EQ(r.devices(1).path_in_container(), "/dev/mynull");
  EXPECT_EQ(r.devices(1).cgroup_permissions(), "r");

  req = Build({"--memory-swap", "-1", "-m", "64m", "busybox"});
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->host_config().resources().memory_swap(), -1);
}

TEST(RunOptionsTest, MountsVolumesAndTmpfs) {
  auto req = Build({"-v", "/srv/data:/data:ro", "-v", "cache:/cache", "-v", "/anon", "--mount",
                    "type=bind,source=/etc,target=/host-etc,readonly,bind-propagation=rslave",
                    "--mount", "type=tmpfs,destination=/scratch,tmpfs-size=64m,tmpfs-mode=1777",
                    "--tmpfs", "/run:size=32m", "--tmpfs", "/tmp", "busybox"});
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& h = req->host_config();
  ASSERT_EQ(h.mounts_size(), 5);
  EXPECT_EQ(h.mounts(0).type(), Mount::MOUNT_TYPE_BIND);
  EXPECT_EQ(h.mounts(0).source(), "/srv/data");
  EXPECT_EQ(h.mounts(0).target(), "/data");
  EXPECT_TRUE(h.mounts(0).read_only());
  EXPECT_EQ(h.mounts(1).type(), Mount::MOUNT_TYPE_VOLUME);
  EXPECT_EQ(h.mounts(1).source(), "cache");
  EXPECT_EQ(h.mounts(2).type(), Mount::MOUNT_TYPE_VOLUME);
  EXPECT_EQ(h.mounts(2).source(), "");
  EXPECT_EQ(h.mounts(3).type(), Mount::MOUNT_TYPE_BIND);
  EXPECT_TRUE(h.mounts(3).read_only());
  EXPECT_EQ(h.mounts(3).propagation(), "rslave");
  EXPECT_EQ(h.mounts(4).type(), Mount::MOUNT_TYPE_TMPFS);
  EXPECT_EQ(h.mounts(4).target(), "/scratch");
  EXPECT_EQ(h.mounts(4).options(), "size=67108864,mode=1777");
  EXPECT_EQ(h.tmpfs().at("/run"), "size=32m");
  EXPECT_EQ(h.tmpfs().at("/tmp"), "");

  // A relative bind source is made absolute against the working directory.
  req = Build({"-v", "./conf:/conf", "busybox"});
  ASSERT_TRUE(req.ok());
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(req->host_config().mounts(0).source(), std::string(cwd) + "/conf");
}

TEST(RunOptionsTest, SecurityNamespacesAndMisc) {
  auto req = Build({"--cap-add",
                    "NET_ADMIN",
                    "--cap-drop",
                    "ALL",
                    "--privileged",
                    "--security-opt",
                    "no-new-privileges",
                    "--security-opt",
                    "seccomp=unconfined",
                    "--read-only",
                    "--net",
                    "host",
                    "--ipc",
                    "host",
                    "--pid",
                    "host",
                    "--uts",
                    "host",
                    "--sysctl",
                    "net.ipv4.ip_forward=1",
                    "--shm-size",
                    "128m",
                    "--group-add",
                    "audio",
                    "--oom-score-adj",
                    "-500",
                    "--init",
                    "--stop-signal",
                    "SIGINT",
                    "--stop-timeout",
                    "30",
                    "--expose",
                    "80",
                    "--expose",
                    "8000-8001/udp",
                    "--platform",
                    "linux/arm64/v8",
                    "--pull",
                    "never",
                    "busybox"});
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& h = req->host_config();
  EXPECT_EQ(h.cap_add(0), "NET_ADMIN");
  EXPECT_EQ(h.cap_drop(0), "ALL");
  EXPECT_TRUE(h.privileged());
  EXPECT_EQ(h.security_opt_size(), 2);
  EXPECT_TRUE(h.read_only_rootfs());
  EXPECT_EQ(h.network_mode(), "host");
  EXPECT_EQ(h.ipc_mode(), "host");
  EXPECT_EQ(h.pid_mode(), "host");
  EXPECT_EQ(h.uts_mode(), "host");
  EXPECT_EQ(h.sysctls().at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(h.shm_size(), 128LL << 20);
  EXPECT_EQ(h.group_add(0), "audio");
  ASSERT_TRUE(h.has_oom_score_adj());
  EXPECT_EQ(h.oom_score_adj(), -500);
  EXPECT_TRUE(h.init());
  const auto& c = req->config();
  EXPECT_EQ(c.stop_signal(), "SIGINT");
  EXPECT_EQ(c.stop_timeout_seconds(), 30);
  EXPECT_EQ(std::vector<std::string>(c.exposed_ports().begin(), c.exposed_ports().end()),
            (std::vector<std::string>{"80/tcp", "8000/udp", "8001/udp"}));
  EXPECT_EQ(req->platform().architecture(), "arm64");
  EXPECT_EQ(req->platform().variant(), "v8");
}

TEST(RunOptionsTest, RestartPolicies) {
  auto req = Build({"--restart", "on-failure:3", "busybox"});
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->host_config().restart_policy().name(),
            skiff::v1::RestartPolicy::RESTART_POLICY_ON_FAILURE);
  EXPECT_EQ(req->host_config().restart_policy().maximum_retry_count(), 3);
  EXPECT_EQ(ParseRestartPolicy("always")->name(), skiff::v1::RestartPolicy::RESTART_POLICY_ALWAYS);
  EXPECT_EQ(ParseRestartPolicy("unless-stopped")->name(),
            skiff::v1::RestartPolicy::RESTART_POLICY_UNLESS_STOPPED);
  EXPECT_EQ(ParseRestartPolicy("no")->name(), skiff::v1::RestartPolicy::RESTART_POLICY_NO);
  EXPECT_EQ(ParseRestartPolicy(":3").status().message(),
            "invalid restart policy format: no policy provided before colon");
  EXPECT_EQ(ParseRestartPolicy("on-failure:x").status().message(),
            "invalid restart policy format: maximum retry count must be an integer");
  EXPECT_FALSE(ParseRestartPolicy("always:3").ok());
  EXPECT_FALSE(ParseRestartPolicy("sometimes").ok());

  req = Build({"--rm", "--restart", "always", "busybox"});
  EXPECT_EQ(req.status().message(), "Conflicting options: --restart and --rm");
  req = Build({"--rm", "--restart", "no", "busybox"});
  EXPECT_TRUE(req.ok());
  EXPECT_TRUE(req->host_config().auto_remove());
}

TEST(RunOptionsTest, EnvFile) {
  char path[] = "/tmp/skiff-envfile-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string content = "# comment\n\nA=1\n  B=two words\nHOME_DIR\nMISSING\n";
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  auto req = Build({"--env-file", path, "-e", "A=2", "busybox"});
  unlink(path);
  ASSERT_TRUE(req.ok()) << req.status();
  const auto& env = req->config().env();
  EXPECT_EQ(std::vector<std::string>(env.begin(), env.end()),
            (std::vector<std::string>{"A=1", "B=two words", "HOME_DIR=/home/me", "A=2"}));

  req = Build({"--env-file", "/nonexistent/env", "busybox"});
  ASSERT_FALSE(req.ok());
  EXPECT_NE(req.status().message().find("/nonexistent/env"), std::string::npos);
}

TEST(RunOptionsTest, BadInputIsRejectedWithAUsefulMessage) {
  EXPECT_FALSE(Build({}).ok());
  EXPECT_NE(Build({"-w", "rel", "busybox"}).status().message().find("absolute path"),
            std::string::npos);
  EXPECT_NE(Build({"-v", "/a:rel", "busybox"}).status().message().find("invalid volume"),
            std::string::npos);
  EXPECT_FALSE(Build({"-v", "/a:/b:bogus", "busybox"}).ok());
  EXPECT_FALSE(Build({"--mount", "type=bind,target=/x", "busybox"}).ok());
  EXPECT_FALSE(Build({"--mount", "type=nfs,target=/x", "busybox"}).ok());
  EXPECT_FALSE(Build({"--mount", "type=tmpfs,target=/x,color=red", "busybox"}).ok());
  EXPECT_NE(Build({"--ulimit", "nofile", "busybox"}).status().message().find("invalid ulimit"),
            std::string::npos);
  EXPECT_FALSE(Build({"--ulimit", "nofile=10:5", "busybox"}).ok());
  EXPECT_FALSE(Build({"--device", "/dev/a:/dev/b:xyz", "busybox"}).ok());
  EXPECT_FALSE(Build({"--sysctl", "novalue", "busybox"}).ok());
  EXPECT_FALSE(Build({"--expose", "99999", "busybox"}).ok());
  EXPECT_FALSE(Build({"--platform", "amd64", "busybox"}).ok());
  EXPECT_FALSE(Build({"-m", "1m", "busybox"}).ok());
  EXPECT_FALSE(Build({"--memory-swap", "1g", "busybox"}).ok());
  EXPECT_FALSE(Build({"--oom-score-adj", "5000", "busybox"}).ok());
  EXPECT_FALSE(Build({"--tmpfs", "rel", "busybox"}).ok());
  EXPECT_TRUE(Build({"--pull", "always", "busybox"}).ok());
  EXPECT_EQ(Build({"--pull", "sometimes", "busybox"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Build({"-p", "8080:80", "busybox"}).status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace skiff::cli
