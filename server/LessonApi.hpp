#pragma once
// /api/v1/lessons: list (filtered by what the caller may see), CRUD, start/end.
// Visibility: admin and staff all; teacher its own; classroom those it hosts or is a
// member of; viewer none (403). Create: admin, or a teacher for itself. Change, delete,
// start, end: admin, the lesson's teacher; start/end also the host classroom.
#include "server/ApiContext.hpp"

namespace signaling {
class HttpServer;
}

namespace server {

class LessonApi {
public:
    explicit LessonApi(ApiContext& ctx) : ctx_(ctx) {}
    void registerRoutes(signaling::HttpServer& http);

private:
    ApiContext& ctx_;
};

}  // namespace server
