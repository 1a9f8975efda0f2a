#pragma once
// Docker's --format: Go text/template syntax evaluated over JSON data.
//
// Supported: text and {{actions}}; {{.Field}}, {{.A.B}}, {{.}}, {{$}};
// {{if}}/{{else if}}/{{else}}, {{with}}/{{else with}}, {{range .List}},
// {{range $i, $e := .List}} (objects iterate in key order, an integer N
// counts 0..N-1), {{break}}, {{continue}}, {{else}} of an empty range;
// variables ($x := ..., $x = ...); pipelines (`.X | upper`), parenthesized
// pipelines; comments {{/* */}}; {{- and -}} trim markers. Functions: Go's
// and or not eq ne lt le gt ge index slice len print printf println, and
// docker's json split join title lower upper pad truncate. Not supported:
// define, template, block.
//
// Values print as Go prints them: strings raw, 3, 0.5, 1e+06, true,
// map[k:v k2:v2], [a b c]; null and a missing key print "<no value>".
// Field lookup on an object is by exact key, else case-insensitive; a field
// of null is null (JSON null stands for Go's nil maps and slices).
//
// Docker's CLI preprocessing happens in Parse: a leading "table" (IsTable),
// "json" as "{{json .}}", surrounding spaces trimmed, and a literally typed
// `\t` or `\n` in the text outside actions becomes a tab or newline.
//
// Errors are InvalidArgument with Go's and docker's wording, naming the
// line (and for execution the column) and the offending token:
//   template parsing error: template: :1: unclosed action
//   template parsing error: template: :1: function "foo" not defined
//   template: :1:7: executing "" at <.Name.X>: can't evaluate field X in type string
//
//   ASSIGN_OR_RETURN(Template t, Template::Parse(format, kDefaultPsTable));
//   if (t.IsTable()) tw.Write(t.Header({{"ID", "CONTAINER ID"}}) + "\n");
//   for (const nlohmann::json& row : rows) {
//     ASSIGN_OR_RETURN(std::string line, t.Execute(row));
//     tw.Write(line + "\n");
//   }

#include <map>
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
  // CreatedAt -> "CREATED AT"). `headers` overrides by field name. As in
  // docker, json/split/join/title/lower/upper/pad/truncate leave the header
  // text as is, and a header that fails to render stops where it failed.
  std::string Header(const std::map<std::string, std::string>& headers = {}) const;

  // Renders one value (a row, or the whole object for inspect-like output).
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
