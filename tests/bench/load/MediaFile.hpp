#pragma once
// The pre-packetized publisher stream (tests/bench/harness/media.sh) and its replay at real
// time, looped with continuous sequence numbers and timestamps. The replay records when each
// video packet left (SendLog) so subscribers can compute forwarding latency by sequence.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "EventLoop.hpp"

namespace load {

enum class Kind : uint8_t { Audio, Video };

struct MediaPacket {
    Kind kind;
    int64_t offsetNs;  // from the start of the loop
    uint32_t index;    // position among packets of its kind in one loop
    std::vector<uint8_t> data;
};

uint64_t payloadHash(const uint8_t* p, size_t n);

class MediaFile {
public:
    // Reads DIR/video.rtps and DIR/audio.rtps (RFC 4571 framing). Throws on error.
    // pacingKbps > 0 spreads each video frame's packets at that rate; 0 sends frames as bursts.
    MediaFile(const std::string& dir, double pacingKbps);

    const std::vector<MediaPacket>& packets() const { return packets_; }  // by offsetNs
    int64_t loopNs() const { return loopNs_; }
    uint32_t perLoop(Kind k) const { return k == Kind::Video ? videoCount_ : audioCount_; }
    uint32_t tsPerLoop(Kind k) const { return k == Kind::Video ? videoTsLoop_ : audioTsLoop_; }
    // Index of the video packet with this payload hash, if it is unique within the loop.
    std::optional<uint32_t> videoIndexOf(uint64_t hash) const;
    double bitrateKbps() const;
    double packetsPerSecond() const {
        return (videoCount_ + audioCount_) / (static_cast<double>(loopNs_) / 1e9);
    }

private:
    std::vector<MediaPacket> packets_;
    std::unordered_map<uint64_t, int64_t> videoHash_;  // -1: ambiguous
    int64_t loopNs_ = 0;
    uint32_t videoCount_ = 0, audioCount_ = 0, videoTsLoop_ = 0, audioTsLoop_ = 0;
    uint64_t bytes_ = 0;
};

// Send times of video packets by output sequence number (the replay numbers video packets
// 0,1,2,... over all loops, so seq = global index mod 2^16). Written by the replay thread,
// read by the subscriber thread.
class SendLog {
public:
    explicit SendLog(const MediaFile& media);
    void recordVideo(uint64_t globalIndex, int64_t realNs);
    int64_t videoSentNs(uint16_t seq) const { return sent_[seq].load(std::memory_order_acquire); }
    // The output sequence number of the most recent send of the loop's video packet `index`.
    std::optional<uint16_t> latestSeqOf(uint32_t index) const;

private:
    const MediaFile& media_;
    std::unique_ptr<std::atomic<int64_t>[]> sent_;
    std::atomic<uint64_t> videoSent_{0};
};

// Where replayed packets go: plain RTP (Janus mountpoint) or an SRTP publisher (WHIP).
class RtpOutput {
public:
    virtual ~RtpOutput() = default;
    // buf has 64 spare bytes after len. Returns CLOCK_REALTIME ns at send, 0 if not sent.
    virtual int64_t sendRtp(Kind kind, uint8_t* buf, size_t len) = 0;
};

struct OutputIds {
    uint32_t videoSsrc = 0x11111111, audioSsrc = 0x22222222;
    uint8_t videoPt = 96, audioPt = 111;
};

class RtpReplayer {
public:
    RtpReplayer(EventLoop& loop, const MediaFile& media, SendLog& log, RtpOutput& out,
                OutputIds ids);
    void start();  // on the loop thread
    uint64_t sent() const { return sent_; }
    // Worst lateness of a send against its schedule (publisher thread starved?), ns.
    int64_t maxLagNs() const { return maxLagNs_; }

private:
    void onTimer();
    EventLoop& loop_;
    const MediaFile& media_;
    SendLog& log_;
    RtpOutput& out_;
    OutputIds ids_;
    Timer timer_;
    int64_t startNs_ = 0;
    uint64_t iteration_ = 0;
    size_t next_ = 0;
    uint64_t sent_ = 0;
    int64_t maxLagNs_ = 0;
};

}  // namespace load
