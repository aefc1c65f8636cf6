#pragma once
// A feature that plugs into the server: media (WHIP/WHEP), ingest, recording/library.
// Server owns the modules (std::unique_ptr, created in server/Modules.cpp) and calls
// them on the HTTP thread unless a method says otherwise.
#include <string>

namespace signaling {
class HttpServer;
}

namespace server {

struct ModuleContext;  // server/ModuleContext.hpp: config, store, auth, lessons, media engine
struct Lesson;         // server/Lesson.hpp

class Module {
public:
    virtual ~Module() = default;
    virtual const char* name() const = 0;
    virtual void registerRoutes(signaling::HttpServer& http) = 0;
    // Lesson lifecycle, from the lesson scheduler/API (after the store is updated).
    // At server start, onLessonLive is also called once for every lesson already live
    // (after a restart, or the demo lesson), after start() and on the HTTP thread.
    virtual void onLessonLive(const Lesson&) {}
    virtual void onLessonEnded(const Lesson&) {}
    virtual void appendMetrics(std::string& out) const { (void)out; }
    // Called once after all modules are created and before the HTTP server starts /
    // once at shutdown, in reverse order.
    virtual void start() {}
    virtual void stop() {}
};

}  // namespace server
