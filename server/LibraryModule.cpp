#include "server/LibraryModule.hpp"

#include "common/Error.hpp"
#include "server/ApiContext.hpp"
#include "server/Auth.hpp"
#include "server/Lesson.hpp"
#include "server/LessonService.hpp"
#include "server/ModuleContext.hpp"
#include "server/RecordingJobs.hpp"
#include "server/RecordingService.hpp"
#include "server/ResourceService.hpp"
#include "server/Validation.hpp"
#include "server/VodHandler.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

using signaling::Request;
using signaling::Response;

LibraryModule::LibraryModule(ModuleContext& context)
    : ctx_(context),
      resources_(std::make_unique<ResourceService>(context.store)),
      jobs_(std::make_unique<RecordingJobs>(context.store, *resources_, context.dataDir)),
      recordings_(std::make_unique<RecordingService>(context, *resources_, *jobs_)),
      vod_(std::make_unique<VodHandler>(context.auth, *resources_, context.dataDir)) {
    resources_->onReprocess = [this](int64_t id) { jobs_->enqueue(id); };
}

LibraryModule::~LibraryModule() {
    stop();
}

void LibraryModule::start() {
    // Recordings a crash left open are closed before anything records again.
    recordings_->recoverUnfinished();
    jobs_->start();
}

void LibraryModule::stop() {
    if (recordings_) recordings_->stopAll();  // finalises every recording (SIGTERM/SIGINT)
    if (jobs_) jobs_->stop();
}

void LibraryModule::onLessonLive(const Lesson& lesson) {
    recordings_->lessonLive(lesson);
}
void LibraryModule::onLessonEnded(const Lesson& lesson) {
    recordings_->lessonEnded(lesson.id);
}
void LibraryModule::appendMetrics(std::string& out) const {
    recordings_->appendMetrics(out);
}

void LibraryModule::registerRoutes(signaling::HttpServer& http) {
    auto& auth = ctx_.auth;
    http.route("GET", "/api/v1/lessons/{id}/recordings", [this, &auth](Request& r) {
        auto who = auth.authenticate(r);
        Lesson lesson = ctx_.lessons.get(parseId(r.param("id")));
        if (!ResourceService::isReviewer(who)) auth.requirePublish(who, lesson);
        return jsonResponse(200, recordings_->listForLesson(lesson.id));
    });
    http.route("GET", "/api/v1/resources", [this, &auth](Request& r) {
        auto who = auth.authenticate(r);
        return jsonResponse(200, resources_->list(r.query, who));
    });
    http.route("GET", "/api/v1/resources/{id}", [this, &auth](Request& r) {
        auto who = auth.authenticate(r);
        return jsonResponse(200, resources_->get(parseId(r.param("id")), &who));
    });
    http.route("PATCH", "/api/v1/resources/{id}", [this, &auth](Request& r) {
        auto who = auth.authenticate(r);
        JsonBody::parse(r, {"title", "description", "subject", "grade", "visibility", "trim_start",
                            "trim_end"});  // content type and shape
        return jsonResponse(200, resources_->patch(parseId(r.param("id")), r.body, who));
    });
    for (const char* action : {"submit", "approve", "reject", "publish", "unpublish"}) {
        http.route("POST", std::string("/api/v1/resources/{id}/") + action,
                   [this, &auth, action](Request& r) {
                       auto who = auth.authenticate(r);
                       return jsonResponse(200, resources_->transition(parseId(r.param("id")),
                                                                       action, r.body, who));
                   });
    }
    http.route("POST", "/api/v1/resources/{id}/rating", [this, &auth](Request& r) {
        auto who = auth.authenticate(r);
        return jsonResponse(200, resources_->rate(parseId(r.param("id")), r.body, who));
    });
    http.route("GET", "/api/v1/resources/{id}/comments", [this, &auth](Request& r) {
        auto who = auth.authenticate(r);
        return jsonResponse(200, resources_->comments(parseId(r.param("id")), who));
    });
    http.route("POST", "/api/v1/resources/{id}/comments", [this, &auth](Request& r) {
        auto who = auth.authenticate(r);
        return jsonResponse(201, resources_->addComment(parseId(r.param("id")), r.body, who));
    });
    for (bool hide : {true, false}) {
        http.route(
            "POST",
            std::string("/api/v1/resources/{id}/comments/{cid}/") + (hide ? "hide" : "unhide"),
            [this, &auth, hide](Request& r) {
                auto who = auth.authenticate(r);
                return jsonResponse(
                    200, resources_->setCommentHidden(parseId(r.param("id")),
                                                      parseId(r.param("cid")), hide, who));
            });
    }
    http.route("GET", "/vod/{id}/{*file}", [this](Request& r) { return vod_->handle(r); });
    http.route("HEAD", "/vod/{id}/{*file}", [this](Request& r) { return vod_->handle(r); });
}

}  // namespace server
