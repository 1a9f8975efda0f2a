#pragma once
// Debian's docker-registry (distribution 2.8) on 127.0.0.1 for tests, with
// its own config and storage in a temp dir: plain HTTP, or TLS (a CA and
// certificate made with openssl, the CA put in certs_dir()/<host>/) with
// htpasswd user alice / s3cret in realm kRealm. The process is killed (by
// its pid only) and its files removed with the object. Kill() and Restart()
// make a registry that dies mid-transfer and comes back with its storage.
//
//   TestRegistry reg;
//   ASSERT_TRUE(reg.Start(/*tls_auth=*/false));
//   Push(..., reg.host() + "/test/busybox:1");

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/file_util.h"
#include "gtest/gtest.h"
#include "manager/content/digest.h"
#include "manager/testing/temp_dir.h"

namespace skiff::manager::testing {

class TestRegistry {
 public:
  static constexpr char kBinary[] = "/usr/bin/docker-registry";
  static constexpr char kRealm[] = "skiff-test-realm";

  TestRegistry() : dir_("/tmp") {}
  ~TestRegistry() { Stop(); }
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  static bool Installed() { return access(kBinary, X_OK) == 0; }

  // A port on 127.0.0.1 nobody listens on (for "connection refused").
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = -1;
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
    close(fd);
    return port;
  }

  ::testing::AssertionResult Start(bool tls_auth) {
    const int port = FreePort();
    if (port <= 0) return ::testing::AssertionFailure() << "no free port";
    port_ = port;
    host_ = absl::StrCat("127.0.0.1:", port);
    const std::string d = dir_.path();
    std::string config = absl::StrCat(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        "storage:\n  filesystem:\n    rootdirectory: ",
        d, "/storage\n  delete:\n    enabled: true\nhttp:\n  addr: ", host_, "\n");
    if (tls_auth) {
      const std::string certs = d + "/certs.d/" + host_;
      const std::string cmd = absl::StrCat(
          "set -e; cd ", d, "; mkdir -p '", certs, "';",
          "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
          "-subj '/CN=skiff test CA' 2>/dev/null;",
          "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
          "-subj '/CN=127.0.0.1' 2>/dev/null;",
          "printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf;",
          "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
          "-out server.crt -days 2 -extfile ext.cnf 2>/dev/null;",
          "cp ca.crt '", certs, "/ca.crt';", "htpasswd -Bbn alice s3cret > htpasswd");
      if (std::system(cmd.c_str()) != 0) {
        return ::testing::AssertionFailure() << "making certificates: " << cmd;
      }
      absl::StrAppend(&config, "  tls:\n    certificate: ", d, "/server.crt\n    key: ", d,
                      "/server.key\nauth:\n  htpasswd:\n    realm: ", kRealm, "\n    path: ", d,
                      "/htpasswd\n");
    }
    std::ofstream(d + "/config.yml") << config;
    return Run();
  }

  // SIGKILL, as a crash: connections are cut, nothing is flushed.
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  // Starts again with the same port, config and storage.
  ::testing::AssertionResult Restart() {
    Stop();
    return Run();
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  // "127.0.0.1:<port>".
  const std::string& host() const { return host_; }
  std::string certs_dir() const { return dir_.path() + "/certs.d"; }
  // Where the registry keeps a blob's bytes (to tamper with them).
  std::string BlobData(const Digest& d) const {
    return absl::StrCat(dir_.path(), "/storage/docker/registry/v2/blobs/sha256/",
                        d.hex().substr(0, 2), "/", d.hex(), "/data");
  }

 private:
  ::testing::AssertionResult Run() {
    const std::string d = dir_.path();
    const std::string config_path = d + "/config.yml";
    const std::string log = d + "/registry.log";
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(kBinary, kBinary, "serve", config_path.c_str(), nullptr);
      _exit(127);
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      if (Listening()) return ::testing::AssertionSuccess();
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return ::testing::AssertionFailure()
               << "docker-registry exited: " << ReadFile(log).value_or("");
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    return ::testing::AssertionFailure() << "docker-registry not listening on " << host_;
  }

  bool Listening() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return ok;
  }

  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string host_;
};

}  // namespace skiff::manager::testing
