#include "manager/metadata/schema.h"

namespace skiff::manager {
namespace {

// Times are Unix nanoseconds (INTEGER); NULL means "never". STRICT tables
// make SQLite check the column types.
constexpr Migration kMigrations[] = {
    {1, "images, tags and containers",
     R"sql(
CREATE TABLE images (
  id                TEXT PRIMARY KEY,
  target_digest     TEXT NOT NULL,
  target_media_type TEXT NOT NULL,
  target_size       INTEGER NOT NULL,
  manifest_digest   TEXT NOT NULL,
  config_digest     TEXT NOT NULL,
  created           INTEGER NOT NULL,
  added             INTEGER NOT NULL,
  size              INTEGER NOT NULL
) STRICT;

CREATE TABLE tags (
  reference TEXT PRIMARY KEY,
  image_id  TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  tagged_at INTEGER NOT NULL
) STRICT;
CREATE INDEX tags_by_image ON tags (image_id);

CREATE TABLE containers (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  image         TEXT NOT NULL,
  -- No foreign key: `rmi --force` may remove an image a container still uses.
  image_id      TEXT NOT NULL,
  config        TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('created', 'running', 'paused', 'restarting',
                                               'removing', 'exited', 'dead')),
  pid           INTEGER NOT NULL DEFAULT 0,
  created       INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER,
  exit_code     INTEGER NOT NULL DEFAULT 0,
  restart_count INTEGER NOT NULL DEFAULT 0,
  oom_killed    INTEGER NOT NULL DEFAULT 0,
  error         TEXT NOT NULL DEFAULT '',
  -- JSON object of string values.
  labels        TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX containers_by_image ON containers (image_id);
)sql"},
};

}  // namespace

absl::Span<const Migration> SchemaMigrations() { return kMigrations; }

}  // namespace skiff::manager
