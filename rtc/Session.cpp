#include "rtc/Session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstring>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"
#include "rtc/RtpPacket.hpp"

namespace rtc {

namespace {
constexpr uint32_t kFeedbackSsrc = 0x0c1a55b2;
// Transport-cc feedback period: libwebrtc's receiver sends every 50-250 ms; 50 ms keeps
// the publisher's delay-based estimate responsive (feedback also goes out early when full).
constexpr std::chrono::milliseconds kTwccInterval{50};

int64_t steadyUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
thread_local std::array<uint8_t, kMaxRtpSize + 64> tRtxScratch;
}  // namespace

// ---------------------------------------------------------------- Session

Session::Session(std::string id, std::string lessonId, Router& router, Owner& owner,
                 EngineMetrics& metrics)
    : id_(std::move(id)),
      lessonId_(std::move(lessonId)),
      router_(router),
      owner_(owner),
      metrics_(metrics) {}

Session::~Session() = default;

int64_t Session::nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void Session::configure(const NegotiatedSession& n) {
    if (!n.bundleMids.empty()) bundleMid_ = n.bundleMids.front();
}

void Session::close() {
    detach();
    if (transport_ && !transport_->closed()) transport_->close();
}

void Session::onTransportClosed(const char* reason) {
    if (failed_) return;
    failed_ = true;
    detach();
    owner_.onSessionFailed(*this, reason);
}

// ---------------------------------------------------------------- PublisherSession

PublisherSession::PublisherSession(std::string id, std::string lessonId, std::string sourceName,
                                   Router& router, Owner& owner, EngineMetrics& metrics)
    : Session(std::move(id), std::move(lessonId), router, owner, metrics),
      sourceName_(std::move(sourceName)) {}

void PublisherSession::configure(const NegotiatedSession& n) {
    Session::configure(n);
    if (n.audio) audioPt_ = n.audio->payloadType;
    if (n.video) {
        videoPt_ = n.video->payloadType;
        videoRtxPt_ = n.video->rtxPayloadType;
        videoSsrc_ = n.video->remoteSsrc;
    }
    // With BUNDLE the extension id is the same in every m-line that negotiated it.
    if (n.video && n.video->transportCc && n.video->ext.transportCc) {
        twccExtId_ = n.video->ext.transportCc;
        mediaSsrc_ = n.video->remoteSsrc;
    } else if (n.audio && n.audio->transportCc && n.audio->ext.transportCc) {
        twccExtId_ = n.audio->ext.transportCc;
        mediaSsrc_ = n.audio->remoteSsrc;
    }
}

PublisherSession::~PublisherSession() {
    detach();
}

void PublisherSession::detach() {
    if (twccTimer_ && transport_) transport_->worker().cancelTimer(twccTimer_);
    twccTimer_ = 0;
    if (source_) router_.removeSource(source_, nowMs());
    source_ = nullptr;
}

void PublisherSession::onTransportConnected() {
    if (failed_ || source_) return;
    source_ = router_.addSource(sourceName_, this, nowMs());
    if (twccExtId_)
        twccTimer_ =
            transport_->worker().addTimer(kTwccInterval, true, [this] { sendTwccFeedback(); });
    spdlog::info("rtc: publisher {} connected as source '{}' of lesson {}", id_, sourceName_,
                 lessonId_);
}

void PublisherSession::recordTransportSeq(uint8_t* data, size_t len, int64_t nowUs) {
    // Every packet counts for the sender's estimate, RTX and padding-only probes included.
    auto pkt = RtpPacket::parse(data, len);
    if (!pkt) return;
    const ExtensionElement e = pkt->extension(twccExtId_);
    if (!e || e.size != 2) return;
    if (mediaSsrc_ == 0) mediaSsrc_ = pkt->ssrc();
    twcc_.onPacket(load16(e.data), nowUs);
    if (twcc_.full()) sendTwccFeedback();
}

void PublisherSession::sendTwccFeedback() {
    if (!transport_ || !transport_->connected()) return;
    uint8_t buf[1200];
    while (const size_t n = twcc_.writeFeedback(kFeedbackSsrc, mediaSsrc_, buf, sizeof buf)) {
        if (transport_->sendRtcp(buf, n))
            metrics_.add(metrics_.twccFeedbackSent);
        else
            metrics_.add(metrics_.sendErrors);
    }
}

void PublisherSession::onRtp(uint8_t* data, size_t len) {
    // One clock read per packet serves the transport-cc record and the router.
    const int64_t nowUs = steadyUs();
    const int64_t now = nowUs / 1000;
    if (twccExtId_ && source_) recordTransportSeq(data, len, nowUs);
    if (!source_ || len < 12) {
        metrics_.add(metrics_.drops);
        return;
    }
    const uint8_t pt = data[1] & 0x7f;
    if (pt == audioPt_ && audioPt_ != 0) {
        router_.onSourceRtp(source_, MediaKind::Audio, data, len, now);
    } else if (pt == videoPt_ && videoPt_ != 0) {
        if (videoSsrc_ == 0) videoSsrc_ = load32(data + 8);
        router_.onSourceRtp(source_, MediaKind::Video, data, len, now);
    } else if (pt == videoRtxPt_ && videoRtxPt_ != 0 && videoSsrc_ != 0) {
        // RFC 4588: restore the original packet (OSN, media PT and SSRC). Padding-only RTX
        // packets are bandwidth probes and carry nothing.
        size_t header = 12 + 4 * size_t{data[0] & 0x0fu};
        if ((data[0] & 0x10) && header + 4 <= len)
            header += 4 + 4 * size_t{load16(data + header + 2)};
        size_t end = len;
        if (data[0] & 0x20) end = len - std::min<size_t>(len, data[len - 1]);
        if (header + 2 >= end || end - 2 > tRtxScratch.size()) return;
        uint8_t* out = tRtxScratch.data();
        std::memcpy(out, data, header);
        out[0] &= static_cast<uint8_t>(~0x20);
        out[1] = static_cast<uint8_t>((data[1] & 0x80) | videoPt_);
        std::memcpy(out + 2, data + header, 2);
        store32(out + 8, videoSsrc_);
        std::memcpy(out + header, data + header + 2, end - header - 2);
        router_.onSourceRtp(source_, MediaKind::Video, out, end - 2, now);
    } else {
        metrics_.add(metrics_.drops);
    }
}

void PublisherSession::onRtcp(uint8_t* data, size_t len) {
    if (source_) router_.onSourceRtcp(source_, data, len, nowMs());
}

void PublisherSession::requestKeyframe() {
    if (!transport_ || videoSsrc_ == 0) return;
    uint8_t buf[20];
    ByteWriter w(buf, sizeof buf);
    w.u8(0x80);  // empty RR: compound RTCP starts with a report
    w.u8(201);
    w.u16(1);
    w.u32(kFeedbackSsrc);
    w.u8(0x81);  // PLI (RFC 4585)
    w.u8(206);
    w.u16(2);
    w.u32(kFeedbackSsrc);
    w.u32(videoSsrc_);
    if (!transport_->sendRtcp(buf, w.size())) metrics_.add(metrics_.sendErrors);
}

void PublisherSession::sendRtcp(uint8_t* data, size_t size, size_t) {
    if (transport_ && !transport_->sendRtcp(data, size)) metrics_.add(metrics_.sendErrors);
}

void PublisherSession::onSourceReplaced() {
    source_ = nullptr;
    if (failed_) return;
    failed_ = true;
    owner_.onSessionFailed(*this, "replaced by a new publisher of the same source");
}

// ---------------------------------------------------------------- SubscriberSession

Consumer::Track SubscriberSession::trackOf(const std::optional<NegotiatedStream>& s) {
    Consumer::Track t;
    if (!s) return t;
    t.enabled = true;
    t.ssrc = s->localSsrc;
    t.payloadType = s->payloadType;
    t.rtxSsrc = s->rtxPayloadType ? s->localRtxSsrc : 0;
    t.rtxPayloadType = t.rtxSsrc ? s->rtxPayloadType : 0;
    t.clockRate = s->clockRate;
    return t;
}

SubscriberSession::SubscriberSession(std::string id, std::string lessonId, uint64_t consumerId,
                                     Router& router, Owner& owner, EngineMetrics& metrics)
    : Session(std::move(id), std::move(lessonId), router, owner, metrics),
      consumerId_(consumerId) {}

void SubscriberSession::configure(const NegotiatedSession& n) {
    Session::configure(n);
    consumer_ = std::make_unique<Consumer>(consumerId_, trackOf(n.audio), trackOf(n.video), this);
}

SubscriberSession::~SubscriberSession() {
    detach();
}

void SubscriberSession::detach() {
    if (attached_) router_.removeConsumer(consumer_.get());
    attached_ = false;
}

void SubscriberSession::onTransportConnected() {
    if (failed_ || attached_ || !consumer_) return;
    attached_ = true;
    router_.addConsumer(consumer_.get(), nowMs());
    spdlog::info("rtc: subscriber {} of lesson {} connected ({})", id_, lessonId_,
                 transport_ ? transport_->selectedRemote() : std::string());
}

void SubscriberSession::onRtcp(uint8_t* data, size_t len) {
    if (attached_) router_.onConsumerRtcp(consumer_.get(), data, len, nowMs());
}

void SubscriberSession::sendRtp(uint8_t* data, size_t size, size_t) {
    if (!transport_->sendRtp(data, size)) metrics_.add(metrics_.sendErrors);
}

void SubscriberSession::hotLines(HotLines& out) const {
    out.add(static_cast<const Consumer::Output*>(this));  // its vtable pointer
    out.add(&transport_, sizeof transport_);
    if (transport_) transport_->hotLines(out);
}

void SubscriberSession::sendRtcp(uint8_t* data, size_t size, size_t) {
    if (!transport_->sendRtcp(data, size)) metrics_.add(metrics_.sendErrors);
}

}  // namespace rtc
