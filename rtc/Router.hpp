#pragma once
// The per-lesson fan-out: sources (WHIP publishers or in-process inputs, each an audio and
// a video Producer) go to every Consumer (WHEP subscriber) of the lesson, which follows
// the lesson's main source. Lives on one worker thread; no call is thread-safe. The packet
// path takes no lock and allocates nothing: each published packet is stored once and
// every consumer rewrites its header into the worker's scratch buffer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rtc/Consumer.hpp"
#include "rtc/DeferredFanout.hpp"
#include "rtc/EngineMetrics.hpp"
#include "rtc/MediaEngine.hpp"
#include "rtc/Producer.hpp"

namespace rtc {

class Router {
public:
    // How the router reaches a source's sender.
    class SourceFeedback {
    public:
        virtual ~SourceFeedback() = default;
        // The PLI for a WebRTC publisher; the listener of an in-process source.
        virtual void requestKeyframe() = 0;
        // RTCP (RR, NACK, REMB) for a WebRTC publisher; in-process sources ignore it.
        virtual void sendRtcp(uint8_t* data, size_t size, size_t capacity) {
            (void)data, (void)size, (void)capacity;
        }
        // Whether the sender understands RTCP receiver feedback (RR/NACK/REMB).
        virtual bool wantsRtcp() const { return false; }
        // Another source took this name: the handle is gone, stop feeding it.
        virtual void onSourceReplaced() {}
    };
    struct Source;  // opaque handle, valid until removeSource()

    Router(std::string lessonId, EngineMetrics& metrics);
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    const std::string& lessonId() const { return lessonId_; }

    // Adds a source (a name already present is replaced: the old handle becomes invalid).
    Source* addSource(const std::string& name, SourceFeedback* feedback, int64_t nowMs);
    void removeSource(Source* source, int64_t nowMs);
    Source* findSource(const std::string& name) const;
    void onSourceRtp(Source* source, MediaKind kind, const uint8_t* data, size_t size,
                     int64_t nowMs);
    void onSourceRtcp(Source* source, const uint8_t* data, size_t size, int64_t nowMs);

    // A subscriber whose transport is up; it gets a keyframe request for a fast start.
    void addConsumer(Consumer* consumer, int64_t nowMs);
    void removeConsumer(Consumer* consumer);
    void onConsumerRtcp(Consumer* consumer, const uint8_t* data, size_t size, int64_t nowMs);

    void setMainSource(const std::string& name, int64_t nowMs);
    std::string mainSource() const;
    std::vector<std::string> sourceNames() const;
    void requestKeyframe(const std::string& name, int64_t nowMs);

    void addSink(RtpSink* sink);
    void removeSink(RtpSink* sink);

    // Hold received packets until `deferred` is flushed (the end of the worker's loop pass)
    // and fan them out subscriber by subscriber (DeferredFanout.hpp). Without it each packet
    // is fanned out as it arrives (tests, benchmarks).
    void deferFanoutTo(DeferredFanout* deferred) { deferred_ = deferred; }
    // Sends what is held. Every change to consumers or sources flushes first.
    void flushFanout();

    // Periodic work (call every ~20 ms): NACKs and deferred keyframe requests to sources;
    // once a second RR + REMB to publishers; SRs to consumers, each consumer once a second
    // but spread over the ticks (a share of the consumers per tick, round robin), so that
    // no tick stalls the worker with an SR for every subscriber while media waits.
    void onTick(int64_t nowMs, uint64_t ntpNow);

    size_t consumerCount() const { return consumers_.size(); }
    bool empty() const { return consumers_.empty() && sources_.empty() && sinks_.empty(); }

    // Bitrate we tell WebRTC publishers they may use (REMB), bits per second.
    static constexpr uint32_t kRembBitrate = 2'500'000;

private:
    void requestKeyframe(Source& s, int64_t nowMs);
    void chooseMainSource(int64_t nowMs);
    void switchMain(Source* to, int64_t nowMs);
    void handleNack(Consumer& c, uint32_t mediaSsrc, const uint8_t* fci, size_t len);
    void sendPublisherFeedback(Source& s, int64_t nowMs, bool reports);
    void sendSenderReports(int64_t nowMs, uint64_t ntpNow);

    const std::string lessonId_;
    EngineMetrics& metrics_;
    std::vector<std::unique_ptr<Source>> sources_;
    Source* main_ = nullptr;
    std::string explicitMain_;  // setMainSource(), kept even while that source is absent
    std::vector<Consumer*> consumers_;
    // Parallel to consumers_: what each one's send path touches, prefetched a few
    // consumers ahead in the fan-out loop (contiguous, so the walk itself is linear).
    std::vector<HotLines> hot_;
    static constexpr size_t kPrefetchAhead = 2;
    std::vector<RtpSink*> sinks_;
    // Packets of the main source held for the next flushFanout(); they stay valid in the
    // Producer's ring (1,024 / 128 slots) until then.
    struct Held {
        MediaKind kind;
        const RtpSlot* pkt;
        int64_t nowMs;
    };
    static constexpr size_t kMaxHeld = 16;
    std::array<Held, kMaxHeld> held_{};
    size_t heldCount_ = 0;
    DeferredFanout* deferred_ = nullptr;
    int64_t lastReportMs_ = 0;
    // Spread SRs: consumers owed an SR accumulate at N per second (in milli-units); the
    // cursor walks consumers_ round robin.
    int64_t lastSrTickMs_ = 0;
    uint64_t srCredit_ = 0;
    size_t srCursor_ = 0;
    static constexpr uint32_t kOwnSsrc = 0x0c1a55b1;  // sender SSRC of our RTCP feedback
};

}  // namespace rtc
