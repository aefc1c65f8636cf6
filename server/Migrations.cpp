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
    return {};
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
