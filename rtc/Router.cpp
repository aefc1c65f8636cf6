#include "rtc/Router.hpp"

#include <algorithm>
#include <array>

#include "rtc/ByteReader.hpp"
#include "rtc/EnvSwitch.hpp"

namespace rtc {

namespace {
// Room for the largest RTP packet plus RTX's 2 bytes and the SRTP auth tag / MKI.
constexpr size_t kScratchSize = kMaxRtpSize + 64;
thread_local std::array<uint8_t, kScratchSize> tScratch;

constexpr size_t kVideoSlots = 1024;  // ~1 s of 5 Mbit/s video for NACK answers
constexpr size_t kAudioSlots = 128;
constexpr int64_t kReportIntervalMs = 1000;
const bool kPrefetch = envSwitchOn("CB_RTC_PREFETCH");  // the fan-out prefetch
}  // namespace

struct Router::Source {
    std::string name;
    SourceFeedback* feedback;
    Producer audio{MediaKind::Audio, 48000, kAudioSlots};
    Producer video{MediaKind::Video, 90000, kVideoSlots};
    bool keyframePending = false;
    Producer& producer(MediaKind k) { return k == MediaKind::Audio ? audio : video; }
};

Router::Router(std::string lessonId, EngineMetrics& metrics)
    : lessonId_(std::move(lessonId)), metrics_(metrics) {}

Router::~Router() {
    if (deferred_) deferred_->forget(this);
}

void DeferredFanout::flush() {
    // flushFanout() never marks again, so the list cannot change while it is walked.
    for (Router* r : dirty_) r->flushFanout();
    dirty_.clear();
}

Router::Source* Router::addSource(const std::string& name, SourceFeedback* feedback,
                                  int64_t nowMs) {
    if (Source* old = findSource(name)) {
        SourceFeedback* oldFeedback = old->feedback;
        removeSource(old, nowMs);
        if (oldFeedback) oldFeedback->onSourceReplaced();
    }
    auto s = std::make_unique<Source>();
    s->name = name;
    s->feedback = feedback;
    Source* raw = s.get();
    sources_.push_back(std::move(s));
    chooseMainSource(nowMs);
    return raw;
}

void Router::removeSource(Source* source, int64_t nowMs) {
    flushFanout();  // held packets live in this source's producers
    auto it = std::find_if(sources_.begin(), sources_.end(),
                           [source](const auto& s) { return s.get() == source; });
    if (it == sources_.end()) return;
    if (main_ == source) main_ = nullptr;
    sources_.erase(it);
    chooseMainSource(nowMs);
}

Router::Source* Router::findSource(const std::string& name) const {
    for (const auto& s : sources_)
        if (s->name == name) return s.get();
    return nullptr;
}

void Router::chooseMainSource(int64_t nowMs) {
    // Explicit choice first, then "teacher", then the oldest source.
    Source* want = explicitMain_.empty() ? nullptr : findSource(explicitMain_);
    if (!want) want = findSource("teacher");
    if (!want && !sources_.empty()) want = main_ ? main_ : sources_.front().get();
    if (want != main_) switchMain(want, nowMs);
}

void Router::switchMain(Source* to, int64_t nowMs) {
    flushFanout();
    main_ = to;
    for (Consumer* c : consumers_) c->startNewSegment();
    if (main_ && !consumers_.empty()) requestKeyframe(*main_, nowMs);
}

void Router::setMainSource(const std::string& name, int64_t nowMs) {
    explicitMain_ = name;
    chooseMainSource(nowMs);
}

std::string Router::mainSource() const {
    return main_ ? main_->name : std::string();
}

std::vector<std::string> Router::sourceNames() const {
    std::vector<std::string> names;
    for (const auto& s : sources_) names.push_back(s->name);
    return names;
}

void Router::onSourceRtp(Source* source, MediaKind kind, const uint8_t* data, size_t size,
                         int64_t nowMs) {
    const RtpSlot* pkt = source->producer(kind).receive(data, size, nowMs);
    if (!pkt) {
        metrics_.add(metrics_.drops);
        return;
    }
    metrics_.add(metrics_.packetsIn);
    metrics_.add(metrics_.bytesIn, size);
    for (RtpSink* sink : sinks_) sink->onRtp(source->name, kind, pkt->data.data(), pkt->size);
    if (source->producer(kind).takeRestart() && source == main_) {
        flushFanout();  // what came before the restart belongs to the old segment
        // Without a new segment the subscribers would see sequence numbers and timestamps
        // jump to wherever the restarted stream begins, and a browser discards the
        // "old" packets; continue after what each saw and ask for a keyframe.
        for (Consumer* c : consumers_) c->startNewSegment(kind);
        if (kind == MediaKind::Video) requestKeyframe(*source, nowMs);
    }
    if (source != main_) return;
    held_[heldCount_++] = {kind, pkt, nowMs};
    if (!deferred_ || heldCount_ == kMaxHeld)
        flushFanout();
    else if (heldCount_ == 1)
        deferred_->mark(this);  // once per pass, not per packet
}

void Router::flushFanout() {
    if (heldCount_ == 0) return;
    // Subscriber by subscriber: its packets go out back to back (one GSO datagram when
    // several are held), and its state is loaded once for all of them.
    uint64_t packets = 0, bytes = 0;
    const size_t count = consumers_.size();
    const size_t ahead = kPrefetch ? kPrefetchAhead : 0;
    for (size_t i = 0; i < std::min(count, ahead); ++i) hot_[i].prefetch();
    for (size_t i = 0; i < count; ++i) {
        if (ahead && i + ahead < count) hot_[i + ahead].prefetch();
        Consumer* c = consumers_[i];
        for (size_t h = 0; h < heldCount_; ++h) {
            const Held& p = held_[h];
            const size_t n = c->forward(p.kind, *p.pkt, p.nowMs, tScratch.data(), tScratch.size());
            if (n) {
                ++packets;
                bytes += n;
            }
        }
    }
    heldCount_ = 0;
    metrics_.add(metrics_.packetsOut, packets);
    metrics_.add(metrics_.bytesOut, bytes);
}

void Router::onSourceRtcp(Source* source, const uint8_t* data, size_t size, int64_t nowMs) {
    metrics_.add(metrics_.rtcpIn);
    // Walk the compound packet; only the sender reports matter (NTP/RTP mapping, LSR).
    ByteReader r(data, size);
    while (r.remaining() >= 4) {
        const uint8_t* start = r.current();
        const uint8_t pt = start[1];
        const size_t len = (size_t{load16(start + 2)} + 1) * 4;
        if ((start[0] >> 6) != 2 || len > r.remaining()) break;
        if (pt == 200 && len >= 28) {
            const uint32_t ssrc = load32(start + 4);
            const uint64_t ntp = load64(start + 8);
            const uint32_t rtp = load32(start + 16);
            for (Producer* p : {&source->audio, &source->video})
                if (p->started() && p->ssrc() == ssrc) p->onSenderReport(ntp, rtp, nowMs);
        }
        r.skip(len);
    }
}

void Router::addConsumer(Consumer* consumer, int64_t nowMs) {
    flushFanout();
    if (std::find(consumers_.begin(), consumers_.end(), consumer) != consumers_.end()) return;
    consumers_.push_back(consumer);
    consumer->hotLines(hot_.emplace_back());
    consumer->startNewSegment();
    if (main_) requestKeyframe(*main_, nowMs);
}

void Router::removeConsumer(Consumer* consumer) {
    flushFanout();
    auto it = std::find(consumers_.begin(), consumers_.end(), consumer);
    if (it == consumers_.end()) return;
    hot_.erase(hot_.begin() + (it - consumers_.begin()));
    consumers_.erase(it);
}

void Router::onConsumerRtcp(Consumer* consumer, const uint8_t* data, size_t size, int64_t nowMs) {
    // No flush: a receiver report must not cut a catch-up batch short (hundreds arrive per
    // second), and a NACK names packets this subscriber was already sent.
    metrics_.add(metrics_.rtcpIn);
    ByteReader r(data, size);
    while (r.remaining() >= 4) {
        const uint8_t* start = r.current();
        const uint8_t fmt = start[0] & 0x1f;
        const uint8_t pt = start[1];
        const size_t len = (size_t{load16(start + 2)} + 1) * 4;
        if ((start[0] >> 6) != 2 || len > r.remaining()) break;
        if (pt == 205 && fmt == 1 && len >= 12) {
            handleNack(*consumer, load32(start + 8), start + 12, len - 12);
        } else if (pt == 206 && (fmt == 1 || fmt == 4) && len >= 12) {
            // PLI or FIR: the keyframe comes from the source this consumer follows.
            metrics_.add(metrics_.plisReceived);
            if (main_) requestKeyframe(*main_, nowMs);
        }
        r.skip(len);
    }
}

void Router::handleNack(Consumer& c, uint32_t mediaSsrc, const uint8_t* fci, size_t len) {
    MediaKind kind;
    if (!main_ || !c.kindOf(mediaSsrc, kind)) return;
    const Producer& producer = main_->producer(kind);
    for (size_t off = 0; off + 4 <= len; off += 4) {
        const uint16_t pid = load16(fci + off);
        const uint16_t blp = load16(fci + off + 2);
        for (int bit = -1; bit < 16; ++bit) {
            if (bit >= 0 && !(blp & (1u << bit))) continue;
            const uint16_t outSeq = static_cast<uint16_t>(pid + bit + 1);
            metrics_.add(metrics_.nacksReceived);
            uint16_t srcSeq;
            const RtpSlot* pkt =
                c.toSourceSeq(kind, outSeq, srcSeq) ? producer.find(srcSeq) : nullptr;
            if (!pkt) {
                metrics_.add(metrics_.rtxMissed);
                continue;
            }
            const size_t n = c.retransmit(kind, *pkt, tScratch.data(), tScratch.size());
            if (n) {
                metrics_.add(metrics_.rtxSent);
                metrics_.add(metrics_.packetsOut);
                metrics_.add(metrics_.bytesOut, n);
            }
        }
    }
}

void Router::requestKeyframe(const std::string& name, int64_t nowMs) {
    if (Source* s = findSource(name)) requestKeyframe(*s, nowMs);
}

void Router::requestKeyframe(Source& s, int64_t nowMs) {
    if (s.video.allowKeyframeRequest(nowMs)) {
        s.keyframePending = false;
        metrics_.add(metrics_.keyframeRequests);
        if (s.feedback) s.feedback->requestKeyframe();
    } else {
        s.keyframePending = true;  // sent when the throttle allows
    }
}

void Router::addSink(RtpSink* sink) {
    if (std::find(sinks_.begin(), sinks_.end(), sink) == sinks_.end()) sinks_.push_back(sink);
}

void Router::removeSink(RtpSink* sink) {
    sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
}

void Router::onTick(int64_t nowMs, uint64_t ntpNow) {
    flushFanout();  // SRs count what was sent
    const bool reports = nowMs - lastReportMs_ >= kReportIntervalMs;
    if (reports) lastReportMs_ = nowMs;
    for (auto& s : sources_) {
        if (s->keyframePending) requestKeyframe(*s, nowMs);
        if (s->feedback && s->feedback->wantsRtcp()) sendPublisherFeedback(*s, nowMs, reports);
    }
    sendSenderReports(nowMs, ntpNow);
}

void Router::sendSenderReports(int64_t nowMs, uint64_t ntpNow) {
    const int64_t elapsed = std::clamp<int64_t>(nowMs - lastSrTickMs_, 0, kReportIntervalMs);
    lastSrTickMs_ = nowMs;
    const uint64_t n = consumers_.size();
    // At most one round per tick (a late tick does not send two SRs to anyone).
    srCredit_ =
        std::min<uint64_t>(srCredit_ + n * static_cast<uint64_t>(elapsed), n * kReportIntervalMs);
    uint64_t due = srCredit_ / kReportIntervalMs;
    srCredit_ -= due * kReportIntervalMs;
    if (!main_) return;
    for (; due > 0 && !consumers_.empty(); --due) {
        if (srCursor_ >= consumers_.size()) srCursor_ = 0;
        Consumer* c = consumers_[srCursor_++];
        ByteWriter w(tScratch.data(), kMaxRtpSize);
        c->writeSenderReports(w, ntpNow, nowMs, &main_->audio, &main_->video);
        if (w.ok() && w.size() > 0) {
            metrics_.add(metrics_.rtcpOut);
            c->output()->sendRtcp(tScratch.data(), w.size(), tScratch.size());
        }
    }
}

void Router::sendPublisherFeedback(Source& s, int64_t nowMs, bool reports) {
    ByteWriter w(tScratch.data(), kMaxRtpSize);
    // Every compound packet starts with a receiver report (empty between report times).
    Producer* started[2];
    size_t n = 0;
    if (reports)
        for (Producer* p : {&s.audio, &s.video})
            if (p->started()) started[n++] = p;
    w.u8(static_cast<uint8_t>(0x80 | n));
    w.u8(201);
    w.u16(static_cast<uint16_t>(1 + 6 * n));
    w.u32(kOwnSsrc);
    for (size_t i = 0; i < n; ++i) started[i]->writeReportBlock(w, nowMs);
    if (reports && s.video.started()) {
        // REMB (draft-alvestrand-rmcat-remb): a fixed estimate so the publisher's encoder
        // ramps up instead of staying at its start bitrate.
        uint32_t mantissa = kRembBitrate;
        uint8_t exp = 0;
        while (mantissa > 0x3ffff) {
            mantissa >>= 1;
            ++exp;
        }
        const size_t ssrcs = s.audio.started() ? 2 : 1;
        w.u8(0x8f);
        w.u8(206);
        w.u16(static_cast<uint16_t>(4 + ssrcs));
        w.u32(kOwnSsrc);
        w.u32(0);
        w.u32(0x52454d42);  // "REMB"
        w.u8(static_cast<uint8_t>(ssrcs));
        w.u8(static_cast<uint8_t>((exp << 2) | (mantissa >> 16)));
        w.u16(static_cast<uint16_t>(mantissa));
        w.u32(s.video.ssrc());
        if (ssrcs == 2) w.u32(s.audio.ssrc());
    }
    bool nacked = false;
    for (Producer* p : {&s.audio, &s.video}) {
        if (!p->started()) continue;
        uint16_t seqs[64];
        const size_t count = p->collectNacks(seqs, 64, nowMs);
        if (count == 0) continue;
        // Generic NACK (RFC 4585): pack into PID + bitmask items.
        uint8_t* header = w.reserve(12);
        if (!header) break;
        size_t items = 0;
        for (size_t i = 0; i < count;) {
            const uint16_t pid = seqs[i++];
            uint16_t blp = 0;
            while (i < count && static_cast<uint16_t>(seqs[i] - pid) >= 1 &&
                   static_cast<uint16_t>(seqs[i] - pid) <= 16) {
                blp |= static_cast<uint16_t>(1u << (static_cast<uint16_t>(seqs[i] - pid) - 1));
                ++i;
            }
            w.u16(pid);
            w.u16(blp);
            ++items;
        }
        if (!w.ok()) break;
        header[0] = 0x81;
        header[1] = 205;
        store16(header + 2, static_cast<uint16_t>(2 + items));
        store32(header + 4, kOwnSsrc);
        store32(header + 8, p->ssrc());
        metrics_.add(metrics_.nacksSent, count);
        nacked = true;
    }
    if (!w.ok() || (!reports && !nacked)) return;
    metrics_.add(metrics_.rtcpOut);
    s.feedback->sendRtcp(tScratch.data(), w.size(), tScratch.size());
}

}  // namespace rtc
