#include "cli/render/system_text.h"

#include <stdlib.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;

class SystemTextTest : public ::testing::Test {
 protected:
  // Times print in the local zone, as docker's; pin it.
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

v1::InfoResponse Info() {
  v1::InfoResponse i;
  i.set_id("ABCD:EFGH");
  i.set_name("host1");
  i.set_containers(5);
  i.set_containers_running(2);
  i.set_containers_paused(1);
  i.set_containers_stopped(2);
  i.set_images(3);
  i.set_server_version("0.1.0");
  i.set_driver("overlay");
  i.set_logging_driver("json-file");
  i.set_cgroup_driver("cgroupfs");
  i.set_cgroup_version("1");
  i.set_kernel_version("6.1.0-13-amd64");
  i.set_operating_system("Debian GNU/Linux 12 (bookworm)");
  i.set_os_type("linux");
  i.set_architecture("amd64");
  i.set_ncpu(2);
  i.set_mem_total(25199607808);
  i.set_root_dir("/var/lib/skiff");
  i.add_security_options("name=seccomp,profile=builtin");
  i.add_security_options("name=cgroupns");
  v1::ReadinessCheck* ok = i.add_checks();
  ok->set_name("cgroup");
  ok->set_severity(v1::ReadinessCheck::SEVERITY_OK);
  v1::ReadinessCheck* bad = i.add_checks();
  bad->set_name("overlay");
  bad->set_severity(v1::ReadinessCheck::SEVERITY_WARNING);
  bad->set_problem("overlay is not in /proc/filesystems: the copying snapshotter is used");
  bad->set_fix("modprobe overlay");
  i.set_ready(true);
  return i;
}

TEST_F(SystemTextTest, BytesSizeIsBinary) {
  EXPECT_EQ(BytesSize(0), "0B");
  EXPECT_EQ(BytesSize(1023), "1023B");
  EXPECT_EQ(BytesSize(1024), "1KiB");
  EXPECT_EQ(BytesSize(25199607808), "23.47GiB");
}

TEST_F(SystemTextTest, InfoLayout) {
  const std::string text = InfoServerText(Info());
  EXPECT_TRUE(absl::StartsWith(text,
                               "Server:\n"
                               " Containers: 5\n"
                               "  Running: 2\n"
                               "  Paused: 1\n"
                               "  Stopped: 2\n"
                               " Images: 3\n"
                               " Server Version: 0.1.0\n"
                               " Storage Driver: overlay\n"
                               " Logging Driver: json-file\n"
                               " Cgroup Driver: cgroupfs\n"
                               " Cgroup Version: 1\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(text,
                                " Security Options:\n  seccomp\n   Profile: builtin\n"
                                "  cgroupns\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(text,
                                " Kernel Version: 6.1.0-13-amd64\n"
                                " Operating System: Debian GNU/Linux 12 (bookworm)\n"
                                " OSType: linux\n"
                                " Architecture: amd64\n"
                                " CPUs: 2\n"
                                " Total Memory: 23.47GiB\n"
                                " Name: host1\n"
                                " ID: ABCD:EFGH\n"
                                " Skiff Root Dir: /var/lib/skiff\n"))
      << text;
  EXPECT_EQ(InfoClientText(ClientVersion{.version = "0.1.0"}),
            "Client:\n Version:    0.1.0\n Context:    default\n Debug Mode: false\n");
}

TEST_F(SystemTextTest, InfoWarningsListFailingChecksWithFixes) {
  v1::InfoResponse i = Info();
  i.add_warnings("skiffd is still recovering");
  EXPECT_EQ(InfoWarningsText(i),
            "WARNING: overlay is not in /proc/filesystems: the copying snapshotter is used\n"
            "  fix: modprobe overlay\n"
            "WARNING: skiffd is still recovering\n");
}

TEST_F(SystemTextTest, InfoJsonForFormat) {
  nlohmann::json j = InfoJson(ClientVersion{.version = "0.1.0"}, Info());
  EXPECT_EQ(j["ServerVersion"], "0.1.0");
  EXPECT_EQ(j["ContainersRunning"], 2);
  EXPECT_EQ(j["MemTotal"], 25199607808);
  EXPECT_EQ(j["ClientInfo"]["Version"], "0.1.0");
  ASSERT_EQ(j["Checks"].size(), 2u);
  EXPECT_EQ(j["Checks"][1]["Severity"], "warning");
  EXPECT_EQ(j["Checks"][1]["Fix"], "modprobe overlay");
}

TEST_F(SystemTextTest, VersionLayout) {
  ClientVersion client{.version = "0.1.0", .api_version = "1", .arch = "amd64"};
  v1::VersionResponse server;
  server.set_version("0.1.0");
  server.set_api_version("1");
  server.set_os("linux");
  server.set_arch("amd64");
  server.set_kernel_version("6.1.0");
  v1::ComponentVersion* self = server.add_components();
  self->set_name("skiffd");
  v1::ComponentVersion* runtime = server.add_components();
  runtime->set_name("ocirun");
  runtime->set_version("0.1.0");
  (*runtime->mutable_details())["path"] = "/usr/bin/ocirun";
  EXPECT_EQ(VersionText(client, &server),
            "Client:\n"
            " Version:           0.1.0\n"
            " API version:       1\n"
            " OS/Arch:           linux/amd64\n"
            " Context:           default\n"
            "\n"
            "Server: Skiff Engine\n"
            " Engine:\n"
            "  Version:          0.1.0\n"
            "  API version:      1\n"
            "  OS/Arch:          linux/amd64\n"
            "  Kernel Version:   6.1.0\n"
            " ocirun:\n"
            "  Version:          0.1.0\n"
            "  Path:             /usr/bin/ocirun\n");
  // No daemon: the client section alone.
  EXPECT_TRUE(absl::EndsWith(VersionText(client, nullptr), " Context:           default\n"));
  nlohmann::json j = VersionJson(client, &server);
  EXPECT_EQ(j["Server"]["Components"][1]["Details"]["path"], "/usr/bin/ocirun");
  EXPECT_TRUE(VersionJson(client, nullptr)["Server"].is_null());
}

v1::Event StartEvent() {
  v1::Event e;
  e.set_type(v1::Event::TYPE_CONTAINER);
  e.set_action("start");
  e.mutable_actor()->set_id("abc123");
  (*e.mutable_actor()->mutable_attributes())["name"] = "web";
  (*e.mutable_actor()->mutable_attributes())["image"] = "busybox";
  e.mutable_time()->set_seconds(1795849200);
  e.mutable_time()->set_nanos(123456789);
  e.set_scope("local");
  return e;
}

TEST_F(SystemTextTest, EventLineAsDocker) {
  EXPECT_EQ(EventLine(StartEvent()),
            "2026-11-28T07:00:00.123456789Z container start abc123 (image=busybox, name=web)\n");
  v1::Event bare;
  bare.set_type(v1::Event::TYPE_DAEMON);
  bare.set_action("reload");
  bare.mutable_actor()->set_id("d1");
  bare.mutable_time()->set_seconds(1795849200);
  EXPECT_EQ(EventLine(bare), "2026-11-28T07:00:00.000000000Z daemon reload d1\n");
}

TEST_F(SystemTextTest, EventJson) {
  nlohmann::json j = EventJson(StartEvent());
  EXPECT_EQ(j["Type"], "container");
  EXPECT_EQ(j["Action"], "start");
  EXPECT_EQ(j["status"], "start");
  EXPECT_EQ(j["from"], "busybox");
  EXPECT_EQ(j["Actor"]["Attributes"]["name"], "web");
  EXPECT_EQ(j["time"], 1795849200);
  EXPECT_EQ(j["timeNano"], int64_t{1795849200123456789});
}

TEST_F(SystemTextTest, ParseTimestamp) {
  const absl::Time now = absl::FromUnixSeconds(1795849200);
  auto parse = [&](const std::string& v) { return ParseTimestamp(v, now); };
  EXPECT_EQ(*parse("10m"), now - absl::Minutes(10));
  EXPECT_EQ(*parse("1h30m"), now - absl::Minutes(90));
  EXPECT_EQ(*parse("1700000000"), absl::FromUnixSeconds(1700000000));
  EXPECT_EQ(*parse("1700000000.5"), absl::FromUnixSeconds(1700000000) + absl::Milliseconds(500));
  EXPECT_EQ(*parse("2026-11-28T07:00:00Z"), now);
  EXPECT_EQ(*parse("2026-11-28T09:00:00+02:00"), now);
  EXPECT_EQ(*parse("2026-11-28T07:00:00"), now);
  EXPECT_EQ(*parse("2026-11-28"), now - absl::Hours(7));
  absl::StatusOr<absl::Time> bad = parse("yesterday");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "failed to parse value as time or duration: \"yesterday\"");
}

}  // namespace
}  // namespace skiff::cli
