#pragma once
// A small HTTP(S) client on libcurl for talking to registries.
//
// Promises:
//  - Redirects are followed (a registry may send blob GETs to a storage
//    host); an Authorization header set by the caller is not sent to another
//    host (curl's default).
//  - TLS trusts the system CAs plus, for a host "h:p", every *.crt in
//    <certs_dir>/h:p/ (docker's /etc/docker/certs.d layout); a *.cert with a
//    *.key of the same stem there is presented as the client certificate.
//  - Transient failures (connection refused or reset, timeouts, 5xx, 429)
//    are retried with exponential backoff, but never once body bytes went to
//    a caller's sink (the caller decides how to resume).
//  - Errors name what failed and where: "cannot connect to registry
//    127.0.0.1:5000: Connection refused", "unknown host `nx.invalid`".
//    A completed exchange is never an error here, whatever its status code:
//    the caller reads `status`.
//  - Safe to use from several threads; connections are reused per handle.
//
//   HttpClient http(options);
//   HttpRequest req{.method = "GET", .url = "https://h/v2/"};
//   ASSIGN_OR_RETURN(HttpResponse r, http.Do(req));
//   if (r.status == 401) ...

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace skiff::manager::registry {

struct HttpClientOptions {
  // Per-registry CA and client certificates (docker's certs.d layout); empty
  // for none.
  std::string certs_dir;
  // Attempts for a transient failure, the first one included.
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(15);
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, PATCH, DELETE
  std::string url;
  // "Name: value" lines.
  std::vector<std::string> headers;
  // The request body: `body`, or when `body_fd` >= 0, `body_size` bytes read
  // from `body_fd` at offset 0 (re-read on each attempt; not owned).
  std::string body;
  int body_fd = -1;
  int64_t body_size = 0;
  // The whole exchange; zero for no limit (large blobs). A transfer slower
  // than 1 KiB/s for `stall_timeout` is aborted either way.
  absl::Duration timeout = absl::Seconds(60);
  absl::Duration stall_timeout = absl::Seconds(30);
  // Attempts for transient failures; 0 for the client's max_attempts.
  int max_attempts = 0;
  // When set, the body of a 2xx response goes here as it arrives instead of
  // into HttpResponse::body. A non-OK status aborts the transfer and is
  // returned as is.
  std::function<absl::Status(absl::string_view)> sink;
  // With a sink: called with the status code before the first body byte of
  // a 2xx response goes to the sink (a 200 to a Range request means the
  // whole body follows, not the rest). A non-OK status aborts likewise.
  std::function<absl::Status(long)> on_sink_status;
};

struct HttpResponse {
  long status = 0;
  // Of the last response when redirects were followed; names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty when a sink took it
  std::string effective_url;
  // Bytes handed to the sink.
  int64_t sink_bytes = 0;

  // The first header called `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs `req`, retrying transient failures (after the last attempt a
  // 5xx/429 response is returned as is). Errors: Unavailable (cannot
  // connect, connection broke), Aborted (it broke after body bytes went to
  // the sink: the caller resumes or starts over), NotFound (unknown host),
  // DeadlineExceeded, FailedPrecondition (TLS), or the sink's own status.
  absl::StatusOr<HttpResponse> Do(const HttpRequest& req);

  const HttpClientOptions& options() const { return options_; }

 private:
  struct Handle;
  absl::StatusOr<HttpResponse> DoOnce(const HttpRequest& req, Handle& handle);
  std::unique_ptr<Handle> Take();
  void Give(std::unique_ptr<Handle> h);

  HttpClientOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_ ABSL_GUARDED_BY(mu_);
};

// "host:port" (or "host") of an http(s) URL; "" when it has none.
std::string UrlHost(absl::string_view url);

}  // namespace skiff::manager::registry
