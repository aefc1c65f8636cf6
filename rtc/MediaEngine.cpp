// MediaEngine's public face: forwards to MediaEngine::Impl (MediaEngineImpl.cpp).
#include "rtc/MediaEngine.hpp"

#include "rtc/MediaEngineImpl.hpp"

namespace rtc {

MediaEngine::MediaEngine(EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
MediaEngine::~MediaEngine() = default;

SessionInfo MediaEngine::publish(const std::string& lessonId, const std::string& source,
                                 const std::string& offerSdp) {
    return impl_->open(lessonId, source.empty() ? "teacher" : source, offerSdp, true);
}

SessionInfo MediaEngine::subscribe(const std::string& lessonId, const std::string& offerSdp) {
    return impl_->open(lessonId, {}, offerSdp, false);
}

std::string MediaEngine::patch(const std::string& sessionId, const std::string& sdpFragment) {
    return impl_->patch(sessionId, sdpFragment);
}

bool MediaEngine::close(const std::string& sessionId) {
    return impl_->close(sessionId);
}

void MediaEngine::closeLesson(const std::string& lessonId) {
    impl_->closeLesson(lessonId);
}

std::unique_ptr<SourceInput> MediaEngine::attachSource(const std::string& lessonId,
                                                       const std::string& source,
                                                       SourceInput::Listener* listener) {
    return impl_->attachSource(lessonId, source, listener);
}

void MediaEngine::setMainSource(const std::string& lessonId, const std::string& source) {
    impl_->onLessonWorker(lessonId, true, [&](WorkerState& st) {
        st.router(lessonId).setMainSource(source, engineNowMs());
    });
}

std::string MediaEngine::mainSource(const std::string& lessonId) const {
    std::string out;
    impl_->onLessonWorker(lessonId, false, [&](WorkerState& st) {
        if (Router* r = st.findRouter(lessonId)) out = r->mainSource();
    });
    return out;
}

std::vector<std::string> MediaEngine::sources(const std::string& lessonId) const {
    std::vector<std::string> out;
    impl_->onLessonWorker(lessonId, false, [&](WorkerState& st) {
        if (Router* r = st.findRouter(lessonId)) out = r->sourceNames();
    });
    return out;
}

std::unique_ptr<MediaEngine::SinkHandle> MediaEngine::addSink(const std::string& lessonId,
                                                              RtpSink* sink) {
    return impl_->addSink(lessonId, sink);
}

void MediaEngine::requestKeyframe(const std::string& lessonId, const std::string& source) {
    unsigned w;
    if (!impl_->findWorker(lessonId, w)) return;
    WorkerState* st = impl_->states[w].get();
    impl_->host->worker(w).post([st, lessonId, source] {
        if (Router* r = st->findRouter(lessonId)) r->requestKeyframe(source, engineNowMs());
    });
}

std::string MediaEngine::metricsText() const {
    return impl_->metricsText();
}

uint16_t MediaEngine::port() const {
    return impl_->host->port();
}

}  // namespace rtc
