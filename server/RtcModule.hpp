#pragma once
// WHIP (RFC 9725) publish and WHEP play endpoints on top of rtc::MediaEngine:
//   POST   /whip/{lesson_id}?source=NAME   application/sdp offer -> 201 + answer + Location
//   POST   /whep/{lesson_id}               likewise; plays the lesson's main source
//   PATCH  /whip|whep/{lesson_id}/{session} trickle-ice-sdpfrag (204) / ICE restart (200)
//   DELETE /whip|whep/{lesson_id}/{session} tears the session down at once
//   OPTIONS on all of them, with CORS headers for players served from another origin.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "server/Module.hpp"
#include "signaling/Http.hpp"

namespace server {

struct ModuleContext;
struct Principal;

class RtcModule : public Module {
public:
    explicit RtcModule(ModuleContext& context);
    const char* name() const override { return "rtc"; }
    void registerRoutes(signaling::HttpServer& http) override;
    void onLessonEnded(const Lesson& lesson) override;
    void appendMetrics(std::string& out) const override;

private:
    struct SessionOwner {
        int64_t lessonId;
        int64_t userId;
        bool publish;
    };
    signaling::Response post(signaling::Request& req, bool publish);
    signaling::Response patch(signaling::Request& req, bool publish);
    signaling::Response remove(signaling::Request& req, bool publish);
    // The session named in the path, checked against the lesson and the caller.
    const SessionOwner& ownedSession(const signaling::Request& req, const Principal& who,
                                     bool publish) const;

    ModuleContext& ctx_;
    // HTTP thread only. Sessions freed by the engine itself (consent expiry) linger here
    // until their lesson ends; close() on them just answers 404.
    std::unordered_map<std::string, SessionOwner> sessions_;
};

}  // namespace server
