#pragma once
// Reading typed fields out of nlohmann::json without exceptions, with errors
// that name the field by its path in the document (`layers[2].digest`).
// Internal to manager/images.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "manager/content/digest.h"

namespace skiff::manager::json_util {

using nlohmann::json;

// Parses `text`; the error says what `what` is (e.g. "manifest sha256:...").
absl::StatusOr<json> Parse(absl::string_view text, absl::string_view what);

// "<path>.<key>", or "<key>" at the top.
std::string Join(absl::string_view path, absl::string_view key);
// "<path>[i]".
std::string At(absl::string_view path, size_t i);

// Each Get* reads obj[key] into *out. A missing key (or JSON null) leaves
// *out unchanged and is an error only when `required`; a value of the wrong
// type is always an error naming `<path>.<key>`, what was wanted and what
// was found. `obj` must be an object (check with RequireObject first).
absl::Status GetString(const json& obj, absl::string_view key, absl::string_view path,
                       std::string* out, bool required = false);
absl::Status GetInt64(const json& obj, absl::string_view key, absl::string_view path,
                      int64_t* out, bool required = false);
absl::Status GetBool(const json& obj, absl::string_view key, absl::string_view path, bool* out);
absl::Status GetDigest(const json& obj, absl::string_view key, absl::string_view path,
                       Digest* out, bool required = false);
absl::Status GetStringList(const json& obj, absl::string_view key, absl::string_view path,
                           std::vector<std::string>* out);
absl::Status GetStringMap(const json& obj, absl::string_view key, absl::string_view path,
                          std::map<std::string, std::string>* out);
// The keys of an object whose values are ignored ({"80/tcp": {}} sets).
absl::Status GetKeySet(const json& obj, absl::string_view key, absl::string_view path,
                       std::vector<std::string>* out);

// An error unless `v` is an object; `path` names it ("" for the document).
absl::Status RequireObject(const json& v, absl::string_view path);
// Finds obj[key] as an array (nullptr when absent or null).
absl::StatusOr<const json*> GetArray(const json& obj, absl::string_view key,
                                     absl::string_view path, bool required = false);
// Finds obj[key] as an object (nullptr when absent or null).
absl::StatusOr<const json*> GetObject(const json& obj, absl::string_view key,
                                      absl::string_view path, bool required = false);

}  // namespace skiff::manager::json_util
