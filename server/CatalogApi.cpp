#include "server/CatalogApi.hpp"

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/LessonService.hpp"
#include "server/Store.hpp"
#include "server/Validation.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

using common::ApiError;
using nlohmann::json;
using signaling::Request;
using signaling::Response;

namespace {

json schoolJson(Statement& q) {
    return {{"id", q.integer(0)}, {"name", q.text(1)}, {"region", q.text(2)}};
}
json classroomJson(Statement& q) {
    return {{"id", q.integer(0)},
            {"school_id", q.integer(1)},
            {"name", q.text(2)},
            {"kind", q.text(3)}};
}
json userJson(Statement& q) {
    json j = {{"id", q.integer(0)},
              {"username", q.text(1)},
              {"role", q.text(2)},
              {"display_name", q.text(3)},
              {"classroom_id", nullptr}};
    if (!q.isNull(4)) j["classroom_id"] = q.integer(4);
    return j;
}

constexpr const char* kSchoolCols = "SELECT id, name, region FROM schools";
constexpr const char* kClassroomCols = "SELECT id, school_id, name, kind FROM classrooms";
constexpr const char* kUserCols =
    "SELECT id, username, role, display_name, classroom_id FROM users";

json fetchOne(Store& store, const std::string& sql, int64_t id, json (*conv)(Statement&),
              const char* what) {
    auto q = store.query(sql + " WHERE id = ?", id);
    if (!q.step()) throw ApiError::notFound(std::string("no ") + what + " " + std::to_string(id));
    return conv(q);
}

void requireReader(const Auth& auth, const Principal& p) {
    auth.requireRole(p, {"admin", "teacher", "classroom", "staff"});
}

// UNIQUE and FOREIGN KEY violations become 409 with the caller's code.
template <class F>
auto mapConstraint(const char* code, const std::string& msg, F&& fn) {
    try {
        return fn();
    } catch (const ConstraintError&) {
        throw ApiError::conflict(code, msg);
    }
}

}  // namespace

void CatalogApi::registerRoutes(signaling::HttpServer& http) {
    registerSchools(http);
    registerClassrooms(http);
    registerUsers(http);
}

void CatalogApi::registerSchools(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/schools", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        requireReader(ctx_.auth, p);
        std::lock_guard lock(ctx_.store.mutex());
        auto q = ctx_.store.query(std::string(kSchoolCols) + " ORDER BY name, id");
        json out = json::array();
        while (q.step()) out.push_back(schoolJson(q));
        return jsonResponse(200, out);
    });
    http.route("GET", "/api/v1/schools/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        requireReader(ctx_.auth, p);
        std::lock_guard lock(ctx_.store.mutex());
        return jsonResponse(
            200, fetchOne(ctx_.store, kSchoolCols, parseId(r.param("id")), schoolJson, "school"));
    });
    http.route("POST", "/api/v1/schools", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        auto b = JsonBody::parse(r, {"name", "region"});
        auto name = b.requiredString("name", 1, 200);
        auto region = b.optString("region", 0, 200).value_or("");
        return ctx_.store.transaction([&] {
            mapConstraint("name_taken", "a school with that name exists", [&] {
                ctx_.store.run("INSERT INTO schools(name, region) VALUES (?, ?)", name, region);
            });
            int64_t id = ctx_.store.lastInsertId();
            audit(ctx_.store, &p, "create", "school", id, json{{"name", name}}.dump());
            return jsonResponse(201, fetchOne(ctx_.store, kSchoolCols, id, schoolJson, "school"));
        });
    });
    http.route("PATCH", "/api/v1/schools/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        int64_t id = parseId(r.param("id"));
        auto b = JsonBody::parse(r, {"name", "region"});
        auto name = b.optString("name", 1, 200);
        auto region = b.optString("region", 0, 200);
        return ctx_.store.transaction([&] {
            fetchOne(ctx_.store, kSchoolCols, id, schoolJson, "school");
            mapConstraint("name_taken", "a school with that name exists", [&] {
                ctx_.store.run(
                    "UPDATE schools SET name = COALESCE(?, name), region = COALESCE(?, region) "
                    "WHERE id = ?",
                    name, region, id);
            });
            audit(ctx_.store, &p, "update", "school", id, b.json().dump());
            return jsonResponse(200, fetchOne(ctx_.store, kSchoolCols, id, schoolJson, "school"));
        });
    });
    http.route("DELETE", "/api/v1/schools/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        int64_t id = parseId(r.param("id"));
        return ctx_.store.transaction([&] {
            auto before = fetchOne(ctx_.store, kSchoolCols, id, schoolJson, "school");
            mapConstraint("in_use", "the school still has classrooms",
                          [&] { ctx_.store.run("DELETE FROM schools WHERE id = ?", id); });
            audit(ctx_.store, &p, "delete", "school", id, before.dump());
            return noContent();
        });
    });
}

void CatalogApi::registerClassrooms(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/classrooms", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        requireReader(ctx_.auth, p);
        std::optional<int64_t> school;
        if (!r.queryParam("school_id").empty()) school = parseId(r.queryParam("school_id"));
        std::lock_guard lock(ctx_.store.mutex());
        auto q = ctx_.store.query(
            std::string(kClassroomCols) +
                " WHERE (?1 IS NULL OR school_id = ?1) ORDER BY school_id, name, id",
            school);
        json out = json::array();
        while (q.step()) out.push_back(classroomJson(q));
        return jsonResponse(200, out);
    });
    http.route("GET", "/api/v1/classrooms/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        requireReader(ctx_.auth, p);
        std::lock_guard lock(ctx_.store.mutex());
        return jsonResponse(200, fetchOne(ctx_.store, kClassroomCols, parseId(r.param("id")),
                                          classroomJson, "classroom"));
    });
    http.route("POST", "/api/v1/classrooms", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        auto b = JsonBody::parse(r, {"school_id", "name", "kind"});
        int64_t school = b.requiredId("school_id");
        auto name = b.requiredString("name", 1, 200);
        auto kind = b.requiredEnum("kind", {"recording", "interactive"});
        return ctx_.store.transaction([&] {
            if (!ctx_.store.query("SELECT 1 FROM schools WHERE id = ?", school).step())
                throw ApiError::badRequest("unknown_school", "no school " + std::to_string(school));
            mapConstraint("name_taken", "the school already has a classroom with that name", [&] {
                ctx_.store.run("INSERT INTO classrooms(school_id, name, kind) VALUES (?, ?, ?)",
                               school, name, kind);
            });
            int64_t id = ctx_.store.lastInsertId();
            audit(ctx_.store, &p, "create", "classroom", id, b.json().dump());
            return jsonResponse(
                201, fetchOne(ctx_.store, kClassroomCols, id, classroomJson, "classroom"));
        });
    });
    http.route("PATCH", "/api/v1/classrooms/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        int64_t id = parseId(r.param("id"));
        auto b = JsonBody::parse(r, {"school_id", "name", "kind"});
        auto school = b.optId("school_id");
        if (b.isNull("school_id"))
            throw ApiError::badRequest("invalid_value", "school_id cannot be null");
        auto name = b.optString("name", 1, 200);
        auto kind = b.optEnum("kind", {"recording", "interactive"});
        return ctx_.store.transaction([&] {
            fetchOne(ctx_.store, kClassroomCols, id, classroomJson, "classroom");
            if (school && !ctx_.store.query("SELECT 1 FROM schools WHERE id = ?", *school).step())
                throw ApiError::badRequest("unknown_school",
                                           "no school " + std::to_string(*school));
            mapConstraint("name_taken", "the school already has a classroom with that name", [&] {
                ctx_.store.run(
                    "UPDATE classrooms SET school_id = COALESCE(?, school_id), name = COALESCE(?, "
                    "name), "
                    "kind = COALESCE(?, kind) WHERE id = ?",
                    school, name, kind, id);
            });
            audit(ctx_.store, &p, "update", "classroom", id, b.json().dump());
            return jsonResponse(
                200, fetchOne(ctx_.store, kClassroomCols, id, classroomJson, "classroom"));
        });
    });
    http.route("DELETE", "/api/v1/classrooms/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        int64_t id = parseId(r.param("id"));
        return ctx_.store.transaction([&] {
            auto before = fetchOne(ctx_.store, kClassroomCols, id, classroomJson, "classroom");
            mapConstraint("in_use", "the classroom still has users or lessons",
                          [&] { ctx_.store.run("DELETE FROM classrooms WHERE id = ?", id); });
            audit(ctx_.store, &p, "delete", "classroom", id, before.dump());
            return noContent();
        });
    });
}

void CatalogApi::registerUsers(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/me", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        std::lock_guard lock(ctx_.store.mutex());
        return jsonResponse(200, fetchOne(ctx_.store, kUserCols, p.userId, userJson, "user"));
    });
    http.route("GET", "/api/v1/users", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        // Teachers need the list of teachers and classrooms to plan lessons; they see
        // names and roles only, like admins (no user ever sees a password hash).
        ctx_.auth.requireRole(p, {"admin"});
        std::lock_guard lock(ctx_.store.mutex());
        std::string role = r.queryParam("role");
        auto q = ctx_.store.query(
            std::string(kUserCols) + " WHERE (?1 = '' OR role = ?1) ORDER BY username", role);
        json out = json::array();
        while (q.step()) out.push_back(userJson(q));
        return jsonResponse(200, out);
    });
    http.route("GET", "/api/v1/users/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        int64_t id = parseId(r.param("id"));
        if (p.role != "admin" && p.userId != id)
            throw ApiError::forbidden("only admins see other users");
        std::lock_guard lock(ctx_.store.mutex());
        return jsonResponse(200, fetchOne(ctx_.store, kUserCols, id, userJson, "user"));
    });
    // Checks that a role and a classroom fit together, inside the caller's transaction.
    auto checkClassroom = [this](const std::string& role, std::optional<int64_t> classroom) {
        if (role == "classroom" && !classroom)
            throw ApiError::badRequest("missing_field", "a classroom user needs classroom_id");
        if (role != "classroom" && classroom)
            throw ApiError::badRequest("invalid_value", "only classroom users have a classroom_id");
        if (classroom &&
            !ctx_.store.query("SELECT 1 FROM classrooms WHERE id = ?", *classroom).step())
            throw ApiError::badRequest("unknown_classroom",
                                       "no classroom " + std::to_string(*classroom));
    };
    http.route("POST", "/api/v1/users", [this, checkClassroom](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        auto b =
            JsonBody::parse(r, {"username", "password", "role", "classroom_id", "display_name"});
        auto username = b.requiredString("username", 3, 64);
        if (!validUsername(username))
            throw ApiError::badRequest("invalid_value",
                                       "username: 3-64 letters, digits, '.', '_' or '-'");
        auto pw = b.requiredString("password", 8, 200);
        auto role = b.requiredEnum("role", {"admin", "teacher", "classroom", "staff", "viewer"});
        auto classroom = b.optId("classroom_id");
        auto display = b.optString("display_name", 0, 200).value_or("");
        std::string hash = password::hash(pw);
        return ctx_.store.transaction([&] {
            checkClassroom(role, classroom);
            mapConstraint("username_taken", "that username is taken", [&] {
                ctx_.store.run(
                    "INSERT INTO users(username, password_hash, role, classroom_id, display_name) "
                    "VALUES (?, ?, ?, ?, ?)",
                    username, hash, role, classroom, display);
            });
            int64_t id = ctx_.store.lastInsertId();
            audit(ctx_.store, &p, "create", "user", id,
                  json{{"username", username},
                       {"role", role},
                       {"classroom_id", classroom ? json(*classroom) : json()}}
                      .dump());
            return jsonResponse(201, fetchOne(ctx_.store, kUserCols, id, userJson, "user"));
        });
    });
    http.route("PATCH", "/api/v1/users/{id}", [this, checkClassroom](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        int64_t id = parseId(r.param("id"));
        bool self = p.userId == id;
        if (p.role != "admin" && !self) throw ApiError::forbidden("only admins change other users");
        auto b = JsonBody::parse(r, {"password", "role", "classroom_id", "display_name"});
        if (p.role != "admin" && (b.has("role") || b.has("classroom_id")))
            throw ApiError::forbidden("only admins change roles and classrooms");
        auto pw = b.optString("password", 8, 200);
        auto role = b.optEnum("role", {"admin", "teacher", "classroom", "staff", "viewer"});
        auto display = b.optString("display_name", 0, 200);
        std::optional<std::string> hash;
        if (pw) hash = password::hash(*pw);
        return ctx_.store.transaction([&] {
            auto cur = fetchOne(ctx_.store, kUserCols, id, userJson, "user");
            std::string newRole = role.value_or(cur["role"].get<std::string>());
            std::optional<int64_t> classroom;
            if (b.has("classroom_id"))
                classroom = b.optId("classroom_id");
            else if (!cur["classroom_id"].is_null() && newRole == "classroom")
                classroom = cur["classroom_id"].get<int64_t>();
            checkClassroom(newRole, classroom);
            if (cur["role"] == "admin" && newRole != "admin") {
                auto q = ctx_.store.query("SELECT COUNT(*) FROM users WHERE role = 'admin'");
                q.step();
                if (q.integer(0) <= 1)
                    throw ApiError::conflict("last_admin", "cannot demote the last admin");
            }
            ctx_.store.run(
                "UPDATE users SET password_hash = COALESCE(?, password_hash), role = ?, "
                "classroom_id = ?, "
                "display_name = COALESCE(?, display_name) WHERE id = ?",
                hash, newRole, classroom, display, id);
            json detail = b.json();
            if (detail.contains("password")) detail["password"] = "***";
            audit(ctx_.store, &p, "update", "user", id, detail.dump());
            return jsonResponse(200, fetchOne(ctx_.store, kUserCols, id, userJson, "user"));
        });
    });
    http.route("DELETE", "/api/v1/users/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        int64_t id = parseId(r.param("id"));
        if (id == p.userId) throw ApiError::conflict("self_delete", "you cannot delete yourself");
        return ctx_.store.transaction([&] {
            auto before = fetchOne(ctx_.store, kUserCols, id, userJson, "user");
            mapConstraint("in_use", "the user still teaches lessons",
                          [&] { ctx_.store.run("DELETE FROM users WHERE id = ?", id); });
            audit(ctx_.store, &p, "delete", "user", id, before.dump());
            return noContent();
        });
    });
}

}  // namespace server
