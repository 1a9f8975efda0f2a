#include "runtime/cli/update.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::runtime::cli {
namespace {

using ::testing::HasSubstr;

ParsedFlags Parse(const std::vector<std::string>& args) {
  absl::StatusOr<ParsedFlags> f = FlagSet(UpdateFlagDefs()).Parse(args);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : ParsedFlags{};
}

TEST(ParseMemorySizeTest, RuncUnits) {
  EXPECT_EQ(*ParseMemorySize("1048576"), 1048576);
  EXPECT_EQ(*ParseMemorySize("64m"), 64 << 20);
  EXPECT_EQ(*ParseMemorySize("64M"), 64 << 20);
  EXPECT_EQ(*ParseMemorySize("64mb"), 64 << 20);
  EXPECT_EQ(*ParseMemorySize("64MiB"), 64 << 20);
  EXPECT_EQ(*ParseMemorySize("512k"), 512 << 10);
  EXPECT_EQ(*ParseMemorySize("1g"), 1 << 30);
  EXPECT_EQ(*ParseMemorySize("1.5g"), 3LL << 29);
  EXPECT_EQ(*ParseMemorySize("2t"), 2LL << 40);
  EXPECT_EQ(*ParseMemorySize("100b"), 100);
  EXPECT_EQ(*ParseMemorySize("10 m"), 10 << 20);
  EXPECT_EQ(*ParseMemorySize("-1"), -1);
}

TEST(ParseMemorySizeTest, Invalid) {
  for (const char* bad : {"", "m", "-5", "64x", "64mm", "1e9", "abc", "99999999999p"}) {
    EXPECT_FALSE(ParseMemorySize(bad).ok()) << bad;
  }
  EXPECT_EQ(ParseMemorySize("64x").status().message(), "invalid size: '64x'");
}

TEST(UpdateFlagsTest, OnlyGivenFieldsAreSet) {
  absl::StatusOr<Resources> r = ResourcesFromUpdateFlags(Parse({"--memory", "64m", "abc"}));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->memory.has_value());
  EXPECT_EQ(r->memory->limit, 64 << 20);
  EXPECT_FALSE(r->memory->swap.has_value());
  EXPECT_FALSE(r->memory->reservation.has_value());
  EXPECT_FALSE(r->cpu.has_value());
  EXPECT_FALSE(r->pids_limit.has_value());
  EXPECT_FALSE(r->block_io.has_value());
  EXPECT_FALSE(HasResourceFlags(Parse({"--resources", "-", "abc"})));
  EXPECT_TRUE(HasResourceFlags(Parse({"--memory", "1m"})));
}

TEST(UpdateFlagsTest, AllFlags) {
  absl::StatusOr<Resources> r = ResourcesFromUpdateFlags(Parse({
      "--memory=128m", "--memory-reservation", "64m", "--memory-swap", "-1",
      "--kernel-memory", "8m", "--kernel-memory-tcp", "1m", "--cpu-share", "512",
      "--cpu-quota", "-1", "--cpu-period", "100000", "--cpu-rt-runtime", "950",
      "--cpu-rt-period", "1000", "--cpuset-cpus", "0-1", "--cpuset-mems", "0",
      "--pids-limit", "100", "--blkio-weight", "300",
  }));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->memory->limit, 128 << 20);
  EXPECT_EQ(r->memory->reservation, 64 << 20);
  EXPECT_EQ(r->memory->swap, -1);
  EXPECT_EQ(r->memory->kernel, 8 << 20);
  EXPECT_EQ(r->memory->kernel_tcp, 1 << 20);
  EXPECT_EQ(r->cpu->shares, 512u);
  EXPECT_EQ(r->cpu->quota, -1);
  EXPECT_EQ(r->cpu->period, 100000u);
  EXPECT_EQ(r->cpu->realtime_runtime, 950);
  EXPECT_EQ(r->cpu->realtime_period, 1000u);
  EXPECT_EQ(r->cpu->cpus, "0-1");
  EXPECT_EQ(r->cpu->mems, "0");
  EXPECT_EQ(r->pids_limit, 100);
  EXPECT_EQ(r->block_io->weight, 300);
  // --cpu-shares is accepted too.
  r = ResourcesFromUpdateFlags(Parse({"--cpu-shares", "2048"}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cpu->shares, 2048u);
}

TEST(UpdateFlagsTest, BadValuesNameTheFlag) {
  EXPECT_EQ(ResourcesFromUpdateFlags(Parse({"--memory", "lots"})).status().message(),
            "update: invalid value \"lots\" for --memory: invalid size: 'lots'");
  EXPECT_THAT(ResourcesFromUpdateFlags(Parse({"--cpu-period", "-5"})).status().message(),
              HasSubstr("--cpu-period: not an unsigned integer"));
  EXPECT_THAT(ResourcesFromUpdateFlags(Parse({"--pids-limit", "x"})).status().message(),
              HasSubstr("--pids-limit: not an integer"));
  EXPECT_THAT(ResourcesFromUpdateFlags(Parse({"--blkio-weight", "5"})).status().message(),
              HasSubstr("must be between 10 and 1000"));
  EXPECT_THAT(ResourcesFromUpdateFlags(Parse({"--l3-cache-schema", "L3:0=f"})).status().message(),
              HasSubstr("Intel RDT is not supported"));
}

}  // namespace
}  // namespace skiff::runtime::cli
