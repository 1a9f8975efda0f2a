#include "runtime/namespaces.h"

#include "gtest/gtest.h"

namespace skiff::runtime {
namespace {

TEST(FormatIdMapTest, Lines) {
  EXPECT_EQ(FormatIdMap({}), "");
  EXPECT_EQ(FormatIdMap({{0, 100000, 65536}}), "0 100000 65536\n");
  EXPECT_EQ(FormatIdMap({{0, 1000, 1}, {1, 100000, 65535}}), "0 1000 1\n1 100000 65535\n");
  EXPECT_EQ(FormatIdMap({{4294967294u, 4294967294u, 1}}), "4294967294 4294967294 1\n");
}

}  // namespace
}  // namespace skiff::runtime
