#include <gtest/gtest.h>

#include "TestDir.hpp"
#include "server/Migrations.hpp"
#include "server/ResourceService.hpp"
#include "server/Store.hpp"

using namespace server;

namespace {

int64_t views(Store& store, int64_t id) {
    auto q = store.query("SELECT views FROM resources WHERE id = ?", id);
    EXPECT_TRUE(q.step());
    return q.integer(0);
}

// Moves a viewer's last counted view back in time, as if that much time had passed.
void age(Store& store, int64_t id, const std::string& viewer, int64_t seconds) {
    store.run(
        "UPDATE resource_view_last SET counted_at = counted_at - ? WHERE resource_id = ? AND "
        "viewer = ?",
        seconds, id, viewer);
}

}  // namespace

TEST(ResourceViews, OncePerViewerPerSlidingHour) {
    TestDir dir;
    auto store = Store::open(dir.path / "db.sqlite");
    migrate(*store);
    store->run("INSERT INTO resources (id, title) VALUES (1, 'Lesson')");
    ResourceService resources(*store);

    EXPECT_TRUE(resources.countView(1, "user:7"));
    EXPECT_FALSE(resources.countView(1, "user:7"));  // again at once
    EXPECT_TRUE(resources.countView(1, "user:8"));   // another viewer
    EXPECT_EQ(views(*store, 1), 2);

    age(*store, 1, "user:7", 3599);  // 59 min 59 s later: same hour for this viewer
    EXPECT_FALSE(resources.countView(1, "user:7"));
    age(*store, 1, "user:7", 1);  // a full hour since the counted view
    EXPECT_TRUE(resources.countView(1, "user:7"));
    EXPECT_FALSE(resources.countView(1, "user:7"));
    EXPECT_EQ(views(*store, 1), 3);
}
