// The image verbs: images (image ls), load, save, tag, rmi (image rm),
// image prune, history, image inspect. Flags, output and exit codes follow
// docker's: 125 for a usage error, 1 when the daemon says no.

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/commands/parse_flags.h"
#include "cli/flags.h"
#include "cli/format/units.h"
#include "cli/render/image_json.h"
#include "cli/render/rows.h"
#include "common/unique_fd.h"

namespace skiff::cli {
namespace {

namespace v1 = ::skiff::v1;

using Args = std::vector<std::string>;

constexpr size_t kChunkSize = 1 << 20;

absl::Status ParseFilters(const std::vector<std::string>& in,
                          google::protobuf::RepeatedPtrField<v1::Filter>* out) {
  for (const std::string& f : in) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid argument \"", f,
                       "\" for \"-f, --filter\" flag: bad format of filter (expected name=value)"));
    }
    v1::Filter* filter = out->Add();
    filter->set_key(f.substr(0, eq));
    filter->set_value(f.substr(eq + 1));
  }
  return absl::OkStatus();
}

int PrintRendered(Context& ctx, const absl::StatusOr<std::string>& text) {
  if (!text.ok()) {
    ctx.err() << text.status().message() << "\n";
    return 1;
  }
  ctx.out() << *text;
  ctx.out().flush();
  return 0;
}

// ---- images

int ListImages(Context& ctx, const Args& args, const std::string& cmd) {
  bool all = false, quiet = false, no_trunc = false, digests = false;
  std::vector<std::string> filters;
  std::string format;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] [REPOSITORY[:TAG]]"), "List images");
  fs.Bool("all", 'a', &all, "Show all images (default hides intermediate images)");
  fs.Bool("digests", 0, &digests, "Show digests");
  fs.StringList("filter", 'f', &filters, "Filter output based on conditions provided");
  fs.String("format", 0, &format,
            "Format output using a custom template ('table', 'json', or a Go template)");
  fs.Bool("no-trunc", 0, &no_trunc, "Don't truncate output");
  fs.Bool("quiet", 'q', &quiet, "Only show image IDs");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.size() > 1) return ArgCountError(ctx, cmd, "at most 1 argument");

  v1::ListImagesRequest req;
  req.set_all(all);
  if (absl::Status s = ParseFilters(filters, req.mutable_filters()); !s.ok()) {
    return ctx.UsageError(cmd, std::string(s.message()));
  }
  if (!pos.empty()) {
    v1::Filter* f = req.add_filters();
    f->set_key("reference");
    f->set_value(pos[0]);
  }
  grpc::ClientContext cctx;
  v1::ListImagesResponse resp;
  grpc::Status st = ctx.images().List(&cctx, req, &resp);
  if (!st.ok()) return ctx.Fail(st);

  std::vector<nlohmann::json> rows =
      ImageRows(resp.images(), {.no_trunc = no_trunc, .digests = digests}, absl::Now());
  if (quiet) {
    for (const nlohmann::json& row : rows) ctx.out() << row["ID"].get<std::string>() << "\n";
    return 0;
  }
  std::string table =
      digests ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
              : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  return PrintRendered(ctx, RenderRows(format, table,
                                       {{"ID", "IMAGE ID"},
                                        {"CreatedSince", "CREATED"},
                                        {"CreatedAt", "CREATED AT"},
                                        {"Repository", "REPOSITORY"}},
                                       rows));
}

// ---- load

int LoadImages(Context& ctx, const Args& args, const std::string& cmd) {
  std::string input;
  bool quiet = false;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS]"),
             "Load an image from a tar archive or STDIN");
  fs.String("input", 'i', &input, "Read from tar archive file, instead of STDIN");
  fs.Bool("quiet", 'q', &quiet, "Suppress the load output");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (!pos.empty()) return ArgCountError(ctx, cmd, "no arguments");

  UniqueFd fd;
  if (input.empty()) {
    if (ctx.stdin_is_tty()) {
      ctx.err() << "requested load from stdin, but stdin is empty\n";
      return 1;
    }
    fd.reset(dup(STDIN_FILENO));
  } else {
    fd.reset(open(input.c_str(), O_RDONLY | O_CLOEXEC));
  }
  if (!fd.valid()) {
    ctx.err() << "open " << (input.empty() ? "stdin" : input) << ": " << strerror(errno) << "\n";
    return 1;
  }

  grpc::ClientContext cctx;
  v1::LoadImagesResponse resp;
  std::unique_ptr<grpc::ClientWriter<v1::LoadImagesRequest>> writer =
      ctx.images().Load(&cctx, &resp);
  std::string buf(kChunkSize, '\0');
  bool first = true;
  int read_errno = 0;
  for (;;) {
    ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_errno = errno;
      cctx.TryCancel();
      break;
    }
    if (n == 0 && !first) break;
    v1::LoadImagesRequest req;
    req.set_chunk(buf.data(), static_cast<size_t>(n));
    if (first) req.set_quiet(quiet);
    first = false;
    // A failed write means the daemon already ended the call; Finish says why.
    if (!writer->Write(req) || n == 0) break;
  }
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  if (read_errno != 0) {
    ctx.err() << "read " << (input.empty() ? "stdin" : input) << ": " << strerror(read_errno)
              << "\n";
    return 1;
  }
  if (!st.ok()) return ctx.Fail(st);
  for (const v1::LoadedImage& image : resp.images()) {
    if (image.tags().empty()) {
      ctx.out() << "Loaded image ID: " << image.id() << "\n";
    }
    for (const std::string& tag : image.tags()) {
      ctx.out() << "Loaded image: " << FamiliarReference(tag) << "\n";
    }
  }
  return 0;
}

// ---- save

int SaveImages(Context& ctx, const Args& args, const std::string& cmd) {
  std::string output, format = "docker-archive";
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] IMAGE [IMAGE...]"),
             "Save one or more images to a tar archive (streamed to STDOUT by default)");
  fs.String("output", 'o', &output, "Write to a file, instead of STDOUT");
  fs.String("format", 0, &format, "Archive format: docker-archive (default) or oci-archive");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.empty()) return ArgCountError(ctx, cmd, "at least 1 argument");

  v1::SaveImagesRequest req;
  if (format == "docker-archive" || format == "docker") {
    req.set_format(v1::SaveImagesRequest::FORMAT_DOCKER_ARCHIVE);
  } else if (format == "oci-archive" || format == "oci") {
    req.set_format(v1::SaveImagesRequest::FORMAT_OCI_LAYOUT);
  } else {
    return ctx.UsageError(cmd, absl::StrCat("invalid argument \"", format,
                                            "\" for \"--format\" flag: must be docker-archive "
                                            "or oci-archive"));
  }
  for (const std::string& ref : pos) req.add_refs(ref);

  UniqueFd out;
  std::string tmp;
  if (output.empty()) {
    if (ctx.stdout_is_tty()) {
      ctx.err() << "cowardly refusing to save to a terminal. Use the -o flag or redirect\n";
      return 1;
    }
  } else {
    // A temp file beside the target, renamed when complete: a failed save
    // never leaves a truncated archive under the requested name.
    size_t slash = output.rfind('/');
    std::string dir = slash == std::string::npos ? "." : output.substr(0, slash + 1);
    tmp = absl::StrCat(dir, slash == std::string::npos ? "/" : "", ".skiff-save-XXXXXX");
    out.reset(mkostemp(tmp.data(), O_CLOEXEC));
    if (!out.valid()) {
      ctx.err() << "failed to save image: invalid output path: open " << output << ": "
                << strerror(errno) << "\n";
      return 1;
    }
  }
  auto fail_file = [&](const std::string& message) {
    if (!tmp.empty()) unlink(tmp.c_str());
    ctx.err() << message << "\n";
    return 1;
  };

  grpc::ClientContext cctx;
  std::unique_ptr<grpc::ClientReader<v1::SaveImagesResponse>> reader =
      ctx.images().Save(&cctx, req);
  v1::SaveImagesResponse chunk;
  std::string write_error;
  while (reader->Read(&chunk)) {
    const std::string& data = chunk.chunk();
    if (out.valid()) {
      size_t done = 0;
      while (done < data.size()) {
        ssize_t n = write(out.get(), data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          write_error = absl::StrCat("write ", output, ": ", strerror(errno));
          break;
        }
        done += static_cast<size_t>(n);
      }
    } else {
      ctx.out().write(data.data(), static_cast<std::streamsize>(data.size()));
      if (!ctx.out()) write_error = "write to stdout failed";
    }
    if (!write_error.empty()) {
      cctx.TryCancel();
      break;
    }
  }
  grpc::Status st = reader->Finish();
  if (!write_error.empty()) return fail_file(write_error);
  if (!st.ok()) {
    if (!tmp.empty()) unlink(tmp.c_str());
    return ctx.Fail(st);
  }
  if (out.valid()) {
    if (fchmod(out.get(), 0644) != 0 || fsync(out.get()) != 0) {
      return fail_file(absl::StrCat("write ", output, ": ", strerror(errno)));
    }
    out.reset();
    if (rename(tmp.c_str(), output.c_str()) != 0) {
      return fail_file(absl::StrCat("rename ", tmp, " to ", output, ": ", strerror(errno)));
    }
  } else {
    ctx.out().flush();
  }
  return 0;
}

// ---- tag

int TagImage(Context& ctx, const Args& args, const std::string& cmd) {
  FlagSet fs(absl::StrCat("skiff ", cmd, " SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]"),
             "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.size() != 2) return ArgCountError(ctx, cmd, "exactly 2 arguments");
  v1::TagImageRequest req;
  req.set_source(pos[0]);
  req.set_target(pos[1]);
  grpc::ClientContext cctx;
  v1::TagImageResponse resp;
  grpc::Status st = ctx.images().Tag(&cctx, req, &resp);
  if (!st.ok()) return ctx.Fail(st);
  return 0;
}

// ---- rmi

int RemoveImages(Context& ctx, const Args& args, const std::string& cmd) {
  bool force = false, no_prune = false;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] IMAGE [IMAGE...]"),
             "Remove one or more images");
  fs.Bool("force", 'f', &force, "Force removal of the image");
  fs.Bool("no-prune", 0, &no_prune, "Do not delete untagged parents");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.empty()) return ArgCountError(ctx, cmd, "at least 1 argument");
  int rc = 0;
  for (const std::string& ref : pos) {
    v1::RemoveImageRequest req;
    req.set_ref(ref);
    req.set_force(force);
    req.set_no_prune(no_prune);
    grpc::ClientContext cctx;
    v1::RemoveImageResponse resp;
    grpc::Status st = ctx.images().Remove(&cctx, req, &resp);
    if (!st.ok()) {
      rc = ctx.Fail(st);
      continue;
    }
    for (const v1::ImageDeleteItem& item : resp.items()) {
      if (!item.untagged().empty()) {
        ctx.out() << "Untagged: " << FamiliarReference(item.untagged()) << "\n";
      } else {
        ctx.out() << "Deleted: " << item.deleted() << "\n";
      }
    }
  }
  return rc;
}

// ---- image prune

bool Confirm(Context& ctx, const std::string& message) {
  ctx.out() << message << " [y/N] ";
  ctx.out().flush();
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    ctx.out() << "\n";
    return false;
  }
  answer = absl::AsciiStrToLower(absl::StripAsciiWhitespace(answer));
  return answer == "y" || answer == "yes";
}

int PruneImages(Context& ctx, const Args& args, const std::string& cmd) {
  bool all = false, force = false;
  std::vector<std::string> filters;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS]"), "Remove unused images");
  fs.Bool("all", 'a', &all, "Remove all unused images, not just dangling ones");
  fs.StringList("filter", 0, &filters, "Provide filter values (e.g. \"until=<timestamp>\")");
  fs.Bool("force", 'f', &force, "Do not prompt for confirmation");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (!pos.empty()) return ArgCountError(ctx, cmd, "no arguments");

  v1::PruneImagesRequest req;
  req.set_all(all);
  if (absl::Status s = ParseFilters(filters, req.mutable_filters()); !s.ok()) {
    return ctx.UsageError(cmd, std::string(s.message()));
  }
  const std::string warning =
      all ? "WARNING! This will remove all images without at least one container associated to "
            "them.\nAre you sure you want to continue?"
          : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
  if (!force && !Confirm(ctx, warning)) {
    ctx.out() << "Total reclaimed space: 0B\n";
    return 0;
  }
  grpc::ClientContext cctx;
  v1::PruneImagesResponse resp;
  grpc::Status st = ctx.images().Prune(&cctx, req, &resp);
  if (!st.ok()) return ctx.Fail(st);
  if (!resp.items().empty()) {
    ctx.out() << "Deleted Images:\n";
    for (const v1::ImageDeleteItem& item : resp.items()) {
      if (!item.untagged().empty()) {
        ctx.out() << "untagged: " << FamiliarReference(item.untagged()) << "\n";
      } else {
        ctx.out() << "deleted: " << item.deleted() << "\n";
      }
    }
    ctx.out() << "\n";
  }
  ctx.out() << "Total reclaimed space: " << HumanSize(static_cast<int64_t>(resp.space_reclaimed()))
            << "\n";
  return 0;
}

// ---- history

int History(Context& ctx, const Args& args, const std::string& cmd) {
  bool human = true, no_trunc = false, quiet = false;
  std::string format;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] IMAGE"), "Show the history of an image");
  fs.String("format", 0, &format,
            "Format output using a custom template ('table', 'json', or a Go template)");
  fs.Bool("human", 'H', &human, "Print sizes and dates in human readable format (default true)");
  fs.Bool("no-trunc", 0, &no_trunc, "Don't truncate output");
  fs.Bool("quiet", 'q', &quiet, "Only show image IDs");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.size() != 1) return ArgCountError(ctx, cmd, "exactly 1 argument");

  v1::ImageHistoryRequest req;
  req.set_ref(pos[0]);
  grpc::ClientContext cctx;
  v1::ImageHistoryResponse resp;
  grpc::Status st = ctx.images().History(&cctx, req, &resp);
  if (!st.ok()) return ctx.Fail(st);
  std::vector<nlohmann::json> rows;
  const absl::Time now = absl::Now();
  for (const v1::ImageHistoryEntry& e : resp.entries()) {
    rows.push_back(HistoryRow(e, {.no_trunc = no_trunc, .human = human}, now));
  }
  if (quiet) {
    for (const nlohmann::json& row : rows) ctx.out() << row["ID"].get<std::string>() << "\n";
    return 0;
  }
  return PrintRendered(
      ctx, RenderRows(format, "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
                      {{"ID", "IMAGE"}, {"CreatedSince", "CREATED"}, {"CreatedBy", "CREATED BY"}},
                      rows));
}

// ---- image inspect

int InspectImages(Context& ctx, const Args& args, const std::string& cmd) {
  std::string format;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] IMAGE [IMAGE...]"),
             "Display detailed information on one or more images");
  fs.String("format", 'f', &format,
            "Format output using a custom template ('json', or a Go template)");
  Args pos;
  if (int rc = ParseFlags(ctx, fs, cmd, args, &pos); rc >= 0) return rc;
  if (pos.empty()) return ArgCountError(ctx, cmd, "at least 1 argument");

  int rc = 0;
  nlohmann::ordered_json found = nlohmann::ordered_json::array();
  std::vector<std::string> errors;
  for (const std::string& ref : pos) {
    v1::InspectImageRequest req;
    req.set_ref(ref);
    grpc::ClientContext cctx;
    v1::InspectImageResponse resp;
    grpc::Status st = ctx.images().Inspect(&cctx, req, &resp);
    if (!st.ok()) {
      // An unreachable daemon is one error, not one per image.
      if (st.error_code() == grpc::StatusCode::UNAVAILABLE) return ctx.Fail(st);
      errors.push_back(st.error_message());
      rc = 1;
      continue;
    }
    found.push_back(ImageInspectJson(resp.image()));
  }
  if (format.empty()) {
    ctx.out() << found.dump(4) << "\n";
  } else {
    for (const nlohmann::ordered_json& image : found) {
      absl::StatusOr<std::string> text = RenderOne(format, nlohmann::json::parse(image.dump()));
      if (!text.ok()) {
        ctx.err() << text.status().message() << "\n";
        return 1;
      }
      ctx.out() << *text;
    }
  }
  ctx.out().flush();
  for (const std::string& e : errors) {
    std::string msg = e;
    if (!msg.empty()) msg[0] = absl::ascii_toupper(static_cast<unsigned char>(msg[0]));
    ctx.err() << "Error: " << msg << "\n";
  }
  return rc;
}

}  // namespace

void AddImageCommands(std::vector<Command>& commands) {
  commands.push_back({"images", "List images",
                      [](Context& c, const Args& a) { return ListImages(c, a, "images"); }});
  commands.push_back({"image ls", "List images",
                      [](Context& c, const Args& a) { return ListImages(c, a, "image ls"); }});
  commands.push_back({"image list", "List images",
                      [](Context& c, const Args& a) { return ListImages(c, a, "image list"); }});
  commands.push_back({"load", "Load an image from a tar archive or STDIN",
                      [](Context& c, const Args& a) { return LoadImages(c, a, "load"); }});
  commands.push_back({"image load", "Load an image from a tar archive or STDIN",
                      [](Context& c, const Args& a) { return LoadImages(c, a, "image load"); }});
  commands.push_back({"save", "Save one or more images to a tar archive",
                      [](Context& c, const Args& a) { return SaveImages(c, a, "save"); }});
  commands.push_back({"image save", "Save one or more images to a tar archive",
                      [](Context& c, const Args& a) { return SaveImages(c, a, "image save"); }});
  commands.push_back({"tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
                      [](Context& c, const Args& a) { return TagImage(c, a, "tag"); }});
  commands.push_back({"image tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
                      [](Context& c, const Args& a) { return TagImage(c, a, "image tag"); }});
  commands.push_back({"rmi", "Remove one or more images",
                      [](Context& c, const Args& a) { return RemoveImages(c, a, "rmi"); }});
  commands.push_back({"image rm", "Remove one or more images",
                      [](Context& c, const Args& a) { return RemoveImages(c, a, "image rm"); }});
  commands.push_back({"image remove", "Remove one or more images", [](Context& c, const Args& a) {
                        return RemoveImages(c, a, "image remove");
                      }});
  commands.push_back({"image prune", "Remove unused images",
                      [](Context& c, const Args& a) { return PruneImages(c, a, "image prune"); }});
  commands.push_back({"history", "Show the history of an image",
                      [](Context& c, const Args& a) { return History(c, a, "history"); }});
  commands.push_back({"image history", "Show the history of an image",
                      [](Context& c, const Args& a) { return History(c, a, "image history"); }});
  commands.push_back(
      {"image inspect", "Display detailed information on one or more images",
       [](Context& c, const Args& a) { return InspectImages(c, a, "image inspect"); }});
}

}  // namespace skiff::cli
