#pragma once
// Container names: docker's rule for user-given names and its
// adjective_surname generator for the rest.

#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace skiff::manager {

// [a-zA-Z0-9][a-zA-Z0-9_.-]* (a leading "/" is accepted and dropped by the
// caller).
bool ValidContainerName(absl::string_view name);

// "eager_turing", retried against `taken`; after a few collisions a digit
// is appended, as docker does.
std::string GenerateContainerName(const std::function<bool(const std::string&)>& taken);

}  // namespace skiff::manager
