#pragma once
// Ingest: a lesson's media sources (pulled by URI, pushed over RTMP/SRT), the main-source
// switch, and the RTMP and SRT listeners. Sources with URIs start when their lesson goes
// live and are torn down when it ends. API in docs/ingest.md.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "pipeline/PublishHandler.hpp"
#include "server/Module.hpp"
#include "signaling/Http.hpp"

namespace pipeline {
class RtmpServer;
class SrtServer;
}  // namespace pipeline

namespace server {

struct ModuleContext;
class SourceManager;

class IngestModule : public Module, public pipeline::PublishHandler {
public:
    explicit IngestModule(ModuleContext& context);
    ~IngestModule() override;
    const char* name() const override { return "ingest"; }
    void registerRoutes(signaling::HttpServer& http) override;
    void onLessonLive(const Lesson& lesson) override;
    void onLessonEnded(const Lesson& lesson) override;
    void appendMetrics(std::string& out) const override;
    void start() override;
    void stop() override;

    // pipeline::PublishHandler (RTMP/SRT listener threads)
    void authorize(const pipeline::PublishRequest& request) override;
    std::unique_ptr<pipeline::PushSink> startPublish(
        const pipeline::PublishRequest& request) override;

    static bool validSourceName(const std::string& name);

private:
    signaling::Response list(signaling::Request& req);
    signaling::Response add(signaling::Request& req);
    signaling::Response remove(signaling::Request& req);
    signaling::Response setMain(signaling::Request& req);
    int64_t checkPublish(const pipeline::PublishRequest& request);  // lesson id or PublishRefused

    ModuleContext& ctx_;
    std::unique_ptr<SourceManager> sources_;
    std::unique_ptr<pipeline::RtmpServer> rtmp_;
    std::unique_ptr<pipeline::SrtServer> srt_;
    std::atomic<uint64_t> refusedRtmp_{0}, refusedSrt_{0};
};

}  // namespace server
