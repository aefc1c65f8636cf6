#include <gtest/gtest.h>

#include "TestDir.hpp"
#include "server/Migrations.hpp"
#include "server/Store.hpp"

using namespace server;

TEST(Migrations, EmptyDatabaseGetsEverySchemaVersion) {
    TestDir dir;
    auto store = Store::open(dir.path / "db.sqlite");
    EXPECT_EQ(schemaVersion(*store), 0);
    auto all = allMigrations();
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(migrate(*store), static_cast<int>(all.size()));
    EXPECT_EQ(schemaVersion(*store), all.back().version);
    for (const char* table :
         {"schools", "classrooms", "users", "lessons", "lesson_members", "audit_log"}) {
        auto q = store->query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", table);
        EXPECT_TRUE(q.step()) << table;
    }
    auto fk = store->query("PRAGMA foreign_keys");
    ASSERT_TRUE(fk.step());
    EXPECT_EQ(fk.integer(0), 1);
    auto wal = store->query("PRAGMA journal_mode");
    ASSERT_TRUE(wal.step());
    EXPECT_EQ(wal.text(0), "wal");
}

TEST(Migrations, ExistingDatabaseIsKeptAndNotMigratedTwice) {
    TestDir dir;
    {
        auto store = Store::open(dir.path / "db.sqlite");
        migrate(*store);
        store->run("INSERT INTO schools(name) VALUES ('Kept')");
    }
    auto store = Store::open(dir.path / "db.sqlite");
    EXPECT_EQ(migrate(*store), 0);
    EXPECT_EQ(migrate(*store), 0);
    auto q = store->query("SELECT name FROM schools");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.text(0), "Kept");
    auto count = store->query("SELECT COUNT(*) FROM schema_migrations");
    ASSERT_TRUE(count.step());
    EXPECT_EQ(count.integer(0), static_cast<int64_t>(allMigrations().size()));
}

TEST(Migrations, ADatabaseFromANewerBuildIsRefused) {
    TestDir dir;
    auto store = Store::open(dir.path / "db.sqlite");
    migrate(*store);
    store->run("INSERT INTO schema_migrations(version, name) VALUES (999, 'future')");
    EXPECT_THROW(migrate(*store), std::runtime_error);
}

TEST(Migrations, VersionsAreUniqueAndOrdered) {
    auto all = allMigrations();
    for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].version, all[i].version);
    EXPECT_EQ(all.front().version, 1);
}

TEST(Store, TransactionsRollBackOnError) {
    TestDir dir;
    auto store = Store::open(dir.path / "db.sqlite");
    migrate(*store);
    EXPECT_THROW(store->transaction([&] {
        store->run("INSERT INTO schools(name) VALUES ('A')");
        store->run("INSERT INTO schools(name) VALUES ('A')");  // UNIQUE
    }),
                 ConstraintError);
    auto q = store->query("SELECT COUNT(*) FROM schools");
    ASSERT_TRUE(q.step());
    EXPECT_EQ(q.integer(0), 0);
    // Foreign keys are enforced.
    EXPECT_THROW(
        store->run("INSERT INTO classrooms(school_id, name, kind) VALUES (42, 'x', 'recording')"),
        ConstraintError);
    // SQL-looking text is stored as text.
    store->run("INSERT INTO schools(name) VALUES (?)", "x'); DROP TABLE schools; --");
    auto s = store->query("SELECT name FROM schools");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.text(0), "x'); DROP TABLE schools; --");
}
