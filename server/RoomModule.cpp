#include "server/RoomModule.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/LessonService.hpp"
#include "server/Metrics.hpp"
#include "server/ModuleContext.hpp"

namespace server {
namespace {

using nlohmann::json;

// The authorised principal travels from authorize() to onOpen() in the upgrade request's
// params under names no route pattern can produce.
constexpr const char* kLesson = "cb.lesson";
constexpr const char* kUserId = "cb.user_id";
constexpr const char* kUser = "cb.user";
constexpr const char* kRole = "cb.role";

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Characters, not bytes: a Chinese sentence is three bytes a character.
size_t utf8Length(const std::string& s) {
    return size_t(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string error(const std::string& code, const std::string& message) {
    return json{{"type", "error"}, {"code", code}, {"message", message}}.dump();
}

}  // namespace

RoomModule::RoomModule(ModuleContext& context) : ctx_(context) {}

void RoomModule::registerRoutes(signaling::HttpServer& http) {
    http.webSocket("/ws/lessons/{id}", this);
}

void RoomModule::authorize(signaling::Request& req) {
    Principal who = ctx_.auth.authenticate(req);  // 401
    const std::string& idText = req.param("id");
    int64_t id = 0;
    try {
        size_t used = 0;
        id = std::stoll(idText, &used);
        if (used != idText.size() || id <= 0) throw std::invalid_argument("id");
    } catch (const std::exception&) {
        throw common::ApiError::badRequest("invalid_id", "lesson id must be a positive integer");
    }
    Lesson lesson = ctx_.lessons.get(id);  // 404
    ctx_.auth.requirePlay(who, lesson);    // 403
    if (lesson.status == "ended")
        throw common::ApiError::conflict("lesson_ended", "the lesson has ended");
    req.params[kLesson] = std::to_string(id);
    req.params[kUserId] = std::to_string(who.userId);
    req.params[kUser] = who.username;
    req.params[kRole] = who.role;
}

void RoomModule::onOpen(signaling::WebSocketSession& session) {
    const auto& req = session.request();
    int64_t lessonId = std::stoll(req.params.at(kLesson));
    Member m{&session, std::stoll(req.params.at(kUserId)), req.params.at(kUser),
             req.params.at(kRole)};
    auto& room = rooms_[lessonId];
    room.push_back(m);
    Lesson lesson = ctx_.lessons.get(lessonId);
    session.send(json{{"type", "welcome"},
                      {"lesson", lessonId},
                      {"status", lesson.status},
                      {"you", m.username},
                      {"participants", json::parse(participants(lessonId))}}
                     .dump());
    broadcast(lessonId, json{{"type", "presence"},
                             {"event", "join"},
                             {"user", m.username},
                             {"role", m.role},
                             {"at", nowMs()}}
                            .dump());
}

void RoomModule::onMessage(signaling::WebSocketSession& session, std::string_view text) {
    int64_t lessonId = std::stoll(session.request().params.at(kLesson));
    Member* me = find(lessonId, session);
    if (!me) return;
    json msg = json::parse(text, nullptr, false);
    if (msg.is_discarded() || !msg.is_object() || !msg.contains("type") ||
        !msg["type"].is_string()) {
        ++refusedMessages_;
        session.send(error("bad_message", "expected a JSON object with a string \"type\""));
        return;
    }
    const std::string type = msg["type"];
    ++messages_;
    if (type == "ping") {
        session.send(json{{"type", "pong"}, {"at", nowMs()}}.dump());
    } else if (type == "chat") {
        if (!msg.contains("text") || !msg["text"].is_string() ||
            msg["text"].get<std::string>().empty()) {
            ++refusedMessages_;
            session.send(error("bad_message", "chat needs a non-empty string \"text\""));
            return;
        }
        std::string body = msg["text"];
        if (utf8Length(body) > kMaxChatChars) {
            ++refusedMessages_;
            session.send(error("too_long", "chat text is limited to 500 characters"));
            return;
        }
        broadcast(lessonId, json{{"type", "chat"},
                                 {"from", me->username},
                                 {"role", me->role},
                                 {"text", body},
                                 {"at", nowMs()}}
                                .dump());
    } else if (type == "hand") {
        if (!msg.contains("raised") || !msg["raised"].is_boolean()) {
            ++refusedMessages_;
            session.send(error("bad_message", "hand needs a boolean \"raised\""));
            return;
        }
        me->handRaised = msg["raised"];
        broadcast(lessonId, json{{"type", "hand"},
                                 {"from", me->username},
                                 {"raised", me->handRaised},
                                 {"at", nowMs()}}
                                .dump());
    } else {
        ++refusedMessages_;
        session.send(error("unknown_type", "unknown message type \"" + type + "\""));
    }
}

void RoomModule::onClose(signaling::WebSocketSession& session) {
    auto it = session.request().params.find(kLesson);
    if (it == session.request().params.end()) return;
    int64_t lessonId = std::stoll(it->second);
    auto room = rooms_.find(lessonId);
    if (room == rooms_.end()) return;
    auto& members = room->second;
    auto m = std::find_if(members.begin(), members.end(),
                          [&](const Member& x) { return x.session == &session; });
    if (m == members.end()) return;
    std::string user = m->username, role = m->role;
    members.erase(m);
    if (members.empty()) {
        rooms_.erase(room);
        return;
    }
    broadcast(lessonId, json{{"type", "presence"},
                             {"event", "leave"},
                             {"user", user},
                             {"role", role},
                             {"at", nowMs()}}
                            .dump());
}

void RoomModule::onLessonLive(const Lesson& lesson) {
    broadcast(lesson.id, json{{"type", "lesson"}, {"status", "live"}, {"at", nowMs()}}.dump());
}

void RoomModule::onLessonEnded(const Lesson& lesson) {
    broadcast(lesson.id, json{{"type", "lesson"}, {"status", "ended"}, {"at", nowMs()}}.dump());
    auto room = rooms_.find(lesson.id);
    if (room == rooms_.end()) return;
    // close() only schedules the close; onClose removes the members later.
    for (auto& m : room->second) m.session->close();
}

void RoomModule::appendMetrics(std::string& out) const {
    size_t members = 0;
    for (const auto& [id, room] : rooms_) members += room.size();
    Metrics::appendOne(out, "cb_room_members", "gauge", "Room WebSocket connections open.",
                       double(members));
    Metrics::appendOne(out, "cb_room_messages_total", "counter", "Room messages accepted.",
                       double(messages_));
    Metrics::appendOne(out, "cb_room_messages_refused_total", "counter",
                       "Room messages refused as malformed.", double(refusedMessages_));
}

RoomModule::Member* RoomModule::find(int64_t lessonId, signaling::WebSocketSession& session) {
    auto room = rooms_.find(lessonId);
    if (room == rooms_.end()) return nullptr;
    for (auto& m : room->second)
        if (m.session == &session) return &m;
    return nullptr;
}

void RoomModule::broadcast(int64_t lessonId, const std::string& text) {
    auto room = rooms_.find(lessonId);
    if (room == rooms_.end()) return;
    for (auto& m : room->second) m.session->send(text);
}

std::string RoomModule::participants(int64_t lessonId) const {
    json list = json::array();
    auto room = rooms_.find(lessonId);
    if (room != rooms_.end())
        for (const auto& m : room->second)
            list.push_back({{"user", m.username}, {"role", m.role}, {"hand_raised", m.handRaised}});
    return list.dump();
}

}  // namespace server
