#pragma once
// What the REST handlers of server/ share. Owned by Server.
#include <nlohmann/json.hpp>

#include "signaling/Http.hpp"

namespace server {

class Config;
class Store;
class Auth;
class LessonService;
class Metrics;
struct Lesson;

struct ApiContext {
    const Config& config;
    Store& store;
    Auth& auth;
    LessonService& lessons;
    Metrics& metrics;
};

inline signaling::Response jsonResponse(int status, const nlohmann::json& body) {
    return signaling::Response::json(status, body.dump());
}
inline signaling::Response noContent() {
    signaling::Response r;
    r.status = 204;
    r.body.clear();
    return r;
}
nlohmann::json lessonJson(const Lesson& lesson);

}  // namespace server
