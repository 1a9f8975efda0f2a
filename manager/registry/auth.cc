#include "manager/registry/auth.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace skiff::manager::registry {
namespace {

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/:").find(c) != std::string_view::npos;
}

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(
          &out, "%",
          absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(&c), 1)));
    }
  }
  return out;
}

std::string RealmOf(const Challenge& c) {
  auto it = c.params.find("realm");
  return it == c.params.end() ? std::string() : it->second;
}

}  // namespace

absl::StatusOr<std::vector<Challenge>> ParseWwwAuthenticate(absl::string_view v) {
  std::vector<Challenge> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  };
  auto token = [&] {
    size_t start = i;
    while (i < v.size() && IsTokenChar(v[i]) && v[i] != '=') ++i;
    return std::string(v.substr(start, i - start));
  };
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid WWW-Authenticate header `", v, "`: ", why));
  };
  while (true) {
    skip_ws();
    while (i < v.size() && (v[i] == ',' || v[i] == ' ')) ++i;
    if (i >= v.size()) break;
    std::string word = token();
    if (word.empty()) return bad(absl::StrCat("unexpected `", v.substr(i, 1), "`"));
    skip_ws();
    if (i < v.size() && v[i] == '=' && !out.empty()) {
      // A parameter of the current challenge.
      ++i;
      skip_ws();
      std::string value;
      if (i < v.size() && v[i] == '"') {
        ++i;
        bool closed = false;
        while (i < v.size()) {
          char c = v[i++];
          if (c == '\\' && i < v.size()) {
            value.push_back(v[i++]);
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.push_back(c);
          }
        }
        if (!closed) return bad("unterminated quoted string");
      } else {
        value = token();
      }
      out.back().params[absl::AsciiStrToLower(word)] = value;
      skip_ws();
      if (i < v.size() && v[i] != ',') return bad(absl::StrCat("expected `,` at offset ", i));
      continue;
    }
    if (i < v.size() && v[i] == '=') return bad("parameter before any scheme");
    Challenge c;
    c.scheme = absl::AsciiStrToLower(word);
    out.push_back(std::move(c));
  }
  if (out.empty()) return bad("no challenge");
  return out;
}

std::string RepositoryScope(absl::string_view repo, bool push) {
  return absl::StrCat("repository:", repo, push ? ":pull,push" : ":pull");
}

Authenticator::Authenticator(HttpClient* http, std::string host,
                             std::optional<Credentials> credentials)
    : http_(http), host_(std::move(host)), credentials_(std::move(credentials)) {}

std::string Authenticator::HeaderFor(const std::string& scope) {
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(scope);
  if (it != tokens_.end()) {
    // A little early, so a token does not expire on the way.
    if (absl::Now() + absl::Seconds(5) < it->second.expires) {
      return "Authorization: Bearer " + it->second.value;
    }
    tokens_.erase(it);
  }
  if (basic_ && credentials_.has_value()) {
    return "Authorization: Basic " +
           absl::Base64Escape(credentials_->username + ":" + credentials_->password);
  }
  return "";
}

absl::Status Authenticator::OnChallenge(const HttpResponse& resp, const std::string& scope,
                                        bool retried) {
  std::string header = resp.Header("www-authenticate");
  if (header.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "registry ", host_, " refused the request (401) without an authentication challenge"));
  }
  ASSIGN_OR_RETURN(std::vector<Challenge> challenges, ParseWwwAuthenticate(header));
  for (const Challenge& c : challenges) {
    if (c.scheme == "bearer") {
      if (retried) {
        return absl::PermissionDeniedError(absl::StrCat(
            "registry ", host_, " denied access to `", scope, "` (realm `", RealmOf(c), "`)",
            credentials_.has_value() ? ""
                                     : absl::StrCat("; log in with `skiff login ", host_, "`")));
      }
      {
        absl::MutexLock lock(&mu_);
        tokens_.erase(scope);
      }
      return FetchToken(c, scope);
    }
  }
  for (const Challenge& c : challenges) {
    if (c.scheme != "basic") continue;
    std::string realm = RealmOf(c);
    if (!credentials_.has_value()) {
      return absl::UnauthenticatedError(absl::StrCat("registry ", host_,
                                                     " requires authentication (realm `", realm,
                                                     "`): log in with `skiff login ", host_, "`"));
    }
    absl::MutexLock lock(&mu_);
    if (retried && basic_) {
      return absl::UnauthenticatedError(
          absl::StrCat("login to registry ", host_, " as `", credentials_->username,
                       "` failed: wrong user name or password (realm `", realm, "`)"));
    }
    basic_ = true;
    basic_realm_ = realm;
    return absl::OkStatus();
  }
  return absl::UnauthenticatedError(
      absl::StrCat("registry ", host_, " asks for an unsupported authentication scheme: ", header));
}

absl::Status Authenticator::FetchToken(const Challenge& c, const std::string& scope) {
  std::string realm = RealmOf(c);
  if (realm.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("registry ", host_, " sent a Bearer challenge without a realm"));
  }
  std::string url = realm;
  std::string sep = realm.find('?') == std::string::npos ? "?" : "&";
  auto service = c.params.find("service");
  if (service != c.params.end()) {
    absl::StrAppend(&url, sep, "service=", UrlEncode(service->second));
    sep = "&";
  }
  // The challenge's scope is what the registry wants for this request; ours
  // is what the caller will do next (push needs pull,push up front).
  auto challenge_scope = c.params.find("scope");
  std::string want = !scope.empty()                      ? scope
                     : challenge_scope != c.params.end() ? challenge_scope->second
                                                         : std::string();
  // Several scopes (a cross-repository mount needs pull on the source too)
  // are separate parameters, as the token spec and docker send them.
  for (absl::string_view one : absl::StrSplit(want, ' ', absl::SkipEmpty())) {
    absl::StrAppend(&url, sep, "scope=", UrlEncode(one));
    sep = "&";
  }

  HttpRequest req;
  req.url = url;
  if (credentials_.has_value()) {
    req.headers.push_back(
        "Authorization: Basic " +
        absl::Base64Escape(credentials_->username + ":" + credentials_->password));
  }
  ASSIGN_OR_RETURN(HttpResponse resp, http_->Do(req));
  if (resp.status == 401 || resp.status == 403) {
    return absl::UnauthenticatedError(absl::StrCat(
        credentials_.has_value() ? "login to registry " : "anonymous access to registry ", host_,
        credentials_.has_value() ? absl::StrCat(" as `", credentials_->username, "`") : "",
        " refused by the token server (realm `", realm, "`, HTTP ", resp.status, ")"));
  }
  if (resp.status != 200) {
    return absl::UnavailableError(absl::StrCat("token server `", realm, "` of registry ", host_,
                                               " answered HTTP ", resp.status));
  }
  nlohmann::json j = nlohmann::json::parse(resp.body, nullptr, false);
  std::string token;
  if (j.is_object()) {
    if (j.contains("token") && j["token"].is_string()) token = j["token"];
    if (token.empty() && j.contains("access_token") && j["access_token"].is_string()) {
      token = j["access_token"];
    }
  }
  if (token.empty()) {
    return absl::UnauthenticatedError(absl::StrCat("token server `", realm, "` of registry ", host_,
                                                   " answered without a token"));
  }
  int64_t expires_in = 60;
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
    expires_in = std::max<int64_t>(j["expires_in"].get<int64_t>(), 10);
  }
  absl::MutexLock lock(&mu_);
  tokens_[scope] = Token{token, absl::Now() + absl::Seconds(expires_in)};
  return absl::OkStatus();
}

}  // namespace skiff::manager::registry
