#pragma once
// Executes a parsed template over JSON data with Go's text/template
// semantics. Internal to //cli/format.
//
// Where JSON cannot carry Go's types, the executor treats a null as a nil
// map or slice: a field of null is null (printed "<no value>"), len(null)
// is 0 and ranging over null runs the {{else}} branch.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/format/template_parse.h"
#include "nlohmann/json.hpp"

namespace skiff::cli::tmpl {

// Appends the output to *out; on error *out holds what was written before
// it. Errors are InvalidArgument in Go's form:
// `template: :1:7: executing "" at <.Name.X>: can't evaluate field X in type string`.
// `src` is the parsed text, for line:column positions.
absl::Status Execute(const std::vector<std::unique_ptr<Node>>& tree, absl::string_view src,
                     const nlohmann::json& data, std::string* out);

// Renders the tree as docker renders a table header: every field evaluates
// to its column title (`headers[name]`, else HeaderName(name)) and docker's
// string functions return their first argument.
absl::Status ExecuteHeader(const std::vector<std::unique_ptr<Node>>& tree, absl::string_view src,
                           const std::map<std::string, std::string>& headers, std::string* out);

// "CreatedAt" -> "CREATED AT", "ID" -> "ID", "ContainerID" -> "CONTAINER ID",
// "size_rw" -> "SIZE RW".
std::string HeaderName(absl::string_view field);

}  // namespace skiff::cli::tmpl
