#pragma once
// Docker's --format: Go text/template syntax evaluated over JSON data.
//
// Supported: text and {{actions}}; {{.Field}}, {{.A.B}}, {{.}}; {{json .X}};
// {{range .List}}...{{end}}, {{range $i, $e := .List}}, {{if X}}...{{else}}...
// {{end}}, {{with X}}; pipelines (`.X | upper`); functions json, join, split,
// upper, lower, title, printf, index, len, truncate, pad, println, table
// keyword handling (see IsTable); {{- and -}} trim markers; variables $ and
// $name; comparison eq/ne/lt/le/gt/ge, and/or/not. Field lookup on an object is
// by exact key, else case-insensitive.
//
// Errors are InvalidArgument with docker's shape: `template: :1:8: executing
// "" at <.Nope>: map has no entry for key "Nope"` is not required verbatim,
// but the message names the position and the offending token.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace skiff::cli {

class Template {
 public:
  // "table" and "table <tmpl>" are docker's table forms: IsTable() is true
  // and the template is what follows (or `default_table` for a bare
  // "table"). "json" is docker's shorthand for "{{json .}}".
  static absl::StatusOr<Template> Parse(absl::string_view text,
                                        absl::string_view default_table = "");

  bool IsTable() const;
  // The header row of a table template: each {{.Field}} action becomes the
  // docker column header (ID -> "CONTAINER ID" for ps is the caller's map;
  // here: field names upper-cased, with CamelCase split by spaces:
  // CreatedAt -> "CREATED AT"). `headers` overrides by field name.
  std::string Header(const std::map<std::string, std::string>& headers = {}) const;

  absl::StatusOr<std::string> Execute(const nlohmann::json& data) const;

  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

 private:
  struct Impl;
  explicit Template(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::cli
