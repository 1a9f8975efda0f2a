#pragma once
// skiffd's metadata schema, as the ordered list of its migrations (see
// migrations.h). Append to the list; never edit a released entry.

#include "absl/types/span.h"
#include "manager/metadata/migrations.h"

namespace skiff::manager {

absl::Span<const Migration> SchemaMigrations();

}  // namespace skiff::manager
