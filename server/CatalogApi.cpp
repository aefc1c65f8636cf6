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

// One catalog table: how to read a row and what to call it in errors and the audit log.
struct Entity {
    const char* what;    // "school"
    const char* table;   // "schools"
    const char* select;  // the columns toJson reads, in order
    json (*toJson)(Statement&);
};
const Entity kSchool{"school", "schools", "SELECT id, name, region FROM schools", schoolJson};
const Entity kClassroom{"classroom", "classrooms",
                        "SELECT id, school_id, name, kind FROM classrooms", classroomJson};
const Entity kUser{"user", "users",
                   "SELECT id, username, role, display_name, classroom_id FROM users", userJson};

json fetchOne(Store& store, const Entity& e, int64_t id) {
    auto q = store.query(std::string(e.select) + " WHERE id = ?", id);
    if (!q.step()) throw ApiError::notFound(std::string("no ") + e.what + " " + std::to_string(id));
    return e.toJson(q);
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

// GET {path}/{id} for any reader.
void routeGetOne(signaling::HttpServer& http, ApiContext& ctx, const std::string& path,
                 const Entity& e) {
    http.route("GET", path + "/{id}", [&ctx, &e](Request& r) {
        auto p = ctx.auth.authenticate(r);
        requireReader(ctx.auth, p);
        std::lock_guard lock(ctx.store.mutex());
        return jsonResponse(200, fetchOne(ctx.store, e, parseId(r.param("id"))));
    });
}

// DELETE {path}/{id} for admins; rows still referenced give 409 in_use.
void routeDelete(signaling::HttpServer& http, ApiContext& ctx, const std::string& path,
                 const Entity& e, const char* inUse) {
    http.route("DELETE", path + "/{id}", [&ctx, &e, inUse](Request& r) {
        auto p = ctx.auth.authenticate(r);
        ctx.auth.requireRole(p, {"admin"});
        int64_t id = parseId(r.param("id"));
        if (&e == &kUser && id == p.userId)
            throw ApiError::conflict("self_delete", "you cannot delete yourself");
        return ctx.store.transaction([&] {
            auto before = fetchOne(ctx.store, e, id);
            mapConstraint("in_use", inUse, [&] {
                ctx.store.run(std::string("DELETE FROM ") + e.table + " WHERE id = ?", id);
            });
            audit(ctx.store, &p, "delete", e.what, id, before.dump());
            return noContent();
        });
    });
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
        auto q = ctx_.store.query(std::string(kSchool.select) + " ORDER BY name, id");
        json out = json::array();
        while (q.step()) out.push_back(schoolJson(q));
        return jsonResponse(200, out);
    });
    routeGetOne(http, ctx_, "/api/v1/schools", kSchool);
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
            return jsonResponse(201, fetchOne(ctx_.store, kSchool, id));
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
            fetchOne(ctx_.store, kSchool, id);
            mapConstraint("name_taken", "a school with that name exists", [&] {
                ctx_.store.run(
                    "UPDATE schools SET name = COALESCE(?, name), region = COALESCE(?, region) "
                    "WHERE id = ?",
                    name, region, id);
            });
            audit(ctx_.store, &p, "update", "school", id, b.json().dump());
            return jsonResponse(200, fetchOne(ctx_.store, kSchool, id));
        });
    });
    routeDelete(http, ctx_, "/api/v1/schools", kSchool, "the school still has classrooms");
}

void CatalogApi::registerClassrooms(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/classrooms", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        requireReader(ctx_.auth, p);
        std::optional<int64_t> school;
        if (!r.queryParam("school_id").empty()) school = parseId(r.queryParam("school_id"));
        std::lock_guard lock(ctx_.store.mutex());
        auto q = ctx_.store.query(
            std::string(kClassroom.select) +
                " WHERE (?1 IS NULL OR school_id = ?1) ORDER BY school_id, name, id",
            school);
        json out = json::array();
        while (q.step()) out.push_back(classroomJson(q));
        return jsonResponse(200, out);
    });
    routeGetOne(http, ctx_, "/api/v1/classrooms", kClassroom);
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
            return jsonResponse(201, fetchOne(ctx_.store, kClassroom, id));
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
            fetchOne(ctx_.store, kClassroom, id);
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
            return jsonResponse(200, fetchOne(ctx_.store, kClassroom, id));
        });
    });
    routeDelete(http, ctx_, "/api/v1/classrooms", kClassroom,
                "the classroom still has users or lessons");
}

void CatalogApi::registerUsers(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/me", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        std::lock_guard lock(ctx_.store.mutex());
        return jsonResponse(200, fetchOne(ctx_.store, kUser, p.userId));
    });
    http.route("GET", "/api/v1/users", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        // Admins only (the user list names every account); no answer ever carries a
        // password hash.
        ctx_.auth.requireRole(p, {"admin"});
        std::lock_guard lock(ctx_.store.mutex());
        std::string role = r.queryParam("role");
        auto q = ctx_.store.query(
            std::string(kUser.select) + " WHERE (?1 = '' OR role = ?1) ORDER BY username", role);
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
        return jsonResponse(200, fetchOne(ctx_.store, kUser, id));
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
        // PBKDF2 (~100 ms) stays on the loop thread here: the insert must not run in a
        // transaction on another thread (loop-thread statements would join it), and
        // creating users is a rare admin action. Login, the frequent one, is off-loop.
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
            return jsonResponse(201, fetchOne(ctx_.store, kUser, id));
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
            auto cur = fetchOne(ctx_.store, kUser, id);
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
            return jsonResponse(200, fetchOne(ctx_.store, kUser, id));
        });
    });
    routeDelete(http, ctx_, "/api/v1/users", kUser, "the user still teaches lessons");
}

}  // namespace server
