#pragma once
// How docker's list commands print rows with --format: an empty format is the
// command's default table; a "table ..." template prints a header line and
// aligns columns (TabWriter); any other template prints one line per row.
//
//   absl::StatusOr<std::string> text = RenderRows(
//       format, "{{.Repository}}\t{{.Tag}}", {{"Repository", "REPOSITORY"}}, rows);

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace skiff::cli {

// `default_table` is the body of the default table, without "table ".
// InvalidArgument for a template that does not parse or fails on a row.
absl::StatusOr<std::string> RenderRows(const std::string& format, const std::string& default_table,
                                       const std::map<std::string, std::string>& headers,
                                       const std::vector<nlohmann::json>& rows);

// One value with a non-table template (inspect, info, version --format):
// the template's output plus a newline.
absl::StatusOr<std::string> RenderOne(const std::string& format, const nlohmann::json& data);

}  // namespace skiff::cli
