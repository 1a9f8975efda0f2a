#pragma once
// Docker-style image references, normalized as docker and containerd
// normalize them:
//
//   busybox                    -> docker.io/library/busybox:latest
//   user/app:1.0               -> docker.io/user/app:1.0
//   localhost:5000/ns/app:dev  -> localhost:5000/ns/app:dev
//   busybox@sha256:<hex>       -> docker.io/library/busybox@sha256:<hex> (no tag)
//
// Grammar (distribution/reference): [domain/]path[:tag][@digest]; the first
// component is a domain when it has a '.' or ':', or is "localhost"; path
// components are lowercase [a-z0-9]+ joined by '.', '_', '__' or '-'s; a
// tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Errors say what is wrong:
//   invalid reference `Busybox`: repository name must be lowercase

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "manager/content/digest.h"

namespace skiff::manager {

class Reference {
 public:
  // Parses and normalizes; a reference with neither tag nor digest gets
  // the tag "latest".
  static absl::StatusOr<Reference> Parse(absl::string_view s);

  const std::string& domain() const { return domain_; }
  const std::string& path() const { return path_; }
  const std::string& tag() const { return tag_; }  // may be empty with a digest
  const Digest& digest() const { return digest_; }  // empty() when none

  // domain/path: "docker.io/library/busybox".
  std::string Name() const { return domain_ + "/" + path_; }
  // The full normalized form: "docker.io/library/busybox:latest".
  std::string String() const;
  // What docker shows: "busybox:latest", "user/app:1.0",
  // "localhost:5000/ns/app:dev".
  std::string Familiar() const;
  std::string FamiliarName() const;

  friend bool operator==(const Reference& a, const Reference& b) {
    return a.String() == b.String();
  }

 private:
  std::string domain_;
  std::string path_;
  std::string tag_;
  Digest digest_;
};

}  // namespace skiff::manager
