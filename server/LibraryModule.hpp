#pragma once
// Recording and the on-demand library (issue 5): records live lessons (RecordingService),
// post-processes finished recordings (RecordingJobs), and serves the library API and the
// VOD files. Routes:
//   GET  /api/v1/lessons/{id}/recordings
//   GET  /api/v1/resources                 ?q= subject grade mode teacher school date from to
//                                          status visibility lesson_id page per_page
//   GET/PATCH /api/v1/resources/{id}       metadata, visibility, trim_start/trim_end
//   POST /api/v1/resources/{id}/submit|approve|reject|publish|unpublish
//   POST /api/v1/resources/{id}/rating     {"stars":1..5}
//   GET/POST /api/v1/resources/{id}/comments, POST .../comments/{cid}/hide|unhide
//   GET  /vod/{id}/{file}
#include <memory>

#include "server/Module.hpp"

namespace server {

struct ModuleContext;
class ResourceService;
class RecordingJobs;
class RecordingService;
class VodHandler;

class LibraryModule : public Module {
public:
    explicit LibraryModule(ModuleContext& context);
    ~LibraryModule() override;
    const char* name() const override { return "library"; }
    void registerRoutes(signaling::HttpServer& http) override;
    void onLessonLive(const Lesson& lesson) override;
    void onLessonEnded(const Lesson& lesson) override;
    void appendMetrics(std::string& out) const override;
    void start() override;
    void stop() override;

private:
    ModuleContext& ctx_;
    std::unique_ptr<ResourceService> resources_;
    std::unique_ptr<RecordingJobs> jobs_;
    std::unique_ptr<RecordingService> recordings_;
    std::unique_ptr<VodHandler> vod_;
};

}  // namespace server
