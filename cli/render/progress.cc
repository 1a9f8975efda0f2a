#include "cli/render/progress.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "cli/format/units.h"

namespace skiff::cli {

std::string ProgressBar(int64_t current, int64_t total, int width) {
  if (current <= 0 && total <= 0) return "";
  char buf[64];
  if (total <= 0) {
    snprintf(buf, sizeof buf, "%8s", HumanSize(current).c_str());
    return buf;
  }
  std::string bar;
  if (width > 110) {
    int filled =
        static_cast<int>(static_cast<double>(current) / static_cast<double>(total) * 100) / 2;
    filled = std::clamp(filled, 0, 50);
    bar = absl::StrCat("[", std::string(filled, '='), ">", std::string(50 - filled, ' '), "] ");
  }
  if (current > total) return bar;
  snprintf(buf, sizeof buf, "%8s/%s", HumanSize(current).c_str(), HumanSize(total).c_str());
  return bar + buf;
}

ProgressRenderer::ProgressRenderer(std::ostream& out, bool terminal, int width)
    : out_(out), terminal_(terminal), width_(width) {}

void ProgressRenderer::Update(const skiff::v1::Progress& p) {
  const std::string& status = p.error().empty() ? p.status() : p.error();
  if (!terminal_) {
    if (p.id().empty()) {
      out_ << status << "\n";
    } else {
      auto [it, fresh] = last_status_.emplace(p.id(), status);
      if (!fresh && it->second == status) return;
      it->second = status;
      out_ << p.id() << ": " << status << "\n";
    }
    out_.flush();
    return;
  }
  if (p.id().empty()) {
    lines_.clear();
    out_ << "\x1b[2K\r" << status << "\n";
    out_.flush();
    return;
  }
  auto it = lines_.find(p.id());
  if (it == lines_.end()) {
    // A new id gets a new line below the block; the cursor stays on the
    // (empty) line after the block between updates.
    it = lines_.emplace(p.id(), static_cast<int>(lines_.size())).first;
    out_ << "\n";
  }
  int up = static_cast<int>(lines_.size()) - it->second;
  std::string bar = ProgressBar(p.current(), p.total(), width_);
  out_ << "\x1b[" << up << "A\x1b[2K\r" << p.id() << ": " << status;
  if (!bar.empty()) out_ << " " << bar;
  out_ << "\r\x1b[" << up << "B";
  out_.flush();
}

}  // namespace skiff::cli
