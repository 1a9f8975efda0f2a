#include "manager/images/json_util.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace skiff::manager::json_util {

namespace {

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    default: return "an unknown value";
  }
}

absl::Status Wrong(absl::string_view field, absl::string_view want, const json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("field `", field, "`: want ", want, ", got ", TypeName(got)));
}

absl::Status Missing(absl::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("field `", field, "` is required"));
}

// The value at obj[key], or nullptr when absent or null.
const json* Find(const json& obj, absl::string_view key) {
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

absl::StatusOr<json> Parse(absl::string_view text, absl::string_view what) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not valid JSON"));
  }
  return j;
}

std::string Join(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string At(absl::string_view path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

absl::Status RequireObject(const json& v, absl::string_view path) {
  if (v.is_object()) return absl::OkStatus();
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("want a JSON object, got ", TypeName(v)));
  }
  return Wrong(path, "an object", v);
}

absl::Status GetString(const json& obj, absl::string_view key, absl::string_view path,
                       std::string* out, bool required) {
  const json* v = Find(obj, key);
  if (v == nullptr) return required ? Missing(Join(path, key)) : absl::OkStatus();
  if (!v->is_string()) return Wrong(Join(path, key), "a string", *v);
  *out = v->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetInt64(const json& obj, absl::string_view key, absl::string_view path,
                      int64_t* out, bool required) {
  const json* v = Find(obj, key);
  if (v == nullptr) return required ? Missing(Join(path, key)) : absl::OkStatus();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return Wrong(Join(path, key), "an int64", *v);
    *out = static_cast<int64_t>(u);
    return absl::OkStatus();
  }
  if (!v->is_number_integer()) return Wrong(Join(path, key), "an integer", *v);
  *out = v->get<int64_t>();
  return absl::OkStatus();
}

absl::Status GetBool(const json& obj, absl::string_view key, absl::string_view path, bool* out) {
  const json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_boolean()) return Wrong(Join(path, key), "a boolean", *v);
  *out = v->get<bool>();
  return absl::OkStatus();
}

absl::Status GetDigest(const json& obj, absl::string_view key, absl::string_view path,
                       Digest* out, bool required) {
  std::string s;
  RETURN_IF_ERROR(GetString(obj, key, path, &s, required));
  if (s.empty()) {
    return required ? Missing(Join(path, key)) : absl::OkStatus();
  }
  absl::StatusOr<Digest> d = Digest::Parse(s);
  if (!d.ok()) return Annotate(d.status(), absl::StrCat("field `", Join(path, key), "`"));
  *out = *std::move(d);
  return absl::OkStatus();
}

absl::Status GetStringList(const json& obj, absl::string_view key, absl::string_view path,
                           std::vector<std::string>* out) {
  const json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  std::string field = Join(path, key);
  if (!v->is_array()) return Wrong(field, "an array of strings", *v);
  out->clear();
  for (size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    if (!e.is_string()) return Wrong(At(field, i), "a string", e);
    out->push_back(e.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status GetStringMap(const json& obj, absl::string_view key, absl::string_view path,
                          std::map<std::string, std::string>* out) {
  const json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  std::string field = Join(path, key);
  if (!v->is_object()) return Wrong(field, "an object of strings", *v);
  out->clear();
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) {
      return Wrong(absl::StrCat(field, "[\"", it.key(), "\"]"), "a string", it.value());
    }
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return absl::OkStatus();
}

absl::Status GetKeySet(const json& obj, absl::string_view key, absl::string_view path,
                       std::vector<std::string>* out) {
  const json* v = Find(obj, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_object()) return Wrong(Join(path, key), "an object", *v);
  out->clear();
  for (auto it = v->begin(); it != v->end(); ++it) out->push_back(it.key());
  return absl::OkStatus();
}

absl::StatusOr<const json*> GetArray(const json& obj, absl::string_view key,
                                     absl::string_view path, bool required) {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    if (required) return Missing(Join(path, key));
    return nullptr;
  }
  if (!v->is_array()) return Wrong(Join(path, key), "an array", *v);
  return v;
}

absl::StatusOr<const json*> GetObject(const json& obj, absl::string_view key,
                                      absl::string_view path, bool required) {
  const json* v = Find(obj, key);
  if (v == nullptr) {
    if (required) return Missing(Join(path, key));
    return nullptr;
  }
  if (!v->is_object()) return Wrong(Join(path, key), "an object", *v);
  return v;
}

}  // namespace skiff::manager::json_util
