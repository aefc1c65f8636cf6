#include "server/LessonApi.hpp"

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/LessonService.hpp"
#include "server/Validation.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

using common::ApiError;
using nlohmann::json;
using signaling::Request;

json lessonJson(const Lesson& l) {
    json j = {{"id", l.id},
              {"title", l.title},
              {"mode", l.mode},
              {"subject", l.subject},
              {"grade", l.grade},
              {"teacher_id", l.teacherId},
              {"host_classroom_id", l.hostClassroomId},
              {"member_classroom_ids", l.memberClassroomIds},
              {"starts_at", l.startsAt},
              {"ends_at", l.endsAt},
              {"record", l.record},
              {"status", l.status},
              {"started_at", nullptr},
              {"ended_at", nullptr}};
    if (l.startedAtUnix) j["started_at"] = LessonService::formatTime(*l.startedAtUnix);
    if (l.endedAtUnix) j["ended_at"] = LessonService::formatTime(*l.endedAtUnix);
    return j;
}

namespace {

constexpr size_t kMaxMembers = 2000;
const std::initializer_list<std::string_view> kLessonFields = {"title",
                                                               "mode",
                                                               "subject",
                                                               "grade",
                                                               "teacher_id",
                                                               "host_classroom_id",
                                                               "member_classroom_ids",
                                                               "starts_at",
                                                               "ends_at",
                                                               "record"};

std::string checkedTime(const JsonBody& b, const std::string& name, bool required) {
    if (!required && !b.has(name)) return {};
    auto s = b.requiredString(name, 20, 40);
    try {
        LessonService::parseTime(s);
    } catch (const std::invalid_argument& e) {
        throw ApiError::badRequest("invalid_value", "\"" + name + "\": " + e.what());
    }
    return s;
}

// Fields present in the body replace those of `l`.
void applyBody(const JsonBody& b, Lesson& l, bool creating) {
    if (creating || b.has("title")) l.title = b.requiredString("title", 1, 200);
    if (creating || b.has("mode"))
        l.mode = b.requiredEnum("mode", {"dedicated", "famous_teacher", "famous_school"});
    if (creating || b.has("subject")) l.subject = b.requiredString("subject", 1, 64);
    if (creating || b.has("grade")) l.grade = b.requiredString("grade", 1, 32);
    if (b.has("teacher_id")) l.teacherId = b.requiredId("teacher_id");
    if (creating || b.has("host_classroom_id"))
        l.hostClassroomId = b.requiredId("host_classroom_id");
    if (b.has("member_classroom_ids"))
        l.memberClassroomIds = b.idList("member_classroom_ids", kMaxMembers);
    if (creating || b.has("starts_at")) l.startsAt = checkedTime(b, "starts_at", true);
    if (creating || b.has("ends_at")) l.endsAt = checkedTime(b, "ends_at", true);
    if (auto rec = b.optBool("record")) l.record = *rec;
}

}  // namespace

void LessonApi::registerRoutes(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/lessons", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin", "staff", "teacher", "classroom"});
        LessonFilter f;
        std::string status = r.queryParam("status");
        if (!status.empty()) {
            if (status != "scheduled" && status != "live" && status != "ended")
                throw ApiError::badRequest("invalid_value",
                                           "status must be scheduled, live or ended");
            f.status = status;
        }
        if (p.role == "teacher") f.teacherId = p.userId;
        if (p.role == "classroom") {
            if (!p.classroomId) return jsonResponse(200, json::array());
            f.classroomId = *p.classroomId;
        }
        json out = json::array();
        for (const auto& l : ctx_.lessons.list(f)) out.push_back(lessonJson(l));
        return jsonResponse(200, out);
    });
    http.route("GET", "/api/v1/lessons/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        auto l = ctx_.lessons.get(parseId(r.param("id")));
        ctx_.auth.requirePlay(p, l);
        return jsonResponse(200, lessonJson(l));
    });
    http.route("POST", "/api/v1/lessons", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin", "teacher"});
        auto b = JsonBody::parse(r, kLessonFields);
        Lesson l;
        applyBody(b, l, true);
        if (!b.has("teacher_id")) {
            if (p.role != "teacher")
                throw ApiError::badRequest("missing_field", "field \"teacher_id\" is required");
            l.teacherId = p.userId;
        }
        if (p.role == "teacher" && l.teacherId != p.userId)
            throw ApiError::forbidden("a teacher creates lessons only for itself");
        return jsonResponse(201, lessonJson(ctx_.lessons.create(l, p)));
    });
    http.route("PATCH", "/api/v1/lessons/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        auto l = ownedLesson(r, p);
        auto b = JsonBody::parse(r, kLessonFields);
        applyBody(b, l, false);
        if (p.role == "teacher" && l.teacherId != p.userId)
            throw ApiError::forbidden("a teacher cannot hand a lesson to another teacher");
        return jsonResponse(200, lessonJson(ctx_.lessons.update(l, p)));
    });
    http.route("DELETE", "/api/v1/lessons/{id}", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.lessons.remove(ownedLesson(r, p).id, p);
        return noContent();
    });
    for (bool start : {true, false}) {
        http.route("POST", start ? "/api/v1/lessons/{id}/start" : "/api/v1/lessons/{id}/end",
                   [this, start](Request& r) {
                       auto p = ctx_.auth.authenticate(r);
                       auto l = ctx_.lessons.get(parseId(r.param("id")));
                       ctx_.auth.requirePublish(p, l);
                       return jsonResponse(200, lessonJson(start ? ctx_.lessons.start(l.id, p)
                                                                 : ctx_.lessons.end(l.id, p)));
                   });
    }
}

Lesson LessonApi::ownedLesson(const Request& r, const Principal& p) const {
    ctx_.auth.requireRole(p, {"admin", "teacher"});
    auto l = ctx_.lessons.get(parseId(r.param("id")));
    if (p.role == "teacher" && l.teacherId != p.userId)
        throw ApiError::forbidden("not your lesson");
    return l;
}

}  // namespace server
