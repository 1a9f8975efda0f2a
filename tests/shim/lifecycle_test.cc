// skiff-shim and the container's life: the handshake, the exit record
// (code, signal, OOM), zombies, and what the shim survives.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/shim/shim_fixture.h"

namespace skiff::itest {
namespace {

class LifecycleTest : public ShimTest {};

TEST_F(LifecycleTest, ExitCodeIsRecorded) {
  Bundle b;
  b.Sh("exit 3");
  auto o = Opts(UniqueId("exit"));
  Container c(rt(), b, o.id);
  shim::Launched l = LaunchAndStart(b, o, c);
  ASSERT_GT(l.container_pid, 0);
  auto rec = WaitExit(o.exit_file);
  ASSERT_TRUE(rec) << ReadFileOr(o.shim_log);
  EXPECT_EQ((*rec)["id"], o.id);
  EXPECT_EQ((*rec)["exec_id"], "");
  EXPECT_EQ((*rec)["pid"], l.container_pid);
  EXPECT_EQ((*rec)["status"], "exited");
  EXPECT_EQ((*rec)["exit_code"], 3);
  EXPECT_EQ((*rec)["signal"], 0);
  EXPECT_EQ((*rec)["oom_killed"], false);
  EXPECT_EQ((*rec)["exited_at"].get<std::string>().size(), 30u);
  EXPECT_TRUE(WaitShimGone(l.shim_pid)) << "the shim exits at once when nobody is attached";
  EXPECT_FALSE(PathExists(o.state_dir + "/shim.pid"));
  EXPECT_FALSE(PathExists(o.attach_socket)) << "sockets are removed on exit";
  EXPECT_FALSE(PathExists(o.control_socket));
}

TEST_F(LifecycleTest, KillSignalIsRecorded) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  auto o = Opts(UniqueId("kill"));
  Container c(rt(), b, o.id);
  shim::Launched l = LaunchAndStart(b, o, c);
  ASSERT_GT(l.container_pid, 0);
  ASSERT_TRUE(c.Kill("KILL").ok());
  auto rec = WaitExit(o.exit_file);
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)["status"], "signaled");
  EXPECT_EQ((*rec)["signal"], 9);
  EXPECT_EQ((*rec)["exit_code"], 137);
  EXPECT_EQ((*rec)["oom_killed"], false) << "a plain SIGKILL is no OOM kill";
}

TEST_F(LifecycleTest, FaultSignalIsRecorded) {
  Bundle b;
  b.Args({"/ocitest", "segv"});
  // No core file in the rootfs, whatever core_pattern says.
  b.config()["process"]["rlimits"] =
      json::array({{{"type", "RLIMIT_CORE"}, {"hard", 0}, {"soft", 0}}});
  auto o = Opts(UniqueId("segv"));
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto rec = WaitExit(o.exit_file);
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)["signal"], 11);
  EXPECT_EQ((*rec)["exit_code"], 139);
}

bool MemoryCgroupAvailable() {
  return PathExists("/sys/fs/cgroup/memory/memory.oom_control") ||
         Contains(ReadFileOr("/sys/fs/cgroup/cgroup.controllers"), "memory");
}

TEST_F(LifecycleTest, OomKillIsRecorded) {
  if (!MemoryCgroupAvailable()) GTEST_SKIP() << "no memory cgroup controller on this host";
  Bundle b;
  // dd allocates its 256 MiB block and fills it from /dev/zero.
  b.Args({"/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=256M", "count=1"});
  b.config()["linux"]["resources"]["memory"] = {{"limit", 32 << 20}, {"swap", 32 << 20}};
  auto o = Opts(UniqueId("oom"));
  Container c(rt(), b, o.id);
  LaunchAndStart(b, o, c);
  auto rec = WaitExit(o.exit_file, milliseconds(30000));
  ASSERT_TRUE(rec) << ReadFileOr(o.shim_log);
  EXPECT_EQ((*rec)["signal"], 9) << rec->dump();
  EXPECT_EQ((*rec)["oom_killed"], true) << rec->dump() << "\n" << ReadFileOr(o.shim_log);
}

TEST_F(LifecycleTest, BrokenBundleGivesTheRuntimesErrorThroughTheHandshake) {
  Bundle b;
  b.Args({"/no-such-program", "x"});
  auto o = Opts(UniqueId("broken"));
  Container c(rt(), b, o.id);
  auto l = Launch(b, o);
  ASSERT_FALSE(l.ok());
  std::string msg(l.status().message());
  EXPECT_TRUE(Contains(msg, "/no-such-program")) << msg;
  // The runtime's own words (ocirun: "exec: `/no-such-program`: ... not found").
  EXPECT_TRUE(ContainsNoCase(msg, "not found") || ContainsNoCase(msg, "no such file")) << msg;
  EXPECT_FALSE(c.State()) << "nothing is left behind";
  EXPECT_FALSE(PathExists(o.exit_file)) << "a container that never ran has no exit record";
  EXPECT_TRUE(WaitFor([&] { return ShimsFor(o.state_dir).empty(); }))
      << "the shim exits after a failed create";
  EXPECT_FALSE(PathExists(o.state_dir + "/shim.pid"));
}

TEST_F(LifecycleTest, MissingBundleIsReportedToo) {
  auto o = Opts(UniqueId("nobundle"));
  o.bundle = "/nonexistent/bundle";
  auto l = shim::LaunchShim(ShimPath(), o, absl::Seconds(30));
  ASSERT_FALSE(l.ok());
  EXPECT_TRUE(Contains(std::string(l.status().message()), "/nonexistent/bundle")) << l.status();
}

TEST_F(LifecycleTest, BadFlagsFailBeforeDaemonizing) {
  shim::Options o = Opts("x");
  o.id = "bad/id";
  auto l = shim::LaunchShim(ShimPath(), o, absl::Seconds(10));
  ASSERT_FALSE(l.ok());
  EXPECT_TRUE(Contains(std::string(l.status().message()), "--id `bad/id`")) << l.status();
}

// The starter (skiffd) may die, attach clients may die, someone may SIGTERM
// the shim: the container keeps running and the shim keeps serving.
TEST_F(LifecycleTest, SurvivesItsStarterItsClientsAndSigterm) {
  Bundle b;
  b.Sh("i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done");
  auto o = Opts(UniqueId("survive"));
  Container c(rt(), b, o.id);
  b.Write();
  o.bundle = b.dir();
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t starter = fork();
  if (starter == 0) {
    // The starter: launches the shim, attaches, then waits to be killed.
    close(p[0]);
    auto l = shim::LaunchShim(ShimPath(), o, absl::Seconds(30));
    std::string msg = l.ok() ? std::to_string(l->shim_pid) + "\n" : "error\n";
    auto client = shim::AttachClient::Attach(o.attach_socket, "", true);
    if (write(p[1], msg.data(), msg.size()) < 0) _exit(1);
    pause();
    _exit(0);
  }
  close(p[1]);
  std::string got;
  char ch;
  while (got.find('\n') == std::string::npos && read(p[0], &ch, 1) == 1) got.push_back(ch);
  close(p[0]);
  pid_t shim_pid = atoi(got.c_str());
  ASSERT_GT(shim_pid, 0) << got;
  shims_.push_back(shim_pid);
  ASSERT_TRUE(c.Start().ok());
  kill(starter, SIGKILL);  // the starter and its attach client die
  waitpid(starter, nullptr, 0);
  kill(shim_pid, SIGTERM);
  kill(shim_pid, SIGHUP);
  kill(shim_pid, SIGINT);
  usleep(300 * 1000);
  EXPECT_TRUE(ProcessAlive(shim_pid));
  EXPECT_EQ(c.Status(), "running");
  // Still serving: a new client sees new output.
  auto client = shim::AttachClient::Attach(o.attach_socket);
  ASSERT_TRUE(client.ok()) << client.status();
  auto ev = (*client)->Next(absl::Seconds(5));
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->kind, shim::AttachClient::Event::Kind::kStdout);
  EXPECT_TRUE(Contains(ev->data, "tick")) << ev->data;
  EXPECT_TRUE(Contains(ReadFileOr(o.shim_log), "ignoring signal 15"));
  ASSERT_TRUE(c.Kill("KILL").ok());
  auto out = (*client)->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(Contains(out->exit_record, "\"signal\":9")) << out->exit_record;
  auto rec = WaitExit(o.exit_file);
  ASSERT_TRUE(rec);
  EXPECT_TRUE(WaitShimGone(shim_pid));
}

// Orphans of a container in the host's pid namespace become the shim's
// children (it is a subreaper): reaped, never left as zombies.
TEST_F(LifecycleTest, NoZombiesFromOrphans) {
  Bundle b;
  b.RemoveNamespace("pid");
  b.Sh("sleep 0.3 & sleep 0.6 & (sleep 0.4 &) ; echo started; exit 0");
  auto o = Opts(UniqueId("zombies"));
  Container c(rt(), b, o.id);
  shim::Launched l = LaunchAndStart(b, o, c);
  ASSERT_GT(l.shim_pid, 0);
  // Watch the shim's children until it exits: a zombie must not last.
  std::map<pid_t, int> zombie_seen;
  int worst = 0;
  while (ProcessAlive(l.shim_pid)) {
    for (auto [pid, state] : ChildrenOf(l.shim_pid))
      if (state == 'Z') worst = std::max(worst, ++zombie_seen[pid]);
    usleep(20 * 1000);
  }
  EXPECT_LT(worst, 10) << "a child of the shim stayed a zombie for 200 ms";
  auto rec = WaitExit(o.exit_file);
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)["exit_code"], 0);
  EXPECT_TRUE(ChildrenOf(l.shim_pid).empty());
}

// Without a pid namespace, a background grandchild keeps the container's
// stdout open after the container's process exited, and an attach client
// neither reads nor leaves. Neither may keep the shim from recording the exit
// (after at most 2 s of draining) or from exiting (after --exit-linger).
TEST_F(LifecycleTest, ExitIsRecordedWhileAGrandchildHoldsTheOutputAndAClientHangs) {
  Bundle b;
  b.RemoveNamespace("pid");
  // 600 kB: more than the sockets buffer, less than the client's 1 MiB queue,
  // so the hung client is neither done nor dropped.
  b.Sh(
      "sleep 60 & echo $! > /tmp/bg.pid; while [ ! -e /tmp/go ]; do sleep 0.02; done; "
      "yes 0123456789abcdef | head -c 600000; echo bye; exit 7");
  auto o = Opts(UniqueId("grandchild"));
  o.exit_linger_ms = 1000;
  Container c(rt(), b, o.id);
  shim::Launched l = LaunchAndStart(b, o, c);
  ASSERT_GT(l.shim_pid, 0);
  auto hung = shim::AttachClient::Attach(o.attach_socket);
  ASSERT_TRUE(hung.ok()) << hung.status();
  ASSERT_TRUE(WriteFile(b.InRootfs("/tmp/go"), ""));
  pid_t bg = 0;
  ASSERT_TRUE(
      WaitFor([&] { return (bg = atoi(ReadFileOr(b.InRootfs("/tmp/bg.pid")).c_str())) > 0; }));
  auto rec = WaitExit(o.exit_file, milliseconds(6000));
  ASSERT_TRUE(rec) << "no exit record while the grandchild holds stdout\n"
                   << ReadFileOr(o.shim_log);
  EXPECT_EQ((*rec)["exit_code"], 7);
  EXPECT_TRUE(ProcessAlive(bg)) << "the grandchild still holds the pipe";
  EXPECT_TRUE(WaitShimGone(l.shim_pid, milliseconds(6000)))
      << "the shim waits for the hung client beyond --exit-linger\n"
      << ReadFileOr(o.shim_log);
  std::string diag = ReadFileOr(o.shim_log);
  EXPECT_TRUE(Contains(diag, "exit linger time is over")) << "the client still held output\n"
                                                          << diag;
  EXPECT_FALSE(Contains(diag, "dropped")) << diag;
  auto lines = StreamLines(ParseCriLog(ReadFileOr(o.log_path)), "stdout");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "01bye") << "all output before the exit is in the log";
  kill(bg, SIGKILL);
}

TEST_F(LifecycleTest, NoZombiesAfterExecSessionsInAPidNamespace) {
  Bundle b;
  b.Args({"/ocitest", "sleep", "60"});
  auto o = Opts(UniqueId("zombies2"));
  Container c(rt(), b, o.id);
  shim::Launched l = LaunchAndStart(b, o, c);
  ASSERT_GT(l.shim_pid, 0);
  std::string dir = TempPath("");
  for (int i = 0; i < 3; i++) {
    shim::ExecRequest q;
    q.id = "bg" + std::to_string(i);
    q.process = WriteProcess(b, dir, q.id + ".json", {"/bin/sh", "-c", "sleep 30 & exit 0"});
    auto r = shim::AttachClient::Exec(o.control_socket, q);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  ASSERT_TRUE(WaitFor([&] { return PathExists(o.state_dir + "/exec-bg2.exit"); }));
  for (auto [pid, state] : ChildrenOf(l.shim_pid)) EXPECT_NE(state, 'Z') << pid;
  ASSERT_TRUE(c.Kill("KILL").ok());
  ASSERT_TRUE(WaitExit(o.exit_file));
  EXPECT_TRUE(WaitShimGone(l.shim_pid));
  EXPECT_TRUE(ChildrenOf(l.shim_pid).empty());
}

}  // namespace
}  // namespace skiff::itest
