#pragma once
// Go's text/tabwriter as docker configures it for tables
// (minwidth 20, tabwidth 1, padding 3, padchar ' '): cells separated by
// '\t', each column padded to its widest cell, the last cell of a line not
// padded. Widths count UTF-8 characters, not bytes.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace skiff::cli {

class TabWriter {
 public:
  explicit TabWriter(int min_width = 20, int padding = 3) : min_width_(min_width), padding_(padding) {}
  // Appends text; lines end at '\n'.
  void Write(absl::string_view text);
  // The aligned text of everything written.
  std::string Flush();

 private:
  int min_width_, padding_;
  std::string pending_;
};

}  // namespace skiff::cli
