#include "cli/render/rows.h"

#include "absl/strings/str_cat.h"
#include "cli/format/tabwriter.h"
#include "cli/format/template.h"
#include "common/status.h"

namespace skiff::cli {
namespace {

std::string ChompNewlines(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

absl::StatusOr<std::string> RenderRows(const std::string& format, const std::string& default_table,
                                       const std::map<std::string, std::string>& headers,
                                       const std::vector<nlohmann::json>& rows) {
  const std::string text = format.empty() ? "table " + default_table : format;
  ASSIGN_OR_RETURN(Template tmpl, Template::Parse(text, default_table));
  std::string out;
  if (tmpl.IsTable()) {
    // docker's formatter: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0).
    TabWriter tw(/*min_width=*/10, /*padding=*/3);
    tw.Write(ChompNewlines(tmpl.Header(headers)) + "\n");
    for (const nlohmann::json& row : rows) {
      ASSIGN_OR_RETURN(std::string line, tmpl.Execute(row));
      tw.Write(line + "\n");
    }
    return tw.Flush();
  }
  for (const nlohmann::json& row : rows) {
    ASSIGN_OR_RETURN(std::string line, tmpl.Execute(row));
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

absl::StatusOr<std::string> RenderOne(const std::string& format, const nlohmann::json& data) {
  ASSIGN_OR_RETURN(Template tmpl, Template::Parse(format));
  ASSIGN_OR_RETURN(std::string text, tmpl.Execute(data));
  return text + "\n";
}

}  // namespace skiff::cli
