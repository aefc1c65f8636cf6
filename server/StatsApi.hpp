#pragma once
// GET /api/v1/stats/lessons?from=&to=&by=school|subject|mode|week (admin, staff).
// A lesson counts in [from, to) by its scheduled start. scheduled: lessons planned;
// held: those that went live; opening_rate: held / scheduled; class_hours: scheduled
// hours of the held lessons (timetable hours, as the bureaus count them).
// `Accept: text/csv` (or ?format=csv) gives CSV.
#include "server/ApiContext.hpp"

namespace signaling {
class HttpServer;
}

namespace server {

class StatsApi {
public:
    explicit StatsApi(ApiContext& ctx) : ctx_(ctx) {}
    void registerRoutes(signaling::HttpServer& http);

private:
    ApiContext& ctx_;
};

}  // namespace server
