#include "cli/format/tabwriter.h"

#include <algorithm>

#include "cli/format/utf8.h"

namespace skiff::cli {
namespace {

using Line = std::vector<std::string>;

size_t Width(const std::string& s) { return utf8::RuneCount(s); }

// Go's tabwriter format(): a column exists in a line when the line has a
// tab-terminated cell there; each block of consecutive lines sharing a
// column gets one width, and the columns right of it are laid out
// recursively within that block.
class Formatter {
 public:
  Formatter(const std::vector<Line>& lines, int min_width, int padding)
      : lines_(lines), min_width_(min_width), padding_(padding) {}

  std::string Run() {
    Format(0, lines_.size());
    return std::move(out_);
  }

 private:
  void Format(size_t line0, size_t line1) {
    size_t column = widths_.size();
    for (size_t i = line0; i < line1; ++i) {
      if (column + 1 >= lines_[i].size()) continue;
      WriteLines(line0, i);
      line0 = i;
      size_t width = std::max(min_width_, 0);
      for (; i < line1; ++i) {
        if (column + 1 >= lines_[i].size()) break;
        width = std::max(width, Width(lines_[i][column]) + std::max(padding_, 0));
      }
      widths_.push_back(width);
      Format(line0, i);
      widths_.pop_back();
      line0 = i;
      if (i == line1) break;
    }
    WriteLines(line0, line1);
  }

  void WriteLines(size_t line0, size_t line1) {
    for (size_t i = line0; i < line1; ++i) {
      const Line& line = lines_[i];
      for (size_t j = 0; j < line.size(); ++j) {
        out_ += line[j];
        if (j < widths_.size()) out_.append(widths_[j] - std::min(widths_[j], Width(line[j])), ' ');
      }
      if (i + 1 < lines_.size()) out_ += '\n';
    }
  }

  const std::vector<Line>& lines_;
  int min_width_, padding_;
  std::vector<size_t> widths_;
  std::string out_;
};

}  // namespace

void TabWriter::Write(absl::string_view text) { pending_.append(text.data(), text.size()); }

std::string TabWriter::Flush() {
  // Lines and their cells; the text after the last '\n' is a final line
  // without a newline (empty when the text ends with '\n').
  std::vector<Line> lines(1);
  std::string cell;
  for (char c : pending_) {
    if (c == '\t') {
      lines.back().push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n') {
      lines.back().push_back(std::move(cell));
      cell.clear();
      lines.emplace_back();
    } else {
      cell += c;
    }
  }
  if (!cell.empty() || !lines.back().empty()) lines.back().push_back(std::move(cell));
  pending_.clear();
  return Formatter(lines, min_width_, padding_).Run();
}

}  // namespace skiff::cli
