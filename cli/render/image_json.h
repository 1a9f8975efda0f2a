#pragma once
// Images as docker prints them: `image inspect` JSON, and the rows of
// `images` and `history` as the data their --format templates see.
//
//   nlohmann::ordered_json j = ImageInspectJson(resp.image());  // docker's key order
//   std::vector<nlohmann::json> rows = ImageRows(list.images(), opts, absl::Now());

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"
#include "proto/skiff/v1/image.pb.h"

namespace skiff::cli {

// docker image inspect's object: Id, RepoTags, RepoDigests, Parent, Comment,
// Created, Author, Config{...}, Architecture, (Variant,) Os, Size,
// RootFS{Type, Layers}, Metadata{LastTagTime}. Names are shown familiar
// ("busybox:latest"); unset times are Go's zero time.
nlohmann::ordered_json ImageInspectJson(const skiff::v1::ImageInfo& image);

struct ImageRowOptions {
  // Full "sha256:<hex>" ids instead of 12 hex digits.
  bool no_trunc = false;
  // A row per repo digest (images --digests).
  bool digests = false;
};

// The rows of `skiff images`, docker's: one per repository:tag (and per digest
// with `digests`), "<none>" for what is missing. Fields: ID, Repository, Tag,
// Digest, CreatedSince, CreatedAt, Size, Containers, SharedSize, UniqueSize,
// VirtualSize (strings, as docker's templates see them).
std::vector<nlohmann::json> ImageRows(
    const google::protobuf::RepeatedPtrField<skiff::v1::ImageSummary>& images,
    const ImageRowOptions& options, absl::Time now);

struct HistoryRowOptions {
  bool no_trunc = false;
  // -H: sizes and times for humans ("4.26MB", "2 weeks ago") rather than
  // bytes and RFC 3339.
  bool human = true;
};

// `skiff history` rows: ID, CreatedSince, CreatedAt, CreatedBy, Size, Comment.
// CreatedBy is cut to 45 characters ("…") unless no_trunc.
nlohmann::json HistoryRow(const skiff::v1::ImageHistoryEntry& entry,
                          const HistoryRowOptions& options, absl::Time now);

// ---- shared pieces, also used by the image commands.

// "docker.io/library/busybox:latest" -> "busybox:latest",
// "docker.io/user/app" -> "user/app"; other registries are kept.
std::string FamiliarReference(absl::string_view ref);
// Splits a familiar "name:tag" / "name@digest" into repository and the rest
// ("localhost:5000/app:1" -> {"localhost:5000/app", "1"}); "" when absent.
std::pair<std::string, std::string> SplitTag(absl::string_view ref);
std::pair<std::string, std::string> SplitDigest(absl::string_view ref);
// docker's stringid.TruncateID: drops "sha256:" and keeps 12 characters.
std::string TruncateId(absl::string_view id);
// go-units HumanSizeWithPrecision(size, 3), as docker images, history and ps
// print sizes: 4261550 -> "4.26MB", 0 -> "0B".
std::string HumanSize3(int64_t bytes);
// docker's formatter.Ellipsis for text without wide characters.
std::string Ellipsis(absl::string_view s, size_t max_chars);
// Go's time.Time JSON form (RFC 3339 with nanoseconds, trailing zeros
// dropped, UTC "Z"); the zero time "0001-01-01T00:00:00Z" for an unset one.
std::string GoJsonTime(const google::protobuf::Timestamp& ts);

}  // namespace skiff::cli
