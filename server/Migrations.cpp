#include "server/Migrations.hpp"

#include <algorithm>
#include <stdexcept>

#include "server/Store.hpp"

namespace server {

namespace {

// ---- core (server), versions 1-9 ----
std::vector<Migration> coreMigrations() {
    return {
        {1, "core schema", R"SQL(
CREATE TABLE schools (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  region TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TABLE classrooms (
  id INTEGER PRIMARY KEY,
  school_id INTEGER NOT NULL REFERENCES schools(id) ON DELETE RESTRICT,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('recording','interactive')),
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  UNIQUE (school_id, name)
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin','teacher','classroom','staff','viewer')),
  display_name TEXT NOT NULL DEFAULT '',
  classroom_id INTEGER REFERENCES classrooms(id) ON DELETE RESTRICT,
  created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE TABLE lessons (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('dedicated','famous_teacher','famous_school')),
  subject TEXT NOT NULL,
  grade TEXT NOT NULL,
  teacher_id INTEGER NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
  host_classroom_id INTEGER NOT NULL REFERENCES classrooms(id) ON DELETE RESTRICT,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  record INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','live','ended')),
  started_at INTEGER,
  ended_at INTEGER,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  CHECK (ends_at > starts_at)
);
CREATE INDEX lessons_time ON lessons(starts_at, ends_at);
CREATE INDEX lessons_status ON lessons(status);
CREATE TABLE lesson_members (
  lesson_id INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  classroom_id INTEGER NOT NULL REFERENCES classrooms(id) ON DELETE RESTRICT,
  PRIMARY KEY (lesson_id, classroom_id)
);
CREATE INDEX lesson_members_classroom ON lesson_members(classroom_id);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  user_id INTEGER,
  username TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  entity_id INTEGER,
  detail TEXT NOT NULL DEFAULT '{}',
  at INTEGER NOT NULL DEFAULT (unixepoch())
);
)SQL"},
    };
}

// ---- ingest (pipeline helper), versions 10-19: add entries here ----
std::vector<Migration> ingestMigrations() {
    return {
        {10, "lesson sources", R"SQL(
CREATE TABLE lesson_sources (
  id INTEGER PRIMARY KEY,
  lesson_id INTEGER NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  uri TEXT NOT NULL,
  transcode INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  UNIQUE (lesson_id, name)
);
CREATE TABLE lesson_main_source (
  lesson_id INTEGER PRIMARY KEY REFERENCES lessons(id) ON DELETE CASCADE,
  name TEXT NOT NULL
);
)SQL"},
    };
}

// ---- library / recordings (recorder helper), versions 20-29: add entries here ----
std::vector<Migration> libraryMigrations() {
    return {
        {20, "recordings and library", R"SQL(
CREATE TABLE recordings (
  id INTEGER PRIMARY KEY,
  lesson_id INTEGER NOT NULL REFERENCES lessons(id) ON DELETE RESTRICT,
  source TEXT NOT NULL,
  dir TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL DEFAULT 'recording' CHECK (state IN ('recording','finished','failed')),
  error TEXT NOT NULL DEFAULT '',
  recovered INTEGER NOT NULL DEFAULT 0,
  duration REAL NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX recordings_lesson ON recordings(lesson_id);
CREATE TABLE resources (
  id INTEGER PRIMARY KEY,
  recording_id INTEGER UNIQUE REFERENCES recordings(id) ON DELETE SET NULL,
  lesson_id INTEGER REFERENCES lessons(id) ON DELETE SET NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  grade TEXT NOT NULL DEFAULT '',
  teacher_id INTEGER,
  teacher TEXT NOT NULL DEFAULT '',
  school_id INTEGER,
  school TEXT NOT NULL DEFAULT '',
  region TEXT NOT NULL DEFAULT '',
  taken_on TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft','submitted','approved','rejected','published','unpublished')),
  reject_reason TEXT NOT NULL DEFAULT '',
  visibility TEXT NOT NULL DEFAULT 'school' CHECK (visibility IN ('public','region','school')),
  trim_start REAL NOT NULL DEFAULT 0,
  trim_end REAL,
  processing TEXT NOT NULL DEFAULT 'pending' CHECK (processing IN ('pending','running','ready','failed')),
  processing_error TEXT NOT NULL DEFAULT '',
  duration REAL NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0,
  views INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch()),
  published_at INTEGER
);
CREATE INDEX resources_status ON resources(status);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','running','done','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX jobs_state ON jobs(state);
CREATE TABLE resource_views (
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  viewer TEXT NOT NULL,
  hour INTEGER NOT NULL,
  PRIMARY KEY (resource_id, viewer, hour)
);
CREATE TABLE resource_ratings (
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL,
  stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
  at INTEGER NOT NULL DEFAULT (unixepoch()),
  PRIMARY KEY (resource_id, user_id)
);
CREATE TABLE resource_comments (
  id INTEGER PRIMARY KEY,
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL,
  username TEXT NOT NULL,
  body TEXT NOT NULL,
  hidden INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT (unixepoch())
);
CREATE INDEX resource_comments_resource ON resource_comments(resource_id);
)SQL"},
        // A view counts once per viewer per hour: a sliding hour since the viewer's last
        // counted view, not a calendar hour (two views a minute apart across 10:00 were two).
        {21, "views per viewer per sliding hour", R"SQL(
CREATE TABLE resource_view_last (
  resource_id INTEGER NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
  viewer TEXT NOT NULL,
  counted_at INTEGER NOT NULL,
  PRIMARY KEY (resource_id, viewer)
);
INSERT INTO resource_view_last (resource_id, viewer, counted_at)
  SELECT resource_id, viewer, MAX(hour) * 3600 FROM resource_views GROUP BY resource_id, viewer;
DROP TABLE resource_views;
)SQL"},
    };
}

}  // namespace

std::vector<Migration> allMigrations() {
    std::vector<Migration> all = coreMigrations();
    for (auto& m : ingestMigrations()) all.push_back(std::move(m));
    for (auto& m : libraryMigrations()) all.push_back(std::move(m));
    std::sort(all.begin(), all.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    for (size_t i = 1; i < all.size(); ++i)
        if (all[i].version == all[i - 1].version)
            throw std::logic_error("duplicate migration version " + std::to_string(all[i].version));
    return all;
}

int schemaVersion(Store& store) {
    store.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT "
        "NOT NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))");
    auto q = store.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    q.step();
    return static_cast<int>(q.integer(0));
}

int migrate(Store& store) {
    std::lock_guard lock(store.mutex());
    schemaVersion(store);  // creates the table
    auto all = allMigrations();
    // Applied versions we do not know mean a newer binary wrote this database.
    auto q = store.query("SELECT version FROM schema_migrations ORDER BY version");
    std::vector<int> applied;
    while (q.step()) applied.push_back(static_cast<int>(q.integer(0)));
    for (int v : applied) {
        bool known = std::any_of(all.begin(), all.end(), [v](auto& m) { return m.version == v; });
        if (!known)
            throw std::runtime_error("database has schema version " + std::to_string(v) +
                                     " unknown to this build; refusing to start");
    }
    int count = 0;
    for (const auto& m : all) {
        if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
        store.transaction([&] {
            store.exec(m.sql);
            store.run("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", m.version,
                      m.name);
        });
        ++count;
    }
    return count;
}

}  // namespace server
