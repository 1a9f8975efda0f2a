#include "manager/registry/credentials.h"

#include <sys/stat.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"

namespace skiff::manager::registry {
namespace {

using json = nlohmann::json;

// The file as JSON; an empty object when it does not exist.
absl::StatusOr<json> Load(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return json::object();
    return Errno("stat credentials file", path);
  }
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat("credentials file `", path,
                                            "` is not a JSON object; remove it and log in again"));
  }
  return j;
}

absl::Status Save(const std::string& path, const json& j) {
  RETURN_IF_ERROR(WriteFileAtomic(path, j.dump(2) + "\n", 0600));
  // WriteFileAtomic applies the umask; the file must never be readable by others.
  if (chmod(path.c_str(), 0600) != 0) return Errno("chmod credentials file", path);
  return absl::OkStatus();
}

}  // namespace

std::string CredentialKey(absl::string_view host) {
  if (host == "docker.io" || host == "registry-1.docker.io" || host == "index.docker.io") {
    return "https://index.docker.io/v1/";
  }
  return std::string(host);
}

absl::StatusOr<std::optional<Credentials>> CredentialStore::Get(absl::string_view host) const {
  ASSIGN_OR_RETURN(json j, Load(path_));
  std::string key = CredentialKey(host);
  auto auths = j.find("auths");
  if (auths == j.end() || !auths->is_object()) return std::nullopt;
  auto entry = auths->find(key);
  if (entry == auths->end() || !entry->is_object()) return std::nullopt;
  auto auth = entry->find("auth");
  if (auth == entry->end() || !auth->is_string()) return std::nullopt;
  std::string decoded;
  if (!absl::Base64Unescape(auth->get<std::string>(), &decoded)) {
    return absl::DataLossError(absl::StrCat("credentials for ", host, " in `", path_,
                                            "` are not valid base64; log in again"));
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return absl::DataLossError(absl::StrCat("credentials for ", host, " in `", path_,
                                            "` are not user:password; log in again"));
  }
  return Credentials{decoded.substr(0, colon), decoded.substr(colon + 1)};
}

absl::Status CredentialStore::Put(absl::string_view host, const Credentials& credentials) {
  if (credentials.username.find(':') != std::string::npos) {
    return absl::InvalidArgumentError("a registry user name cannot contain ':'");
  }
  ASSIGN_OR_RETURN(json j, Load(path_));
  if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = json::object();
  j["auths"][CredentialKey(host)] = {
      {"auth", absl::Base64Escape(credentials.username + ":" + credentials.password)}};
  return Save(path_, j);
}

absl::Status CredentialStore::Erase(absl::string_view host) {
  ASSIGN_OR_RETURN(json j, Load(path_));
  std::string key = CredentialKey(host);
  if (!j.contains("auths") || !j["auths"].is_object() || !j["auths"].contains(key)) {
    return absl::NotFoundError(absl::StrCat("not logged in to ", host));
  }
  j["auths"].erase(key);
  return Save(path_, j);
}

absl::StatusOr<std::vector<std::string>> CredentialStore::Hosts() const {
  ASSIGN_OR_RETURN(json j, Load(path_));
  std::vector<std::string> out;
  if (j.contains("auths") && j["auths"].is_object()) {
    for (auto it = j["auths"].begin(); it != j["auths"].end(); ++it) out.push_back(it.key());
  }
  return out;  // nlohmann's object is a std::map: already sorted
}

}  // namespace skiff::manager::registry
