#pragma once
// Registry authentication as docker does it: a request goes out without
// credentials (or with what worked before for its scope); a 401 carries a
// WWW-Authenticate challenge, either
//   Basic realm="Registry Realm"                  -> send the stored user/password, or
//   Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"
//                                                 -> fetch a token from the realm
//                                                    (anonymously, or with the user/password
//                                                    as basic auth) and send it.
// Tokens are cached per scope until they expire (expires_in, default 60 s).
// Credentials are never logged and never appear in error messages.
//
//   Authenticator auth(&http, "reg:5000", creds);
//   headers.push_back(auth.HeaderFor(scope));            // may be empty
//   ... 401 -> RETURN_IF_ERROR(auth.OnChallenge(resp, scope)); retry once.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "manager/registry/credentials.h"
#include "manager/registry/http_client.h"

namespace skiff::manager::registry {

struct Challenge {
  std::string scheme;                         // lower-cased: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lower-cased; realm, service, scope
};

// Parses a WWW-Authenticate value (RFC 7235: one or more challenges, quoted
// or token parameter values). InvalidArgument on garbage.
absl::StatusOr<std::vector<Challenge>> ParseWwwAuthenticate(absl::string_view value);

// "repository:<repo>:pull" or "repository:<repo>:pull,push".
std::string RepositoryScope(absl::string_view repo, bool push);

class Authenticator {
 public:
  // `http` must outlive this. `host` names the registry in messages.
  Authenticator(HttpClient* http, std::string host, std::optional<Credentials> credentials);

  // The "Authorization: ..." header line for `scope`, or "" when nothing is
  // known yet (the first request goes out anonymous, as docker's does).
  std::string HeaderFor(const std::string& scope);

  // Handles a 401 response to a request for `scope`: after it returns OK,
  // HeaderFor(scope) has what to send. Unauthenticated, naming the realm,
  // when there are no credentials to answer a Basic challenge, when the
  // header is missing or unusable, or when the token server refuses.
  // `retried`: the request already carried what HeaderFor gave, so a Basic
  // challenge now means the password is wrong.
  absl::Status OnChallenge(const HttpResponse& resp, const std::string& scope, bool retried);

  const std::string& host() const { return host_; }
  bool has_credentials() const { return credentials_.has_value(); }

 private:
  absl::Status FetchToken(const Challenge& c, const std::string& scope);

  HttpClient* http_;
  std::string host_;
  std::optional<Credentials> credentials_;

  struct Token {
    std::string value;
    absl::Time expires;
  };
  absl::Mutex mu_;
  bool basic_ ABSL_GUARDED_BY(mu_) = false;
  std::string basic_realm_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Token> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace skiff::manager::registry
