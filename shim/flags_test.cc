#include "shim/flags.h"

#include "gtest/gtest.h"
#include "shim/attach_client.h"

namespace skiff::shim {
namespace {

absl::StatusOr<Options> Parse(std::vector<std::string> args) { return ParseFlags(args); }

TEST(FlagsTest, DefaultsLiveInTheStateDir) {
  auto o = Parse({"--id", "c1", "--bundle", "/b", "--state-dir", "/run/s", "--sync-fd", "3"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->id, "c1");
  EXPECT_EQ(o->sync_fd, 3);
  EXPECT_EQ(o->log_path, "/run/s/container.log");
  EXPECT_EQ(o->exit_file, "/run/s/exit");
  EXPECT_EQ(o->attach_socket, "/run/s/attach.sock");
  EXPECT_EQ(o->control_socket, "/run/s/control.sock");
  EXPECT_EQ(o->shim_log, "/run/s/shim.log");
  EXPECT_EQ(o->log_max_size, 10u << 20);
  EXPECT_EQ(o->log_max_files, 3);
  EXPECT_EQ(o->runtime.binary, "ocirun");
  EXPECT_FALSE(o->terminal || o->stdin || o->stdin_once || o->foreground);
}

TEST(FlagsTest, EveryFlagAndBothSpellings) {
  auto o = Parse({"--id=c1",
                  "--bundle=/b",
                  "--state-dir",
                  "/s",
                  "--runtime",
                  "/bin/ocirun",
                  "--runtime-root",
                  "/r",
                  "--runtime-arg",
                  "--debug",
                  "--runtime-arg=--x",
                  "--runtime-timeout",
                  "5",
                  "--log-path",
                  "/l",
                  "--log-max-size",
                  "64k",
                  "--log-max-files",
                  "5",
                  "--exit-file",
                  "/e",
                  "--attach-socket",
                  "/a",
                  "--control-socket",
                  "/c",
                  "--shim-log",
                  "/d",
                  "--exit-linger",
                  "2",
                  "--terminal",
                  "--stdin",
                  "--stdin-once=true",
                  "--foreground"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->runtime.binary, "/bin/ocirun");
  EXPECT_EQ(o->runtime.root, "/r");
  EXPECT_EQ(o->runtime.global_args, (std::vector<std::string>{"--debug", "--x"}));
  EXPECT_EQ(o->runtime.timeout_ms, 5000);
  EXPECT_EQ(o->log_path, "/l");
  EXPECT_EQ(o->log_max_size, 64u * 1024);
  EXPECT_EQ(o->log_max_files, 5);
  EXPECT_EQ(o->exit_file, "/e");
  EXPECT_EQ(o->attach_socket, "/a");
  EXPECT_EQ(o->control_socket, "/c");
  EXPECT_EQ(o->shim_log, "/d");
  EXPECT_EQ(o->exit_linger_ms, 2000);
  EXPECT_TRUE(o->terminal && o->stdin && o->stdin_once && o->foreground);
}

TEST(FlagsTest, RelativePathsBecomeAbsolute) {
  auto o = Parse({"--id", "c", "--bundle", "b", "--state-dir", "s"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->bundle[0], '/');
  EXPECT_EQ(o->state_dir[0], '/');
  EXPECT_EQ(o->bundle.substr(o->bundle.size() - 2), "/b");
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  auto msg = [](std::vector<std::string> a) {
    auto o = ParseFlags(a);
    return o.ok() ? std::string("ok") : std::string(o.status().message());
  };
  EXPECT_EQ(msg({"--bundle", "/b", "--state-dir", "/s"}), "--id is required");
  EXPECT_EQ(msg({"--id", "c"}), "--bundle is required");
  EXPECT_EQ(msg({"--id", "c", "--bundle", "/b"}), "--state-dir is required");
  EXPECT_NE(msg({"--id", "a/b", "--bundle", "/b", "--state-dir", "/s"}).find("--id `a/b`"),
            std::string::npos);
  EXPECT_NE(msg({"--nope"}).find("unknown flag --nope"), std::string::npos);
  EXPECT_NE(msg({"--id"}).find("--id needs a value"), std::string::npos);
  EXPECT_NE(msg({"stray"}).find("unexpected argument `stray`"), std::string::npos);
  EXPECT_NE(msg({"--log-max-files", "1"}).find("from 2 to"), std::string::npos);
  EXPECT_NE(msg({"--log-max-size", "10X"}).find("--log-max-size"), std::string::npos);
  EXPECT_NE(msg({"--terminal=maybe"}).find("want true or false"), std::string::npos);
  EXPECT_NE(msg({"--id", "c", "--bundle", "/b", "--state-dir", "/s", "--stdin-once"})
                .find("--stdin-once needs --stdin"),
            std::string::npos);
}

TEST(FlagsTest, HelpNeedsNothingElse) {
  auto o = Parse({"--help"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->help);
  EXPECT_NE(std::string(kUsage).find("--sync-fd"), std::string::npos);
}

TEST(FlagsTest, SizeSuffixes) {
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("10M"), 10u << 20);
  EXPECT_EQ(*ParseSize("1g"), 1u << 30);
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("k").ok());
}

TEST(FlagsTest, OptionsToArgsRoundTrips) {
  Options o;
  o.id = "c1";
  o.bundle = "/b";
  o.state_dir = "/s";
  o.runtime.binary = "/bin/ocirun";
  o.runtime.root = "/r";
  o.runtime.global_args = {"--debug"};
  o.log_max_size = 4096;
  o.log_max_files = 4;
  o.terminal = true;
  o.stdin = true;
  o.stdin_once = true;
  auto back = ParseFlags(OptionsToArgs(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->runtime.global_args, o.runtime.global_args);
  EXPECT_EQ(back->runtime.root, "/r");
  EXPECT_EQ(back->log_max_size, 4096u);
  EXPECT_EQ(back->log_max_files, 4);
  EXPECT_TRUE(back->terminal && back->stdin && back->stdin_once);
  EXPECT_EQ(back->exit_file, "/s/exit");
}

}  // namespace
}  // namespace skiff::shim
