#pragma once
// The functions a --format template can call: Go's text/template builtins
// (index slice len not eq ne lt le gt ge print printf println; and/or are
// evaluated lazily by the executor) and docker's (json split join title
// lower upper pad truncate). Internal to //cli/format.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace skiff::cli::tmpl {

struct Builtin {
  const char* name;
  // One letter per parameter, checked by the executor before the call as
  // Go checks a function's parameter types: 's' string, 'i' int, 'l' list
  // ([]string), 'a' any; a final '*' accepts any number of further 'a'.
  const char* params;
  // Null for and/or, which the executor short-circuits. Errors are the
  // message after "error calling <name>: ".
  absl::StatusOr<nlohmann::json> (*fn)(const std::vector<nlohmann::json>& args);
};

// The builtin named `name`; with `header` docker's HeaderFunctions replace
// json/split/join/title/lower/upper/pad/truncate by the identity on their
// first argument, so a table header shows the column names unchanged.
const Builtin* FindBuiltin(absl::string_view name, bool header = false);
bool IsKnownFunction(absl::string_view name);

// Go's truth: false, 0, "", null and empty arrays/objects are false.
bool Truth(const nlohmann::json& v);

}  // namespace skiff::cli::tmpl
