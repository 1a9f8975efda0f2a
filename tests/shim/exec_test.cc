// Exec sessions: `ocirun exec --detach` run and monitored by the shim, each
// with its own stdio, attach, resize and exit record.
#include <signal.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/shim/shim_fixture.h"

namespace skiff::itest {
namespace {

using shim::AttachClient;
using shim::ExecRequest;

// One running container (init sleeps) with its shim.
class ExecTest : public ShimTest {
 protected:
  void SetUp() override {
    ShimTest::SetUp();
    if (IsSkipped()) return;
    bundle_ = std::make_unique<Bundle>();
    bundle_->Args({"/ocitest", "sleep", "60"});
    opts_ = Opts(UniqueId("exec"));
    c_ = std::make_unique<Container>(rt(), *bundle_, opts_.id);
    launched_ = LaunchAndStart(*bundle_, opts_, *c_);
    ASSERT_GT(launched_.shim_pid, 0);
    dir_ = TempPath("");
  }
  void TearDown() override {
    c_.reset();
    bundle_.reset();
    ShimTest::TearDown();
  }
  ExecRequest Req(const std::string& id, const std::vector<std::string>& args, bool tty = false) {
    ExecRequest q;
    q.id = id;
    q.process = WriteProcess(*bundle_, dir_, id + ".json", args, tty);
    q.tty = tty;
    return q;
  }
  std::unique_ptr<Bundle> bundle_;
  std::unique_ptr<Container> c_;
  shim::Options opts_;
  shim::Launched launched_;
  std::string dir_;
};

TEST_F(ExecTest, AttachedExecGetsItsOutputAndExitRecord) {
  ExecRequest q = Req("e1", {"/bin/sh", "-c", "echo exec-out; echo exec-err >&2; exit 5"});
  q.attach = true;
  q.log = dir_ + "/e1.log";
  auto r = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->pid, 0);
  ASSERT_TRUE(r->client);
  auto out = r->client->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->out, "exec-out\n") << "output from the first byte";
  EXPECT_EQ(out->err, "exec-err\n");
  auto rec = json::parse(out->exit_record);
  EXPECT_EQ(rec["exec_id"], "e1");
  EXPECT_EQ(rec["id"], opts_.id);
  EXPECT_EQ(rec["pid"], r->pid);
  EXPECT_EQ(rec["exit_code"], 5);
  auto file = WaitExit(opts_.state_dir + "/exec-e1.exit");
  ASSERT_TRUE(file);
  EXPECT_EQ(*file, rec);
  auto recs = ParseCriLog(ReadFileOr(q.log));
  EXPECT_EQ(StreamLines(recs, "stdout"), std::vector<std::string>{"exec-out"});
  EXPECT_EQ(StreamLines(recs, "stderr"), std::vector<std::string>{"exec-err"});
  EXPECT_EQ(c_->Status(), "running") << "an exec's exit is not the container's";
  EXPECT_FALSE(PathExists(opts_.exit_file));
}

TEST_F(ExecTest, ExecTerminatedBySignal) {
  ExecRequest q = Req("sig", {"/bin/sh", "-c", "kill -TERM $$; sleep 5"});
  q.exit_file = dir_ + "/sig.exit";
  auto r = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->client) << "no attach asked";
  auto rec = WaitExit(q.exit_file);
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)["status"], "signaled");
  EXPECT_EQ((*rec)["signal"], 15);
  EXPECT_EQ((*rec)["exit_code"], 143);
}

TEST_F(ExecTest, TtyExecWithResizeAndStdin) {
  ExecRequest q = Req("tty", {"/bin/sh", "-c", "read x; stty size; echo x=$x"}, /*tty=*/true);
  q.stdin = true;
  q.attach = true;
  auto r = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->client->Resize(33, 77).ok());
  ASSERT_TRUE(r->client->SendStdin("typed\n").ok());
  auto out = r->client->ReadUntilExit(absl::Seconds(10));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(Contains(out->out, "33 77")) << out->out;
  EXPECT_TRUE(Contains(out->out, "x=typed")) << out->out;
  EXPECT_EQ(out->err, "") << "a tty has one stream";
}

TEST_F(ExecTest, ExecStdinOnceAndASecondAttachClient) {
  ExecRequest q = Req("cat", {"/bin/cat"});
  q.stdin = true;
  q.stdin_once = true;
  q.attach = true;
  auto r = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_TRUE(r.ok()) << r.status();
  // Another client attaches to the same session by id, output only.
  auto watcher = AttachClient::Attach(opts_.attach_socket, "cat");
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ASSERT_TRUE(r->client->SendStdin("to cat\n").ok());
  ASSERT_TRUE(r->client->CloseStdin().ok());
  for (auto* a : {&r->client, &*watcher}) {
    auto out = (*a)->ReadUntilExit(absl::Seconds(10));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->out, "to cat\n");
    EXPECT_EQ(json::parse(out->exit_record)["exit_code"], 0);
  }
}

TEST_F(ExecTest, SessionsRunConcurrently) {
  std::vector<std::unique_ptr<AttachClient>> clients;
  for (int i = 0; i < 4; i++) {
    ExecRequest q = Req("c" + std::to_string(i),
                        {"/bin/sh", "-c", "sleep 0.3; echo session " + std::to_string(i)});
    q.attach = true;
    auto r = AttachClient::Exec(opts_.control_socket, q);
    ASSERT_TRUE(r.ok()) << r.status();
    clients.push_back(std::move(r->client));
  }
  for (int i = 0; i < 4; i++) {
    auto out = clients[i]->ReadUntilExit(absl::Seconds(10));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->out, "session " + std::to_string(i) + "\n");
  }
}

TEST_F(ExecTest, ErrorsComeBackOnTheControlSocket) {
  ExecRequest q = Req("bad", {"/no-such-binary"});
  auto r = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(std::string(r.status().message()), "/no-such-binary")) << r.status();
  // The id is free again; a duplicate id of a running session is refused.
  ExecRequest s = Req("bad", {"/ocitest", "sleep", "5"});
  ASSERT_TRUE(AttachClient::Exec(opts_.control_socket, s).ok());
  auto dup = AttachClient::Exec(opts_.control_socket, s);
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(Contains(std::string(dup.status().message()), "in use")) << dup.status();
  q.process = "/nonexistent/process.json";
  q.id = "nofile";
  auto nf = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_FALSE(nf.ok());
  EXPECT_TRUE(Contains(std::string(nf.status().message()), "/nonexistent/process.json"));
}

// A stuck exec never holds up the container's exit (nor the shim's).
TEST_F(ExecTest, StuckExecDoesNotBlockTheContainersExit) {
  ExecRequest q = Req("stuck", {"/ocitest", "sleep", "1000"});
  auto r = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_TRUE(r.ok()) << r.status();
  auto hung = AttachClient::Attach(opts_.attach_socket, "stuck");  // attached, never reads
  ASSERT_TRUE(hung.ok());
  ASSERT_TRUE(c_->Kill("KILL").ok());
  auto rec = WaitExit(opts_.exit_file, milliseconds(5000));
  ASSERT_TRUE(rec);
  EXPECT_EQ((*rec)["signal"], 9);
  // The pid namespace went down with its init: the exec died too.
  auto exec_rec = WaitExit(opts_.state_dir + "/exec-stuck.exit");
  ASSERT_TRUE(exec_rec);
  EXPECT_EQ((*exec_rec)["signal"], 9);
  EXPECT_TRUE(WaitShimGone(launched_.shim_pid));
}

// SIGUSR1 reopens an exec session's own log as well as the container's.
TEST_F(ExecTest, SigusrOneReopensAnExecSessionsLog) {
  ExecRequest q = Req(
      "rot", {"/bin/sh", "-c", "echo a; while [ ! -e /tmp/go-rot ]; do sleep 0.02; done; echo b"});
  q.log = dir_ + "/rot.log";
  auto r = AttachClient::Exec(opts_.control_socket, q);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(WaitFor([&] { return Contains(ReadFileOr(q.log), " F a"); }));
  ASSERT_EQ(rename(q.log.c_str(), (q.log + ".1").c_str()), 0);
  ASSERT_EQ(kill(launched_.shim_pid, SIGUSR1), 0);
  ASSERT_TRUE(WaitFor([&] { return PathExists(q.log); })) << ReadFileOr(opts_.shim_log);
  ASSERT_TRUE(WriteFile(bundle_->InRootfs("/tmp/go-rot"), ""));
  ASSERT_TRUE(WaitExit(opts_.state_dir + "/exec-rot.exit"));
  EXPECT_EQ(StreamLines(ParseCriLog(ReadFileOr(q.log + ".1")), "stdout"),
            std::vector<std::string>{"a"});
  EXPECT_EQ(StreamLines(ParseCriLog(ReadFileOr(q.log)), "stdout"), std::vector<std::string>{"b"});
  ASSERT_TRUE(c_->Kill("KILL").ok());
  ASSERT_TRUE(WaitExit(opts_.exit_file));
}

TEST_F(ExecTest, NoExecAfterTheContainerExited) {
  ASSERT_TRUE(c_->Kill("KILL").ok());
  ASSERT_TRUE(WaitExit(opts_.exit_file));
  EXPECT_TRUE(WaitShimGone(launched_.shim_pid));
  auto r = AttachClient::Exec(opts_.control_socket, Req("late", {"/bin/true"}));
  EXPECT_FALSE(r.ok()) << "the control socket is gone";
}

}  // namespace
}  // namespace skiff::itest
