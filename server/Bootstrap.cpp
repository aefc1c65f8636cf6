#include "server/Bootstrap.hpp"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "server/Auth.hpp"
#include "server/LessonService.hpp"
#include "server/Migrations.hpp"
#include "server/Store.hpp"

namespace server {

std::unique_ptr<Store> openStore(const std::filesystem::path& dataDir) {
    std::error_code ec;
    if (!std::filesystem::exists(dataDir)) {
        std::filesystem::create_directories(dataDir, ec);
        if (ec)
            throw std::runtime_error("cannot create data dir " + dataDir.string() + ": " +
                                     ec.message());
        ::chmod(dataDir.c_str(), 0700);
    }
    if (!std::filesystem::is_directory(dataDir))
        throw std::runtime_error(dataDir.string() + " is not a directory");
    auto store = Store::open(dataDir / "classbridge.db");
    migrate(*store);
    return store;
}

std::optional<std::string> ensureAdmin(Store& store, const std::string& configured) {
    return store.transaction([&]() -> std::optional<std::string> {
        if (store.query("SELECT 1 FROM users WHERE role = 'admin'").step()) return std::nullopt;
        std::string pw = configured.empty() ? randomPassword(16) : configured;
        if (pw.size() < 8)
            throw std::runtime_error("the admin password needs at least 8 characters");
        int64_t id = 0;
        auto existing = store.query("SELECT id FROM users WHERE username = 'admin'");
        if (existing.step()) {
            id = existing.integer(0);
            store.run(
                "UPDATE users SET role='admin', classroom_id=NULL, password_hash=? WHERE id=?",
                password::hash(pw), id);
        } else {
            store.run(
                "INSERT INTO users(username, password_hash, role, display_name) VALUES ('admin', "
                "?, "
                "'admin', 'Administrator')",
                password::hash(pw));
            id = store.lastInsertId();
        }
        audit(store, nullptr, "create", "user", id, R"({"username":"admin","role":"admin"})");
        if (configured.empty()) return pw;
        return std::nullopt;
    });
}

namespace {

int64_t upsertSchool(Store& s, const std::string& name, const std::string& region) {
    auto q = s.query("SELECT id FROM schools WHERE name = ?", name);
    if (q.step()) return q.integer(0);
    s.run("INSERT INTO schools(name, region) VALUES (?, ?)", name, region);
    int64_t id = s.lastInsertId();
    audit(s, nullptr, "create", "school", id,
          nlohmann::json{{"name", name}, {"demo", true}}.dump());
    return id;
}

int64_t upsertClassroom(Store& s, int64_t school, const std::string& name,
                        const std::string& kind) {
    auto q = s.query("SELECT id FROM classrooms WHERE school_id = ? AND name = ?", school, name);
    if (q.step()) return q.integer(0);
    s.run("INSERT INTO classrooms(school_id, name, kind) VALUES (?, ?, ?)", school, name, kind);
    int64_t id = s.lastInsertId();
    audit(s, nullptr, "create", "classroom", id,
          nlohmann::json{{"name", name}, {"demo", true}}.dump());
    return id;
}

// Demo accounts always get the demo password back, so the printed logins work.
int64_t upsertUser(Store& s, const std::string& name, const std::string& role,
                   std::optional<int64_t> classroom, const std::string& display,
                   const std::string& pw) {
    std::string hash = password::hash(pw);
    auto q = s.query("SELECT id FROM users WHERE username = ?", name);
    if (q.step()) {
        int64_t id = q.integer(0);
        s.run("UPDATE users SET password_hash = ?, role = ?, classroom_id = ? WHERE id = ?", hash,
              role, classroom, id);
        return id;
    }
    s.run(
        "INSERT INTO users(username, password_hash, role, classroom_id, display_name) VALUES (?, "
        "?, ?, ?, ?)",
        name, hash, role, classroom, display);
    int64_t id = s.lastInsertId();
    audit(s, nullptr, "create", "user", id,
          nlohmann::json{{"username", name}, {"role", role}, {"demo", true}}.dump());
    return id;
}

}  // namespace

DemoInfo seedDemo(Store& s, LessonService& lessons, const std::string& adminPassword) {
    DemoInfo info;
    info.adminPassword = adminPassword.empty() ? "demo-admin" : adminPassword;
    info.userPassword = "classbridge-demo";
    int64_t teacher = 0, rec = 0, roomA = 0, roomB = 0;
    s.transaction([&] {
        upsertUser(s, "admin", "admin", std::nullopt, "Administrator", info.adminPassword);
        int64_t core = upsertSchool(s, "Changsha No.1 Experimental School", "Changsha");
        int64_t rural = upsertSchool(s, "Xiangxi Hope Primary School", "Xiangxi");
        rec = upsertClassroom(s, core, "Recording Classroom 1", "recording");
        roomA = upsertClassroom(s, rural, "Interactive Classroom A", "interactive");
        roomB = upsertClassroom(s, rural, "Interactive Classroom B", "interactive");
        teacher =
            upsertUser(s, "teacher", "teacher", std::nullopt, "Ms. Li (music)", info.userPassword);
        upsertUser(s, "staff", "staff", std::nullopt, "Resource staff", info.userPassword);
        upsertUser(s, "classroom-a", "classroom", roomA, "Classroom A", info.userPassword);
        upsertUser(s, "classroom-b", "classroom", roomB, "Classroom B", info.userPassword);
        upsertUser(s, "viewer", "viewer", std::nullopt, "Viewer", info.userPassword);
    });
    int64_t now = LessonService::now();
    // Reuse the demo lesson while it is live; otherwise end whatever blocks the demo
    // rooms and make a fresh one.
    for (const auto& l : lessons.live()) {
        if (l.title == "Demo: Music with Ms. Li" && l.endsAtUnix > now + 600) {
            info.lessonId = l.id;
            return info;
        }
    }
    Principal system{0, "demo", "admin", std::nullopt};
    LessonFilter f;
    f.teacherId = teacher;
    for (const auto& l : lessons.list(f))
        if (l.status != "ended" && l.startsAtUnix < now + 8 * 3600) lessons.end(l.id, system);
    for (int64_t room : {rec, roomA, roomB}) {
        LessonFilter byRoom;
        byRoom.classroomId = room;
        for (const auto& l : lessons.list(byRoom))
            if (l.status != "ended" && l.startsAtUnix < now + 8 * 3600) lessons.end(l.id, system);
    }
    Lesson l;
    l.title = "Demo: Music with Ms. Li";
    l.mode = "dedicated";
    l.subject = "music";
    l.grade = "4";
    l.teacherId = teacher;
    l.hostClassroomId = rec;
    l.memberClassroomIds = {roomA, roomB};
    l.startsAt = LessonService::formatTime(now - 60);
    l.endsAt = LessonService::formatTime(now + 8 * 3600);
    l.record = true;
    Lesson created = lessons.create(l, system);
    lessons.start(created.id, system);
    info.lessonId = created.id;
    return info;
}

}  // namespace server
