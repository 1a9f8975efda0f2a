#include "manager/server/image_service.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/images/media_types.h"
#include "manager/images/platform.h"
#include "manager/images/reference.h"
#include "manager/registry/credentials.h"
#include "manager/server/grpc_status.h"
#include "proto/skiff/v1/time.h"

namespace skiff::manager {
namespace {

namespace v1 = ::skiff::v1;

std::string Familiar(const std::string& name) {
  absl::StatusOr<Reference> r = Reference::Parse(name);
  return r.ok() ? r->Familiar() : name;
}

std::string FamiliarName(const std::string& name) {
  absl::StatusOr<Reference> r = Reference::Parse(name);
  return r.ok() ? r->FamiliarName() : name;
}

absl::Time ParseRfc3339(const std::string& s) {
  absl::Time t;
  std::string err;
  if (!s.empty() && absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  return absl::UnixEpoch();
}

void Fill(const std::vector<ImageDeleteItem>& items,
          google::protobuf::RepeatedPtrField<v1::ImageDeleteItem>* out) {
  for (const ImageDeleteItem& i : items) {
    v1::ImageDeleteItem* o = out->Add();
    if (!i.untagged.empty()) o->set_untagged(i.untagged);
    if (!i.deleted.empty()) o->set_deleted(i.deleted);
  }
}

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("writing", path);
    off += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Filter terms by key; InvalidArgument names an unknown key and the known
// ones.
absl::StatusOr<std::map<std::string, std::vector<std::string>>> GroupFilters(
    const google::protobuf::RepeatedPtrField<v1::Filter>& filters,
    const std::set<std::string>& known, absl::string_view what) {
  std::map<std::string, std::vector<std::string>> out;
  for (const v1::Filter& f : filters) {
    if (known.count(f.key()) == 0) {
      std::string keys;
      for (const std::string& k : known) absl::StrAppend(&keys, keys.empty() ? "" : ", ", k);
      return absl::InvalidArgumentError(
          absl::StrCat("invalid filter `", f.key(), "`: ", what, " filters are ", keys));
    }
    out[f.key()].push_back(f.value());
  }
  return out;
}

// "key" or "key=value" against labels.
bool HasLabel(const std::map<std::string, std::string>& labels, const std::string& term) {
  size_t eq = term.find('=');
  auto it = labels.find(term.substr(0, eq));
  if (it == labels.end()) return false;
  return eq == std::string::npos || it->second == term.substr(eq + 1);
}

// docker's filter booleans.
absl::StatusOr<bool> ParseBool(const std::string& key, const std::string& v) {
  std::string l = absl::AsciiStrToLower(v);
  if (l == "true" || l == "1") return true;
  if (l == "false" || l == "0") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid filter `", key, "=", v, "`: want true or false"));
}

// docker's `until`: an RFC 3339 time, unix seconds, or a duration before
// now ("24h").
absl::StatusOr<absl::Time> ParseUntil(const std::string& v) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, v, &t, &err)) return t;
  double secs;
  if (absl::SimpleAtod(v, &secs)) return absl::FromUnixNanos(static_cast<int64_t>(secs * 1e9));
  absl::Duration d;
  if (absl::ParseDuration(v, &d)) return absl::Now() - d;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid filter `until=", v, "`: want an RFC 3339 time, unix seconds or a duration (24h)"));
}

bool Glob(const std::string& pattern, const std::string& s) {
  return fnmatch(pattern.c_str(), s.c_str(), FNM_PATHNAME) == 0;
}

// The registry client's errors, in the codes ImageService promises: an
// unknown host and a failed TLS handshake are about reaching the registry,
// like a refused connection.
absl::Status RegistryError(const absl::Status& st) {
  if ((absl::IsNotFound(st) && absl::StrContains(st.message(), "unknown host `")) ||
      (absl::IsFailedPrecondition(st) && absl::StrContains(st.message(), "TLS with registry")) ||
      absl::IsAborted(st)) {
    return absl::UnavailableError(st.message());
  }
  return st;
}

// "https://reg:5000/" -> "reg:5000", as docker login accepts it.
std::string RegistryHost(absl::string_view server) {
  if (!absl::ConsumePrefix(&server, "https://")) (void)absl::ConsumePrefix(&server, "http://");
  while (absl::ConsumeSuffix(&server, "/")) {
  }
  return std::string(server);
}

void ToProto(const registry::PullProgress& p, v1::Progress* out) {
  out->set_id(p.id);
  out->set_status(p.status);
  out->set_current(p.current);
  out->set_total(p.total);
}

}  // namespace

ImageServiceImpl::ImageServiceImpl(ImageManager& images, RegistryConfig registry)
    : images_(images), registry_(std::move(registry)) {
  const std::string dir = images_.content().root() + "/tmp";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      absl::string_view n = e->d_name;
      if (absl::StartsWith(n, "load-") || absl::StartsWith(n, "save-")) {
        unlinkat(dirfd(d), e->d_name, 0);
      }
    }
    closedir(d);
  }
}

absl::StatusOr<std::string> ImageServiceImpl::TempFile(const std::string& what) {
  std::string dir = images_.content().root() + "/tmp";
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("creating", dir);
  std::string path = dir + "/" + what + "-XXXXXX";
  UniqueFd fd(mkstemp(path.data()));
  if (!fd) return Errno("creating a temp file in", dir);
  return path;
}

grpc::Status ImageServiceImpl::Load(grpc::ServerContext* ctx,
                                    grpc::ServerReader<v1::LoadImagesRequest>* reader,
                                    v1::LoadImagesResponse* resp) {
  return ToGrpc(DoLoad(ctx, reader, resp), ctx);
}

absl::Status ImageServiceImpl::DoLoad(grpc::ServerContext* ctx,
                                      grpc::ServerReader<v1::LoadImagesRequest>* reader,
                                      v1::LoadImagesResponse* resp) {
  std::string path;
  std::string tmp;
  UniqueFd out;
  absl::Cleanup remove_tmp = [&] {
    if (!tmp.empty()) unlink(tmp.c_str());
  };
  v1::LoadImagesRequest req;
  size_t messages = 0;
  while (reader->Read(&req)) {
    ++messages;
    if (req.source_case() == v1::LoadImagesRequest::kPath) {
      if (messages != 1 || !tmp.empty()) {
        return absl::InvalidArgumentError(
            "Load: `path` must be the only message of the stream, not mixed with chunks");
      }
      path = req.path();
      if (path.empty() || path[0] != '/') {
        return absl::InvalidArgumentError(absl::StrCat(
            "Load: path `", path, "` must be absolute (the daemon's cwd is not yours)"));
      }
    } else if (req.source_case() == v1::LoadImagesRequest::kChunk) {
      if (!path.empty()) {
        return absl::InvalidArgumentError(
            "Load: `path` must be the only message of the stream, not mixed with chunks");
      }
      if (!out) {
        ASSIGN_OR_RETURN(tmp, TempFile("load"));
        out.reset(open(tmp.c_str(), O_WRONLY | O_CLOEXEC));
        if (!out) return Errno("opening", tmp);
      }
      RETURN_IF_ERROR(WriteAll(out.get(), req.chunk(), tmp));
    }
  }
  if (ctx->IsCancelled()) return absl::CancelledError("Load: the client went away");
  if (path.empty() && tmp.empty()) {
    return absl::InvalidArgumentError("Load: no archive: send `path` or the archive as chunks");
  }
  if (!tmp.empty()) {
    out.reset();
    path = tmp;
  }
  absl::StatusOr<std::vector<ResolvedImage>> loaded = images_.Load(path);
  if (!loaded.ok() && !tmp.empty()) {
    // The temp file's name means nothing to the client.
    return absl::Status(
        loaded.status().code(),
        absl::StrReplaceAll(loaded.status().message(), {{"`" + tmp + "`", "the streamed archive"},
                                                        {tmp, "the streamed archive"}}));
  }
  if (!loaded.ok()) return loaded.status();
  for (const ResolvedImage& r : *loaded) {
    v1::LoadedImage* li = resp->add_images();
    li->set_id(r.record.id);
    for (const std::string& n : r.image.names) li->add_tags(Familiar(n));
  }
  return absl::OkStatus();
}

grpc::Status ImageServiceImpl::Save(grpc::ServerContext* ctx, const v1::SaveImagesRequest* req,
                                    grpc::ServerWriter<v1::SaveImagesResponse>* writer) {
  return ToGrpc(DoSave(ctx, *req, writer), ctx);
}

absl::Status ImageServiceImpl::DoSave(grpc::ServerContext* ctx, const v1::SaveImagesRequest& req,
                                      grpc::ServerWriter<v1::SaveImagesResponse>* writer) {
  if (req.refs().empty()) return absl::InvalidArgumentError("Save: no image references");
  ArchiveFormat format;
  switch (req.format()) {
    case v1::SaveImagesRequest::FORMAT_DOCKER_ARCHIVE:
      format = ArchiveFormat::kDockerArchive;
      break;
    case v1::SaveImagesRequest::FORMAT_OCI_LAYOUT:
      format = ArchiveFormat::kOciLayout;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("Save: unknown archive format ", static_cast<int>(req.format())));
  }
  ASSIGN_OR_RETURN(std::string tmp, TempFile("save"));
  absl::Cleanup remove_tmp = [&] { unlink(tmp.c_str()); };
  RETURN_IF_ERROR(images_.Save({req.refs().begin(), req.refs().end()}, tmp, format));
  UniqueFd in(open(tmp.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return Errno("opening", tmp);
  v1::SaveImagesResponse chunk;
  std::string* buf = chunk.mutable_chunk();
  while (true) {
    buf->resize(kChunkSize);
    ssize_t n = read(in.get(), buf->data(), buf->size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("reading", tmp);
    if (n == 0) return absl::OkStatus();
    buf->resize(static_cast<size_t>(n));
    if (ctx->IsCancelled() || !writer->Write(chunk)) {
      return absl::CancelledError("Save: the client went away");
    }
  }
}

grpc::Status ImageServiceImpl::List(grpc::ServerContext* ctx, const v1::ListImagesRequest* req,
                                    v1::ListImagesResponse* resp) {
  return ToGrpc(DoList(*req, resp), ctx);
}

absl::Status ImageServiceImpl::DoList(const v1::ListImagesRequest& req,
                                      v1::ListImagesResponse* resp) {
  // `all` would add intermediate images; loaded images have none.
  ASSIGN_OR_RETURN(auto filters, GroupFilters(req.filters(),
                                              {"before", "dangling", "label", "reference", "since"},
                                              "image list"));
  std::optional<bool> dangling;
  for (const std::string& v : filters["dangling"]) {
    ASSIGN_OR_RETURN(bool b, ParseBool("dangling", v));
    dangling = b;
  }
  std::optional<absl::Time> before, since;
  for (const std::string& v : filters["before"]) {
    ASSIGN_OR_RETURN(ResolvedImage r, images_.Resolve(v));
    before = before ? std::min(*before, r.record.created) : r.record.created;
  }
  for (const std::string& v : filters["since"]) {
    ASSIGN_OR_RETURN(ResolvedImage r, images_.Resolve(v));
    since = since ? std::max(*since, r.record.created) : r.record.created;
  }
  const std::vector<std::string>& patterns = filters["reference"];
  const std::vector<std::string>& labels = filters["label"];

  ASSIGN_OR_RETURN(std::vector<ResolvedImage> all, images_.List());
  for (const ResolvedImage& img : all) {
    if (dangling && *dangling != img.names.empty()) continue;
    if (before && !(img.record.created < *before)) continue;
    if (since && !(img.record.created > *since)) continue;
    const std::map<std::string, std::string>& image_labels = img.image.config.config.labels;
    if (!std::all_of(labels.begin(), labels.end(),
                     [&](const std::string& l) { return HasLabel(image_labels, l); })) {
      continue;
    }
    std::vector<std::string> tags;
    for (const std::string& n : img.names) {
      std::string f = Familiar(n);
      bool shown = patterns.empty();
      for (const std::string& p : patterns) {
        shown |= Glob(p, f) || Glob(p, FamiliarName(n)) || Glob(p, n);
      }
      if (shown) tags.push_back(f);
    }
    if (!patterns.empty() && tags.empty()) continue;

    v1::ImageSummary* s = resp->add_images();
    s->set_id(img.record.id);
    std::set<std::string> repos;
    for (const std::string& t : tags) s->add_repo_tags(t);
    for (const std::string& n : img.names) repos.insert(FamiliarName(n));
    for (const std::string& r : repos) s->add_repo_digests(r + "@" + img.record.target_digest);
    *s->mutable_created() = TimeToProto(img.record.created);
    s->set_size(img.record.size);
    for (const auto& [k, v] : image_labels) (*s->mutable_labels())[k] = v;
    ASSIGN_OR_RETURN(std::vector<ContainerRecord> users,
                     images_.store().Read([&](MetadataStore::Tx& tx) {
                       return tx.ContainersUsingImage(img.record.id);
                     }));
    s->set_containers(static_cast<int32_t>(users.size()));
  }
  return absl::OkStatus();
}

grpc::Status ImageServiceImpl::Inspect(grpc::ServerContext* ctx, const v1::InspectImageRequest* req,
                                       v1::InspectImageResponse* resp) {
  return ToGrpc(DoInspect(*req, resp), ctx);
}

absl::Status ImageServiceImpl::DoInspect(const v1::InspectImageRequest& req,
                                         v1::InspectImageResponse* resp) {
  ASSIGN_OR_RETURN(ResolvedImage img, images_.Resolve(req.ref()));
  const ImageConfig& c = img.image.config;
  v1::ImageInfo* info = resp->mutable_image();
  info->set_id(img.record.id);
  std::set<std::string> repos;
  for (const std::string& n : img.names) {
    info->add_repo_tags(Familiar(n));
    repos.insert(FamiliarName(n));
  }
  for (const std::string& r : repos) info->add_repo_digests(r + "@" + img.record.target_digest);
  if (!c.history.empty()) info->set_comment(c.history.back().comment);
  *info->mutable_created() = TimeToProto(img.record.created);
  info->set_author(c.author);
  info->mutable_platform()->set_os(c.os);
  info->mutable_platform()->set_architecture(c.architecture);
  info->mutable_platform()->set_variant(c.variant);
  info->set_size(img.record.size);

  v1::ContainerConfig* cc = info->mutable_config();
  cc->set_user(c.config.user);
  for (const std::string& p : c.config.exposed_ports) cc->add_exposed_ports(p);
  for (const std::string& e : c.config.env) cc->add_env(e);
  if (!c.config.entrypoint.empty()) {
    for (const std::string& a : c.config.entrypoint) cc->mutable_entrypoint()->add_values(a);
  }
  if (!c.config.cmd.empty()) {
    for (const std::string& a : c.config.cmd) cc->mutable_cmd()->add_values(a);
  }
  for (const std::string& v : c.config.volumes) cc->add_volumes(v);
  cc->set_working_dir(c.config.working_dir);
  for (const auto& [k, v] : c.config.labels) (*cc->mutable_labels())[k] = v;
  cc->set_stop_signal(c.config.stop_signal);

  for (const Digest& d : c.diff_ids) info->add_layers(d.str());
  info->set_manifest_digest(img.record.manifest_digest);
  std::string mt = img.image.manifest.media_type;
  if (mt.empty()) mt = media_types::kOciManifest;
  info->set_manifest_media_type(mt);

  ASSIGN_OR_RETURN(std::vector<TagRecord> tags, images_.store().Read([&](MetadataStore::Tx& tx) {
    return tx.TagsOfImage(img.record.id);
  }));
  if (!tags.empty()) {
    absl::Time last = absl::InfinitePast();
    for (const TagRecord& t : tags) last = std::max(last, t.tagged_at);
    *info->mutable_last_tag_time() = TimeToProto(last);
  }
  return absl::OkStatus();
}

grpc::Status ImageServiceImpl::Tag(grpc::ServerContext* ctx, const v1::TagImageRequest* req,
                                   v1::TagImageResponse*) {
  return ToGrpc(images_.Tag(req->source(), req->target()), ctx);
}

grpc::Status ImageServiceImpl::Remove(grpc::ServerContext* ctx, const v1::RemoveImageRequest* req,
                                      v1::RemoveImageResponse* resp) {
  // no_prune: there are no parent images to keep; loaded images have none.
  absl::StatusOr<std::vector<ImageDeleteItem>> items = images_.Remove(req->ref(), req->force());
  if (items.ok()) Fill(*items, resp->mutable_items());
  return ToGrpc(items.status(), ctx);
}

grpc::Status ImageServiceImpl::Prune(grpc::ServerContext* ctx, const v1::PruneImagesRequest* req,
                                     v1::PruneImagesResponse* resp) {
  return ToGrpc(DoPrune(*req, resp), ctx);
}

absl::Status ImageServiceImpl::DoPrune(const v1::PruneImagesRequest& req,
                                       v1::PruneImagesResponse* resp) {
  ASSIGN_OR_RETURN(auto filters,
                   GroupFilters(req.filters(), {"label", "label!", "until"}, "image prune"));
  std::optional<absl::Time> until;
  for (const std::string& v : filters["until"]) {
    ASSIGN_OR_RETURN(absl::Time t, ParseUntil(v));
    until = until ? std::min(*until, t) : t;
  }
  const std::vector<std::string> with = filters["label"];
  const std::vector<std::string> without = filters["label!"];
  auto match = [&](const ResolvedImage& img) {
    if (until && !(img.record.created < *until)) return false;
    const auto& labels = img.image.config.config.labels;
    for (const std::string& l : with) {
      if (!HasLabel(labels, l)) return false;
    }
    for (const std::string& l : without) {
      if (HasLabel(labels, l)) return false;
    }
    return true;
  };
  ASSIGN_OR_RETURN(PruneResult r, images_.Prune(req.all(), match));
  Fill(r.items, resp->mutable_items());
  resp->set_space_reclaimed(r.space_reclaimed);
  return absl::OkStatus();
}

grpc::Status ImageServiceImpl::History(grpc::ServerContext* ctx, const v1::ImageHistoryRequest* req,
                                       v1::ImageHistoryResponse* resp) {
  return ToGrpc(DoHistory(*req, resp), ctx);
}

absl::Status ImageServiceImpl::DoHistory(const v1::ImageHistoryRequest& req,
                                         v1::ImageHistoryResponse* resp) {
  ASSIGN_OR_RETURN(ResolvedImage img, images_.Resolve(req.ref()));
  const std::vector<Descriptor>& layers = img.image.layers();
  std::vector<HistoryEntry> history = img.image.config.history;
  if (history.empty()) {
    // No history in the config: one anonymous entry per layer, as docker.
    history.resize(layers.size());
    for (HistoryEntry& h : history) h.created = img.image.config.created;
  }
  std::vector<v1::ImageHistoryEntry> entries;
  size_t layer = 0;
  for (const HistoryEntry& h : history) {
    v1::ImageHistoryEntry e;
    e.set_id("<missing>");
    *e.mutable_created() = TimeToProto(ParseRfc3339(h.created));
    e.set_created_by(h.created_by);
    e.set_comment(h.comment);
    e.set_empty_layer(h.empty_layer);
    if (!h.empty_layer && layer < layers.size()) {
      absl::StatusOr<int64_t> size = images_.UncompressedSize(layers[layer]);
      e.set_size(size.ok() ? *size : layers[layer].size);
      ++layer;
    }
    entries.push_back(std::move(e));
  }
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) *resp->add_entries() = *it;
  if (resp->entries_size() > 0) {
    v1::ImageHistoryEntry* top = resp->mutable_entries(0);
    top->set_id(img.record.id);
    for (const std::string& n : img.names) top->add_tags(Familiar(n));
  }
  return absl::OkStatus();
}


absl::StatusOr<std::unique_ptr<registry::RegistryClient>> ImageServiceImpl::ClientFor(
    const std::string& host) {
  std::optional<registry::Credentials> credentials;
  if (!registry_.credentials_path.empty()) {
    registry::CredentialStore store(registry_.credentials_path);
    ASSIGN_OR_RETURN(credentials, store.Get(host));
  }
  return registry::RegistryClient::Create(host, registry_.options, std::move(credentials));
}

grpc::Status ImageServiceImpl::Pull(grpc::ServerContext* ctx, const v1::PullImageRequest* req,
                                    grpc::ServerWriter<v1::PullImageResponse>* writer) {
  absl::Status st = DoPull(ctx, *req, writer);
  if (!st.ok()) {
    v1::PullImageResponse last;
    last.mutable_progress()->set_error(std::string(st.message()));
    writer->Write(last);
  }
  return ToGrpc(st, ctx);
}

absl::Status ImageServiceImpl::DoPull(grpc::ServerContext* ctx, const v1::PullImageRequest& req,
                                      grpc::ServerWriter<v1::PullImageResponse>* writer) {
  ASSIGN_OR_RETURN(Reference ref, ParseReferenceIn(req.ref(), registry_.default_registry));
  registry::PullOptions options;
  if (!req.platform().os().empty() || !req.platform().architecture().empty()) {
    Platform p;
    p.os = req.platform().os().empty() ? "linux" : req.platform().os();
    p.architecture = req.platform().architecture();
    p.variant = req.platform().variant();
    if (p.architecture.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("platform `", PlatformString(p), "`: the architecture is missing"));
    }
    options.platform = Normalize(std::move(p));
  }
  // Called by the pull's threads one at a time. Downloading and extracting
  // are reported in steps of at least kStep bytes: a message per read would
  // swamp the client.
  constexpr int64_t kStep = 256 << 10;
  std::map<std::string, int64_t> last_sent;  // by id and status
  options.progress = [&](const registry::PullProgress& p) {
    if (p.status == "Downloading" || p.status == "Extracting") {
      const std::string key = absl::StrCat(p.id, " ", p.status);
      auto it = last_sent.find(key);
      if (it != last_sent.end() && p.current - it->second < kStep && p.current < p.total) return;
      last_sent[key] = p.current;
    }
    v1::PullImageResponse msg;
    ToProto(p, msg.mutable_progress());
    writer->Write(msg);
  };
  // `skiff pull` interrupted (its stream gone) stops the transfers, as
  // docker's does.
  options.cancelled = [ctx] { return ctx->IsCancelled(); };
  ASSIGN_OR_RETURN(std::unique_ptr<registry::RegistryClient> client, ClientFor(ref.domain()));
  absl::StatusOr<PulledImage> pulled = images_.Pull(*client, ref, options);
  if (!pulled.ok()) return RegistryError(pulled.status());
  const std::string digest = pulled->target.digest.str();
  v1::PullImageResponse last;
  last.mutable_progress()->set_status(absl::StrCat("Digest: ", digest));
  last.set_image_id(pulled->image.record.id);
  last.set_digest(digest);
  last.set_reference(ref.String());
  writer->Write(last);
  return absl::OkStatus();
}

grpc::Status ImageServiceImpl::Push(grpc::ServerContext* ctx, const v1::PushImageRequest* req,
                                    grpc::ServerWriter<v1::PushImageResponse>* writer) {
  absl::Status st = DoPush(*req, writer);
  if (!st.ok()) {
    v1::PushImageResponse last;
    last.mutable_progress()->set_error(std::string(st.message()));
    writer->Write(last);
  }
  return ToGrpc(st, ctx);
}

absl::Status ImageServiceImpl::DoPush(const v1::PushImageRequest& req,
                                      grpc::ServerWriter<v1::PushImageResponse>* writer) {
  ASSIGN_OR_RETURN(Reference ref, ParseReferenceIn(req.ref(), registry_.default_registry));
  ASSIGN_OR_RETURN(std::unique_ptr<registry::RegistryClient> client, ClientFor(ref.domain()));
  absl::StatusOr<Descriptor> pushed =
      images_.Push(*client, ref, [&](const registry::PullProgress& p) {
        v1::PushImageResponse msg;
        ToProto(p, msg.mutable_progress());
        writer->Write(msg);
      });
  if (!pushed.ok()) return RegistryError(pushed.status());
  v1::PushImageResponse last;
  last.mutable_progress()->set_status(
      absl::StrCat(ref.tag().empty() ? ref.digest().str() : ref.tag(),
                   ": digest: ", pushed->digest.str(), " size: ", pushed->size));
  last.set_digest(pushed->digest.str());
  last.set_size(pushed->size);
  writer->Write(last);
  return absl::OkStatus();
}

grpc::Status ImageServiceImpl::Login(grpc::ServerContext* ctx, const v1::LoginRequest* req,
                                     v1::LoginResponse* resp) {
  return ToGrpc(DoLogin(*req, resp), ctx);
}

absl::Status ImageServiceImpl::DoLogin(const v1::LoginRequest& req, v1::LoginResponse* resp) {
  const std::string host =
      RegistryHost(req.server().empty() ? registry_.default_registry : req.server());
  if (host.empty()) return absl::InvalidArgumentError("login: no registry given");
  if (req.username().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("login to ", host, ": the username is empty"));
  }
  if (registry_.credentials_path.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("login to ", host, ": this skiffd keeps no credentials"));
  }
  registry::Credentials credentials{req.username(), req.password()};
  auto client = registry::RegistryClient::Create(host, registry_.options, credentials);
  if (absl::Status st = client->Ping(); !st.ok()) return RegistryError(st);
  registry::CredentialStore store(registry_.credentials_path);
  RETURN_IF_ERROR(store.Put(host, credentials));
  resp->set_status("Login Succeeded");
  return absl::OkStatus();
}

grpc::Status ImageServiceImpl::Logout(grpc::ServerContext* ctx, const v1::LogoutRequest* req,
                                      v1::LogoutResponse* resp) {
  return ToGrpc(DoLogout(*req, resp), ctx);
}

absl::Status ImageServiceImpl::DoLogout(const v1::LogoutRequest& req, v1::LogoutResponse* resp) {
  const std::string host =
      RegistryHost(req.server().empty() ? registry_.default_registry : req.server());
  if (registry_.credentials_path.empty()) {
    resp->set_removed(false);
    return absl::OkStatus();
  }
  registry::CredentialStore store(registry_.credentials_path);
  absl::Status st = store.Erase(host);
  if (absl::IsNotFound(st)) {
    resp->set_removed(false);
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(st);
  resp->set_removed(true);
  return absl::OkStatus();
}

}  // namespace skiff::manager
