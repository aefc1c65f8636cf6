#pragma once
// A WHIP publisher or WHEP subscriber: its WebRtcTransport plus its place in the lesson's
// Router (a source, or a consumer). Created, used and destroyed on the Router's worker.
#include <cstdint>
#include <memory>
#include <string>

#include "rtc/Consumer.hpp"
#include "rtc/EngineMetrics.hpp"
#include "rtc/Router.hpp"
#include "rtc/Sdp.hpp"
#include "rtc/TwccRecorder.hpp"
#include "rtc/WebRtcTransport.hpp"

namespace rtc {

class Session : public WebRtcTransport::Listener {
public:
    class Owner {
    public:
        virtual ~Owner() = default;
        // The session cannot continue (consent lost, DTLS failed, source replaced). Called
        // on the worker; the owner destroys it later, never from inside this call.
        virtual void onSessionFailed(Session& session, const char* reason) = 0;
    };

    Session(std::string id, std::string lessonId, Router& router, Owner& owner,
            EngineMetrics& metrics);
    ~Session() override;

    const std::string& id() const { return id_; }
    const std::string& lessonId() const { return lessonId_; }
    virtual bool publisher() const = 0;
    void setTransport(std::unique_ptr<WebRtcTransport> transport) {
        transport_ = std::move(transport);
    }
    WebRtcTransport& transport() { return *transport_; }
    // Sends close_notify and detaches from the router (DELETE, lesson end).
    void close();
    // What the answer settled (payload types, SSRCs); once, before any packet flows.
    virtual void configure(const NegotiatedSession& negotiated);
    const std::string& bundleMid() const { return bundleMid_; }

    void onTransportClosed(const char* reason) override;

protected:
    static int64_t nowMs();
    virtual void detach() = 0;  // leave the router; idempotent

    const std::string id_;
    const std::string lessonId_;
    Router& router_;
    Owner& owner_;
    EngineMetrics& metrics_;
    std::unique_ptr<WebRtcTransport> transport_;
    bool failed_ = false;
    std::string bundleMid_ = "0";
};

// WHIP: the publisher's audio and video become the router source `sourceName`.
class PublisherSession final : public Session, public Router::SourceFeedback {
public:
    PublisherSession(std::string id, std::string lessonId, std::string sourceName, Router& router,
                     Owner& owner, EngineMetrics& metrics);
    void configure(const NegotiatedSession& negotiated) override;
    ~PublisherSession() override;
    bool publisher() const override { return true; }
    const std::string& sourceName() const { return sourceName_; }

    void onTransportConnected() override;
    void onRtp(uint8_t* data, size_t len) override;
    void onRtcp(uint8_t* data, size_t len) override;

private:
    void detach() override;
    // Router::SourceFeedback
    void requestKeyframe() override;
    void sendRtcp(uint8_t* data, size_t size, size_t capacity) override;
    bool wantsRtcp() const override { return true; }
    void onSourceReplaced() override;
    void recordTransportSeq(uint8_t* data, size_t len, int64_t nowUs);
    void sendTwccFeedback();

    const std::string sourceName_;
    uint8_t audioPt_ = 0, videoPt_ = 0, videoRtxPt_ = 0;
    uint32_t videoSsrc_ = 0;  // from the SDP, or learnt from the first packet
    Router::Source* source_ = nullptr;
    uint8_t twccExtId_ = 0;   // transport-wide-cc header extension id; 0 = not negotiated
    uint32_t mediaSsrc_ = 0;  // for the feedback's media SSRC field
    TwccRecorder twcc_;
    Worker::TimerId twccTimer_ = 0;
};

// WHEP: a consumer of the lesson's main source.
class SubscriberSession final : public Session, public Consumer::Output {
public:
    SubscriberSession(std::string id, std::string lessonId, uint64_t consumerId, Router& router,
                      Owner& owner, EngineMetrics& metrics);
    void configure(const NegotiatedSession& negotiated) override;
    ~SubscriberSession() override;
    bool publisher() const override { return false; }

    void onTransportConnected() override;
    void onRtp(uint8_t*, size_t) override {}  // a subscriber sends no media
    void onRtcp(uint8_t* data, size_t len) override;

private:
    void detach() override;
    void sendRtp(uint8_t* data, size_t size, size_t capacity) override;
    void sendRtcp(uint8_t* data, size_t size, size_t capacity) override;
    void hotLines(HotLines& out) const override;
    static Consumer::Track trackOf(const std::optional<NegotiatedStream>& s);

    const uint64_t consumerId_;
    std::unique_ptr<Consumer> consumer_;  // once configured
    bool attached_ = false;
};

}  // namespace rtc
