#include "manager/containers/capabilities.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

using Caps = std::vector<std::string>;

bool Has(const Caps& caps, const std::string& c) {
  return std::find(caps.begin(), caps.end(), c) != caps.end();
}

TEST(Capabilities, DockerDefaultsAreTheFourteen) {
  const Caps want = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                     "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                     "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                     "CAP_KILL",    "CAP_AUDIT_WRITE"};
  EXPECT_EQ(DefaultCapabilities(), want);
  auto caps = ContainerCapabilities({}, {}, false);
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(*caps, want);
}

TEST(Capabilities, NamesAreCaseInsensitiveWithOrWithoutPrefix) {
  for (const char* name : {"net_admin", "NET_ADMIN", "cap_net_admin", "Cap_Net_Admin"}) {
    auto c = NormalizeCapability(name);
    ASSERT_TRUE(c.ok()) << name;
    EXPECT_EQ(*c, "CAP_NET_ADMIN");
  }
  EXPECT_EQ(*NormalizeCapability("all"), "ALL");
}

TEST(Capabilities, UnknownNameIsRejectedWithTheName) {
  auto c = ContainerCapabilities({"foo"}, {}, false);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "unknown capability: \"CAP_FOO\"");
  EXPECT_FALSE(ContainerCapabilities({}, {"CAP_NOPE"}, false).ok());
  // Also checked when privileged makes the lists moot.
  EXPECT_FALSE(ContainerCapabilities({"bogus"}, {}, true).ok());
}

TEST(Capabilities, AddAndDrop) {
  auto caps = ContainerCapabilities({"sys_admin", "NET_RAW"}, {"chown", "cap_kill"}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_TRUE(Has(*caps, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(Has(*caps, "CAP_NET_RAW"));
  EXPECT_FALSE(Has(*caps, "CAP_CHOWN"));
  EXPECT_FALSE(Has(*caps, "CAP_KILL"));
  EXPECT_EQ(caps->size(), 14u - 2 + 1);  // NET_RAW was already there
  EXPECT_EQ(caps->back(), "CAP_SYS_ADMIN");
}

TEST(Capabilities, DropAllKeepsOnlyTheAdded) {
  auto caps = ContainerCapabilities({"net_bind_service"}, {"ALL"}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, Caps{"CAP_NET_BIND_SERVICE"});
  EXPECT_TRUE(ContainerCapabilities({}, {"all"}, false)->empty());
}

TEST(Capabilities, AddAllMinusDropped) {
  auto caps = ContainerCapabilities({"ALL"}, {"sys_admin"}, false);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(caps->size(), AllCapabilities().size() - 1);
  EXPECT_FALSE(Has(*caps, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(Has(*caps, "CAP_SYS_PTRACE"));
}

TEST(Capabilities, PrivilegedGetsEverything) {
  auto caps = ContainerCapabilities({}, {"chown"}, true);
  ASSERT_TRUE(caps.ok());
  EXPECT_EQ(*caps, AllCapabilities());
  EXPECT_TRUE(Has(*caps, "CAP_SYS_ADMIN"));
  EXPECT_TRUE(Has(*caps, "CAP_CHOWN"));
  EXPECT_GE(caps->size(), 20u);
}

}  // namespace
}  // namespace skiff::manager
