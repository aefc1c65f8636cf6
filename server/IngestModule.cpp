#include "server/IngestModule.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "common/Error.hpp"
#include "pipeline/IngestSource.hpp"
#include "pipeline/RtmpServer.hpp"
#include "pipeline/SrtServer.hpp"
#include "rtc/MediaEngine.hpp"
#include "server/Auth.hpp"
#include "server/Config.hpp"
#include "server/LessonService.hpp"
#include "server/Metrics.hpp"
#include "server/ModuleContext.hpp"
#include "server/SourceManager.hpp"
#include "server/Store.hpp"
#include "server/Validation.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

using common::ApiError;
using nlohmann::json;
using signaling::Request;
using signaling::Response;

namespace {

constexpr const char* kDemoTitle = "Demo: Music with Ms. Li";

Response reply(int status, const json& body) {
    return Response::json(status, body.dump());
}

// rtsp://user:secret@cam/ -> rtsp://user:***@cam/ (the API never shows camera passwords).
std::string maskUri(const std::string& uri) {
    auto scheme = uri.find("://");
    if (scheme == std::string::npos) return uri;
    auto at = uri.find('@', scheme + 3);
    auto slash = uri.find('/', scheme + 3);
    if (at == std::string::npos || (slash != std::string::npos && slash < at)) return uri;
    auto colon = uri.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return uri;
    return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

struct StoredSource {
    std::string name, uri;
    bool transcode = false;
};

std::vector<StoredSource> storedSources(Store& store, int64_t lessonId) {
    std::lock_guard lock(store.mutex());
    auto q = store.query(
        "SELECT name, uri, transcode FROM lesson_sources WHERE lesson_id = ? ORDER BY id",
        lessonId);
    std::vector<StoredSource> out;
    while (q.step()) out.push_back({q.text(0), q.text(1), q.integer(2) != 0});
    return out;
}

std::string storedMain(Store& store, int64_t lessonId) {
    std::lock_guard lock(store.mutex());
    auto q = store.query("SELECT name FROM lesson_main_source WHERE lesson_id = ?", lessonId);
    return q.step() ? q.text(0) : std::string();
}

json statusJson(const pipeline::SourceStatus& s) {
    json j{{"state", pipeline::toString(s.state)},
           {"video_packets", s.videoPackets},
           {"audio_packets", s.audioPackets},
           {"restarts", s.restarts},
           {"latency_ms", {{"avg", s.latencyAvgMs}, {"max", s.latencyMaxMs}}}};
    j["reason"] = s.reason.empty() ? json() : json(s.reason);
    if (!s.videoCaps.empty()) j["video_caps"] = s.videoCaps;
    return j;
}

}  // namespace

IngestModule::IngestModule(ModuleContext& context)
    : ctx_(context), sources_(std::make_unique<SourceManager>(context.media)) {}

IngestModule::~IngestModule() {
    stop();
}

bool IngestModule::validSourceName(const std::string& s) {
    if (s.empty() || s.size() > 32) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    return true;
}

void IngestModule::start() {
    const std::string host = ctx_.config.getString("ingest.host", "0.0.0.0");
    // A busy port must not stop the whole server: log it, the rest keeps working.
    if (ctx_.config.rtmpPort) {
        try {
            rtmp_ = std::make_unique<pipeline::RtmpServer>(host, ctx_.config.rtmpPort, *this);
            spdlog::info("ingest: RTMP on {}:{}", host, rtmp_->port());
        } catch (const std::exception& e) {
            spdlog::error("ingest: {}", e.what());
        }
    }
    if (ctx_.config.srtPort) {
        try {
            srt_ = std::make_unique<pipeline::SrtServer>(host, ctx_.config.srtPort, *this);
            spdlog::info("ingest: SRT on {}:{}", host, srt_->port());
        } catch (const std::exception& e) {
            spdlog::error("ingest: {}", e.what());
        }
    }
    if (ctx_.demo) {
        // The demo lesson is fed by the synthetic pattern (started when it is announced live).
        for (const auto& l : ctx_.lessons.live()) {
            if (l.title != kDemoTitle) continue;
            std::lock_guard lock(ctx_.store.mutex());
            ctx_.store.run(
                "INSERT OR IGNORE INTO lesson_sources(lesson_id, name, uri) VALUES (?, 'teacher', "
                "?)",
                l.id, "test://pattern");
        }
    }
}

void IngestModule::stop() {
    rtmp_.reset();  // listeners first: their sinks point into the source manager
    srt_.reset();
    if (sources_) sources_->stopAll();
}

void IngestModule::onLessonLive(const Lesson& lesson) {
    for (const auto& s : storedSources(ctx_.store, lesson.id)) {
        try {
            sources_->startPulled(lesson.id, s.name, s.uri, s.transcode);
        } catch (const std::exception& e) {
            spdlog::error("ingest: lesson {} source {}: {}", lesson.id, s.name, e.what());
        }
    }
    if (auto main = storedMain(ctx_.store, lesson.id); !main.empty())
        ctx_.media.setMainSource(std::to_string(lesson.id), main);
}

void IngestModule::onLessonEnded(const Lesson& lesson) {
    sources_->stopLesson(lesson.id);
}

void IngestModule::registerRoutes(signaling::HttpServer& http) {
    http.route("GET", "/api/v1/lessons/{id}/sources", [this](Request& r) { return list(r); });
    http.route("POST", "/api/v1/lessons/{id}/sources", [this](Request& r) { return add(r); });
    http.route("DELETE", "/api/v1/lessons/{id}/sources/{sid}",
               [this](Request& r) { return remove(r); });
    http.route("POST", "/api/v1/lessons/{id}/sources/{sid}/main",
               [this](Request& r) { return setMain(r); });
}

Response IngestModule::list(Request& req) {
    auto who = ctx_.auth.authenticate(req);
    Lesson lesson = ctx_.lessons.get(parseId(req.param("id")));
    ctx_.auth.requirePlay(who, lesson);
    const std::string key = std::to_string(lesson.id);
    const bool live = lesson.status == "live";
    std::string main = live ? ctx_.media.mainSource(key) : storedMain(ctx_.store, lesson.id);
    json out = json::array();
    std::set<std::string> seen;
    auto running = sources_->list(lesson.id);
    auto runningByName = [&](const std::string& n) -> const RunningSource* {
        for (auto& r : running)
            if (r.name == n) return &r;
        return nullptr;
    };
    auto item = [&](const std::string& name, const std::string& kind) {
        json j{{"id", name}, {"name", name}, {"kind", kind}, {"main", name == main}};
        seen.insert(name);
        return j;
    };
    for (const auto& s : storedSources(ctx_.store, lesson.id)) {
        const RunningSource* r = runningByName(s.name);
        json j = item(s.name, r ? r->kind : "pull");
        j["uri"] = maskUri(s.uri);
        j["transcode"] = s.transcode;
        if (r)
            j.update(statusJson(r->status));
        else
            j["state"] = live ? "connecting" : "idle";
        if (r && r->kind != "pull") j["remote"] = r->remote;
        out.push_back(std::move(j));
    }
    for (const auto& r : running) {
        if (seen.count(r.name)) continue;
        json j = item(r.name, r.kind);
        j["remote"] = r.remote;
        j["transcode"] = r.transcode;
        j.update(statusJson(r.status));
        out.push_back(std::move(j));
    }
    if (live)
        for (const auto& name : ctx_.media.sources(key))
            if (!seen.count(name)) {
                json j = item(name, "whip");
                j["state"] = "live";
                out.push_back(std::move(j));
            }
    return reply(200, out);
}

Response IngestModule::add(Request& req) {
    auto who = ctx_.auth.authenticate(req);
    Lesson lesson = ctx_.lessons.get(parseId(req.param("id")));
    ctx_.auth.requirePublish(who, lesson);
    auto body = JsonBody::parse(req, {"name", "uri", "transcode"});
    std::string name = body.requiredString("name", 1, 32);
    std::string uri = body.requiredString("uri", 1, 2048);
    bool transcode = body.optBool("transcode").value_or(false);
    if (!validSourceName(name))
        throw ApiError::badRequest("invalid_value",
                                   "name must be 1-32 letters, digits, '-' or '_'");
    if (uri.rfind("push:", 0) == 0)
        throw ApiError::badRequest("invalid_uri", "push sources are not added by URI");
    try {
        pipeline::IngestSource::validateUri(uri);
    } catch (const std::invalid_argument& e) {
        throw ApiError::badRequest("invalid_uri", e.what());
    }
    if (lesson.status == "ended") throw ApiError::conflict("lesson_ended", "the lesson has ended");
    {
        std::lock_guard lock(ctx_.store.mutex());
        try {
            ctx_.store.transaction([&] {
                ctx_.store.run(
                    "INSERT INTO lesson_sources(lesson_id, name, uri, transcode) VALUES (?, ?, ?, "
                    "?)",
                    lesson.id, name, uri, transcode);
                audit(ctx_.store, &who, "create", "lesson_source", lesson.id,
                      json{{"name", name}, {"uri", maskUri(uri)}}.dump());
            });
        } catch (const ConstraintError&) {
            throw ApiError::conflict("source_exists", "lesson " + std::to_string(lesson.id) +
                                                          " already has a source named " + name);
        }
    }
    if (lesson.status == "live" && !sources_->running(lesson.id, name)) {
        try {
            sources_->startPulled(lesson.id, name, uri, transcode);
        } catch (const std::exception& e) {
            spdlog::error("ingest: lesson {} source {}: {}", lesson.id, name, e.what());
        }
    }
    json j{{"id", name},
           {"name", name},
           {"kind", "pull"},
           {"uri", maskUri(uri)},
           {"transcode", transcode},
           {"state", lesson.status == "live" ? "connecting" : "idle"}};
    Response r = reply(201, j);
    r.headers.emplace_back("Location",
                           "/api/v1/lessons/" + std::to_string(lesson.id) + "/sources/" + name);
    return r;
}

Response IngestModule::remove(Request& req) {
    auto who = ctx_.auth.authenticate(req);
    Lesson lesson = ctx_.lessons.get(parseId(req.param("id")));
    ctx_.auth.requirePublish(who, lesson);
    const std::string& name = req.param("sid");
    int deleted = 0;
    {
        std::lock_guard lock(ctx_.store.mutex());
        ctx_.store.transaction([&] {
            deleted = ctx_.store.run("DELETE FROM lesson_sources WHERE lesson_id = ? AND name = ?",
                                     lesson.id, name);
            if (deleted)
                audit(ctx_.store, &who, "delete", "lesson_source", lesson.id,
                      json{{"name", name}}.dump());
        });
    }
    // A pushed source is disconnected (its publisher may come back).
    bool stopped = sources_->stop(lesson.id, name);
    if (!deleted && !stopped)
        throw ApiError::notFound("no source " + name + " in lesson " + std::to_string(lesson.id));
    Response r;
    r.status = 204;
    r.contentType.clear();
    return r;
}

Response IngestModule::setMain(Request& req) {
    auto who = ctx_.auth.authenticate(req);
    Lesson lesson = ctx_.lessons.get(parseId(req.param("id")));
    ctx_.auth.requirePublish(who, lesson);
    const std::string& name = req.param("sid");
    if (!validSourceName(name)) throw ApiError::notFound("no source " + name);
    const std::string key = std::to_string(lesson.id);
    bool known = sources_->running(lesson.id, name);
    for (const auto& s : storedSources(ctx_.store, lesson.id)) known = known || s.name == name;
    if (lesson.status == "live")
        for (const auto& s : ctx_.media.sources(key)) known = known || s == name;
    if (!known) throw ApiError::notFound("no source " + name + " in lesson " + key);
    {
        std::lock_guard lock(ctx_.store.mutex());
        ctx_.store.transaction([&] {
            ctx_.store.run(
                "INSERT INTO lesson_main_source(lesson_id, name) VALUES (?, ?) "
                "ON CONFLICT(lesson_id) DO UPDATE SET name = excluded.name",
                lesson.id, name);
            audit(ctx_.store, &who, "update", "lesson_main_source", lesson.id,
                  json{{"name", name}}.dump());
        });
    }
    if (lesson.status == "live") ctx_.media.setMainSource(key, name);
    return reply(200, json{{"main_source", name}});
}

int64_t IngestModule::checkPublish(const pipeline::PublishRequest& r) {
    int64_t id = 0;
    try {
        id = parseId(r.lessonId);
    } catch (const std::exception&) {
        throw pipeline::PublishRefused(404, "no such lesson: " + r.lessonId);
    }
    if (!validSourceName(r.source))
        throw pipeline::PublishRefused(400, "source must be 1-32 letters, digits, '-' or '_'");
    if (r.token.empty())
        throw pipeline::PublishRefused(401, "unauthorized: a token is required (token=...)");
    std::lock_guard lock(ctx_.store.mutex());
    auto lesson = ctx_.lessons.find(id);
    if (!lesson) throw pipeline::PublishRefused(404, "no such lesson: " + r.lessonId);
    signaling::Request fake;
    fake.headers["authorization"] = "Bearer " + r.token;
    Principal who;
    try {
        who = ctx_.auth.authenticate(fake);
    } catch (const ApiError& e) {
        throw pipeline::PublishRefused(401, std::string("unauthorized: ") + e.what());
    }
    if (!ctx_.auth.canPublish(who, *lesson))
        throw pipeline::PublishRefused(
            403, "forbidden: not allowed to publish into lesson " + r.lessonId);
    if (lesson->status != "live")
        throw pipeline::PublishRefused(409, "lesson " + r.lessonId + " is not live");
    return id;
}

void IngestModule::authorize(const pipeline::PublishRequest& r) {
    try {
        checkPublish(r);
    } catch (const pipeline::PublishRefused& e) {
        (r.protocol == "srt" ? refusedSrt_ : refusedRtmp_)++;
        spdlog::info("ingest: {} publish from {} refused: {}", r.protocol, r.remote, e.what());
        throw;
    }
}

std::unique_ptr<pipeline::PushSink> IngestModule::startPublish(const pipeline::PublishRequest& r) {
    authorize(r);
    int64_t id = parseId(r.lessonId);
    return sources_->startPushed(id, r.source, r.protocol, r.protocol == "srt" ? "mpegts" : "flv",
                                 r.remote, r.transcode);
}

void IngestModule::appendMetrics(std::string& out) const {
    out += "# TYPE cb_ingest_source_state gauge\n";
    auto running = sources_->list(0);
    for (const auto& s : running) {
        std::string labels = "lesson=\"" + std::to_string(s.lessonId) + "\",source=\"" +
                             Metrics::escapeLabel(s.name) + "\",kind=\"" + s.kind + "\"";
        for (auto st : {pipeline::SourceState::Connecting, pipeline::SourceState::Live,
                        pipeline::SourceState::Retrying, pipeline::SourceState::Failed})
            out += "cb_ingest_source_state{" + labels + ",state=\"" + pipeline::toString(st) +
                   "\"} " + (s.status.state == st ? "1" : "0") + "\n";
    }
    out += "# TYPE cb_ingest_packets_total counter\n";
    for (const auto& s : running) {
        std::string labels = "lesson=\"" + std::to_string(s.lessonId) + "\",source=\"" +
                             Metrics::escapeLabel(s.name) + "\"";
        out += "cb_ingest_packets_total{" + labels + ",media=\"video\"} " +
               std::to_string(s.status.videoPackets) + "\n";
        out += "cb_ingest_packets_total{" + labels + ",media=\"audio\"} " +
               std::to_string(s.status.audioPackets) + "\n";
    }
    out += "# TYPE cb_ingest_restarts_total counter\n";
    for (const auto& s : running)
        out += "cb_ingest_restarts_total{lesson=\"" + std::to_string(s.lessonId) + "\",source=\"" +
               Metrics::escapeLabel(s.name) + "\"} " + std::to_string(s.status.restarts) + "\n";
    out += "# TYPE cb_ingest_latency_max_ms gauge\n";
    for (const auto& s : running)
        out += "cb_ingest_latency_max_ms{lesson=\"" + std::to_string(s.lessonId) + "\",source=\"" +
               Metrics::escapeLabel(s.name) + "\"} " + std::to_string(s.status.latencyMaxMs) + "\n";
    out += "# TYPE cb_ingest_connections gauge\n";
    out += "cb_ingest_connections{protocol=\"rtmp\"} " +
           std::to_string(rtmp_ ? rtmp_->connections() : 0) + "\n";
    out += "cb_ingest_connections{protocol=\"srt\"} " +
           std::to_string(srt_ ? srt_->connections() : 0) + "\n";
    out += "# TYPE cb_ingest_publish_refused_total counter\n";
    out += "cb_ingest_publish_refused_total{protocol=\"rtmp\"} " +
           std::to_string(refusedRtmp_.load()) + "\n";
    out += "cb_ingest_publish_refused_total{protocol=\"srt\"} " +
           std::to_string(refusedSrt_.load()) + "\n";
    out += "# TYPE cb_ingest_protocol_errors_total counter\n";
    out += "cb_ingest_protocol_errors_total{protocol=\"rtmp\"} " +
           std::to_string(rtmp_ ? rtmp_->protocolErrors() : 0) + "\n";
}

}  // namespace server
