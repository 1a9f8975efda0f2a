#include "cli/flags.h"

#include <gtest/gtest.h>

namespace skiff::cli {
namespace {

struct RunFlags {
  bool detach = false, interactive = false, tty = false, rm = false;
  std::string name;
  std::vector<std::string> env;
  int64_t time = -7;
  int64_t memory = 0;
  int64_t cpus = 0;
  FlagSet fs{"skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container"};
  RunFlags() {
    fs.Bool("detach", 'd', &detach, "Run container in background and print container ID");
    fs.Bool("interactive", 'i', &interactive, "Keep STDIN open even if not attached");
    fs.Bool("tty", 't', &tty, "Allocate a pseudo-TTY");
    fs.Bool("rm", 0, &rm, "Automatically remove the container when it exits");
    fs.String("name", 0, &name, "Assign a name to the container");
    fs.StringList("env", 'e', &env, "Set environment variables");
    fs.Int("time", 'T', &time, "Seconds to wait");
    fs.Bytes("memory", 'm', &memory, "Memory limit");
    fs.NanoCpus("cpus", 0, &cpus, "Number of CPUs");
  }
};

TEST(FlagSetTest, LongFormsWithSpaceAndEquals) {
  RunFlags f;
  auto pos = f.fs.Parse({"--name", "web", "--env=A=1", "--env", "B=2", "busybox"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_EQ(f.name, "web");
  EXPECT_EQ(f.env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(*pos, std::vector<std::string>{"busybox"});
  EXPECT_TRUE(f.fs.Changed("name"));
  EXPECT_FALSE(f.fs.Changed("rm"));
}

TEST(FlagSetTest, CombinedShortBooleansAndAttachedValues) {
  RunFlags f;
  auto pos = f.fs.Parse({"-itd", "-eX=1", "-e", "Y=2", "-e=Z=3", "img"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_TRUE(f.interactive);
  EXPECT_TRUE(f.tty);
  EXPECT_TRUE(f.detach);
  EXPECT_EQ(f.env, (std::vector<std::string>{"X=1", "Y=2", "Z=3"}));
}

TEST(FlagSetTest, ValueFlagAtEndOfShortGroupTakesNextArg) {
  RunFlags f;
  auto pos = f.fs.Parse({"-ite", "A=1", "img"});
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_TRUE(f.tty);
  EXPECT_EQ(f.env, std::vector<std::string>{"A=1"});
  EXPECT_EQ(*pos, std::vector<std::string>{"img"});
}

TEST(FlagSetTest, BoolTakesNoSeparateValueButAcceptsEquals) {
  RunFlags f;
  auto pos = f.fs.Parse({"--rm", "false"});
  ASSERT_TRUE(pos.ok());
  EXPECT_TRUE(f.rm);
  EXPECT_EQ(*pos, std::vector<std::string>{"false"});

  RunFlags g;
  ASSERT_TRUE(g.fs.Parse({"--rm=false", "-d=false"}).ok());
  EXPECT_FALSE(g.rm);
  EXPECT_FALSE(g.detach);
  EXPECT_TRUE(g.fs.Changed("rm"));
}

TEST(FlagSetTest, NonInterspersedStopsAtFirstPositional) {
  RunFlags f;
  auto pos = f.fs.Parse({"-d", "busybox", "ls", "-la", "--name", "x"}, false);
  ASSERT_TRUE(pos.ok());
  EXPECT_TRUE(f.detach);
  EXPECT_EQ(f.name, "");
  EXPECT_EQ(*pos, (std::vector<std::string>{"busybox", "ls", "-la", "--name", "x"}));
}

TEST(FlagSetTest, InterspersedParsesFlagsAfterPositionals) {
  RunFlags f;
  auto pos = f.fs.Parse({"a", "-d", "b"});
  ASSERT_TRUE(pos.ok());
  EXPECT_TRUE(f.detach);
  EXPECT_EQ(*pos, (std::vector<std::string>{"a", "b"}));
}

TEST(FlagSetTest, DoubleDashEndsFlagsAndDashIsPositional) {
  RunFlags f;
  auto pos = f.fs.Parse({"-", "--", "-d", "--name"});
  ASSERT_TRUE(pos.ok());
  EXPECT_FALSE(f.detach);
  EXPECT_EQ(*pos, (std::vector<std::string>{"-", "-d", "--name"}));
}

TEST(FlagSetTest, ValueMayStartWithDash) {
  RunFlags f;
  ASSERT_TRUE(f.fs.Parse({"--time", "-1"}).ok());
  EXPECT_EQ(f.time, -1);
}

TEST(FlagSetTest, ErrorsUseDockerWording) {
  {
    RunFlags f;
    auto r = f.fs.Parse({"--nope"});
    EXPECT_EQ(r.status().message(), "unknown flag: --nope");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    RunFlags f;
    EXPECT_EQ(f.fs.Parse({"-dz"}).status().message(), "unknown shorthand flag: 'z' in -dz");
  }
  {
    RunFlags f;
    EXPECT_EQ(f.fs.Parse({"--name"}).status().message(), "flag needs an argument: --name");
  }
  {
    RunFlags f;
    EXPECT_EQ(f.fs.Parse({"-e"}).status().message(), "flag needs an argument: 'e' in -e");
  }
  {
    RunFlags f;
    auto r = f.fs.Parse({"-T", "x"});
    EXPECT_EQ(r.status().message(),
              "invalid argument \"x\" for \"-T, --time\" flag: strconv.ParseInt: parsing \"x\": "
              "invalid syntax");
  }
  {
    RunFlags f;
    auto r = f.fs.Parse({"--rm=maybe"});
    EXPECT_NE(r.status().message().find("invalid argument \"maybe\" for \"--rm\" flag"),
              std::string::npos);
  }
}

TEST(FlagSetTest, HelpFlagIsRecognizedWhenShortHIsFree) {
  RunFlags f;
  ASSERT_TRUE(f.fs.Parse({"--help"}).ok());
  EXPECT_TRUE(f.fs.help_requested());
  RunFlags g;
  ASSERT_TRUE(g.fs.Parse({"-h"}).ok());
  EXPECT_TRUE(g.fs.help_requested());

  std::string host;
  FlagSet fs("x", "y");
  fs.String("hostname", 'h', &host, "Container host name");
  ASSERT_TRUE(fs.Parse({"-h", "box"}).ok());
  EXPECT_EQ(host, "box");
  EXPECT_FALSE(fs.help_requested());
}

TEST(FlagSetTest, BytesAndCpus) {
  RunFlags f;
  ASSERT_TRUE(f.fs.Parse({"-m", "512m", "--cpus", "1.5"}).ok());
  EXPECT_EQ(f.memory, 512LL << 20);
  EXPECT_EQ(f.cpus, 1500000000LL);
  RunFlags g;
  auto r = g.fs.Parse({"--memory=12q"});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("-m, --memory"), std::string::npos);
  RunFlags h;
  EXPECT_FALSE(h.fs.Parse({"--cpus", "lots"}).ok());
}

TEST(ParseBytesTest, DockerUnits) {
  EXPECT_EQ(*ParseBytes("1024"), 1024);
  EXPECT_EQ(*ParseBytes("100k"), 102400);
  EXPECT_EQ(*ParseBytes("1g"), 1LL << 30);
  EXPECT_EQ(*ParseBytes("1GB"), 1LL << 30);
  EXPECT_EQ(*ParseBytes("2MiB"), 2LL << 20);
  EXPECT_EQ(*ParseBytes("1.5k"), 1536);
  EXPECT_EQ(*ParseBytes("10b"), 10);
  EXPECT_FALSE(ParseBytes("").ok());
  EXPECT_FALSE(ParseBytes("k").ok());
  EXPECT_FALSE(ParseBytes("5x").ok());
  EXPECT_FALSE(ParseBytes("-5").ok());
}

TEST(FlagSetTest, HelpListsFlagsWithTypes) {
  RunFlags f;
  std::string help = f.fs.Help();
  EXPECT_NE(help.find("Usage:  skiff run [OPTIONS] IMAGE [COMMAND] [ARG...]"), std::string::npos);
  EXPECT_NE(help.find("Create and run a new container"), std::string::npos);
  EXPECT_NE(help.find("  -d, --detach "), std::string::npos);
  EXPECT_NE(help.find("      --name string "), std::string::npos);
  EXPECT_NE(help.find("  -e, --env list "), std::string::npos);
}

}  // namespace
}  // namespace skiff::cli
