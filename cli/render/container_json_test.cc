#include "cli/render/container_json.h"

#include <gtest/gtest.h>

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;

const absl::Time kNow = absl::FromUnixSeconds(1795849200);  // 2026-11-28 07:00:00 UTC

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(absl::ToUnixSeconds(t))) /
                                     absl::Nanoseconds(1)));
}

v1::ContainerSummary RunningSummary() {
  v1::ContainerSummary s;
  s.set_id("4a7f7eebae0f63178aff7eb0aa39cd3f0627a203ab2df258c1a00b456cf20063");
  s.set_name("web");
  s.set_image("busybox:latest");
  s.set_image_id("sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999");
  s.set_command("sh -c 'sleep 100'");
  s.set_status(v1::CONTAINER_STATUS_RUNNING);
  SetTime(s.mutable_created(), kNow - absl::Minutes(6));
  SetTime(s.mutable_started_at(), kNow - absl::Minutes(5));
  (*s.mutable_labels())["tier"] = "db";
  (*s.mutable_labels())["app"] = "x";
  return s;
}

TEST(PsRowTest, DockerFieldsForARunningContainer) {
  nlohmann::json row = ContainerPsRow(RunningSummary(), {.zone = absl::UTCTimeZone()}, kNow);
  EXPECT_EQ(row["ID"], "4a7f7eebae0f");
  EXPECT_EQ(row["Names"], "web");
  EXPECT_EQ(row["Image"], "busybox:latest");
  EXPECT_EQ(row["Command"], "\"sh -c 'sleep 100'\"");
  EXPECT_EQ(row["CreatedAt"], "2026-11-28 06:54:00 +0000 UTC");
  EXPECT_EQ(row["RunningFor"], "6 minutes ago");
  EXPECT_EQ(row["State"], "running");
  EXPECT_EQ(row["Status"], "Up 5 minutes");
  EXPECT_EQ(row["Labels"], "app=x,tier=db");
  EXPECT_EQ(row["Ports"], "");
  EXPECT_EQ(row["Size"], "0B");
}

TEST(PsRowTest, LongCommandsAreCutUnlessNoTrunc) {
  v1::ContainerSummary s = RunningSummary();
  s.set_command("sleep 1000000000000000000");
  nlohmann::json row = ContainerPsRow(s, {.zone = absl::UTCTimeZone()}, kNow);
  EXPECT_EQ(row["Command"], "\"sleep 1000000000000…\"");
  row = ContainerPsRow(s, {.no_trunc = true, .zone = absl::UTCTimeZone()}, kNow);
  EXPECT_EQ(row["Command"], "\"sleep 1000000000000000000\"");
  EXPECT_EQ(row["ID"], s.id());
}

TEST(PsRowTest, ExitedStatusImageIdAndSize) {
  v1::ContainerSummary s = RunningSummary();
  s.set_status(v1::CONTAINER_STATUS_EXITED);
  s.set_exit_code(137);
  SetTime(s.mutable_finished_at(), kNow - absl::Seconds(3));
  s.set_image(s.image_id());
  s.set_size_rw(1234);
  s.set_size_root_fs(4400000);
  nlohmann::json row = ContainerPsRow(s, {.zone = absl::UTCTimeZone()}, kNow);
  EXPECT_EQ(row["Status"], "Exited (137) 3 seconds ago");
  EXPECT_EQ(row["State"], "exited");
  EXPECT_EQ(row["Image"], "aaaabbbbcccc");
  EXPECT_EQ(row["Size"], "1.23kB (virtual 4.4MB)");
}

TEST(GoQuoteTest, EscapesLikeStrconvQuote) {
  EXPECT_EQ(GoQuote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(GoQuote("tab\there\n"), "\"tab\\there\\n\"");
  EXPECT_EQ(GoQuote(std::string("\x01", 1)), "\"\\x01\"");
  EXPECT_EQ(GoQuote("héllo…"), "\"héllo…\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
}

v1::ContainerInfo SampleInfo() {
  v1::ContainerInfo c;
  c.set_id("4a7f7eebae0f63178aff7eb0aa39cd3f0627a203ab2df258c1a00b456cf20063");
  c.set_name("web");
  c.mutable_created()->set_seconds(1795849200);
  c.mutable_created()->set_nanos(123456000);
  c.set_path("sh");
  c.add_args("-c");
  c.add_args("sleep 100");
  c.mutable_state()->set_status(v1::CONTAINER_STATUS_RUNNING);
  c.mutable_state()->set_running(true);
  c.mutable_state()->set_pid(4242);
  c.mutable_state()->mutable_started_at()->set_seconds(1795849201);
  c.set_image_id("sha256:aaaa");
  c.set_image("busybox");
  c.set_driver("overlay");
  c.set_rootfs_path("/var/lib/skiff/snapshots/7/merged");
  c.set_log_path("/var/lib/skiff/containers/4a7f/log");
  auto* cfg = c.mutable_config();
  cfg->set_image("busybox");
  cfg->add_env("PATH=/bin");
  cfg->mutable_cmd()->add_values("sh");
  cfg->add_exposed_ports("80/tcp");
  cfg->set_stop_signal("SIGINT");
  (*cfg->mutable_labels())["a"] = "b";
  auto* h = c.mutable_host_config();
  h->set_network_mode("host");
  h->mutable_restart_policy()->set_name(v1::RestartPolicy::RESTART_POLICY_ON_FAILURE);
  h->mutable_restart_policy()->set_maximum_retry_count(3);
  h->add_cap_add("NET_ADMIN");
  h->mutable_resources()->set_memory(64 << 20);
  h->mutable_resources()->set_nano_cpus(500000000);
  h->mutable_resources()->set_pids_limit(100);
  (*h->mutable_tmpfs())["/run"] = "size=64m";
  auto* m = h->add_mounts();
  m->set_type(v1::Mount::MOUNT_TYPE_BIND);
  m->set_source("/srv");
  m->set_target("/data");
  m->set_read_only(true);
  auto* mp = c.add_mounts();
  mp->set_type(v1::Mount::MOUNT_TYPE_BIND);
  mp->set_source("/srv");
  mp->set_destination("/data");
  mp->set_mode("ro");
  return c;
}

TEST(InspectJsonTest, DockerShapeAndKeyOrder) {
  nlohmann::ordered_json j = ContainerInspectJson(SampleInfo());
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  std::vector<std::string> want = {
      "Id",           "Created",         "Path",           "Args",       "State",
      "Image",        "ResolvConfPath",  "HostnamePath",   "HostsPath",  "LogPath",
      "Name",         "RestartCount",    "Driver",         "Platform",   "MountLabel",
      "ProcessLabel", "AppArmorProfile", "ExecIDs",        "HostConfig", "GraphDriver",
      "Mounts",       "Config",          "NetworkSettings"};
  EXPECT_EQ(keys, want);
  EXPECT_EQ(j["Created"], "2026-11-28T07:00:00.123456Z");
  EXPECT_EQ(j["Name"], "/web");
  EXPECT_EQ(j["Image"], "sha256:aaaa");
  EXPECT_EQ(j["Args"], nlohmann::ordered_json::array({"-c", "sleep 100"}));
  EXPECT_TRUE(j["ExecIDs"].is_null());

  const auto& state = j["State"];
  EXPECT_EQ(state["Status"], "running");
  EXPECT_EQ(state["Running"], true);
  EXPECT_EQ(state["Pid"], 4242);
  EXPECT_EQ(state["StartedAt"], "2026-11-28T07:00:01Z");
  EXPECT_EQ(state["FinishedAt"], "0001-01-01T00:00:00Z");

  const auto& hc = j["HostConfig"];
  EXPECT_EQ(hc["NetworkMode"], "host");
  EXPECT_EQ(hc["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(hc["RestartPolicy"]["MaximumRetryCount"], 3);
  EXPECT_EQ(hc["Memory"], 64 << 20);
  EXPECT_EQ(hc["NanoCpus"], 500000000);
  EXPECT_EQ(hc["PidsLimit"], 100);
  EXPECT_EQ(hc["CapAdd"][0], "NET_ADMIN");
  EXPECT_TRUE(hc["CapDrop"].is_null());
  EXPECT_EQ(hc["Tmpfs"]["/run"], "size=64m");
  EXPECT_EQ(hc["Mounts"][0]["Type"], "bind");
  EXPECT_EQ(hc["Mounts"][0]["ReadOnly"], true);

  EXPECT_EQ(j["GraphDriver"]["Name"], "overlay");
  EXPECT_EQ(j["GraphDriver"]["Data"]["MergedDir"], "/var/lib/skiff/snapshots/7/merged");
  {
    // With the daemon's overlay directories: docker's keys, in docker's order.
    v1::ContainerInfo o = SampleInfo();
    auto& data = *o.mutable_graph_driver_data();
    data["UpperDir"] = "/s/9/fs";
    data["WorkDir"] = "/s/9/work";
    data["LowerDir"] = "/s/2/fs:/s/1/fs";
    data["MergedDir"] = "/b/rootfs";
    nlohmann::ordered_json g = ContainerInspectJson(o)["GraphDriver"]["Data"];
    EXPECT_EQ(g.dump(), R"({"LowerDir":"/s/2/fs:/s/1/fs","MergedDir":"/b/rootfs",)"
                        R"("UpperDir":"/s/9/fs","WorkDir":"/s/9/work"})");
  }
  EXPECT_EQ(j["Mounts"][0]["Destination"], "/data");
  EXPECT_EQ(j["Mounts"][0]["RW"], false);

  const auto& cfg = j["Config"];
  EXPECT_EQ(cfg["ExposedPorts"].dump(), "{\"80/tcp\":{}}");
  EXPECT_EQ(cfg["Cmd"][0], "sh");
  EXPECT_TRUE(cfg["Entrypoint"].is_null());
  EXPECT_EQ(cfg["Labels"]["a"], "b");
  EXPECT_EQ(cfg["StopSignal"], "SIGINT");
  EXPECT_FALSE(cfg.contains("StopTimeout"));
  EXPECT_TRUE(j["NetworkSettings"]["Networks"].contains("host"));
}

TEST(InspectJsonTest, SizesOnlyWhenComputed) {
  v1::ContainerInfo c = SampleInfo();
  EXPECT_FALSE(ContainerInspectJson(c).contains("SizeRw"));
  c.set_size_rw(10);
  c.set_size_root_fs(20);
  auto j = ContainerInspectJson(c);
  EXPECT_EQ(j["SizeRw"], 10);
  EXPECT_EQ(j["SizeRootFs"], 20);
}

}  // namespace
}  // namespace skiff::cli
