#pragma once
// /healthz, /metrics, POST /api/v1/login, GET /api/v1/audit.
#include <functional>
#include <string>

#include "server/ApiContext.hpp"
#include "signaling/Http.hpp"

namespace signaling {
class HttpServer;
}

namespace server {

class OpsApi {
public:
    // extraMetrics: appended to /metrics (media engine, modules).
    OpsApi(ApiContext& ctx, std::function<std::string()> extraMetrics)
        : ctx_(ctx), extraMetrics_(std::move(extraMetrics)) {}
    void registerRoutes(signaling::HttpServer& http);

private:
    // On the HTTP server's work pool (off the loop thread).
    signaling::Response login(const std::string& username, const std::string& password) const;
    ApiContext& ctx_;
    std::function<std::string()> extraMetrics_;
};

}  // namespace server
