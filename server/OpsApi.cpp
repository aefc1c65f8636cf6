#include "server/OpsApi.hpp"

#include <chrono>

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/Config.hpp"
#include "server/LessonService.hpp"
#include "server/Metrics.hpp"
#include "server/Store.hpp"
#include "server/Validation.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

using common::ApiError;
using nlohmann::json;
using signaling::Request;

void OpsApi::registerRoutes(signaling::HttpServer& http) {
    http.route("GET", "/healthz", [](Request&) { return jsonResponse(200, {{"status", "ok"}}); });

    http.route("GET", "/metrics", [this](Request& r) {
        if (!ctx_.config.metricsPublic) {
            auto p = ctx_.auth.authenticate(r);
            ctx_.auth.requireRole(p, {"admin"});
        }
        {
            std::lock_guard lock(ctx_.store.mutex());
            auto q = ctx_.store.query("SELECT status, COUNT(*) FROM lessons GROUP BY status");
            double live = 0, scheduled = 0;
            while (q.step()) {
                if (q.text(0) == "live") live = double(q.integer(1));
                if (q.text(0) == "scheduled") scheduled = double(q.integer(1));
            }
            ctx_.metrics.set("cb_lessons_live", "", live);
            ctx_.metrics.set("cb_lessons_scheduled", "", scheduled);
        }
        signaling::Response resp;
        resp.contentType = "text/plain; version=0.0.4; charset=utf-8";
        resp.body = ctx_.metrics.text();
        if (extraMetrics_) resp.body += extraMetrics_();
        return resp;
    });

    // PBKDF2 (~100 ms of CPU) would stall every other request and WebSocket on the loop
    // thread, so it runs off-loop; Auth and Metrics are thread-safe (they lock).
    http.route("POST", "/api/v1/login", [this](Request& r) {
        auto b = JsonBody::parse(r, {"username", "password"});
        auto username = b.requiredString("username", 1, 64);
        auto pw = b.requiredString("password", 1, 200);
        return signaling::Response::deferred([this, username, pw] { return login(username, pw); });
    });

    http.route("GET", "/api/v1/audit", [this](Request& r) {
        auto p = ctx_.auth.authenticate(r);
        ctx_.auth.requireRole(p, {"admin"});
        int64_t limit = 100;
        if (!r.queryParam("limit").empty())
            limit = std::min<int64_t>(parseId(r.queryParam("limit")), 1000);
        std::lock_guard lock(ctx_.store.mutex());
        auto q = ctx_.store.query(
            "SELECT id, user_id, username, action, entity, entity_id, detail, at FROM audit_log "
            "ORDER BY id DESC LIMIT ?",
            limit);
        json out = json::array();
        while (q.step()) {
            json detail = json::parse(q.text(6), nullptr, false);
            out.push_back({{"id", q.integer(0)},
                           {"user_id", q.isNull(1) ? json() : json(q.integer(1))},
                           {"username", q.text(2)},
                           {"action", q.text(3)},
                           {"entity", q.text(4)},
                           {"entity_id", q.isNull(5) ? json() : json(q.integer(5))},
                           {"detail", detail.is_discarded() ? json() : detail},
                           {"at", LessonService::formatTime(q.integer(7))}});
        }
        return jsonResponse(200, out);
    });
}

signaling::Response OpsApi::login(const std::string& username, const std::string& pw) const {
    Principal p;
    try {
        p = ctx_.auth.login(username, pw);
    } catch (const ApiError&) {
        ctx_.metrics.add("cb_login_failures_total", "");
        throw;
    }
    auto ttl = std::chrono::seconds(ctx_.config.tokenTtlSeconds);
    json out = {{"token", ctx_.auth.issueToken(p, ttl)},
                {"role", p.role},
                {"user_id", p.userId},
                {"username", p.username},
                {"classroom_id", p.classroomId ? json(*p.classroomId) : json()},
                {"expires_at", LessonService::formatTime(LessonService::now() + ttl.count())}};
    return jsonResponse(200, out);
}

}  // namespace server
