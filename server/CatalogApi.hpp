#pragma once
// /api/v1/schools, /api/v1/classrooms, /api/v1/users, /api/v1/me.
// Read: any signed-in role but viewer (users: admin, or yourself). Write: admin.
#include "server/ApiContext.hpp"

namespace signaling {
class HttpServer;
}

namespace server {

class CatalogApi {
public:
    explicit CatalogApi(ApiContext& ctx) : ctx_(ctx) {}
    void registerRoutes(signaling::HttpServer& http);

private:
    void registerSchools(signaling::HttpServer& http);
    void registerClassrooms(signaling::HttpServer& http);
    void registerUsers(signaling::HttpServer& http);
    ApiContext& ctx_;
};

}  // namespace server
