// Guards the shape of the skiff.v1 API: the services, their methods and
// which of them stream, as clients (the CLI) rely on. Changing any of these
// breaks the wire; that needs a skiff.v2, not an edit.

#include <set>
#include <string>

#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "proto/skiff/v1/container.grpc.pb.h"
#include "proto/skiff/v1/image.grpc.pb.h"
#include "proto/skiff/v1/system.grpc.pb.h"

namespace skiff {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;

enum Kind { kUnary, kServerStream, kClientStream, kBidi };

Kind KindOf(const MethodDescriptor* m) {
  if (m->client_streaming() && m->server_streaming()) return kBidi;
  if (m->client_streaming()) return kClientStream;
  if (m->server_streaming()) return kServerStream;
  return kUnary;
}

void ExpectService(const std::string& name,
                   const std::vector<std::pair<std::string, Kind>>& methods) {
  const ServiceDescriptor* s = DescriptorPool::generated_pool()->FindServiceByName(name);
  ASSERT_NE(s, nullptr) << name;
  std::set<std::string> expected;
  for (const auto& [method, kind] : methods) {
    expected.insert(method);
    const MethodDescriptor* m = s->FindMethodByName(method);
    ASSERT_NE(m, nullptr) << name << "." << method;
    EXPECT_EQ(KindOf(m), kind) << name << "." << method;
  }
  for (int i = 0; i < s->method_count(); ++i) {
    EXPECT_TRUE(expected.count(s->method(i)->name()))
        << name << "." << s->method(i)->name() << " is new: add it to this test";
  }
}

TEST(ApiTest, ContainerService) {
  ExpectService("skiff.v1.ContainerService", {
                                                 {"Create", kUnary},
                                                 {"Start", kUnary},
                                                 {"Stop", kUnary},
                                                 {"Kill", kUnary},
                                                 {"Restart", kUnary},
                                                 {"Remove", kUnary},
                                                 {"Wait", kServerStream},
                                                 {"Pause", kUnary},
                                                 {"Unpause", kUnary},
                                                 {"Rename", kUnary},
                                                 {"Inspect", kUnary},
                                                 {"List", kUnary},
                                                 {"Logs", kServerStream},
                                                 {"Attach", kBidi},
                                                 {"Exec", kBidi},
                                                 {"Top", kUnary},
                                                 {"Prune", kUnary},
                                                 {"Stats", kServerStream},
                                             });
}

TEST(ApiTest, ImageService) {
  ExpectService("skiff.v1.ImageService", {
                                             {"Load", kClientStream},
                                             {"Save", kServerStream},
                                             {"List", kUnary},
                                             {"Inspect", kUnary},
                                             {"Tag", kUnary},
                                             {"Remove", kUnary},
                                             {"Prune", kUnary},
                                             {"History", kUnary},
                                             {"Pull", kServerStream},
                                             {"Push", kServerStream},
                                             {"Login", kUnary},
                                             {"Logout", kUnary},
                                         });
}

TEST(ApiTest, SystemService) {
  ExpectService("skiff.v1.SystemService", {
                                              {"Ping", kUnary},
                                              {"Version", kUnary},
                                              {"Info", kUnary},
                                              {"Events", kServerStream},
                                          });
}

TEST(ApiTest, PresenceOfCommandFieldsIsKept) {
  // `--entrypoint ""` (set, empty) and no --entrypoint (unset) must differ.
  v1::ContainerConfig c;
  EXPECT_FALSE(c.has_entrypoint());
  c.mutable_entrypoint();
  EXPECT_TRUE(c.has_entrypoint());
  EXPECT_EQ(c.entrypoint().values_size(), 0);

  v1::ContainerConfig parsed;
  ASSERT_TRUE(parsed.ParseFromString(c.SerializeAsString()));
  EXPECT_TRUE(parsed.has_entrypoint());
  EXPECT_FALSE(parsed.has_cmd());

  // proto3 `optional` scalars keep presence too (stop timeout 0 != unset).
  v1::StopContainerRequest stop;
  EXPECT_FALSE(stop.has_timeout_seconds());
  stop.set_timeout_seconds(0);
  v1::StopContainerRequest stop2;
  ASSERT_TRUE(stop2.ParseFromString(stop.SerializeAsString()));
  EXPECT_TRUE(stop2.has_timeout_seconds());
}

}  // namespace
}  // namespace skiff
