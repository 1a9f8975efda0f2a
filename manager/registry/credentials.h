#pragma once
// `skiff login` credentials: a JSON file shaped like docker's config.json,
//
//   {"auths": {"127.0.0.1:5000": {"auth": "<base64 of user:password>"}}}
//
// written atomically with mode 0600 (rewritten so even when it existed with
// looser permissions). Passwords are never logged and never appear in error
// messages; errors name the file and the registry host only.
//
//   CredentialStore creds("/var/lib/skiff/auth.json");
//   RETURN_IF_ERROR(creds.Put("reg:5000", {"user", "secret"}));
//   ASSIGN_OR_RETURN(std::optional<Credentials> c, creds.Get("reg:5000"));

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace skiff::manager::registry {

struct Credentials {
  std::string username;
  std::string password;
};

class CredentialStore {
 public:
  explicit CredentialStore(std::string path) : path_(std::move(path)) {}

  // nullopt when the host has no entry or the file does not exist.
  absl::StatusOr<std::optional<Credentials>> Get(absl::string_view host) const;
  // Adds or replaces the entry of `host`, keeping the others (and any other
  // top-level keys of the file).
  absl::Status Put(absl::string_view host, const Credentials& credentials);
  // NotFound ("not logged in to <host>") when there is no entry.
  absl::Status Erase(absl::string_view host);
  // Hosts with an entry, sorted.
  absl::StatusOr<std::vector<std::string>> Hosts() const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Docker Hub's credentials live under its legacy key; other hosts as they
// are.
std::string CredentialKey(absl::string_view host);

}  // namespace skiff::manager::registry
