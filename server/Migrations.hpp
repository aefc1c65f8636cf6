#pragma once
// Numbered schema migrations, applied in order at start, one transaction each, recorded
// in schema_migrations. Numbers: core 1-9 (server), ingest 10-19 (pipeline helper),
// library/recordings 20-29 (recorder helper). Never edit an applied migration: add one.
#include <string>
#include <vector>

namespace server {

class Store;

struct Migration {
    int version;
    std::string name;
    std::string sql;
};

std::vector<Migration> allMigrations();  // sorted by version
// Applies the missing ones; returns how many were applied. Throws if the database is
// newer than this binary (has a version we do not know).
int migrate(Store& store);
int schemaVersion(Store& store);

}  // namespace server
