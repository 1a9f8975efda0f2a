#include "runtime/devices.h"

#include <algorithm>
#include <string>

#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

const Device* Find(const std::vector<Device>& ds, const std::string& path) {
  auto it = std::find_if(ds.begin(), ds.end(), [&](const Device& d) { return d.path == path; });
  return it == ds.end() ? nullptr : &*it;
}

TEST(DevicesForTest, DefaultSet) {
  std::vector<Device> ds = DevicesFor({});
  struct { const char* path; int64_t major, minor; } want[] = {
      {"/dev/null", 1, 3},    {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
      {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
  };
  EXPECT_EQ(ds.size(), std::size(want));
  for (const auto& w : want) {
    const Device* d = Find(ds, w.path);
    ASSERT_NE(d, nullptr) << w.path;
    EXPECT_EQ(d->type, 'c') << w.path;
    EXPECT_EQ(d->major, w.major) << w.path;
    EXPECT_EQ(d->minor, w.minor) << w.path;
    ASSERT_TRUE(d->file_mode.has_value()) << w.path;
    EXPECT_EQ(*d->file_mode & 0777, 0666u) << w.path;
    EXPECT_EQ(d->uid.value_or(99), 0u) << w.path;
    EXPECT_EQ(d->gid.value_or(99), 0u) << w.path;
  }
}

TEST(DevicesForTest, OverrideByPathAndAppendExtra) {
  Device null_override;
  null_override.path = "/dev/null";
  null_override.type = 'c';
  null_override.major = 1;
  null_override.minor = 3;
  null_override.file_mode = 0600;
  null_override.uid = 1000;
  Device fuse;
  fuse.path = "/dev/fuse";
  fuse.type = 'c';
  fuse.major = 10;
  fuse.minor = 229;
  Device loop;
  loop.path = "/dev/loop0";
  loop.type = 'b';
  loop.major = 7;
  loop.minor = 0;

  std::vector<Device> ds = DevicesFor({null_override, fuse, loop});
  ASSERT_EQ(ds.size(), 8u);
  EXPECT_EQ(std::count_if(ds.begin(), ds.end(), [](const Device& d) { return d.path == "/dev/null"; }),
            1);
  const Device* n = Find(ds, "/dev/null");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->file_mode, 0600u);
  EXPECT_EQ(n->uid, 1000u);
  // Extras come after the defaults, in order.
  EXPECT_EQ(ds[6].path, "/dev/fuse");
  EXPECT_EQ(ds[7].path, "/dev/loop0");
  EXPECT_EQ(ds[7].type, 'b');
  EXPECT_NE(Find(ds, "/dev/zero"), nullptr);
}

}  // namespace
}  // namespace skiff::runtime
