#pragma once
// How Go's fmt and encoding/json print values, for JSON data: the printing
// half of docker's --format. Internal to //cli/format.
//
// JSON values stand for the Go values docker formats: strings, integers
// (int64/uint64), float64, bool, null (a nil interface), objects
// (map[string]interface{}, keys in byte order as fmt sorts them) and arrays
// ([]interface{}).
//
// One leniency, because a JSON number without a fraction may stand for a Go
// float: the float verbs (%e %f %g) accept integers. Floats given to
// integer verbs print as Go does: "%!d(float64=1.5)".

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace skiff::cli::gofmt {

// fmt.Sprint(v) of one value: "abc", "42", "1.5", "1e+06", "true",
// "<nil>", "map[a:1 b:x]", "[a b c]".
std::string Sprint(const nlohmann::json& v);
// fmt.Sprint(a...) (spaces only between operands when neither is a string).
std::string SprintArgs(const std::vector<nlohmann::json>& args);
// fmt.Sprintln(a...): spaces between all operands, newline at the end.
std::string Sprintln(const std::vector<nlohmann::json>& args);
// fmt.Sprintf. Verbs: v s q d x X o b c t e E f F g G T and %%, flags
// "-+# 0", width and precision (digits or '*'). Misuse prints as Go does:
// "%!d(string=x)", "%!s(MISSING)", "%!(EXTRA int=1)".
std::string Sprintf(absl::string_view format, const std::vector<nlohmann::json>& args);

// encoding/json with SetEscapeHTML(false), as docker's `json` function:
// compact, keys sorted, floats as Go prints them (1e+21, 1e-7, 100).
std::string Json(const nlohmann::json& v);

// strconv.Quote: "\"a\\tb\"".
std::string Quote(absl::string_view s);

// Go's type name for a value: string, int, float64, bool, <nil>,
// map[string]interface {}, []interface {}.
std::string TypeName(const nlohmann::json& v);

// strconv.FormatFloat(f, 'g', -1, 64) as %v prints it: "1.5", "100",
// "1e+06", "1e-05".
std::string FormatFloatShortest(double f);

}  // namespace skiff::cli::gofmt
