#pragma once
// docker's jsonmessage display of a pull/push progress stream.
//
// On a terminal each id (a layer's short digest) owns one line, redrawn in
// place with ANSI cursor movement ("\x1b[<n>A", erase "\x1b[2K", "\x1b[<n>B")
// as updates arrive: "a46fbb00284b: Downloading [=====>    ]  1.2MB/3.4MB".
// Elsewhere (a pipe, a file) nothing is redrawn: one plain line per change of
// an id's status, never a bar, so logs stay readable.
// Updates without an id are whole-operation messages: printed on a line of
// their own, after which the next id starts a new block of lines (as docker).
//
//   ProgressRenderer r(std::cout, /*terminal=*/true, /*width=*/120);
//   for (const v1::Progress& p : stream) r.Update(p);

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "proto/skiff/v1/types.pb.h"

namespace skiff::cli {

// jsonmessage.JSONProgress.String(): "" without numbers, the size alone
// without a total, else "[===>   ] " (only when `width` > 110, as docker) and
// "current/total" in go-units sizes, the current right-aligned to 8.
std::string ProgressBar(int64_t current, int64_t total, int width);

class ProgressRenderer {
 public:
  // `width`: the terminal's columns (docker assumes 200 when unknown).
  ProgressRenderer(std::ostream& out, bool terminal, int width = 200);

  void Update(const skiff::v1::Progress& p);

 private:
  std::ostream& out_;
  bool terminal_;
  int width_;
  // Terminal: the line index of each id in the current block.
  std::map<std::string, int> lines_;
  // Plain: the status last printed for each id.
  std::map<std::string, std::string> last_status_;
};

}  // namespace skiff::cli
