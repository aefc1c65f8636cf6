#pragma once
// /api/v1/lessons: list (filtered by what the caller may see), CRUD, start/end.
// Visibility: admin and staff all; teacher its own; classroom those it hosts or is a
// member of; viewer none (403). Create: admin, or a teacher for itself. Change, delete,
// start, end: admin, the lesson's teacher; start/end also the host classroom.
#include "server/ApiContext.hpp"
#include "server/Auth.hpp"
#include "server/Lesson.hpp"
#include "signaling/Http.hpp"

namespace signaling {
class HttpServer;
}

namespace server {

class LessonApi {
public:
    explicit LessonApi(ApiContext& ctx) : ctx_(ctx) {}
    void registerRoutes(signaling::HttpServer& http);

private:
    // The {id} lesson for a change or delete: admin, or a teacher's own; else 403.
    Lesson ownedLesson(const signaling::Request& r, const Principal& p) const;
    ApiContext& ctx_;
};

}  // namespace server
