#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for tests of the registry client: one
// request per connection, answered by a handler that may cut the body short
// (a registry that dies mid-transfer). Anything that is not HTTP (a TLS
// hello) gets a 400 and the connection closed, as a plain-HTTP server does.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace skiff::manager::registry::testing {

struct TestRequest {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
};

struct TestResponse {
  int status = 200;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  // Send only this many body bytes, then close (Content-Length still says
  // the whole body).
  size_t cut_after = std::string::npos;
  // Send this many body bytes, call `on_pause` (which may block until the
  // test has looked at what the client did with them), then the rest.
  size_t pause_at = std::string::npos;
  std::function<void()> on_pause;
};

class TestServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 64);
    thread_ = std::thread([this] { Loop(); });
  }
  ~TestServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }

  std::string host() const { return absl::StrCat("127.0.0.1:", port_); }
  int requests() const { return requests_.load(); }

 private:
  void Loop() {
    while (!stop_) {
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      Serve(c);
      close(c);
    }
  }

  static void WriteAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
      if (w <= 0) return;
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

  void Serve(int c) {
    std::string in;
    char buf[4096];
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t r = recv(c, buf, sizeof buf, 0);
      if (r <= 0 || in.size() > 65536) return;
      in.append(buf, static_cast<size_t>(r));
      if (!in.empty() && !absl::ascii_isupper(static_cast<unsigned char>(in[0]))) {
        std::string bad = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
        WriteAll(c, bad.data(), bad.size());
        return;
      }
    }
    std::vector<std::string> lines = absl::StrSplit(in.substr(0, end), "\r\n");
    std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
    if (first.size() < 2) return;
    TestRequest req{first[0], first[1], {}};
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      req.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    // Read (and drop) a request body.
    size_t body_len = 0;
    if (auto it = req.headers.find("content-length"); it != req.headers.end()) {
      (void)absl::SimpleAtoi(it->second, &body_len);
    }
    size_t have = in.size() - end - 4;
    while (have < body_len) {
      ssize_t r = recv(c, buf, sizeof buf, 0);
      if (r <= 0) return;
      have += static_cast<size_t>(r);
    }
    ++requests_;
    TestResponse resp = handler_(req);
    std::string head = absl::StrCat("HTTP/1.1 ", resp.status, " X\r\nConnection: close\r\n");
    if (req.method != "HEAD" || resp.body.size() > 0) {
      absl::StrAppend(&head, "Content-Length: ", resp.body.size(), "\r\n");
    }
    for (const std::string& h : resp.headers) absl::StrAppend(&head, h, "\r\n");
    absl::StrAppend(&head, "\r\n");
    WriteAll(c, head.data(), head.size());
    if (req.method == "HEAD") return;
    size_t n = std::min(resp.cut_after, resp.body.size());
    if (resp.pause_at < n && resp.on_pause) {
      WriteAll(c, resp.body.data(), resp.pause_at);
      resp.on_pause();
      WriteAll(c, resp.body.data() + resp.pause_at, n - resp.pause_at);
      return;
    }
    WriteAll(c, resp.body.data(), n);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace skiff::manager::registry::testing
