#include <gtest/gtest.h>

#include "TestDir.hpp"
#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/Bootstrap.hpp"
#include "server/LessonService.hpp"
#include "server/Store.hpp"

using namespace server;

namespace {

struct Recorder : LessonListener {
    std::vector<std::string> events;
    void onLessonLive(const Lesson& l) override {
        events.push_back("live " + std::to_string(l.id));
    }
    void onLessonEnded(const Lesson& l) override {
        events.push_back("ended " + std::to_string(l.id));
    }
};

struct LessonFixture : ::testing::Test {
    TestDir dir;
    std::unique_ptr<Store> store = openStore(dir.path);
    LessonService lessons{*store};
    Principal admin{1, "admin", "admin", std::nullopt};
    int64_t teacher = 0, teacher2 = 0, rec = 0, a = 0, b = 0, c = 0;
    int64_t t0 = 1'900'000'000;  // 2030

    void SetUp() override {
        store->run("INSERT INTO schools(name) VALUES ('S')");
        auto room = [&](const char* name, const char* kind) {
            store->run("INSERT INTO classrooms(school_id, name, kind) VALUES (1, ?, ?)", name,
                       kind);
            return store->lastInsertId();
        };
        rec = room("rec", "recording");
        a = room("a", "interactive");
        b = room("b", "interactive");
        c = room("c", "interactive");
        store->run(
            "INSERT INTO users(username, password_hash, role) VALUES ('t1', 'x', 'teacher')");
        teacher = store->lastInsertId();
        store->run(
            "INSERT INTO users(username, password_hash, role) VALUES ('t2', 'x', 'teacher')");
        teacher2 = store->lastInsertId();
    }
    Lesson make(int64_t start, int64_t end, int64_t t, int64_t host, std::vector<int64_t> members) {
        Lesson l;
        l.title = "L";
        l.mode = "dedicated";
        l.subject = "music";
        l.grade = "5";
        l.teacherId = t;
        l.hostClassroomId = host;
        l.memberClassroomIds = members;
        l.startsAt = LessonService::formatTime(start);
        l.endsAt = LessonService::formatTime(end);
        return l;
    }
    std::string codeOf(const std::function<void()>& fn) {
        try {
            fn();
        } catch (const common::ApiError& e) {
            return std::to_string(e.status()) + " " + e.code();
        }
        return "ok";
    }
    int64_t count() {
        auto q = store->query("SELECT COUNT(*) FROM lessons");
        q.step();
        return q.integer(0);
    }
};

}  // namespace

TEST_F(LessonFixture, ValidationRules) {
    lessons.create(make(t0, t0 + 2700, teacher, rec, {a, b}), admin);
    ASSERT_EQ(count(), 1);
    struct Case {
        Lesson lesson;
        const char* expected;
    } cases[] = {
        {make(t0 + 3600, t0 + 3000, teacher, rec, {a}), "400 invalid_time_range"},
        {make(t0 + 3600, t0 + 3600, teacher, rec, {a}), "400 invalid_time_range"},
        {make(t0 + 3600, t0 + 3600 + 90000, teacher, rec, {a}), "400 invalid_time_range"},
        {make(t0 + 3600, t0 + 7200, teacher, rec, {rec}), "400 member_is_host"},
        {make(t0 + 3600, t0 + 7200, teacher, rec, {a, a}), "400 duplicate_member"},
        {make(t0 + 3600, t0 + 7200, teacher, rec, {a, 999}), "400 unknown_classroom"},
        {make(t0 + 3600, t0 + 7200, teacher, 999, {a}), "400 unknown_classroom"},
        {make(t0 + 3600, t0 + 7200, 999, rec, {a}), "400 unknown_teacher"},
        // overlaps the first lesson:
        {make(t0 + 1800, t0 + 5400, teacher, c, {}), "409 teacher_busy"},
        {make(t0 + 1800, t0 + 5400, teacher2, rec, {c}), "409 classroom_busy"},
        {make(t0 - 1800, t0 + 60, teacher2, c, {b}), "409 classroom_busy"},
        {make(t0 + 1800, t0 + 5400, teacher2, b, {}), "409 classroom_busy"},
    };
    for (auto& cs : cases)
        EXPECT_EQ(codeOf([&] { lessons.create(cs.lesson, admin); }), cs.expected);
    EXPECT_EQ(count(), 1);  // nothing was stored by the failures
    Lesson bad = make(t0, t0 + 60, teacher2, c, {});
    bad.mode = "lecture";
    EXPECT_EQ(codeOf([&] { lessons.create(bad, admin); }), "400 invalid_mode");
    // Back to back is not an overlap; another teacher and other rooms at the same time are fine.
    EXPECT_EQ(codeOf([&] {
                  lessons.create(make(t0 + 2700, t0 + 5400, teacher, rec, {a, b}), admin);
              }),
              "ok");
    EXPECT_EQ(codeOf([&] { lessons.create(make(t0, t0 + 2700, teacher2, c, {}), admin); }), "ok");
    EXPECT_EQ(count(), 3);
}

TEST_F(LessonFixture, LifecycleAndScheduler) {
    Recorder events;
    lessons.addListener(&events);
    int64_t now = LessonService::now();
    auto manual = lessons.create(make(now + 3600, now + 7200, teacher, rec, {a}), admin);
    auto due = lessons.create(make(now - 10, now + 3600, teacher2, c, {b}), admin);
    EXPECT_EQ(manual.status, "scheduled");
    EXPECT_EQ(lessons.start(manual.id, admin).status, "live");
    EXPECT_EQ(codeOf([&] { lessons.start(manual.id, admin); }), "409 lesson_live");
    EXPECT_EQ(codeOf([&] { lessons.remove(manual.id, admin); }), "409 lesson_live");
    EXPECT_EQ(lessons.end(manual.id, admin).status, "ended");
    EXPECT_EQ(codeOf([&] { lessons.end(manual.id, admin); }), "409 lesson_ended");
    // The scheduler starts the due lesson and, past its end, ends it.
    EXPECT_EQ(lessons.tick(now), 1);
    EXPECT_EQ(lessons.get(due.id).status, "live");
    EXPECT_EQ(lessons.tick(now), 0);
    EXPECT_EQ(lessons.tick(now + 3600), 1);
    EXPECT_EQ(lessons.get(due.id).status, "ended");
    std::vector<std::string> expected = {
        "live " + std::to_string(manual.id), "ended " + std::to_string(manual.id),
        "live " + std::to_string(due.id), "ended " + std::to_string(due.id)};
    EXPECT_EQ(events.events, expected);
    // Every change left an audit entry.
    auto q = store->query("SELECT COUNT(*) FROM audit_log WHERE entity = 'lesson'");
    q.step();
    EXPECT_EQ(q.integer(0), 6);
}

TEST_F(LessonFixture, Times) {
    EXPECT_EQ(LessonService::parseTime("2026-11-30T08:00:00Z"), 1796025600);
    EXPECT_EQ(LessonService::parseTime("2026-11-30T16:00:00+08:00"), 1796025600);
    EXPECT_EQ(LessonService::parseTime("2026-11-30T08:00:00.123Z"), 1796025600);
    EXPECT_EQ(LessonService::formatTime(1796025600), "2026-11-30T08:00:00Z");
    for (const char* bad :
         {"2026-11-30", "2026-11-30T08:00:00", "2026-02-30T08:00:00Z", "2026-13-01T00:00:00Z",
          "tomorrow", "2026-11-30T08:00:00Zjunk", "2026-11-30T25:00:00Z", "2026-11-30T08:00:00+8"})
        EXPECT_THROW(LessonService::parseTime(bad), std::invalid_argument) << bad;
}
