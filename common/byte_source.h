#pragma once
// A pull-style stream of bytes: each call fills up to `n` bytes of `buf` and
// returns how many; 0 means the end. An error ends the stream.
//
// Used where one reader consumes data whose producer is not a plain fd: a
// blob still arriving from a registry (manager/content/growing_blob.h), read
// by the layer unpacker while it is written.

#include <cstddef>
#include <functional>

#include "absl/status/statusor.h"

namespace skiff {

using ByteSource = std::function<absl::StatusOr<size_t>(char* buf, size_t n)>;

// Reads `fd` from its current offset; does not own it.
ByteSource FdSource(int fd);

}  // namespace skiff
