#include "manager/registry/client.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "manager/images/image.h"
#include "manager/images/media_types.h"

namespace skiff::manager::registry {
namespace {

std::string ManifestAccept() {
  return absl::StrCat("Accept: ", media_types::kOciManifest, ", ", media_types::kOciIndex, ", ",
                      media_types::kDockerManifest, ", ", media_types::kDockerManifestList);
}

// "host" of "host:port", "[v6]:port", "host".
std::string HostOnly(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    size_t close = host.find(']');
    return std::string(host.substr(1, close == absl::string_view::npos ? host.size() : close - 1));
  }
  size_t colon = host.rfind(':');
  if (colon != absl::string_view::npos && host.find(':') == colon) {
    return std::string(host.substr(0, colon));
  }
  return std::string(host);
}

absl::Status HttpError(const HttpResponse& resp, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": ", DescribeErrorResponse(resp));
  if (resp.status == 404) return absl::NotFoundError(msg);
  if (resp.status == 401) return absl::UnauthenticatedError(msg);
  if (resp.status == 403) return absl::PermissionDeniedError(msg);
  if (resp.status == 429 || resp.status >= 500) return absl::UnavailableError(msg);
  return absl::FailedPreconditionError(msg);
}

bool Transient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsAborted(s);
}

}  // namespace

std::string DescribeErrorResponse(const HttpResponse& resp) {
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  std::vector<std::string> parts;
  if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.value("code", "");
      std::string message = e.value("message", "");
      parts.push_back(code.empty() ? message : absl::StrCat(code, ": ", message));
    }
  }
  if (parts.empty()) return absl::StrCat("HTTP ", resp.status);
  return absl::StrCat(absl::StrJoin(parts, "; "), " (HTTP ", resp.status, ")");
}

bool IsInsecureRegistry(absl::string_view host, const std::vector<std::string>& configured) {
  for (const std::string& c : configured) {
    if (c == host || c == HostOnly(host)) return true;
  }
  std::string h = HostOnly(host);
  if (h == "localhost" || h == "::1") return true;
  in_addr a4;
  if (inet_pton(AF_INET, h.c_str(), &a4) == 1) {
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  return false;
}

std::string RegistryApiHost(absl::string_view domain) {
  if (domain == "docker.io" || domain == "index.docker.io") return "registry-1.docker.io";
  return std::string(domain);
}

std::unique_ptr<RegistryClient> RegistryClient::Create(absl::string_view host,
                                                       const RegistryOptions& options,
                                                       std::optional<Credentials> credentials) {
  std::string api = RegistryApiHost(host);
  bool insecure = IsInsecureRegistry(api, options.insecure_registries);
  return std::unique_ptr<RegistryClient>(
      new RegistryClient(std::string(host), api, insecure, options, std::move(credentials)));
}

RegistryClient::RegistryClient(std::string host, std::string api_host, bool insecure,
                               const RegistryOptions& options,
                               std::optional<Credentials> credentials)
    : host_(std::move(host)),
      api_host_(std::move(api_host)),
      insecure_(insecure),
      options_(options),
      http_(options.http),
      auth_(&http_, host_, std::move(credentials)) {
  if (!insecure_) base_url_ = "https://" + api_host_;
}

absl::StatusOr<std::string> RegistryClient::BaseUrl() {
  absl::MutexLock lock(&mu_);
  if (!base_url_.empty()) return base_url_;
  HttpRequest probe;
  probe.url = absl::StrCat("https://", api_host_, "/v2/");
  probe.timeout = absl::Seconds(15);
  probe.max_attempts = 1;
  absl::StatusOr<HttpResponse> r = http_.Do(probe);
  if (r.ok()) {
    base_url_ = "https://" + api_host_;
  } else if (absl::IsFailedPrecondition(r.status())) {
    base_url_ = "http://" + api_host_;
  } else if (absl::IsNotFound(r.status())) {
    return r.status();
  } else {
    // Not reachable now: let the request itself retry over plain HTTP and
    // report; decide again next time.
    return "http://" + api_host_;
  }
  return base_url_;
}

absl::StatusOr<HttpResponse> RegistryClient::Send(HttpRequest req, const std::string& scope) {
  if (req.url.find("://") == std::string::npos) {
    ASSIGN_OR_RETURN(std::string base, BaseUrl());
    req.url = base + req.url;
  }
  const std::vector<std::string> headers = req.headers;
  // Anonymous, then what the challenge asked for; a second 401 is final.
  for (int round = 0; round < 3; ++round) {
    req.headers = headers;
    std::string auth = auth_.HeaderFor(scope);
    if (!auth.empty()) req.headers.push_back(auth);
    ASSIGN_OR_RETURN(HttpResponse resp, http_.Do(req));
    if (resp.status != 401) return resp;
    RETURN_IF_ERROR(auth_.OnChallenge(resp, scope, /*retried=*/!auth.empty()));
  }
  return absl::UnauthenticatedError(absl::StrCat("registry ", host_, " keeps refusing ", req.url));
}

absl::Status RegistryClient::Ping() {
  HttpRequest req;
  req.url = "/v2/";
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req, ""));
  if (resp.status != 200) {
    return HttpError(resp, absl::StrCat("registry ", host_, " at ", req.url));
  }
  return absl::OkStatus();
}

absl::StatusOr<FetchedManifest> RegistryClient::ResolveManifest(absl::string_view repo,
                                                                absl::string_view tag_or_digest) {
  std::string where = absl::StrCat(host_, "/", repo);
  std::optional<Digest> want;
  if (absl::StartsWith(tag_or_digest, "sha256:")) {
    ASSIGN_OR_RETURN(want, Digest::Parse(tag_or_digest));
  }
  HttpRequest req;
  req.url = absl::StrCat("/v2/", repo, "/manifests/", tag_or_digest);
  req.headers.push_back(ManifestAccept());
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req, RepositoryScope(repo, false)));
  if (resp.status == 404) {
    return absl::NotFoundError(absl::StrCat("manifest `", tag_or_digest, "` not found in ", where,
                                            " (", DescribeErrorResponse(resp), ")"));
  }
  if (resp.status != 200) {
    return HttpError(resp, absl::StrCat("fetching manifest `", tag_or_digest, "` from ", where));
  }
  if (resp.body.size() > kMaxManifestSize) {
    return absl::ResourceExhaustedError(absl::StrCat("manifest `", tag_or_digest, "` from ", where,
                                                     " is over ", kMaxManifestSize, " bytes"));
  }
  FetchedManifest out;
  out.descriptor.digest = Sha256Of(resp.body);
  out.descriptor.size = static_cast<int64_t>(resp.body.size());
  if (want.has_value() && *want != out.descriptor.digest) {
    return absl::DataLossError(absl::StrCat("manifest from ", where, ": digest mismatch: expected ",
                                            want->str(), ", got ", out.descriptor.digest.str()));
  }
  std::string header_digest = resp.Header("docker-content-digest");
  if (!want.has_value() && !header_digest.empty()) {
    auto d = Digest::Parse(header_digest);
    if (d.ok() && *d != out.descriptor.digest) {
      return absl::DataLossError(absl::StrCat("manifest `", tag_or_digest, "` from ", where,
                                              ": digest mismatch: registry says ", d->str(),
                                              ", content is ", out.descriptor.digest.str()));
    }
  }
  std::string type(absl::StripAsciiWhitespace(
      std::vector<std::string>(absl::StrSplit(resp.Header("content-type"), ';'))[0]));
  if (!media_types::IsManifest(type) && !media_types::IsIndex(type)) {
    ASSIGN_OR_RETURN(type, SniffManifestType(resp.body));
  }
  if (!media_types::IsManifest(type) && !media_types::IsIndex(type)) {
    return absl::FailedPreconditionError(absl::StrCat("`", tag_or_digest, "` in ", where, " is a `",
                                                      type, "`, not an image manifest or index"));
  }
  out.descriptor.media_type = type;
  out.bytes = std::move(resp.body);
  return out;
}

absl::Status RegistryClient::FetchBlob(absl::string_view repo, const Descriptor& desc,
                                       ContentStore& store,
                                       const std::function<bool(int64_t)>& on_bytes,
                                       GrowingBlob* follow) {
  if (store.Exists(desc.digest)) return absl::OkStatus();
  std::string what = absl::StrCat("blob ", desc.digest.str(), " from ", host_, "/", repo);
  std::unique_ptr<ContentWriter> writer;
  auto new_writer = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(writer, store.NewWriter());
    if (follow != nullptr) {
      ASSIGN_OR_RETURN(UniqueFd reader, writer->OpenReader());
      follow->Begin(std::move(reader));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(new_writer());

  HttpRequest req;
  req.url = absl::StrCat("/v2/", repo, "/blobs/", desc.digest.str());
  req.timeout = absl::ZeroDuration();
  const std::string scope = RepositoryScope(repo, false);
  absl::Status last;
  absl::Duration backoff = options_.http.initial_backoff;
  for (int attempt = 1; attempt <= std::max(1, options_.blob_attempts); ++attempt) {
    int64_t resume_at = static_cast<int64_t>(writer->size());
    HttpRequest r = req;
    if (resume_at > 0) r.headers.push_back(absl::StrCat("Range: bytes=", resume_at, "-"));
    absl::Status write_error;
    r.sink = [&](absl::string_view data) -> absl::Status {
      if (desc.size > 0 && writer->size() + data.size() > static_cast<uint64_t>(desc.size)) {
        write_error = absl::DataLossError(absl::StrCat(what, ": registry sent more than the ",
                                                       desc.size, " bytes the descriptor states"));
        return write_error;
      }
      RETURN_IF_ERROR(writer->Write(data));
      if (follow != nullptr) follow->Grew(writer->size());
      if (on_bytes && !on_bytes(static_cast<int64_t>(writer->size()))) {
        write_error = absl::CancelledError(absl::StrCat(what, ": the pull was cancelled"));
        return write_error;
      }
      return absl::OkStatus();
    };
    // A 200 to a Range request (a HEAD answered 206 but the GET, perhaps
    // redirected elsewhere, does not resume) brings the whole blob: start a
    // new file rather than append it to the part already written.
    r.on_sink_status = [&](long status) -> absl::Status {
      if (resume_at > 0 && status == 200) {
        RETURN_IF_ERROR(new_writer());
        resume_at = 0;
      }
      return absl::OkStatus();
    };
    if (resume_at > 0) {
      // Check the status before any byte is written: a 200 to a Range
      // request would append the whole blob to the part already written.
      HttpRequest probe = req;
      probe.method = "HEAD";
      probe.headers.push_back(absl::StrCat("Range: bytes=", resume_at, "-"));
      auto head = Send(probe, scope);
      if (!head.ok() || head->status != 206) {
        RETURN_IF_ERROR(new_writer());
        r.headers.pop_back();
        resume_at = 0;
      }
    }
    absl::StatusOr<HttpResponse> resp = Send(r, scope);
    if (!write_error.ok()) return write_error;
    if (!resp.ok()) {
      if (!Transient(resp.status())) return Annotate(resp.status(), "fetching " + what);
      last = resp.status();
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, options_.http.max_backoff);
      continue;
    }
    if (resp->status == 404) {
      return absl::NotFoundError(
          absl::StrCat(what, ": not found (", DescribeErrorResponse(*resp), ")"));
    }
    if (resp->status != 200 && resp->status != 206) {
      return HttpError(*resp, "fetching " + what);
    }

    absl::StatusOr<Digest> got = writer->Commit(
        desc.digest, desc.size > 0 ? std::optional<int64_t>(desc.size) : std::nullopt);
    if (!got.ok()) return Annotate(got.status(), what);
    return absl::OkStatus();
  }
  return Annotate(last,
                  absl::StrCat("fetching ", what, " (", options_.blob_attempts, " attempts)"));
}

absl::StatusOr<bool> RegistryClient::BlobExists(absl::string_view repo, const Digest& digest) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = absl::StrCat("/v2/", repo, "/blobs/", digest.str());
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req, RepositoryScope(repo, false)));
  if (resp.status == 200) return true;
  if (resp.status == 404) return false;
  return HttpError(resp, absl::StrCat("checking blob ", digest.str(), " in ", host_, "/", repo));
}

absl::StatusOr<bool> RegistryClient::TryMount(absl::string_view repo, const Digest& digest,
                                              absl::string_view from) {
  HttpRequest req;
  req.method = "POST";
  req.url = absl::StrCat("/v2/", repo, "/blobs/uploads/?mount=", digest.str(), "&from=", from);
  // The token must allow reading the source repository as well.
  const std::string scope =
      absl::StrCat(RepositoryScope(repo, true), " ", RepositoryScope(from, false));
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req, scope));
  if (resp.status == 201) return true;
  if (resp.status == 202) {
    // The registry started an ordinary upload instead; drop that session.
    std::string location = resp.Header("location");
    if (!location.empty()) {
      HttpRequest cancel;
      cancel.method = "DELETE";
      cancel.url = location;
      (void)Send(cancel, scope);
    }
    return false;
  }
  return false;
}

absl::StatusOr<RegistryClient::BlobPushed> RegistryClient::PushBlob(absl::string_view repo,
                                                                    const Descriptor& desc,
                                                                    const ContentStore& store,
                                                                    absl::string_view mount_from) {
  std::string what = absl::StrCat("blob ", desc.digest.str(), " to ", host_, "/", repo);
  ASSIGN_OR_RETURN(bool exists, BlobExists(repo, desc.digest));
  if (exists) return BlobPushed::kExisted;
  if (!mount_from.empty() && mount_from != repo) {
    // A source we may not read, or one that no longer has the blob, is no
    // reason to fail: the upload below still works.
    absl::StatusOr<bool> mounted = TryMount(repo, desc.digest, mount_from);
    if (mounted.ok() && *mounted) return BlobPushed::kMounted;
  }
  const std::string scope = RepositoryScope(repo, true);
  HttpRequest start;
  start.method = "POST";
  start.url = absl::StrCat("/v2/", repo, "/blobs/uploads/");
  ASSIGN_OR_RETURN(HttpResponse started, Send(start, scope));
  if (started.status != 202) return HttpError(started, "starting upload of " + what);
  std::string location = started.Header("location");
  if (location.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("starting upload of ", what, ": registry sent no Location"));
  }
  if (absl::StartsWith(location, "/")) {
    ASSIGN_OR_RETURN(std::string base, BaseUrl());
    location = base + location;
  }

  ASSIGN_OR_RETURN(UniqueFd fd, store.Open(desc.digest));
  ASSIGN_OR_RETURN(int64_t size, store.Size(desc.digest));
  HttpRequest put;
  put.method = "PUT";
  put.url = absl::StrCat(location, location.find('?') == std::string::npos ? "?" : "&",
                         "digest=", desc.digest.str());
  put.headers.push_back("Content-Type: application/octet-stream");
  put.body_fd = fd.get();
  put.body_size = size;
  put.timeout = absl::ZeroDuration();
  ASSIGN_OR_RETURN(HttpResponse done, Send(put, scope));
  if (done.status != 201) return HttpError(done, "uploading " + what);
  return BlobPushed::kUploaded;
}

absl::StatusOr<Digest> RegistryClient::PushManifest(absl::string_view repo,
                                                    absl::string_view tag_or_digest,
                                                    absl::string_view media_type,
                                                    absl::string_view bytes) {
  std::string what = absl::StrCat("manifest `", tag_or_digest, "` to ", host_, "/", repo);
  Digest digest = Sha256Of(bytes);
  HttpRequest req;
  req.method = "PUT";
  req.url = absl::StrCat("/v2/", repo, "/manifests/", tag_or_digest);
  req.headers.push_back(absl::StrCat("Content-Type: ", media_type));
  req.body = std::string(bytes);
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req, RepositoryScope(repo, true)));
  if (resp.status != 201 && resp.status != 200) return HttpError(resp, "pushing " + what);
  std::string header = resp.Header("docker-content-digest");
  if (!header.empty()) {
    auto d = Digest::Parse(header);
    if (d.ok() && *d != digest) {
      return absl::DataLossError(
          absl::StrCat("pushing ", what, ": registry stored ", d->str(), ", sent ", digest.str()));
    }
  }
  return digest;
}

}  // namespace skiff::manager::registry
