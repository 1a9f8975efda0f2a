#include "manager/snapshots/chain_id.h"

#include <string>

#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

TEST(ChainIdTest, FollowsTheSpec) {
  Digest a = *Digest::FromHex(std::string(64, 'a'));
  Digest b = *Digest::FromHex(std::string(64, 'b'));
  // Values computed independently: sha256("sha256:aaa... sha256:bbb...").
  Digest ab = *Digest::FromHex("ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
  Digest aba = *Digest::FromHex("406364a4bd8d39df8107071d4494fa73814420337124657ec5999b072e5d3352");
  EXPECT_EQ(ChainId(Digest(), a), a);
  EXPECT_EQ(ChainId(a, b), ab);
  EXPECT_EQ(ChainIds({a, b, a}), (std::vector<Digest>{a, ab, aba}));
  EXPECT_TRUE(ChainIds({}).empty());
  EXPECT_NE(ChainId(b, a), ab);  // order matters
}

}  // namespace
}  // namespace skiff::manager
