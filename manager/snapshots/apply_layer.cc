#include "manager/snapshots/apply_layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <dirent.h>

#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/fsutil/fsutil.h"
#include "manager/images/compression.h"

namespace skiff::manager {

namespace {

constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr absl::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr char kOverlayOpaqueXattr[] = "trusted.overlay.opaque";

int OpenAt2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve) {
  struct open_how how = {};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

using Components = std::vector<std::string>;

std::string JoinN(const Components& c, size_t n) {
  return absl::StrJoin(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n), "/");
}

// The layer's bytes, decompressed and hashed on their way to libarchive's
// tar reader.
struct Source {
  Decompressor* dec;
  Sha256 hash;
  std::string buf = std::string(1 << 17, '\0');
  absl::Status error;
};

la_ssize_t ReadCallback(struct archive* a, void* client, const void** out) {
  Source* s = static_cast<Source*>(client);
  absl::StatusOr<size_t> n = s->dec->Read(s->buf.data(), s->buf.size());
  if (!n.ok()) {
    s->error = n.status();
    archive_set_error(a, EIO, "%s", std::string(n.status().message()).c_str());
    return -1;
  }
  s->hash.Update(s->buf.data(), *n);
  *out = s->buf.data();
  return static_cast<la_ssize_t>(*n);
}

const char* PathOf(const char* mbs, const char* utf8) { return mbs != nullptr ? mbs : utf8; }

class Applier {
 public:
  Applier(std::string target, const ApplyOptions& opts)
      : target_(std::move(target)),
        opts_(opts),
        same_owner_(opts.same_owner.value_or(geteuid() == 0)) {}

  absl::Status Init() {
    root_.reset(open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_) return Errno("open layer target", target_);
    for (const std::string& l : opts_.lower_dirs) {
      UniqueFd fd(open(l.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd) return Errno("open lower layer", l);
      lowers_.push_back(std::move(fd));
    }
    return absl::OkStatus();
  }

  absl::Status Entry(struct archive* a, struct archive_entry* e);
  void FixDirTimes();
  ApplyResult& result() { return result_; }

 private:
  absl::Status Reject(const std::string& entry, absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("layer entry `", entry, "`: ", why));
  }

  // Splits a tar path into clean components; rejects absolute paths and
  // `..`. `what` is "" for the entry itself, or "hardlink target `x`: ".
  absl::StatusOr<Components> Split(const std::string& entry, const char* raw, absl::string_view what) {
    if (raw == nullptr) return Reject(entry, absl::StrCat(what, "unreadable path name"));
    absl::string_view p(raw);
    if (absl::StartsWith(p, "/")) {
      return Reject(entry, absl::StrCat(what, "absolute path; refusing to write outside the layer's root"));
    }
    Components out;
    for (absl::string_view c : absl::StrSplit(p, '/', absl::SkipEmpty())) {
      if (c == ".") continue;
      if (c == "..") {
        return Reject(entry, absl::StrCat(what, "`..` component; refusing to write outside the layer's root"));
      }
      out.emplace_back(c);
    }
    return out;
  }

  // What a lower layer has at `rel`: nullopt when nothing (or a whiteout).
  absl::StatusOr<std::optional<struct stat>> Lower(const std::string& rel) {
    for (const UniqueFd& l : lowers_) {
      UniqueFd fd(OpenAt2(l.get(), rel, O_PATH | O_NOFOLLOW | O_CLOEXEC, kBeneath));
      if (!fd) continue;
      struct stat st;
      if (fstat(fd.get(), &st) != 0) return Errno("stat lower layer path", rel);
      if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) return std::nullopt;
      return std::optional<struct stat>(st);
    }
    return std::nullopt;
  }

  // The directory comps[0..n) below the root, created when missing. Never
  // follows a symlink.
  absl::StatusOr<UniqueFd> OpenDir(const Components& comps, size_t n, bool create,
                                   const std::string& entry) {
    if (n == 0) {
      int fd = fcntl(root_.get(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return Errno("dup", target_);
      return UniqueFd(fd);
    }
    std::string rel = JoinN(comps, n);
    UniqueFd fast(OpenAt2(root_.get(), rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, kBeneath));
    if (fast) return fast;
    // One component at a time: to create what is missing, and to say
    // exactly which component is in the way.
    UniqueFd cur(fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (!cur) return Errno("dup", target_);
    for (size_t i = 0; i < n; ++i) {
      const std::string& c = comps[i];
      std::string prefix = JoinN(comps, i + 1);
      UniqueFd next(openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next) {
        int err = errno;
        if (err == ENOENT && create) {
          ASSIGN_OR_RETURN(UniqueFd made, MakeImplicitDir(cur.get(), comps, i, entry));
          cur = std::move(made);
          continue;
        }
        if (err == ELOOP || err == ENOTDIR) {
          struct stat st;
          if (fstatat(cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            return Reject(entry, absl::StrCat("`", prefix, "` is a symlink; refusing to write through it"));
          }
          return Reject(entry, absl::StrCat("`", prefix, "` is not a directory"));
        }
        return ErrnoError(err, absl::StrCat("layer entry `", entry, "`: open directory"), prefix);
      }
      cur = std::move(next);
    }
    return cur;
  }

  // A parent directory the tar did not list: 0755 and the caller's (or
  // root's) ownership, or, over lower layers, what the nearest lower layer
  // has there.
  absl::StatusOr<UniqueFd> MakeImplicitDir(int parent, const Components& comps, size_t i,
                                           const std::string& entry) {
    std::string prefix = JoinN(comps, i + 1);
    mode_t mode = 0755;
    std::optional<struct stat> lower;
    if (opts_.whiteouts == WhiteoutMode::kOverlay && !lowers_.empty()) {
      ASSIGN_OR_RETURN(lower, Lower(prefix));
      if (lower.has_value() && !S_ISDIR(lower->st_mode)) {
        return Reject(entry, absl::StrCat("`", prefix, "` is a ",
                                          S_ISLNK(lower->st_mode) ? "symlink" : "non-directory",
                                          " in a lower layer; refusing to write through it"));
      }
      if (lower.has_value()) mode = lower->st_mode & 07777;
    }
    if (mkdirat(parent, comps[i].c_str(), 0700) != 0 && errno != EEXIST) {
      return Errno(absl::StrCat("layer entry `", entry, "`: mkdir"), prefix);
    }
    UniqueFd fd(openat(parent, comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Errno(absl::StrCat("layer entry `", entry, "`: open directory"), prefix);
    if (same_owner_) {
      uid_t uid = lower.has_value() ? lower->st_uid : 0;
      gid_t gid = lower.has_value() ? lower->st_gid : 0;
      if (fchown(fd.get(), uid, gid) != 0) return Errno("chown", prefix);
    }
    if (fchmod(fd.get(), mode) != 0) return Errno("chmod", prefix);
    return fd;
  }

  absl::Status SetXattrs(int fd, struct archive_entry* e, const std::string& entry) {
    const char* name;
    const void* value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      // A layer must not forge overlayfs's own metadata (redirects, opaque
      // markers): those come only from whiteouts, written by us.
      if (absl::StartsWith(name, "trusted.overlay.")) {
        result_.skipped_xattrs++;
        continue;
      }
      if (fsetxattr(fd, name, value, size, 0) != 0) {
        if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EACCES) {
          result_.skipped_xattrs++;
          continue;
        }
        return Errno(absl::StrCat("layer entry `", entry, "`: set xattr ", name, " on"), entry);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Owner(int dirfd, const char* name, struct archive_entry* e, const std::string& entry) {
    if (!same_owner_) return absl::OkStatus();
    if (fchownat(dirfd, name, static_cast<uid_t>(archive_entry_uid(e)),
                 static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH)) != 0) {
      return Errno(absl::StrCat("layer entry `", entry, "`: chown"), entry);
    }
    return absl::OkStatus();
  }

  void Times(struct archive_entry* e, struct timespec ts[2]) {
    ts[1].tv_sec = archive_entry_mtime(e);
    ts[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
      ts[0].tv_sec = archive_entry_atime(e);
      ts[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
      ts[0] = ts[1];
    }
  }

  absl::Status Opaque(int dirfd, const Components& comps, const std::string& entry);
  absl::Status RegularFile(struct archive* a, struct archive_entry* e, int parent,
                           const std::string& base, const std::string& entry);

  std::string target_;
  ApplyOptions opts_;
  bool same_owner_;
  UniqueFd root_;
  std::vector<UniqueFd> lowers_;
  std::set<std::string> unpacked_;  // paths this layer created, for opaque dirs
  struct DirTime {
    Components comps;
    struct timespec ts[2];
  };
  std::vector<DirTime> dir_times_;
  ApplyResult result_;
};

absl::Status Applier::Opaque(int dirfd, const Components& comps, const std::string& entry) {
  if (opts_.whiteouts == WhiteoutMode::kOverlay) {
    if (fsetxattr(dirfd, kOverlayOpaqueXattr, "y", 1, 0) != 0) {
      return Errno(absl::StrCat("layer entry `", entry, "`: set ", kOverlayOpaqueXattr, " (needs root) on"),
                   JoinN(comps, comps.size() - 1));
    }
    return absl::OkStatus();
  }
  // Delete what the layers below put here; keep what this layer already
  // wrote (entries may come before the marker).
  std::string dir_rel = JoinN(comps, comps.size() - 1);
  std::string prefix = dir_rel.empty() ? "" : dir_rel + "/";
  int dup = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return Errno("open", dir_rel);
  DIR* d = fdopendir(dup);
  if (d == nullptr) {
    close(dup);
    return Errno("opendir", dir_rel);
  }
  std::vector<std::string> doomed;
  while (struct dirent* de = readdir(d)) {
    std::string n = de->d_name;
    if (n == "." || n == "..") continue;
    std::string rel = prefix + n;
    auto it = unpacked_.lower_bound(rel);
    bool keep = it != unpacked_.end() && (*it == rel || absl::StartsWith(*it, rel + "/"));
    if (!keep) doomed.push_back(n);
  }
  closedir(d);
  for (const std::string& n : doomed) RETURN_IF_ERROR(RemoveAllAt(dirfd, n));
  return absl::OkStatus();
}

absl::Status Applier::RegularFile(struct archive* a, struct archive_entry* e, int parent,
                                  const std::string& base, const std::string& entry) {
  UniqueFd fd(openat(parent, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return Errno(absl::StrCat("layer entry `", entry, "`: create"), entry);
  const void* block;
  size_t size;
  la_int64_t offset;
  int64_t pos = 0;
  int r;
  while ((r = archive_read_data_block(a, &block, &size, &offset)) == ARCHIVE_OK) {
    if (offset != pos) {  // a hole in a sparse file
      if (lseek(fd.get(), offset, SEEK_SET) < 0) return Errno("seek in", entry);
      pos = offset;
    }
    RETURN_IF_ERROR(WriteAll(fd.get(), absl::string_view(static_cast<const char*>(block), size), entry));
    pos += static_cast<int64_t>(size);
  }
  if (r != ARCHIVE_EOF) {
    return absl::DataLossError(absl::StrCat("layer entry `", entry, "`: reading data: ", archive_error_string(a)));
  }
  if (archive_entry_size(e) > pos && ftruncate(fd.get(), archive_entry_size(e)) != 0) {
    return Errno("truncate", entry);
  }
  RETURN_IF_ERROR(Owner(fd.get(), "", e, entry));
  RETURN_IF_ERROR(SetXattrs(fd.get(), e, entry));
  if (fchmod(fd.get(), archive_entry_perm(e) & 07777) != 0) return Errno("chmod", entry);
  struct timespec ts[2];
  Times(e, ts);
  if (futimens(fd.get(), ts) != 0) return Errno("set times of", entry);
  return absl::OkStatus();
}

absl::Status Applier::Entry(struct archive* a, struct archive_entry* e) {
  const char* raw = PathOf(archive_entry_pathname(e), archive_entry_pathname_utf8(e));
  const std::string entry = raw != nullptr ? raw : "?";
  ASSIGN_OR_RETURN(Components comps, Split(entry, raw, ""));
  if (comps.empty()) return absl::OkStatus();  // "./": the root itself
  const std::string& base = comps.back();
  const std::string rel = JoinN(comps, comps.size());
  ASSIGN_OR_RETURN(UniqueFd parent, OpenDir(comps, comps.size() - 1, /*create=*/true, entry));
  result_.entries++;

  if (base == kOpaqueMarker) return Opaque(parent.get(), comps, entry);
  if (absl::StartsWith(base, kWhiteoutMetaPrefix)) return absl::OkStatus();  // aufs metadata
  if (absl::StartsWith(base, kWhiteoutPrefix)) {
    std::string name = base.substr(kWhiteoutPrefix.size());
    if (name.empty() || name == "." || name == "..") return Reject(entry, "invalid whiteout");
    RETURN_IF_ERROR(RemoveAllAt(parent.get(), name));
    if (opts_.whiteouts == WhiteoutMode::kOverlay &&
        mknodat(parent.get(), name.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
      return Errno(absl::StrCat("layer entry `", entry, "`: make overlay whiteout (needs root)"), name);
    }
    return absl::OkStatus();
  }

  const char* hardlink = PathOf(archive_entry_hardlink(e), archive_entry_hardlink_utf8(e));
  mode_t type = archive_entry_filetype(e);
  struct stat st;
  bool exists = fstatat(parent.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;

  if (type == AE_IFDIR && hardlink == nullptr) {
    if (exists && !S_ISDIR(st.st_mode)) {
      RETURN_IF_ERROR(RemoveAllAt(parent.get(), base));
      exists = false;
    }
    if (!exists && mkdirat(parent.get(), base.c_str(), 0700) != 0) {
      return Errno(absl::StrCat("layer entry `", entry, "`: mkdir"), entry);
    }
    UniqueFd dir(openat(parent.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return Errno(absl::StrCat("layer entry `", entry, "`: open directory"), entry);
    RETURN_IF_ERROR(Owner(dir.get(), "", e, entry));
    RETURN_IF_ERROR(SetXattrs(dir.get(), e, entry));
    if (fchmod(dir.get(), archive_entry_perm(e) & 07777) != 0) return Errno("chmod", entry);
    DirTime t{comps, {}};
    Times(e, t.ts);
    dir_times_.push_back(std::move(t));
    unpacked_.insert(rel);
    return absl::OkStatus();
  }

  if (exists) {
    if (S_ISDIR(st.st_mode)) {
      RETURN_IF_ERROR(RemoveAllAt(parent.get(), base));
    } else if (unlinkat(parent.get(), base.c_str(), 0) != 0 && errno != ENOENT) {
      return Errno(absl::StrCat("layer entry `", entry, "`: replace"), entry);
    }
  }

  if (hardlink != nullptr) {
    std::string what = absl::StrCat("hardlink target `", hardlink, "`: ");
    ASSIGN_OR_RETURN(Components target, Split(entry, hardlink, what));
    if (target.empty()) return Reject(entry, absl::StrCat(what, "links to the root directory"));
    ASSIGN_OR_RETURN(UniqueFd tparent, OpenDir(target, target.size() - 1, /*create=*/false, entry));
    struct stat ts;
    if (fstatat(tparent.get(), target.back().c_str(), &ts, AT_SYMLINK_NOFOLLOW) != 0) {
      return Reject(entry, absl::StrCat(what, "does not exist in this layer"));
    }
    if (S_ISDIR(ts.st_mode)) return Reject(entry, absl::StrCat(what, "is a directory"));
    if (linkat(tparent.get(), target.back().c_str(), parent.get(), base.c_str(), 0) != 0) {
      return Errno(absl::StrCat("layer entry `", entry, "`: hardlink to"), hardlink);
    }
  } else if (type == AE_IFREG) {
    RETURN_IF_ERROR(RegularFile(a, e, parent.get(), base, entry));
  } else if (type == AE_IFLNK) {
    const char* target = PathOf(archive_entry_symlink(e), archive_entry_symlink_utf8(e));
    if (target == nullptr) return Reject(entry, "symlink without a target");
    // A symlink may point anywhere: it is never followed here, and the
    // runtime resolves paths inside the container's root.
    if (symlinkat(target, parent.get(), base.c_str()) != 0) {
      return Errno(absl::StrCat("layer entry `", entry, "`: symlink"), entry);
    }
    RETURN_IF_ERROR(Owner(parent.get(), base.c_str(), e, entry));
    struct timespec ts[2];
    Times(e, ts);
    if (utimensat(parent.get(), base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno("set times of", entry);
    }
  } else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO) {
    dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (mknodat(parent.get(), base.c_str(), type | 0600, type == AE_IFIFO ? 0 : dev) != 0) {
      if (errno == EPERM && type != AE_IFIFO) {
        result_.skipped_devices++;  // mknod of devices needs CAP_MKNOD
        return absl::OkStatus();
      }
      return Errno(absl::StrCat("layer entry `", entry, "`: mknod"), entry);
    }
    RETURN_IF_ERROR(Owner(parent.get(), base.c_str(), e, entry));
    if (fchmodat(parent.get(), base.c_str(), archive_entry_perm(e) & 07777, 0) != 0) {
      return Errno("chmod", entry);
    }
    struct timespec ts[2];
    Times(e, ts);
    if (utimensat(parent.get(), base.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
      return Errno("set times of", entry);
    }
  } else if (type == AE_IFSOCK) {
    return absl::OkStatus();  // a socket in a layer is meaningless
  } else {
    return Reject(entry, absl::StrCat("unsupported file type 0", absl::Hex(type)));
  }
  unpacked_.insert(rel);
  return absl::OkStatus();
}

void Applier::FixDirTimes() {
  // Last, and deepest first: creating entries changed the directories' mtimes.
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    absl::StatusOr<UniqueFd> fd = OpenDir(it->comps, it->comps.size(), /*create=*/false, "");
    if (fd.ok()) futimens(fd->get(), it->ts);  // a dir deleted later by a whiteout is fine
  }
}

}  // namespace

absl::StatusOr<ApplyResult> ApplyLayer(int layer_fd, const std::string& target,
                                       const ApplyOptions& options) {
  return ApplyLayer(FdSource(layer_fd), target, options);
}

absl::StatusOr<ApplyResult> ApplyLayer(ByteSource layer, const std::string& target,
                                       const ApplyOptions& options) {
  Applier applier(target, options);
  RETURN_IF_ERROR(applier.Init());
  ASSIGN_OR_RETURN(auto dec, Decompressor::Open(std::move(layer), "layer"));
  Source src{dec.get()};

  struct archive* a = archive_read_new();
  struct Closer {
    struct archive* a;
    ~Closer() { archive_read_free(a); }
  } closer{a};
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  if (archive_read_open(a, &src, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
    if (!src.error.ok()) return src.error;
    return absl::DataLossError(absl::StrCat("layer: not a tar archive: ", archive_error_string(a)));
  }
  struct archive_entry* e;
  for (;;) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      if (!src.error.ok()) return src.error;
      return absl::DataLossError(absl::StrCat("layer: corrupt tar after ", applier.result().entries,
                                              " entries: ", archive_error_string(a)));
    }
    absl::Status st = applier.Entry(a, e);
    if (!st.ok()) return src.error.ok() ? st : src.error;
  }
  // The DiffID covers the whole stream, including the tar's trailing blocks
  // that the tar reader never asked for.
  std::string buf(1 << 16, '\0');
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, dec->Read(buf.data(), buf.size()));
    if (n == 0) break;
    src.hash.Update(buf.data(), n);
  }
  applier.FixDirTimes();
  ApplyResult result = applier.result();
  result.uncompressed_size = src.hash.size();
  result.diff_id = src.hash.Finish();
  if (options.expected_diff_id.has_value() && *options.expected_diff_id != result.diff_id) {
    return absl::DataLossError(absl::StrCat("layer DiffID mismatch: expected ",
                                            options.expected_diff_id->str(), ", got ",
                                            result.diff_id.str()));
  }
  return result;
}

}  // namespace skiff::manager
