#include "manager/registry/http_client.h"

#include <curl/curl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"

namespace skiff::manager::registry {
namespace {

// Error bodies and manifests are read into memory; anything bigger than this
// is not a registry talking to us.
constexpr size_t kMaxBufferedBody = 32 << 20;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  CURL* curl = nullptr;
  const HttpRequest* req = nullptr;
  HttpResponse resp;
  absl::Status sink_status;
  bool sink_failed = false;
  bool sink_started = false;
  bool too_big = false;
  int64_t upload_offset = 0;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  absl::string_view line(data, size * n);
  // Each response of a redirect chain (and a 100 Continue) starts over.
  if (absl::StartsWith(line, "HTTP/")) {
    t->resp.headers.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return size * n;
  std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  t->resp.headers.emplace_back(std::move(name), std::move(value));
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  long code = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
  if (t->req->sink && code >= 200 && code < 300) {
    absl::Status st;
    if (!t->sink_started && t->req->on_sink_status) st = t->req->on_sink_status(code);
    t->sink_started = true;
    if (st.ok()) st = t->req->sink(absl::string_view(data, len));
    if (!st.ok()) {
      t->sink_status = std::move(st);
      t->sink_failed = true;
      return 0;
    }
    t->resp.sink_bytes += static_cast<int64_t>(len);
    return len;
  }
  if (t->resp.body.size() + len > kMaxBufferedBody) {
    t->too_big = true;
    return 0;
  }
  t->resp.body.append(data, len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const HttpRequest& req = *t->req;
  int64_t total = req.body_fd >= 0 ? req.body_size : static_cast<int64_t>(req.body.size());
  size_t want = std::min<int64_t>(size * n, total - t->upload_offset);
  if (want == 0) return 0;
  if (req.body_fd >= 0) {
    ssize_t got = pread(req.body_fd, buf, want, t->upload_offset);
    if (got <= 0) return CURL_READFUNC_ABORT;
    t->upload_offset += got;
    return static_cast<size_t>(got);
  }
  memcpy(buf, req.body.data() + t->upload_offset, want);
  t->upload_offset += static_cast<int64_t>(want);
  return want;
}

bool IsTls(CURLcode c) {
  switch (c) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}

// Loads the CA bundle and client certificate of `host` from certs_dir/host.
struct HostCerts {
  std::string ca_pem;
  std::string client_cert;
  std::string client_key;
};

HostCerts LoadHostCerts(const std::string& certs_dir, const std::string& host) {
  HostCerts out;
  if (certs_dir.empty() || host.empty()) return out;
  std::string dir = certs_dir + "/" + host;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = dir + "/" + name;
    if (absl::EndsWith(name, ".crt")) {
      auto pem = ReadFile(path);
      if (pem.ok()) absl::StrAppend(&out.ca_pem, *pem, "\n");
    } else if (absl::EndsWith(name, ".cert") && out.client_cert.empty()) {
      std::string key = dir + "/" + name.substr(0, name.size() - 5) + ".key";
      struct stat st;
      if (stat(key.c_str(), &st) == 0) {
        out.client_cert = path;
        out.client_key = key;
      }
    }
  }
  return out;
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  char errbuf[CURL_ERROR_SIZE];
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

std::string UrlHost(absl::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == absl::string_view::npos) return "";
  absl::string_view rest = url.substr(scheme + 3);
  size_t end = rest.find_first_of("/?#");
  if (end != absl::string_view::npos) rest = rest.substr(0, end);
  size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) rest = rest.substr(at + 1);
  return std::string(rest);
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) { GlobalInit(); }

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::Take() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  return h;
}

void HttpClient::Give(std::unique_ptr<Handle> h) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(h));
}

absl::StatusOr<HttpResponse> HttpClient::Do(const HttpRequest& req) {
  std::unique_ptr<Handle> handle = Take();
  if (handle->curl == nullptr) return absl::ResourceExhaustedError("cannot initialize libcurl");
  absl::Duration backoff = options_.initial_backoff;
  int attempts = std::max(1, req.max_attempts > 0 ? req.max_attempts : options_.max_attempts);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<HttpResponse> r = DoOnce(req, *handle);
    bool transient;
    if (r.ok()) {
      transient = r->sink_bytes == 0 && (r->status >= 500 || r->status == 429);
    } else {
      // A failure after body bytes reached the sink comes back as Aborted,
      // which is not retried here.
      transient = absl::IsUnavailable(r.status()) || absl::IsDeadlineExceeded(r.status());
    }
    if (!transient || attempt >= attempts) {
      Give(std::move(handle));
      return r;
    }
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::StatusOr<HttpResponse> HttpClient::DoOnce(const HttpRequest& req, Handle& h) {
  CURL* c = h.curl;
  curl_easy_reset(c);
  Transfer t;
  t.curl = c;
  t.req = &req;
  h.errbuf[0] = '\0';
  std::string host = UrlHost(req.url);

  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h.errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "skiff/1");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  if (req.timeout > absl::ZeroDuration()) {
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(req.timeout)));
  }
  if (req.stall_timeout > absl::ZeroDuration()) {
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(absl::ToInt64Seconds(req.stall_timeout))));
  }
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);

  HostCerts certs = LoadHostCerts(options_.certs_dir, host);
  curl_blob ca_blob;
  if (!certs.ca_pem.empty()) {
    ca_blob.data = certs.ca_pem.data();
    ca_blob.len = certs.ca_pem.size();
    ca_blob.flags = CURL_BLOB_COPY;
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca_blob);
    // The blob replaces the default bundle; keep the system CAs for storage
    // hosts a registry redirects to.
    curl_easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
  }
  if (!certs.client_cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, certs.client_cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, certs.client_key.c_str());
  }

  bool has_body = req.body_fd >= 0 || !req.body.empty() || req.method == "PUT" ||
                  req.method == "POST" || req.method == "PATCH";
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    int64_t size = req.body_fd >= 0 ? req.body_size : static_cast<int64_t>(req.body.size());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  curl_slist* headers = nullptr;
  for (const std::string& line : req.headers) headers = curl_slist_append(headers, line.c_str());
  // No 100-continue round trip before uploads.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  // Forget the per-request blob pointers before the handle is reused.
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);

  long os_errno = 0;
  curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.resp.status);
  char* eff = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff != nullptr) {
    t.resp.effective_url = eff;
  }
  std::string where = UrlHost(t.resp.effective_url.empty() ? req.url : t.resp.effective_url);
  std::string detail = h.errbuf[0] != '\0' ? std::string(h.errbuf) : curl_easy_strerror(rc);

  if (rc == CURLE_OK) return std::move(t.resp);
  if (t.sink_failed) return t.sink_status;
  if (t.too_big) {
    return absl::ResourceExhaustedError(absl::StrCat(
        req.method, " ", req.url, ": response body over ", kMaxBufferedBody, " bytes"));
  }
  absl::Status st;
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return absl::NotFoundError(absl::StrCat("unknown host `", host, "`: ", detail));
    case CURLE_COULDNT_CONNECT:
      st = absl::UnavailableError(
          absl::StrCat("cannot connect to registry ", where, ": ",
                       os_errno != 0 ? strerror(static_cast<int>(os_errno)) : detail));
      break;
    case CURLE_OPERATION_TIMEDOUT:
      st = absl::DeadlineExceededError(
          absl::StrCat(req.method, " ", req.url, " timed out: ", detail));
      break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      st = absl::UnavailableError(absl::StrCat("connection to registry ", where, " broke during ",
                                               req.method, " ", req.url, ": ", detail));
      break;
    default:
      if (IsTls(rc)) {
        std::string hint = options_.certs_dir.empty()
                               ? std::string()
                               : absl::StrCat("; CA certificates for it are read from ",
                                              options_.certs_dir, "/", host, "/*.crt");
        return absl::FailedPreconditionError(
            absl::StrCat("TLS with registry ", host, " failed: ", detail, hint));
      }
      return absl::UnknownError(absl::StrCat(req.method, " ", req.url, ": ", detail));
  }
  // Body bytes already went to the caller: a retry here would duplicate them.
  if (t.resp.sink_bytes > 0) {
    return absl::AbortedError(
        absl::StrCat(st.message(), " (after ", t.resp.sink_bytes, " bytes of the body)"));
  }
  return st;
}

}  // namespace skiff::manager::registry
