#pragma once
// Go's text/tabwriter with padchar ' ' and no flags, as docker uses it for
// tables. Every cell terminated by '\t' is padded to
// max(min_width, widest cell of its column block + padding); the text after
// the last tab of a line is not padded. A column block is a run of
// consecutive lines that have that column: a line with fewer cells ends it.
// Widths count UTF-8 characters, not bytes.
//
// docker's formatter.Context (ps, images, volume ls, network ls, ...) uses
// NewWriter(out, 10, 1, 3, ' ', 0): pass min_width = 10 for those to match
// `docker ps` byte for byte ("CONTAINER ID   IMAGE     COMMAND ...").
// The default min_width is 20.
//
//   TabWriter tw(/*min_width=*/10);
//   tw.Write("CONTAINER ID\tIMAGE\tNAMES\n");
//   tw.Write("abc123\tnginx\tweb\n");
//   std::cout << tw.Flush();

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace skiff::cli {

class TabWriter {
 public:
  explicit TabWriter(int min_width = 20, int padding = 3) : min_width_(min_width), padding_(padding) {}
  // Appends text; lines end at '\n'. Nothing is aligned until Flush.
  void Write(absl::string_view text);
  // The aligned text of everything written since the last Flush (a final
  // line without '\n' is emitted without one); the writer is then empty.
  std::string Flush();

 private:
  int min_width_, padding_;
  std::string pending_;
};

}  // namespace skiff::cli
