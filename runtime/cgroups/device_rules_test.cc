#include "runtime/cgroups/device_rules.h"

#include <linux/bpf.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cgroups/devices_bpf.h"

namespace skiff::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

DeviceRule Rule(bool allow, std::string type, std::optional<int64_t> major,
                std::optional<int64_t> minor, std::string access) {
  DeviceRule r;
  r.allow = allow;
  r.type = std::move(type);
  r.major = major;
  r.minor = minor;
  r.access = std::move(access);
  return r;
}

std::vector<std::string> Lines(const DeviceState& st) {
  std::vector<std::string> out;
  for (const DeviceException& e : st.exceptions) out.push_back(DeviceLine(e));
  return out;
}

TEST(EmulateDeviceRulesTest, DenyAllThenAllows) {
  absl::StatusOr<DeviceState> st = EmulateDeviceRules({
      Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
      Rule(true, "c", 1, 3, "rw"),
      Rule(true, "c", 1, 3, "m"),  // merges into the same device
      Rule(true, "c", 136, std::nullopt, "rwm"),
      Rule(true, "c", 1, 5, "rwm"),
      Rule(false, "c", 1, 5, "w"),  // takes w away again
      Rule(true, "a", 10, 200, "rw"),  // "a" with numbers: char and block
  });
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_FALSE(st->default_allow);
  EXPECT_THAT(Lines(*st),
              ElementsAre("c 1:3 rwm", "c 136:* rwm", "c 1:5 rm", "c 10:200 rw", "b 10:200 rw"));
}

TEST(EmulateDeviceRulesTest, AllowAllWithDenies) {
  absl::StatusOr<DeviceState> st = EmulateDeviceRules({
      Rule(true, "c", 1, 3, "rwm"),  // no-op under allow-all
      Rule(false, "c", 10, 229, "rwm"),
      Rule(false, "b", 8, std::nullopt, "w"),
      Rule(true, "c", 10, 229, "rwm"),  // lifts the deny again
  });
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->default_allow);
  EXPECT_THAT(Lines(*st), ElementsAre("b 8:* w"));
  // A later "a" resets everything.
  st = EmulateDeviceRules({Rule(false, "c", 10, 229, "rwm"),
                           Rule(false, "a", std::nullopt, std::nullopt, "rwm")});
  EXPECT_FALSE(st->default_allow);
  EXPECT_THAT(Lines(*st), IsEmpty());
  EXPECT_THAT(EmulateDeviceRules({Rule(true, "x", 1, 1, "r")}).status().message(),
              HasSubstr("linux.resources.devices[0]"));
}

TEST(ParseDevicesListTest, Forms) {
  absl::StatusOr<DeviceState> st = ParseDevicesList("a *:* rwm\n");
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->default_allow);
  st = ParseDevicesList("c 1:3 rwm\nc 136:* rw\nb *:* m\n");
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->default_allow);
  EXPECT_THAT(Lines(*st), ElementsAre("c 1:3 rwm", "c 136:* rw", "b *:* m"));
  st = ParseDevicesList("");
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->default_allow);
  EXPECT_FALSE(ParseDevicesList("c 1 rwm\n").ok());
}

TEST(DeviceTransitionTest, DenyToDenyWritesTheDifference) {
  DeviceState from = *ParseDevicesList("c 1:3 rwm\nc 1:5 rwm\nc 1:9 r\n");
  DeviceState to = *EmulateDeviceRules({Rule(false, "a", std::nullopt, std::nullopt, "rwm"),
                                        Rule(true, "c", 1, 3, "rw"), Rule(true, "c", 1, 7, "rwm"),
                                        Rule(true, "c", 1, 9, "rw")});
  EXPECT_THAT(DeviceTransition(from, to),
              ElementsAre(DeviceWrite{false, "c 1:3 m"}, DeviceWrite{false, "c 1:5 rwm"},
                          DeviceWrite{true, "c 1:7 rwm"}, DeviceWrite{true, "c 1:9 w"}));
  EXPECT_THAT(DeviceTransition(to, to), IsEmpty());
  // Applying the writes to `from` gives `to`.
  DeviceState x = from;
  for (const DeviceWrite& w : DeviceTransition(from, to)) ASSERT_TRUE(x.Apply(w.allow, w.line).ok());
  std::vector<std::string> got = Lines(x), want = Lines(to);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

TEST(DeviceTransitionTest, DefaultChangesStartOver) {
  DeviceState allow_all;
  DeviceState deny = *EmulateDeviceRules(
      {Rule(false, "a", std::nullopt, std::nullopt, "rwm"), Rule(true, "c", 1, 3, "rwm")});
  EXPECT_THAT(DeviceTransition(allow_all, deny),
              ElementsAre(DeviceWrite{false, "a"}, DeviceWrite{true, "c 1:3 rwm"}));
  DeviceState allow_but = *EmulateDeviceRules({Rule(false, "c", 10, 229, "rwm")});
  EXPECT_THAT(DeviceTransition(deny, allow_but),
              ElementsAre(DeviceWrite{true, "a"}, DeviceWrite{false, "c 10:229 rwm"}));
}

TEST(DeviceFilterProgramTest, Layout) {
  // Default deny, one full-access exception with both numbers: 6 loads, 4
  // block instructions (type, major, minor jumps; no access check for rwm)
  // + 2 (return 1), then return 0.
  DeviceState st = *EmulateDeviceRules(
      {Rule(false, "a", std::nullopt, std::nullopt, "rwm"), Rule(true, "c", 1, 3, "rwm")});
  std::vector<bpf_insn> p = DeviceFilterProgram(st);
  ASSERT_EQ(p.size(), 6u + 5u + 2u);
  EXPECT_EQ(p[6].code, BPF_JMP | BPF_JNE | BPF_K);
  EXPECT_EQ(p[6].imm, BPF_DEVCG_DEV_CHAR);
  EXPECT_EQ(p[6].off, 4);  // to the block's end
  EXPECT_EQ(p[7].imm, 1);  // major
  EXPECT_EQ(p[7].off, 3);
  EXPECT_EQ(p[8].imm, 3);  // minor
  EXPECT_EQ(p[9].imm, 1);  // allow
  EXPECT_EQ(p[10].code, BPF_JMP | BPF_EXIT);
  EXPECT_EQ(p[11].imm, 0);  // default deny
  // A partial access adds the access check: mov, and, jne (3 more).
  st = *EmulateDeviceRules(
      {Rule(false, "a", std::nullopt, std::nullopt, "rwm"), Rule(true, "b", 8, std::nullopt, "r")});
  p = DeviceFilterProgram(st);
  ASSERT_EQ(p.size(), 6u + 7u + 2u);
  EXPECT_EQ(p[7].code, BPF_ALU | BPF_MOV | BPF_X);
  EXPECT_EQ(p[7].off, 0);  // not a jump: no offset
  EXPECT_EQ(p[8].imm, static_cast<int32_t>(kDevRead));
  EXPECT_EQ(p[9].code, BPF_JMP | BPF_JNE | BPF_X);
  // Allow-all with no exceptions: just "return 1".
  p = DeviceFilterProgram(DeviceState{});
  ASSERT_EQ(p.size(), 8u);
  EXPECT_EQ(p[6].imm, 1);
}

}  // namespace
}  // namespace skiff::runtime
