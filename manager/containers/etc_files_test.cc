#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"
#include "manager/containers/spec_builder.h"

namespace skiff::manager {
namespace {

std::string TempFile(const std::string& name, const std::string& content) {
  const char* dir = getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(EtcFiles, Hostname) { EXPECT_EQ(HostnameFile("abc123def456"), "abc123def456\n"); }

TEST(EtcFiles, HostsForNoNetworkHasDockersLoopbackEntries) {
  EXPECT_EQ(HostsFile("web", "none"),
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n");
}

TEST(EtcFiles, HostsForHostNetworkIsTheHostsFile) {
  std::ifstream in("/etc/hosts");
  std::string host((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (host.empty()) GTEST_SKIP() << "no /etc/hosts here";
  EXPECT_EQ(HostsFile("web", "host"), host);
}

TEST(EtcFiles, ResolvConfDropsLoopbackNameservers) {
  std::string path = TempFile("resolv1.conf",
                              "# from dhcp\n"
                              "search example.com\n"
                              "nameserver 127.0.0.53\n"
                              "nameserver 10.0.0.2\n"
                              "nameserver ::1\n"
                              "options ndots:2\n");
  auto out = ResolvConfFile("none", path);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out,
            "# from dhcp\n"
            "search example.com\n"
            "nameserver 10.0.0.2\n"
            "options ndots:2\n");
}

TEST(EtcFiles, ResolvConfWithOnlyLoopbackHasNoNameserver) {
  std::string path = TempFile("resolv2.conf", "nameserver 127.0.0.53\noptions edns0\n");
  auto out = ResolvConfFile("none", path);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "options edns0\n");
}

TEST(EtcFiles, ResolvConfForHostNetworkIsUnchanged) {
  const std::string text = "nameserver 127.0.0.53\n";
  auto out = ResolvConfFile("host", TempFile("resolv3.conf", text));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, text);
}

TEST(EtcFiles, MissingHostResolvConfIsEmpty) {
  auto out = ResolvConfFile("none", "/nonexistent/resolv.conf");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "");
}

TEST(EtcFiles, UnreadableHostResolvConfIsAnErrorNamingIt) {
  // A directory cannot be read as a file.
  const char* dir = getenv("TEST_TMPDIR");
  auto out = ResolvConfFile("none", dir ? dir : "/tmp");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("resolv.conf"), absl::string_view::npos);
}

}  // namespace
}  // namespace skiff::manager
