#include "server/RtcModule.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "common/Error.hpp"
#include "rtc/MediaEngine.hpp"
#include "server/Auth.hpp"
#include "server/LessonService.hpp"
#include "server/ModuleContext.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

namespace {

using signaling::Request;
using signaling::Response;

void addCors(Response& r, const Request& req) {
    const std::string origin = req.header("origin");
    r.headers.emplace_back("Access-Control-Allow-Origin", origin.empty() ? "*" : origin);
    r.headers.emplace_back("Access-Control-Expose-Headers", "Location, ETag, Link, Accept-Patch");
    if (!origin.empty()) r.headers.emplace_back("Vary", "Origin");
}

Response preflight(Request& req, const char* methods) {
    Response r;
    r.status = 204;
    r.contentType.clear();
    r.headers.emplace_back("Allow", methods);
    r.headers.emplace_back("Access-Control-Allow-Methods", methods);
    r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
    r.headers.emplace_back("Accept-Post", "application/sdp");
    addCors(r, req);
    return r;
}

int64_t parseLessonId(const std::string& text) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
        throw common::ApiError::notFound("no such lesson: " + text);
    return id;
}

bool hasContentType(const Request& req, const char* type) {
    std::string ct = req.header("content-type");
    const auto semi = ct.find(';');
    if (semi != std::string::npos) ct.resize(semi);
    while (!ct.empty() && ct.back() == ' ') ct.pop_back();
    for (auto& c : ct) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ct == type;
}

bool validSourceName(const std::string& s) {
    if (s.empty() || s.size() > 32) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    return true;
}

Response offerError(const rtc::OfferError& e, const Request& req) {
    Response r = Response::error(e.status(), e.code(), e.what());
    addCors(r, req);
    return r;
}

}  // namespace

RtcModule::RtcModule(ModuleContext& context) : ctx_(context) {}

void RtcModule::registerRoutes(signaling::HttpServer& http) {
    for (bool publish : {true, false}) {
        const std::string base = publish ? "/whip/{lesson_id}" : "/whep/{lesson_id}";
        http.route("POST", base, [this, publish](Request& r) { return post(r, publish); });
        http.route("OPTIONS", base, [](Request& r) { return preflight(r, "POST, OPTIONS"); });
        const std::string res = base + "/{session}";
        http.route("PATCH", res, [this, publish](Request& r) { return patch(r, publish); });
        http.route("DELETE", res, [this, publish](Request& r) { return remove(r, publish); });
        http.route("OPTIONS", res,
                   [](Request& r) { return preflight(r, "PATCH, DELETE, OPTIONS"); });
    }
}

Response RtcModule::post(Request& req, bool publish) {
    const Principal who = ctx_.auth.authenticate(req);
    const int64_t lessonId = parseLessonId(req.param("lesson_id"));
    const Lesson lesson = ctx_.lessons.get(lessonId);
    if (publish)
        ctx_.auth.requirePublish(who, lesson);
    else
        ctx_.auth.requirePlay(who, lesson);
    if (lesson.status != "live")
        throw common::ApiError::conflict(
            "lesson_not_live", "lesson " + std::to_string(lessonId) + " is " + lesson.status);
    if (!hasContentType(req, "application/sdp")) {
        Response r = Response::error(415, "unsupported_media_type",
                                     "the offer must be sent as Content-Type: application/sdp");
        r.headers.emplace_back("Accept-Post", "application/sdp");
        addCors(r, req);
        return r;
    }
    std::string source = publish ? req.queryParam("source") : std::string();
    if (publish && source.empty()) source = "teacher";
    if (publish && !validSourceName(source))
        throw common::ApiError::badRequest("invalid_source",
                                           "source must be 1-32 letters, digits, '-' or '_'");
    rtc::SessionInfo info;
    const std::string lessonKey = std::to_string(lessonId);
    try {
        info = publish ? ctx_.media.publish(lessonKey, source, req.body)
                       : ctx_.media.subscribe(lessonKey, req.body);
    } catch (const rtc::OfferError& e) {
        spdlog::info("{}: offer for lesson {} refused: {}", publish ? "whip" : "whep", lessonId,
                     e.what());
        return offerError(e, req);
    }
    sessions_[info.id] = SessionOwner{lessonId, who.userId, publish};
    spdlog::info("{}: session {} for lesson {} ({}, user {})", publish ? "whip" : "whep", info.id,
                 lessonId, publish ? source : "play", who.username);
    Response r;
    r.status = 201;
    r.contentType = "application/sdp";
    r.body = std::move(info.answerSdp);
    r.headers.emplace_back("Location",
                           std::string(publish ? "/whip/" : "/whep/") + lessonKey + "/" + info.id);
    r.headers.emplace_back("ETag", "\"" + info.id + "\"");
    r.headers.emplace_back("Accept-Patch", "application/trickle-ice-sdpfrag");
    addCors(r, req);
    return r;
}

const RtcModule::SessionOwner& RtcModule::ownedSession(const Request& req, const Principal& who,
                                                       bool publish) const {
    const int64_t lessonId = parseLessonId(req.param("lesson_id"));
    auto it = sessions_.find(req.param("session"));
    if (it == sessions_.end() || it->second.lessonId != lessonId || it->second.publish != publish)
        throw common::ApiError::notFound("no such session");
    if (it->second.userId != who.userId && who.role != "admin")
        throw common::ApiError::forbidden("not your session");
    return it->second;
}

Response RtcModule::patch(Request& req, bool publish) {
    const Principal who = ctx_.auth.authenticate(req);
    ownedSession(req, who, publish);
    if (!hasContentType(req, "application/trickle-ice-sdpfrag")) {
        Response r = Response::error(415, "unsupported_media_type",
                                     "PATCH takes Content-Type: application/trickle-ice-sdpfrag");
        addCors(r, req);
        return r;
    }
    std::string fragment;
    try {
        fragment = ctx_.media.patch(req.param("session"), req.body);
    } catch (const rtc::OfferError& e) {
        return offerError(e, req);
    } catch (const std::out_of_range&) {
        throw common::ApiError::notFound("session has ended");
    }
    Response r;
    if (fragment.empty()) {
        r.status = 204;  // trickle candidates: nothing to answer (we are ICE-lite)
        r.contentType.clear();
    } else {
        r.status = 200;  // ICE restart: our new credentials
        r.contentType = "application/trickle-ice-sdpfrag";
        r.body = std::move(fragment);
    }
    addCors(r, req);
    return r;
}

Response RtcModule::remove(Request& req, bool publish) {
    const Principal who = ctx_.auth.authenticate(req);
    ownedSession(req, who, publish);
    const std::string id = req.param("session");
    sessions_.erase(id);
    if (!ctx_.media.close(id)) throw common::ApiError::notFound("session has ended");
    Response r;
    r.status = 200;
    r.contentType.clear();
    addCors(r, req);
    return r;
}

void RtcModule::onLessonEnded(const Lesson& lesson) {
    ctx_.media.closeLesson(std::to_string(lesson.id));
    for (auto it = sessions_.begin(); it != sessions_.end();)
        it = it->second.lessonId == lesson.id ? sessions_.erase(it) : std::next(it);
}

void RtcModule::appendMetrics(std::string& out) const {
    out += ctx_.media.metricsText();
}

}  // namespace server
