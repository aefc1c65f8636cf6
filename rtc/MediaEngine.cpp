// Placeholder implementation so the binary links while the media plane is assembled.
#include "rtc/MediaEngine.hpp"

namespace rtc {

class MediaEngine::Impl {
public:
    explicit Impl(EngineOptions o) : options(std::move(o)) {}
    EngineOptions options;
};

MediaEngine::MediaEngine(EngineOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
MediaEngine::~MediaEngine() = default;

SessionInfo MediaEngine::publish(const std::string&, const std::string&, const std::string&) {
    throw OfferError(503, "media_unavailable", "media engine not available");
}
SessionInfo MediaEngine::subscribe(const std::string&, const std::string&) {
    throw OfferError(503, "media_unavailable", "media engine not available");
}
std::string MediaEngine::patch(const std::string&, const std::string&) {
    throw std::out_of_range("unknown session");
}
bool MediaEngine::close(const std::string&) {
    return false;
}
void MediaEngine::closeLesson(const std::string&) {}
std::unique_ptr<SourceInput> MediaEngine::attachSource(const std::string&, const std::string&,
                                                       SourceInput::Listener*) {
    return nullptr;
}
void MediaEngine::setMainSource(const std::string&, const std::string&) {}
std::string MediaEngine::mainSource(const std::string&) const {
    return {};
}
std::vector<std::string> MediaEngine::sources(const std::string&) const {
    return {};
}
std::unique_ptr<MediaEngine::SinkHandle> MediaEngine::addSink(const std::string&, RtpSink*) {
    return nullptr;
}
void MediaEngine::requestKeyframe(const std::string&, const std::string&) {}
std::string MediaEngine::metricsText() const {
    return {};
}
uint16_t MediaEngine::port() const {
    return impl_->options.port;
}

}  // namespace rtc
