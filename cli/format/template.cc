#include "cli/format/template.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/format/template_exec.h"
#include "cli/format/template_parse.h"

namespace skiff::cli {

struct Template::Impl {
  bool is_table = false;
  std::string source;
  std::vector<std::unique_ptr<tmpl::Node>> tree;
};

namespace {

constexpr absl::string_view kTableKey = "table";

// docker's formatter trims only spaces, not tabs or newlines.
absl::string_view TrimSpaces(absl::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusOr<Template> Template::Parse(absl::string_view text, absl::string_view default_table) {
  auto impl = std::make_unique<Impl>();
  if (absl::StartsWith(text, kTableKey)) {
    impl->is_table = true;
    absl::string_view rest = TrimSpaces(text.substr(kTableKey.size()));
    if (rest.empty()) {
      rest = TrimSpaces(default_table);
      if (absl::StartsWith(rest, kTableKey)) rest = TrimSpaces(rest.substr(kTableKey.size()));
    }
    impl->source = std::string(rest);
  } else if (text == "json") {
    impl->source = "{{json .}}";
  } else {
    impl->source = std::string(TrimSpaces(text));
  }
  auto tree = tmpl::Parse(impl->source);
  if (!tree.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("template parsing error: ", tree.status().message()));
  }
  impl->tree = std::move(*tree);
  return Template(std::move(impl));
}

bool Template::IsTable() const { return impl_->is_table; }

std::string Template::Header(const std::map<std::string, std::string>& headers) const {
  // Like docker, a header that fails to render half-way is printed as far
  // as it got: the rows will report the error.
  std::string out;
  (void)tmpl::ExecuteHeader(impl_->tree, impl_->source, headers, &out);
  return out;
}

absl::StatusOr<std::string> Template::Execute(const nlohmann::json& data) const {
  std::string out;
  absl::Status s = tmpl::Execute(impl_->tree, impl_->source, data, &out);
  if (!s.ok()) return s;
  return out;
}

Template::Template(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

}  // namespace skiff::cli
