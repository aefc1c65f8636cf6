#pragma once
// What a Module may use. Owned by server::Server; outlives every module.
#include <filesystem>

namespace rtc {
class MediaEngine;
}

namespace server {

class Config;         // server/Config.hpp
class Store;          // server/Store.hpp (SQLite)
class Auth;           // server/Auth.hpp (tokens, roles, lesson membership)
class LessonService;  // server/LessonService.hpp
class Metrics;        // server/Metrics.hpp

struct ModuleContext {
    const Config& config;
    Store& store;
    Auth& auth;
    LessonService& lessons;
    rtc::MediaEngine& media;
    std::filesystem::path dataDir;
    bool demo = false;           // `classbridge demo`: modules may seed demo content
    Metrics* metrics = nullptr;  // server-wide counters (also rendered on /metrics)
};

}  // namespace server
