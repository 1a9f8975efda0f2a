#include "manager/metadata/store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "manager/metadata/migrations.h"
#include "manager/metadata/schema.h"
#include "nlohmann/json.hpp"

namespace skiff::manager {
namespace {

constexpr absl::string_view kImageColumns =
    "id, target_digest, target_media_type, target_size, manifest_digest, config_digest, "
    "created, added, size";

ImageRecord ReadImage(const Statement& st) {
  ImageRecord r;
  r.id = st.Text(0);
  r.target_digest = st.Text(1);
  r.target_media_type = st.Text(2);
  r.target_size = st.Int(3);
  r.manifest_digest = st.Text(4);
  r.config_digest = st.Text(5);
  r.created = st.Time(6).value_or(absl::UnixEpoch());
  r.added = st.Time(7).value_or(absl::UnixEpoch());
  r.size = st.Int(8);
  return r;
}

constexpr absl::string_view kContainerColumns =
    "id, name, image, image_id, config, state, pid, created, started_at, finished_at, "
    "exit_code, restart_count, oom_killed, error, labels";

absl::StatusOr<ContainerRecord> ReadContainer(const Statement& st, const std::string& db_path) {
  ContainerRecord r;
  r.id = st.Text(0);
  r.name = st.Text(1);
  r.image = st.Text(2);
  r.image_id = st.Text(3);
  r.config = st.Text(4);
  absl::StatusOr<ContainerState> state = ParseContainerState(st.Text(5));
  if (!state.ok()) {
    return absl::DataLossError(absl::StrCat("metadata `", db_path, "`: container ", r.id, ": ",
                                            state.status().message()));
  }
  r.state = *state;
  r.pid = static_cast<int>(st.Int(6));
  r.created = st.Time(7).value_or(absl::UnixEpoch());
  r.started_at = st.Time(8);
  r.finished_at = st.Time(9);
  r.exit_code = static_cast<int>(st.Int(10));
  r.restart_count = static_cast<int>(st.Int(11));
  r.oom_killed = st.Int(12) != 0;
  r.error = st.Text(13);
  nlohmann::json labels = nlohmann::json::parse(st.Text(14), nullptr, /*allow_exceptions=*/false);
  if (!labels.is_object()) {
    return absl::DataLossError(absl::StrCat("metadata `", db_path, "`: container ", r.id,
                                            ": labels are not a JSON object"));
  }
  for (const auto& [k, v] : labels.items()) {
    if (!v.is_string()) {
      return absl::DataLossError(absl::StrCat("metadata `", db_path, "`: container ", r.id,
                                              ": label ", k, " is not a string"));
    }
    r.labels[k] = v.get<std::string>();
  }
  return r;
}

std::string LabelsJson(const std::map<std::string, std::string>& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  // Invalid UTF-8 is replaced rather than thrown on; labels come from users.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Binds the container's columns as parameters 1..15, in kContainerColumns order.
void BindContainer(Statement& st, const ContainerRecord& c) {
  st.Bind(1, c.id)
      .Bind(2, c.name)
      .Bind(3, c.image)
      .Bind(4, c.image_id)
      .Bind(5, c.config)
      .Bind(6, ContainerStateName(c.state))
      .Bind(7, c.pid)
      .Bind(8, c.created)
      .Bind(9, c.started_at)
      .Bind(10, c.finished_at)
      .Bind(11, c.exit_code)
      .Bind(12, c.restart_count)
      .Bind(13, c.oom_killed ? 1 : 0)
      .Bind(14, c.error)
      .Bind(15, LabelsJson(c.labels));
}

bool IsLowerHex(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

absl::Status NoSuchContainer(absl::string_view ref) {
  return absl::NotFoundError(absl::StrCat("no such container: ", ref));
}

absl::Status NoSuchImage(absl::string_view ref) {
  return absl::NotFoundError(absl::StrCat("no such image: ", ref));
}

std::string ShortId(absl::string_view id) { return std::string(id.substr(0, 12)); }

}  // namespace

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::string& path,
                                                                   const Options& options) {
  Database::Options db_options;
  db_options.busy_timeout = options.busy_timeout;
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path, db_options));
  RETURN_IF_ERROR(Migrate(*db, SchemaMigrations()));
  return std::unique_ptr<MetadataStore>(new MetadataStore(path, std::move(db)));
}

// ---- images ------------------------------------------------------------------

absl::Status MetadataStore::Tx::AddImage(const ImageRecord& image) {
  if (image.id.empty()) return absl::InvalidArgumentError("image record without an id");
  ASSIGN_OR_RETURN(Statement st,
                   db_.Cached(absl::StrCat("INSERT INTO images (", kImageColumns,
                                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  st.Bind(1, image.id)
      .Bind(2, image.target_digest)
      .Bind(3, image.target_media_type)
      .Bind(4, image.target_size)
      .Bind(5, image.manifest_digest)
      .Bind(6, image.config_digest)
      .Bind(7, image.created)
      .Bind(8, image.added)
      .Bind(9, image.size);
  absl::Status s = st.Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("image ", image.id, " is already stored"));
  }
  return s;
}

absl::StatusOr<ImageRecord> MetadataStore::Tx::GetImage(absl::string_view id) {
  ASSIGN_OR_RETURN(Statement st,
                   db_.Cached(absl::StrCat("SELECT ", kImageColumns, " FROM images WHERE id = ?")));
  st.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NoSuchImage(id);
  return ReadImage(st);
}

absl::StatusOr<std::vector<ImageRecord>> MetadataStore::Tx::ListImages() {
  ASSIGN_OR_RETURN(Statement st, db_.Cached(absl::StrCat("SELECT ", kImageColumns,
                                                         " FROM images ORDER BY created DESC, id")));
  std::vector<ImageRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back(ReadImage(st));
  }
}

absl::StatusOr<std::vector<ImageRecord>> MetadataStore::Tx::FindImagesByIdPrefix(
    absl::string_view prefix) {
  absl::string_view hex = prefix;
  absl::ConsumePrefix(&hex, "sha256:");
  if (!IsLowerHex(hex)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", prefix, "\" is not an image id prefix (lower-case hex digits)"));
  }
  ASSIGN_OR_RETURN(Statement st, db_.Cached(absl::StrCat("SELECT ", kImageColumns,
                                                         " FROM images WHERE id GLOB ? ORDER BY id")));
  // Hex digits are not GLOB metacharacters.
  st.Bind(1, absl::StrCat("sha256:", hex, "*"));
  std::vector<ImageRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back(ReadImage(st));
  }
}

absl::Status MetadataStore::Tx::DeleteImage(absl::string_view id) {
  ASSIGN_OR_RETURN(Statement st, db_.Cached("DELETE FROM images WHERE id = ?"));
  st.Bind(1, id);
  RETURN_IF_ERROR(st.Run());
  if (st.Changes() == 0) return NoSuchImage(id);
  return absl::OkStatus();
}

// ---- tags --------------------------------------------------------------------

absl::StatusOr<std::optional<std::string>> MetadataStore::Tx::SetTag(absl::string_view reference,
                                                                     absl::string_view image_id) {
  if (reference.empty()) return absl::InvalidArgumentError("empty image reference");
  // The image must exist: a clear NotFound rather than the foreign key's
  // error.
  RETURN_IF_ERROR(GetImage(image_id).status());
  std::optional<std::string> previous;
  absl::StatusOr<TagRecord> old = GetTag(reference);
  if (old.ok()) {
    if (old->image_id != image_id) previous = old->image_id;
  } else if (!absl::IsNotFound(old.status())) {
    return old.status();
  }
  ASSIGN_OR_RETURN(Statement st,
                   db_.Cached("INSERT INTO tags (reference, image_id, tagged_at) VALUES (?, ?, ?) "
                              "ON CONFLICT (reference) DO UPDATE SET image_id = excluded.image_id, "
                              "tagged_at = excluded.tagged_at"));
  st.Bind(1, reference).Bind(2, image_id).Bind(3, absl::Now());
  RETURN_IF_ERROR(st.Run());
  return previous;
}

absl::StatusOr<TagRecord> MetadataStore::Tx::GetTag(absl::string_view reference) {
  ASSIGN_OR_RETURN(Statement st,
                   db_.Cached("SELECT reference, image_id, tagged_at FROM tags WHERE reference = ?"));
  st.Bind(1, reference);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NoSuchImage(reference);
  return TagRecord{st.Text(0), st.Text(1), st.Time(2).value_or(absl::UnixEpoch())};
}

absl::Status MetadataStore::Tx::DeleteTag(absl::string_view reference) {
  ASSIGN_OR_RETURN(Statement st, db_.Cached("DELETE FROM tags WHERE reference = ?"));
  st.Bind(1, reference);
  RETURN_IF_ERROR(st.Run());
  if (st.Changes() == 0) return NoSuchImage(reference);
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::vector<TagRecord>> ReadTags(Statement& st) {
  std::vector<TagRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    out.push_back(TagRecord{st.Text(0), st.Text(1), st.Time(2).value_or(absl::UnixEpoch())});
  }
}

}  // namespace

absl::StatusOr<std::vector<TagRecord>> MetadataStore::Tx::ListTags() {
  ASSIGN_OR_RETURN(Statement st,
                   db_.Cached("SELECT reference, image_id, tagged_at FROM tags ORDER BY reference"));
  return ReadTags(st);
}

absl::StatusOr<std::vector<TagRecord>> MetadataStore::Tx::TagsOfImage(absl::string_view image_id) {
  ASSIGN_OR_RETURN(Statement st, db_.Cached("SELECT reference, image_id, tagged_at FROM tags "
                                            "WHERE image_id = ? ORDER BY reference"));
  st.Bind(1, image_id);
  return ReadTags(st);
}

// ---- containers --------------------------------------------------------------

absl::Status MetadataStore::Tx::NameFree(absl::string_view name, absl::string_view except_id) {
  absl::StatusOr<ContainerRecord> holder = GetContainerByName(name);
  if (absl::IsNotFound(holder.status())) return absl::OkStatus();
  if (!holder.ok()) return holder.status();
  if (holder->id == except_id) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat("container name \"", name,
                                               "\" is already in use by container ",
                                               ShortId(holder->id),
                                               ": remove or rename that container, or pick "
                                               "another name"));
}

absl::Status MetadataStore::Tx::AddContainer(const ContainerRecord& c) {
  if (c.id.empty()) return absl::InvalidArgumentError("container record without an id");
  if (c.name.empty()) return absl::InvalidArgumentError("container record without a name");
  RETURN_IF_ERROR(NameFree(c.name, ""));
  ASSIGN_OR_RETURN(Statement st,
                   db_.Cached(absl::StrCat("INSERT INTO containers (", kContainerColumns,
                                           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  BindContainer(st, c);
  absl::Status s = st.Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("container id ", c.id, " is already in use"));
  }
  return s;
}

absl::StatusOr<std::vector<ContainerRecord>> MetadataStore::Tx::QueryContainers(
    absl::string_view where, absl::string_view arg) {
  ASSIGN_OR_RETURN(Statement st, db_.Cached(absl::StrCat("SELECT ", kContainerColumns,
                                                         " FROM containers ", where)));
  if (!arg.empty()) st.Bind(1, arg);
  std::vector<ContainerRecord> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return out;
    ASSIGN_OR_RETURN(ContainerRecord c, ReadContainer(st, db_.path()));
    out.push_back(std::move(c));
  }
}

absl::StatusOr<ContainerRecord> MetadataStore::Tx::GetContainer(absl::string_view id) {
  if (id.empty()) return NoSuchContainer("\"\"");
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> rows, QueryContainers("WHERE id = ?", id));
  if (rows.empty()) return NoSuchContainer(id);
  return std::move(rows[0]);
}

absl::StatusOr<ContainerRecord> MetadataStore::Tx::GetContainerByName(absl::string_view name) {
  if (name.empty()) return NoSuchContainer("\"\"");
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> rows, QueryContainers("WHERE name = ?", name));
  if (rows.empty()) return NoSuchContainer(name);
  return std::move(rows[0]);
}

absl::StatusOr<ContainerRecord> MetadataStore::Tx::ResolveContainer(absl::string_view ref) {
  absl::string_view name = ref;
  absl::ConsumePrefix(&name, "/");
  if (name.empty()) return absl::InvalidArgumentError("empty container name or id");

  absl::StatusOr<ContainerRecord> c = GetContainer(name);
  if (!absl::IsNotFound(c.status())) return c;
  c = GetContainerByName(name);
  if (!absl::IsNotFound(c.status())) return c;
  if (!IsLowerHex(name)) return NoSuchContainer(ref);

  // Hex digits are not GLOB metacharacters.
  ASSIGN_OR_RETURN(std::vector<ContainerRecord> rows,
                   QueryContainers("WHERE id GLOB ? ORDER BY id LIMIT 6", absl::StrCat(name, "*")));
  if (rows.empty()) return NoSuchContainer(ref);
  if (rows.size() == 1) return std::move(rows[0]);
  std::vector<std::string> candidates;
  for (size_t i = 0; i < rows.size() && i < 5; ++i) {
    candidates.push_back(absl::StrCat(ShortId(rows[i].id), " (", rows[i].name, ")"));
  }
  if (rows.size() > 5) candidates.push_back("...");
  return absl::InvalidArgumentError(
      absl::StrCat("container id prefix \"", name, "\" is ambiguous: it matches ",
                   absl::StrJoin(candidates, ", "), "; give more digits or the name"));
}

absl::StatusOr<std::vector<ContainerRecord>> MetadataStore::Tx::ListContainers() {
  return QueryContainers("ORDER BY created DESC, id", "");
}

absl::StatusOr<std::vector<ContainerRecord>> MetadataStore::Tx::ContainersUsingImage(
    absl::string_view image_id) {
  if (image_id.empty()) return std::vector<ContainerRecord>{};
  return QueryContainers("WHERE image_id = ? ORDER BY created DESC, id", image_id);
}

absl::Status MetadataStore::Tx::UpdateContainer(const ContainerRecord& c) {
  if (c.name.empty()) return absl::InvalidArgumentError("container record without a name");
  RETURN_IF_ERROR(NameFree(c.name, c.id));
  // Parameters numbered as BindContainer binds them; created (?8) is not
  // written.
  ASSIGN_OR_RETURN(Statement st,
                   db_.Cached("UPDATE containers SET name = ?2, image = ?3, image_id = ?4, "
                              "config = ?5, state = ?6, pid = ?7, started_at = ?9, "
                              "finished_at = ?10, exit_code = ?11, restart_count = ?12, "
                              "oom_killed = ?13, error = ?14, labels = ?15 WHERE id = ?1"));
  BindContainer(st, c);
  RETURN_IF_ERROR(st.Run());
  if (st.Changes() == 0) return NoSuchContainer(c.id);
  return absl::OkStatus();
}

absl::Status MetadataStore::Tx::RenameContainer(absl::string_view id, absl::string_view new_name) {
  if (new_name.empty()) return absl::InvalidArgumentError("empty container name");
  RETURN_IF_ERROR(NameFree(new_name, id));
  ASSIGN_OR_RETURN(Statement st, db_.Cached("UPDATE containers SET name = ? WHERE id = ?"));
  st.Bind(1, new_name).Bind(2, id);
  RETURN_IF_ERROR(st.Run());
  if (st.Changes() == 0) return NoSuchContainer(id);
  return absl::OkStatus();
}

absl::Status MetadataStore::Tx::DeleteContainer(absl::string_view id) {
  ASSIGN_OR_RETURN(Statement st, db_.Cached("DELETE FROM containers WHERE id = ?"));
  st.Bind(1, id);
  RETURN_IF_ERROR(st.Run());
  if (st.Changes() == 0) return NoSuchContainer(id);
  return absl::OkStatus();
}

}  // namespace skiff::manager
