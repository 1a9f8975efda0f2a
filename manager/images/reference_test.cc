#include "manager/images/reference.h"

#include <string>

#include "gtest/gtest.h"

namespace skiff::manager {
namespace {

const std::string kHex(64, 'a');

struct Case {
  std::string in, full, familiar, domain, path, tag;
};

TEST(ReferenceTest, Normalizes) {
  for (const Case& c : std::vector<Case>{
           {"busybox", "docker.io/library/busybox:latest", "busybox:latest", "docker.io",
            "library/busybox", "latest"},
           {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "docker.io",
            "library/busybox", "1.36"},
           {"user/app", "docker.io/user/app:latest", "user/app:latest", "docker.io", "user/app",
            "latest"},
           {"docker.io/library/busybox:x", "docker.io/library/busybox:x", "busybox:x",
            "docker.io", "library/busybox", "x"},
           {"index.docker.io/library/busybox", "docker.io/library/busybox:latest",
            "busybox:latest", "docker.io", "library/busybox", "latest"},
           {"localhost/app", "localhost/app:latest", "localhost/app:latest", "localhost", "app",
            "latest"},
           {"localhost:5000/ns/name:tag", "localhost:5000/ns/name:tag",
            "localhost:5000/ns/name:tag", "localhost:5000", "ns/name", "tag"},
           {"quay.io/a/b/c:v1.0-rc_1", "quay.io/a/b/c:v1.0-rc_1", "quay.io/a/b/c:v1.0-rc_1",
            "quay.io", "a/b/c", "v1.0-rc_1"},
           {"127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest",
            "127.0.0.1:5000", "x", "latest"},
           {"[::1]:5000/x:t", "[::1]:5000/x:t", "[::1]:5000/x:t", "[::1]:5000", "x", "t"},
           {"my-reg.example.com/a__b/c-d--e.f:T", "my-reg.example.com/a__b/c-d--e.f:T",
            "my-reg.example.com/a__b/c-d--e.f:T", "my-reg.example.com", "a__b/c-d--e.f", "T"},
       }) {
    absl::StatusOr<Reference> r = Reference::Parse(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.status();
    EXPECT_EQ(r->String(), c.full) << c.in;
    EXPECT_EQ(r->Familiar(), c.familiar) << c.in;
    EXPECT_EQ(r->domain(), c.domain) << c.in;
    EXPECT_EQ(r->path(), c.path) << c.in;
    EXPECT_EQ(r->tag(), c.tag) << c.in;
  }
}

TEST(ReferenceTest, Digests) {
  absl::StatusOr<Reference> r = Reference::Parse("busybox@sha256:" + kHex);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->tag(), "");  // a digest alone gets no default tag
  EXPECT_EQ(r->digest().hex(), kHex);
  EXPECT_EQ(r->String(), "docker.io/library/busybox@sha256:" + kHex);
  EXPECT_EQ(r->Familiar(), "busybox@sha256:" + kHex);

  r = Reference::Parse("host:1/a:t@sha256:" + kHex);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->domain(), "host:1");
  EXPECT_EQ(r->tag(), "t");
  EXPECT_FALSE(r->digest().empty());
}

TEST(ReferenceTest, Names) {
  absl::StatusOr<Reference> r = Reference::Parse("busybox");
  EXPECT_EQ(r->Name(), "docker.io/library/busybox");
  EXPECT_EQ(r->FamiliarName(), "busybox");
  r = Reference::Parse("library/a/b");  // not an official image: keeps its path
  EXPECT_EQ(r->FamiliarName(), "library/a/b");
  EXPECT_EQ(*Reference::Parse("busybox"), *Reference::Parse("docker.io/library/busybox:latest"));
}

TEST(ReferenceTest, Rejects) {
  struct Bad {
    std::string in, why;
  };
  for (const Bad& b : std::vector<Bad>{
           {"", "empty"},
           {"Busybox", "must be lowercase"},
           {"user/App", "must be lowercase"},
           {"busybox:", "invalid tag"},
           {"busybox:.x", "invalid tag"},
           {"busybox:" + std::string(129, 'a'), "invalid tag"},
           {"busy..box", "invalid path component"},
           {"busybox-", "invalid path component"},
           {"a//b", "empty path component"},
           {"busybox@sha256:abc", "invalid digest"},
           {"busybox@md5:" + kHex, "unsupported digest algorithm"},
           {kHex, "image ids"},
           {"bad_host.com:x/a", "invalid registry"},
           {":tag", "no repository name"},
           {std::string(256, 'a'), "longer than 255"},
       }) {
    absl::StatusOr<Reference> r = Reference::Parse(b.in);
    ASSERT_FALSE(r.ok()) << b.in << " parsed as " << r->String();
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(b.why), absl::string_view::npos)
        << b.in << ": " << r.status();
  }
}

}  // namespace
}  // namespace skiff::manager
