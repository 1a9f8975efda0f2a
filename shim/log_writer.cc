#include "shim/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "shim/diag.h"
#include "shim/rfc3339.h"

namespace skiff::shim {
namespace {

constexpr absl::string_view kStreamName[2] = {"stdout", "stderr"};

absl::StatusOr<UniqueFd> OpenLog(const std::string& path, int extra_flags) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | extra_flags, 0640));
  if (!fd) return Errno("open log", path);
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LogWriter>> LogWriter::Open(const LogOptions& opts) {
  if (opts.path.empty()) return absl::InvalidArgumentError("log path is empty");
  if (opts.max_size > 0 && opts.max_files < 2)
    return absl::InvalidArgumentError(
        "log max files must be at least 2 (the current file and one rotated)");
  ASSIGN_OR_RETURN(UniqueFd fd, OpenLog(opts.path, 0));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno("stat log", opts.path);
  return std::unique_ptr<LogWriter>(new LogWriter(opts, std::move(fd), st.st_size));
}

void LogWriter::SetError(const absl::Status& st) {
  if (error_.ok()) {
    error_ = st;
    DiagError(st.message());
  }
}

void LogWriter::AddRecord(LogStream s, bool partial, absl::string_view content) {
  if (stamp_.empty()) AppendRfc3339Nano(&stamp_, clock_ ? clock_() : RealtimeNow());
  absl::string_view name = kStreamName[static_cast<int>(s)];
  size_t len = stamp_.size() + 1 + name.size() + 3 + content.size() + 1;
  if (opts_.max_size > 0 && size_ + out_.size() > 0 && size_ + out_.size() + len > opts_.max_size) {
    Commit();
    Rotate();
  }
  out_.append(stamp_);
  out_.push_back(' ');
  out_.append(name.data(), name.size());
  out_.append(partial ? " P " : " F ");
  out_.append(content.data(), content.size());
  out_.push_back('\n');
}

void LogWriter::Commit() {
  absl::string_view data = out_;
  while (!data.empty()) {
    ssize_t n = write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      SetError(Errno("write log", opts_.path));
      break;
    }
    data.remove_prefix(n);
  }
  size_ += out_.size() - data.size();
  out_.clear();
}

void LogWriter::Rotate() {
  for (int i = opts_.max_files - 1; i >= 1; i--) {
    std::string from = i == 1 ? opts_.path : absl::StrCat(opts_.path, ".", i - 1);
    std::string to = absl::StrCat(opts_.path, ".", i);
    if (rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      SetError(Errno(absl::StrCat("rotate log: rename `", from, "` to"), to));
      return;  // keep writing to the current file
    }
  }
  auto fd = OpenLog(opts_.path, O_TRUNC);
  if (!fd.ok()) {
    SetError(fd.status());
    return;  // the old fd (now PATH.1) stays in use
  }
  fd_ = std::move(*fd);
  size_ = 0;
}

absl::Status LogWriter::Reopen() {
  if (!out_.empty()) Commit();
  ASSIGN_OR_RETURN(UniqueFd fd, OpenLog(opts_.path, 0));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno("stat log", opts_.path);
  fd_ = std::move(fd);
  size_ = st.st_size;
  return absl::OkStatus();
}

void LogWriter::Write(LogStream s, absl::string_view data) {
  std::string& pend = pending_[static_cast<int>(s)];
  stamp_.clear();
  while (!data.empty()) {
    // memchr, not string_view::find: Debian's absl has find() out of line,
    // and every page the output path touches stays mapped (memory.h).
    const void* hit = memchr(data.data(), '\n', data.size());
    size_t nl = hit ? static_cast<const char*>(hit) - data.data() : absl::string_view::npos;
    size_t line_len = nl == absl::string_view::npos ? data.size() : nl;
    if (pend.size() + line_len >= kMaxLineBytes &&
        !(nl != absl::string_view::npos && pend.size() + line_len == kMaxLineBytes)) {
      // Too long for one record: cut at kMaxLineBytes.
      size_t take = kMaxLineBytes - pend.size();
      if (pend.empty()) {
        AddRecord(s, true, data.substr(0, take));
      } else {
        pend.append(data.data(), take);
        AddRecord(s, true, pend);
        pend.clear();
      }
      data.remove_prefix(take);
      continue;
    }
    if (nl == absl::string_view::npos) {
      pend.append(data.data(), data.size());
      break;
    }
    if (pend.empty()) {
      AddRecord(s, false, data.substr(0, nl));
    } else {
      pend.append(data.data(), nl);
      AddRecord(s, false, pend);
      pend.clear();
    }
    data.remove_prefix(nl + 1);
  }
  if (pend.empty() && pend.capacity() > kMaxLineBytes) pend.shrink_to_fit();
  if (!out_.empty()) Commit();
}

void LogWriter::Flush(LogStream s) {
  std::string& pend = pending_[static_cast<int>(s)];
  if (pend.empty()) return;
  stamp_.clear();
  AddRecord(s, true, pend);
  pend.clear();
  pend.shrink_to_fit();
  Commit();
}

}  // namespace skiff::shim
