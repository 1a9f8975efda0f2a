#pragma once
// A client of one OCI distribution (v2) registry host: manifests and blobs,
// with authentication (auth.h), TLS or plain HTTP, and digest verification.
//
// Promises:
//  - Everything fetched is verified against a digest before a caller sees
//    it: a manifest fetched by digest against that digest, one fetched by tag
//    against the registry's Docker-Content-Digest (when sent); a blob while
//    it streams into the content store, which makes it visible only complete
//    and verified (a mismatch leaves nothing behind: "digest mismatch").
//  - A blob transfer cut short is resumed with a Range request where the
//    registry allows it, otherwise started over, a few times, before failing.
//  - HTTPS with the system CAs plus those of <certs_dir>/<host>/ (see
//    http_client.h). Insecure hosts (localhost, 127.0.0.0/8 and ::1 by
//    default, plus RegistryOptions::insecure_registries, "host:port") are
//    first tried over verified HTTPS and, when the TLS handshake fails,
//    spoken to over plain HTTP, as docker does; the choice is made on the
//    first request and kept.
//  - Errors name the registry, repository and reference:
//    "manifest `busybox:1.0` not found in 127.0.0.1:5000/library/busybox".
//  - Safe to use from several threads at once.
//
//   ASSIGN_OR_RETURN(auto client, RegistryClient::Create("127.0.0.1:5000", options));
//   ASSIGN_OR_RETURN(FetchedManifest m, client->ResolveManifest("library/busybox", "1.36"));
//   RETURN_IF_ERROR(client->FetchBlob("library/busybox", layer, store, on_bytes));

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "manager/content/content_store.h"
#include "manager/content/growing_blob.h"
#include "manager/content/digest.h"
#include "manager/images/manifest.h"
#include "manager/registry/auth.h"
#include "manager/registry/credentials.h"
#include "manager/registry/http_client.h"

namespace skiff::manager::registry {

struct RegistryOptions {
  // "host:port" (or "host") entries served over plain HTTP.
  std::vector<std::string> insecure_registries;
  HttpClientOptions http;
  // Blob transfers: attempts at resuming or restarting one cut short.
  int blob_attempts = 3;
};

// Whether `host` ("host[:port]") is spoken to over plain HTTP.
bool IsInsecureRegistry(absl::string_view host, const std::vector<std::string>& configured);

// The host that serves the registry API of a reference's domain
// ("docker.io" is served by "registry-1.docker.io").
std::string RegistryApiHost(absl::string_view domain);

struct FetchedManifest {
  // media_type, digest and size of `bytes`.
  Descriptor descriptor;
  std::string bytes;
};

class RegistryClient {
 public:
  // `host` is a reference's domain ("127.0.0.1:5000", "docker.io").
  static std::unique_ptr<RegistryClient> Create(absl::string_view host,
                                                const RegistryOptions& options,
                                                std::optional<Credentials> credentials = {});

  // Checks that the registry answers and accepts the credentials
  // (GET /v2/): the `skiff login` check. Unauthenticated names the realm.
  absl::Status Ping();

  // The manifest or index `tag_or_digest` ("1.36" or "sha256:...") of `repo`,
  // negotiated as OCI or Docker schema 2, manifest or index/list. NotFound
  // when the registry does not know it.
  absl::StatusOr<FetchedManifest> ResolveManifest(absl::string_view repo,
                                                  absl::string_view tag_or_digest);

  // Streams the blob of `desc` into `store`, verifying digest and size.
  // `on_bytes(total_so_far)` is called as bytes arrive (optional); when it
  // returns false the transfer stops and FetchBlob returns kCancelled. Blobs
  // already in the store are not fetched. With `follow`, the blob's temp
  // file is announced (Begin, again when a transfer restarts from the first
  // byte) and its growth reported, so it can be read while it arrives; the
  // caller calls follow->Finish with the outcome.
  absl::Status FetchBlob(absl::string_view repo, const Descriptor& desc, ContentStore& store,
                         const std::function<bool(int64_t)>& on_bytes = nullptr,
                         GrowingBlob* follow = nullptr);

  // HEAD /v2/<repo>/blobs/<digest>.
  absl::StatusOr<bool> BlobExists(absl::string_view repo, const Digest& digest);

  // Uploads the blob `desc` from `store` unless the registry has it: first
  // a cross-repository mount from `mount_from` when given (a mount the
  // registry refuses or turns into an upload falls back to uploading), then
  // a monolithic upload (POST, then PUT ?digest=).
  enum class BlobPushed { kExisted, kMounted, kUploaded };
  absl::StatusOr<BlobPushed> PushBlob(absl::string_view repo, const Descriptor& desc,
                                      const ContentStore& store,
                                      absl::string_view mount_from = {});

  // PUT /v2/<repo>/manifests/<tag_or_digest>; returns the digest the
  // registry reports (checked against the bytes' own digest).
  absl::StatusOr<Digest> PushManifest(absl::string_view repo, absl::string_view tag_or_digest,
                                      absl::string_view media_type, absl::string_view bytes);

  const std::string& host() const { return host_; }
  // "http://127.0.0.1:5000" or "https://registry-1.docker.io", once known.
  absl::StatusOr<std::string> BaseUrl();

 private:
  RegistryClient(std::string host, std::string api_host, bool insecure,
                 const RegistryOptions& options, std::optional<Credentials> credentials);

  // Sends `req` with the Authorization for `scope`, answering one 401
  // challenge. Returns the final response whatever its status.
  absl::StatusOr<HttpResponse> Send(HttpRequest req, const std::string& scope);
  absl::StatusOr<bool> TryMount(absl::string_view repo, const Digest& digest,
                                absl::string_view from);

  std::string host_;
  std::string api_host_;
  bool insecure_;
  absl::Mutex mu_;
  std::string base_url_ ABSL_GUARDED_BY(mu_);
  RegistryOptions options_;
  HttpClient http_;
  Authenticator auth_;
};

// The registry's own explanation of an error response ("MANIFEST_UNKNOWN:
// manifest unknown"), or "HTTP <status>".
std::string DescribeErrorResponse(const HttpResponse& resp);

}  // namespace skiff::manager::registry
