#include "gtest/gtest.h"
#include "manager/containers/spec_builder.h"

namespace skiff::manager {
namespace {

using Strings = std::vector<std::string>;

Strings Values(const skiff::v1::StringList& l) { return {l.values().begin(), l.values().end()}; }
Strings Env(const skiff::v1::ContainerConfig& c) { return {c.env().begin(), c.env().end()}; }

ContainerConfig Image() {
  ContainerConfig img;
  img.user = "nginx";
  img.env = {"PATH=/usr/sbin:/usr/bin", "NGINX_VERSION=1.25", "LANG=C"};
  img.entrypoint = {"/docker-entrypoint.sh"};
  img.cmd = {"nginx", "-g", "daemon off;"};
  img.working_dir = "/srv";
  img.labels = {{"maintainer", "nginx"}, {"version", "1"}};
  img.exposed_ports = {"80/tcp"};
  img.volumes = {"/var/cache"};
  img.stop_signal = "SIGQUIT";
  return img;
}

TEST(MergeImageConfig, EmptyUserConfigTakesTheImage) {
  auto out = MergeImageConfig({}, Image());
  EXPECT_EQ(out.user(), "nginx");
  EXPECT_EQ(out.working_dir(), "/srv");
  EXPECT_EQ(out.stop_signal(), "SIGQUIT");
  EXPECT_EQ(Values(out.entrypoint()), Strings{"/docker-entrypoint.sh"});
  EXPECT_EQ(Values(out.cmd()), (Strings{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(Env(out), (Strings{"PATH=/usr/sbin:/usr/bin", "NGINX_VERSION=1.25", "LANG=C"}));
  EXPECT_EQ(out.labels().at("maintainer"), "nginx");
  EXPECT_EQ(Strings(out.exposed_ports().begin(), out.exposed_ports().end()), Strings{"80/tcp"});
  EXPECT_EQ(Strings(out.volumes().begin(), out.volumes().end()), Strings{"/var/cache"});
}

TEST(MergeImageConfig, UserFieldsWin) {
  skiff::v1::ContainerConfig user;
  user.set_user("1000:1000");
  user.set_working_dir("/tmp");
  user.set_stop_signal("SIGTERM");
  (*user.mutable_labels())["version"] = "2";
  user.add_exposed_ports("443/tcp");
  auto out = MergeImageConfig(user, Image());
  EXPECT_EQ(out.user(), "1000:1000");
  EXPECT_EQ(out.working_dir(), "/tmp");
  EXPECT_EQ(out.stop_signal(), "SIGTERM");
  EXPECT_EQ(out.labels().at("version"), "2");
  EXPECT_EQ(out.labels().at("maintainer"), "nginx");
  EXPECT_EQ(Strings(out.exposed_ports().begin(), out.exposed_ports().end()),
            (Strings{"443/tcp", "80/tcp"}));
}

TEST(MergeImageConfig, EnvUserFirstThenImageKeysNotOverridden) {
  skiff::v1::ContainerConfig user;
  user.add_env("LANG=en_US.UTF-8");
  user.add_env("DEBUG=1");
  auto out = MergeImageConfig(user, Image());
  EXPECT_EQ(Env(out), (Strings{"LANG=en_US.UTF-8", "DEBUG=1", "PATH=/usr/sbin:/usr/bin",
                               "NGINX_VERSION=1.25"}));
}

TEST(MergeImageConfig, PathDefaultsWhenNeitherSetsIt) {
  ContainerConfig img;
  img.cmd = {"sh"};
  skiff::v1::ContainerConfig user;
  user.add_env("A=b");
  auto out = MergeImageConfig(user, img);
  EXPECT_EQ(Env(out),
            (Strings{"A=b", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
}

TEST(MergeImageConfig, CmdAloneKeepsTheImageEntrypoint) {
  skiff::v1::ContainerConfig user;
  user.mutable_cmd()->add_values("nginx-debug");
  auto out = MergeImageConfig(user, Image());
  EXPECT_EQ(Values(out.entrypoint()), Strings{"/docker-entrypoint.sh"});
  EXPECT_EQ(Values(out.cmd()), Strings{"nginx-debug"});
}

TEST(MergeImageConfig, ExplicitEntrypointClearsTheImageCmd) {
  skiff::v1::ContainerConfig user;
  user.mutable_entrypoint()->add_values("/bin/sh");
  auto out = MergeImageConfig(user, Image());
  EXPECT_EQ(Values(out.entrypoint()), Strings{"/bin/sh"});
  EXPECT_TRUE(out.cmd().values().empty());

  user.mutable_cmd()->add_values("-c");
  user.mutable_cmd()->add_values("echo hi");
  out = MergeImageConfig(user, Image());
  EXPECT_EQ(Values(out.cmd()), (Strings{"-c", "echo hi"}));
}

TEST(MergeImageConfig, EmptyEntrypointResetsItButKeepsTheImageCmd) {
  // docker run --entrypoint "" nginx: runs the image's cmd without the entrypoint.
  skiff::v1::ContainerConfig user;
  user.mutable_entrypoint();
  auto out = MergeImageConfig(user, Image());
  EXPECT_TRUE(out.entrypoint().values().empty());
  EXPECT_EQ(Values(out.cmd()), (Strings{"nginx", "-g", "daemon off;"}));
  auto args = ProcessArgs(out);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args, (Strings{"nginx", "-g", "daemon off;"}));
}

TEST(ProcessArgs, EntrypointThenCmd) {
  auto args = ProcessArgs(MergeImageConfig({}, Image()));
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args, (Strings{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
}

TEST(ProcessArgs, NoCommandIsAnError) {
  auto args = ProcessArgs({});
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(args.status().message().find("no command specified"), absl::string_view::npos);

  skiff::v1::ContainerConfig c;
  c.mutable_cmd()->add_values("");
  EXPECT_EQ(ProcessArgs(c).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skiff::manager
