#pragma once
// The lesson room socket, WebSocket GET /ws/lessons/{id}?token=TOKEN (API.md "room events"):
// presence (who is in the lesson), chat, hand raising, and lesson status changes pushed
// to everyone in the room. Everything runs on the HTTP loop thread (WebSocket callbacks
// and Module callbacks alike), so the rooms need no lock.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/Module.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

class RoomModule : public Module, public signaling::WebSocketHandler {
public:
    explicit RoomModule(ModuleContext& context);
    const char* name() const override { return "rooms"; }
    void registerRoutes(signaling::HttpServer& http) override;
    void onLessonLive(const Lesson& lesson) override;
    void onLessonEnded(const Lesson& lesson) override;
    void appendMetrics(std::string& out) const override;

    // signaling::WebSocketHandler
    void authorize(signaling::Request& upgradeRequest) override;
    void onOpen(signaling::WebSocketSession& session) override;
    void onMessage(signaling::WebSocketSession& session, std::string_view text) override;
    void onClose(signaling::WebSocketSession& session) override;

    static constexpr size_t kMaxChatChars = 500;

private:
    struct Member {
        signaling::WebSocketSession* session;
        int64_t userId;
        std::string username, role;
        bool handRaised = false;
    };
    Member* find(int64_t lessonId, signaling::WebSocketSession& session);
    void broadcast(int64_t lessonId, const std::string& text);
    std::string participants(int64_t lessonId) const;

    ModuleContext& ctx_;
    std::map<int64_t, std::vector<Member>> rooms_;  // lesson id -> members
    uint64_t messages_ = 0, refusedMessages_ = 0;
};

}  // namespace server
