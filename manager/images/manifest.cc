#include "manager/images/manifest.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/images/json_util.h"
#include "manager/images/media_types.h"

namespace skiff::manager {

using json_util::json;

namespace {

absl::StatusOr<Platform> ParsePlatform(const json& j, absl::string_view path) {
  RETURN_IF_ERROR(json_util::RequireObject(j, path));
  Platform p;
  RETURN_IF_ERROR(json_util::GetString(j, "architecture", path, &p.architecture, true));
  RETURN_IF_ERROR(json_util::GetString(j, "os", path, &p.os, true));
  RETURN_IF_ERROR(json_util::GetString(j, "variant", path, &p.variant));
  RETURN_IF_ERROR(json_util::GetString(j, "os.version", path, &p.os_version));
  RETURN_IF_ERROR(json_util::GetStringList(j, "os.features", path, &p.os_features));
  return p;
}

absl::Status CheckSchemaVersion(const json& j, int64_t* out) {
  RETURN_IF_ERROR(json_util::GetInt64(j, "schemaVersion", "", out, true));
  if (*out != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("field `schemaVersion`: want 2, got ", *out,
                     *out == 1 ? " (Docker schema 1 images are not supported)" : ""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Descriptor> ParseDescriptor(const json& j, absl::string_view path) {
  RETURN_IF_ERROR(json_util::RequireObject(j, path));
  Descriptor d;
  RETURN_IF_ERROR(json_util::GetString(j, "mediaType", path, &d.media_type, true));
  RETURN_IF_ERROR(json_util::GetDigest(j, "digest", path, &d.digest, true));
  RETURN_IF_ERROR(json_util::GetInt64(j, "size", path, &d.size, true));
  if (d.size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("field `", json_util::Join(path, "size"), "`: negative size ", d.size));
  }
  RETURN_IF_ERROR(json_util::GetStringList(j, "urls", path, &d.urls));
  RETURN_IF_ERROR(json_util::GetStringMap(j, "annotations", path, &d.annotations));
  RETURN_IF_ERROR(json_util::GetString(j, "artifactType", path, &d.artifact_type));
  ASSIGN_OR_RETURN(const json* plat, json_util::GetObject(j, "platform", path));
  if (plat != nullptr) {
    ASSIGN_OR_RETURN(d.platform, ParsePlatform(*plat, json_util::Join(path, "platform")));
  }
  return d;
}

absl::StatusOr<Manifest> ParseManifest(absl::string_view text) {
  auto parse = [&]() -> absl::StatusOr<Manifest> {
    ASSIGN_OR_RETURN(json j, json_util::Parse(text, "document"));
    RETURN_IF_ERROR(json_util::RequireObject(j, ""));
    Manifest m;
    RETURN_IF_ERROR(CheckSchemaVersion(j, &m.schema_version));
    RETURN_IF_ERROR(json_util::GetString(j, "mediaType", "", &m.media_type));
    if (!m.media_type.empty() && !media_types::IsManifest(m.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("field `mediaType`: `", m.media_type, "` is not an image manifest type"));
    }
    RETURN_IF_ERROR(json_util::GetString(j, "artifactType", "", &m.artifact_type));
    ASSIGN_OR_RETURN(const json* config, json_util::GetObject(j, "config", "", true));
    ASSIGN_OR_RETURN(m.config, ParseDescriptor(*config, "config"));
    ASSIGN_OR_RETURN(const json* layers, json_util::GetArray(j, "layers", "", true));
    for (size_t i = 0; i < layers->size(); ++i) {
      ASSIGN_OR_RETURN(Descriptor l, ParseDescriptor((*layers)[i], json_util::At("layers", i)));
      m.layers.push_back(std::move(l));
    }
    RETURN_IF_ERROR(json_util::GetStringMap(j, "annotations", "", &m.annotations));
    return m;
  };
  absl::StatusOr<Manifest> m = parse();
  if (!m.ok()) return Annotate(m.status(), "manifest");
  return m;
}

absl::StatusOr<Index> ParseIndex(absl::string_view text) {
  auto parse = [&]() -> absl::StatusOr<Index> {
    ASSIGN_OR_RETURN(json j, json_util::Parse(text, "document"));
    RETURN_IF_ERROR(json_util::RequireObject(j, ""));
    Index idx;
    RETURN_IF_ERROR(CheckSchemaVersion(j, &idx.schema_version));
    RETURN_IF_ERROR(json_util::GetString(j, "mediaType", "", &idx.media_type));
    if (!idx.media_type.empty() && !media_types::IsIndex(idx.media_type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("field `mediaType`: `", idx.media_type, "` is not an index type"));
    }
    ASSIGN_OR_RETURN(const json* ms, json_util::GetArray(j, "manifests", "", true));
    for (size_t i = 0; i < ms->size(); ++i) {
      ASSIGN_OR_RETURN(Descriptor d, ParseDescriptor((*ms)[i], json_util::At("manifests", i)));
      idx.manifests.push_back(std::move(d));
    }
    RETURN_IF_ERROR(json_util::GetStringMap(j, "annotations", "", &idx.annotations));
    return idx;
  };
  absl::StatusOr<Index> idx = parse();
  if (!idx.ok()) return Annotate(idx.status(), "index");
  return idx;
}

json ToJson(const Platform& p) {
  json j = {{"architecture", p.architecture}, {"os", p.os}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  return j;
}

json ToJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform.has_value()) j["platform"] = ToJson(*d.platform);
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j;
}

std::string ToJson(const Manifest& m) {
  json j = {{"schemaVersion", m.schema_version}, {"config", ToJson(m.config)}};
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  j["layers"] = json::array();
  for (const Descriptor& l : m.layers) j["layers"].push_back(ToJson(l));
  if (!m.annotations.empty()) j["annotations"] = m.annotations;
  return j.dump();
}

std::string ToJson(const Index& i) {
  json j = {{"schemaVersion", i.schema_version}};
  if (!i.media_type.empty()) j["mediaType"] = i.media_type;
  j["manifests"] = json::array();
  for (const Descriptor& d : i.manifests) j["manifests"].push_back(ToJson(d));
  if (!i.annotations.empty()) j["annotations"] = i.annotations;
  return j.dump();
}

absl::StatusOr<std::string> SniffManifestType(absl::string_view text) {
  ASSIGN_OR_RETURN(json j, json_util::Parse(text, "manifest"));
  if (!j.is_object()) return absl::InvalidArgumentError("manifest: want a JSON object");
  std::string mt;
  RETURN_IF_ERROR(Annotate(json_util::GetString(j, "mediaType", "", &mt), "manifest"));
  if (!mt.empty()) return mt;
  if (j.contains("manifests")) return std::string(media_types::kOciIndex);
  if (j.contains("config")) return std::string(media_types::kOciManifest);
  return absl::InvalidArgumentError(
      "manifest: no mediaType, and neither `manifests` nor `config`: not an image manifest");
}

}  // namespace skiff::manager
