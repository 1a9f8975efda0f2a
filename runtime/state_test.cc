#include "runtime/state.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

using ::testing::HasSubstr;

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/state_test.XXXXXX";
  char* p = mkdtemp(tmpl.data());
  EXPECT_NE(p, nullptr);
  return tmpl;
}

ContainerState Sample() {
  ContainerState s;
  s.id = "c1";
  s.bundle = "/bundles/c1";
  s.rootfs = "/bundles/c1/rootfs";
  s.oci_version = "1.0.2";
  s.pid = 4242;
  s.pid_start_time = 123456789012ULL;
  s.created = "2024-01-02T03:04:05.000000006Z";
  s.owner = 1000;
  s.cgroup_path = "/ocirun/c1";
  s.own_pid_ns = false;
  s.systemd_cgroup = true;
  s.annotations = {{"a", "1"}, {"org.example/b", "two"}};
  s.config_json = R"({"ociVersion":"1.0.2"})";
  return s;
}

void ExpectSameState(const ContainerState& a, const ContainerState& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.bundle, b.bundle);
  EXPECT_EQ(a.rootfs, b.rootfs);
  EXPECT_EQ(a.oci_version, b.oci_version);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.pid_start_time, b.pid_start_time);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(a.cgroup_path, b.cgroup_path);
  EXPECT_EQ(a.own_pid_ns, b.own_pid_ns);
  EXPECT_EQ(a.systemd_cgroup, b.systemd_cgroup);
  EXPECT_EQ(a.annotations, b.annotations);
  EXPECT_EQ(a.config_json, b.config_json);
}

TEST(ValidateIdTest, Accepts) {
  for (const char* id : {"a", "abc", "A-b_c.d+e", "0123456789", "x..y", "...", ".hidden"})
    EXPECT_TRUE(ValidateId(id).ok()) << id;
  EXPECT_TRUE(ValidateId(std::string(1024, 'a')).ok());
}

TEST(ValidateIdTest, Rejects) {
  for (const char* id : {"", ".", "..", "a/b", "/abs", "a b", "a:b", "a\nb", "é", "a*"}) {
    absl::Status s = ValidateId(id);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << "`" << id << "`: " << s;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateId(std::string(1025, 'a'))));
  EXPECT_THAT(std::string(ValidateId("a/b").message()), HasSubstr("a/b"));
}

TEST(ContainerStateTest, JsonRoundTrip) {
  ContainerState s = Sample();
  auto back = ContainerState::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameState(s, *back);
  // Through text as well, as state.json is stored.
  auto again = ContainerState::FromJson(nlohmann::json::parse(s.ToJson().dump()));
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSameState(s, *again);
}

TEST(ContainerStateTest, DefaultsForMissingOptionalFields) {
  auto s = ContainerState::FromJson(nlohmann::json{{"id", "x"}, {"pid", 7}});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->id, "x");
  EXPECT_EQ(s->pid, 7);
  EXPECT_TRUE(s->own_pid_ns);
  EXPECT_FALSE(s->systemd_cgroup);
  EXPECT_TRUE(s->annotations.empty());
}

TEST(ContainerStateTest, CorruptInput) {
  EXPECT_TRUE(absl::IsDataLoss(ContainerState::FromJson(nlohmann::json::array()).status()));
  EXPECT_TRUE(absl::IsDataLoss(ContainerState::FromJson(nlohmann::json("str")).status()));
  EXPECT_TRUE(absl::IsDataLoss(ContainerState::FromJson(nlohmann::json::object()).status()));
  EXPECT_TRUE(absl::IsDataLoss(ContainerState::FromJson(nlohmann::json{{"id", "x"}}).status()));
  EXPECT_TRUE(
      absl::IsDataLoss(ContainerState::FromJson(nlohmann::json{{"id", "x"}, {"pid", 0}}).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      ContainerState::FromJson(nlohmann::json{{"id", "x"}, {"pid", "12"}}).status()));
  EXPECT_TRUE(
      absl::IsDataLoss(ContainerState::FromJson(nlohmann::json{{"id", 5}, {"pid", 12}}).status()));
}

TEST(StateDirTest, CreateSaveLoadRemove) {
  std::string root = MakeTempDir() + "/nested/root";  // parents are created
  StateDir dir(root, "c1");
  EXPECT_EQ(dir.dir(), root + "/c1");
  EXPECT_EQ(dir.state_file(), root + "/c1/state.json");
  EXPECT_EQ(dir.fifo(), root + "/c1/exec.fifo");

  auto missing = dir.Load();
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_EQ(missing.status().message(), "container `c1` does not exist");

  ASSERT_TRUE(dir.Create().ok());
  struct stat st;
  ASSERT_EQ(stat(dir.dir().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));

  absl::Status again = StateDir(root, "c1").Create();
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("`c1`"));

  ContainerState s = Sample();
  ASSERT_TRUE(dir.Save(s).ok());
  ASSERT_EQ(stat(dir.state_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = dir.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ExpectSameState(s, *loaded);

  // Save replaces.
  s.pid = 99;
  ASSERT_TRUE(dir.Save(s).ok());
  loaded = dir.Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->pid, 99);

  EXPECT_EQ(ListIds(root), std::vector<std::string>{"c1"});
  ASSERT_TRUE(StateDir(root, "b0").Create().ok());
  EXPECT_EQ(ListIds(root), (std::vector<std::string>{"b0", "c1"}));
  // A valid id may start with a dot; it is still listed.
  ASSERT_TRUE(ValidateId(".a").ok());
  ASSERT_TRUE(StateDir(root, ".a").Create().ok());
  EXPECT_EQ(ListIds(root), (std::vector<std::string>{".a", "b0", "c1"}));
  ASSERT_TRUE(StateDir(root, ".a").Remove().ok());

  // Remove takes the files with it (the fifo too).
  ASSERT_EQ(mkfifo(dir.fifo().c_str(), 0600), 0);
  ASSERT_TRUE(dir.Remove().ok());
  EXPECT_NE(access(dir.dir().c_str(), F_OK), 0);
  EXPECT_TRUE(absl::IsNotFound(dir.Load().status()));
  EXPECT_TRUE(dir.Remove().ok());  // idempotent
  EXPECT_EQ(ListIds(root), std::vector<std::string>{"b0"});
}

TEST(StateDirTest, CorruptStateFile) {
  std::string root = MakeTempDir();
  StateDir dir(root, "bad");
  ASSERT_TRUE(dir.Create().ok());
  std::ofstream(dir.state_file()) << "{not json";
  auto loaded = dir.Load();
  EXPECT_TRUE(absl::IsDataLoss(loaded.status())) << loaded.status();
  EXPECT_THAT(std::string(loaded.status().message()), HasSubstr("`bad`"));
}

TEST(ProcessStartTimeTest, SelfAndReapedChild) {
  EXPECT_NE(ProcessStartTime(getpid()), 0u);
  EXPECT_EQ(ProcessStartTime(getpid()), ProcessStartTime(getpid()));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(ProcessStartTime(child), 0u);
  EXPECT_EQ(ProcessStartTime(-1), 0u);
}

TEST(ProcessStartTimeTest, ZombieIsGone) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  // Wait for it to exit without reaping it.
  siginfo_t si;
  ASSERT_EQ(waitid(P_PID, child, &si, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(ProcessStartTime(child), 0u);
  int status;
  waitpid(child, &status, 0);
}

TEST(CurrentStatusTest, Transitions) {
  std::string root = MakeTempDir();
  StateDir dir(root, "c");
  ASSERT_TRUE(dir.Create().ok());

  ContainerState st;
  st.id = "c";

  // A dead pid.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  int status;
  waitpid(child, &status, 0);
  st.pid = child;
  st.pid_start_time = 0;
  EXPECT_EQ(CurrentStatus(st, dir), Status::kStopped);

  // A live pid whose start time does not match: the pid was reused.
  st.pid = getpid();
  st.pid_start_time = ProcessStartTime(getpid()) + 1;
  EXPECT_EQ(CurrentStatus(st, dir), Status::kStopped);

  st.pid_start_time = ProcessStartTime(getpid());
  ASSERT_EQ(mkfifo(dir.fifo().c_str(), 0600), 0);
  EXPECT_EQ(CurrentStatus(st, dir), Status::kCreated);

  ASSERT_EQ(unlink(dir.fifo().c_str()), 0);
  EXPECT_EQ(CurrentStatus(st, dir), Status::kRunning);
  EXPECT_TRUE(dir.Remove().ok());
}

TEST(StatusNameTest, Names) {
  EXPECT_STREQ(StatusName(Status::kCreating), "creating");
  EXPECT_STREQ(StatusName(Status::kCreated), "created");
  EXPECT_STREQ(StatusName(Status::kRunning), "running");
  EXPECT_STREQ(StatusName(Status::kPaused), "paused");
  EXPECT_STREQ(StatusName(Status::kStopped), "stopped");
}

TEST(OciStateJsonTest, Fields) {
  ContainerState s = Sample();
  nlohmann::json j = OciStateJson(s, Status::kRunning);
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  EXPECT_EQ(j["id"], "c1");
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["pid"], 4242);
  EXPECT_EQ(j["bundle"], "/bundles/c1");
  EXPECT_EQ(j["rootfs"], "/bundles/c1/rootfs");
  EXPECT_EQ(j["created"], "2024-01-02T03:04:05.000000006Z");
  EXPECT_TRUE(j.contains("owner"));
  EXPECT_EQ(j["annotations"]["org.example/b"], "two");
  // Internal fields stay internal.
  EXPECT_FALSE(j.contains("config"));
  EXPECT_FALSE(j.contains("pidStartTime"));

  nlohmann::json stopped = OciStateJson(s, Status::kStopped);
  EXPECT_EQ(stopped["status"], "stopped");
  EXPECT_EQ(stopped["pid"], 0);

  s.annotations.clear();
  EXPECT_FALSE(OciStateJson(s, Status::kCreated).contains("annotations"));
  EXPECT_EQ(OciStateJson(s, Status::kCreated)["status"], "created");
}

TEST(NowRfc3339Test, Format) {
  std::string t = NowRfc3339();
  EXPECT_TRUE(std::regex_match(t, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z)")))
      << t;
  EXPECT_LE(t, NowRfc3339());  // lexically ordered, like time
}

}  // namespace
}  // namespace skiff::runtime
