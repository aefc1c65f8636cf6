#pragma once
// One published stream (the audio or the video of a source) as received by its Router:
// keeps each packet once in a preallocated ring (fan-out and RTX read it from there),
// and the receive statistics the publisher gets back in RTCP (RR, NACK).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtc/ByteWriter.hpp"
#include "rtc/MediaEngine.hpp"

namespace rtc {

constexpr size_t kMaxRtpSize = 1500;

// A published packet, stored once. Slots are reused; `seq` tells which packet it holds.
struct RtpSlot {
    bool used = false;
    bool marker = false;
    bool padding = false;
    uint8_t payloadType = 0;
    uint16_t seq = 0;
    uint16_t headerSize = 0;  // fixed header + CSRCs + extension
    uint16_t size = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
    int64_t arrivalMs = 0;
    std::array<uint8_t, kMaxRtpSize> data;

    const uint8_t* payload() const { return data.data() + headerSize; }
    size_t payloadSize() const { return size - headerSize; }
};

class Producer {
public:
    Producer(MediaKind kind, uint32_t clockRate, size_t slots);

    MediaKind kind() const { return kind_; }
    uint32_t clockRate() const { return clockRate_; }
    uint32_t ssrc() const { return ssrc_; }
    bool started() const { return started_; }

    // Validates and stores a plain RTP packet. Returns the slot, or nullptr for a malformed,
    // oversized or duplicate packet (counted by the caller).
    const RtpSlot* receive(const uint8_t* data, size_t size, int64_t nowMs);
    // True once after receive() saw the stream restart with a new SSRC (a reconnected
    // publisher or a restarted ingest pipeline): its sequence numbers and timestamps start
    // anywhere, so subscribers need a new segment and a keyframe.
    bool takeRestart() {
        const bool r = restarted_;
        restarted_ = false;
        return r;
    }
    // The stored packet with this sequence number, if still held.
    const RtpSlot* find(uint16_t seq) const;

    // Sender report from the publisher: maps its RTP clock to NTP (for our SRs and LSR).
    void onSenderReport(uint64_t ntp, uint32_t rtpTimestamp, int64_t nowMs);
    bool hasSenderReport() const { return srNtp_ != 0; }
    uint64_t srNtp() const { return srNtp_; }
    uint32_t srRtp() const { return srRtp_; }
    int64_t srArrivalMs() const { return srArrivalMs_; }

    // Appends one RFC 3550 report block for this stream (24 bytes).
    void writeReportBlock(ByteWriter& w, int64_t nowMs);
    // Sequence numbers lost on the way in that are due for a (re)request; at most `max`.
    size_t collectNacks(uint16_t* out, size_t max, int64_t nowMs);
    // Keyframe request throttle: true at most once per interval.
    bool allowKeyframeRequest(int64_t nowMs, int64_t intervalMs = 500);

    uint64_t packets() const { return packets_; }
    uint64_t bytes() const { return bytes_; }
    uint64_t lost() const;
    uint32_t jitter() const { return jitter_ >> 4; }

private:
    struct Missing {
        uint16_t seq;
        uint8_t tries;
        int64_t lastMs;
    };
    void trackLoss(uint16_t seq, int64_t nowMs);

    const MediaKind kind_;
    const uint32_t clockRate_;
    std::vector<RtpSlot> slots_;
    bool started_ = false;
    uint32_t ssrc_ = 0;
    uint16_t baseSeq_ = 0;
    uint32_t cycles_ = 0;
    uint16_t maxSeq_ = 0;
    bool restarted_ = false;
    uint64_t received_ = 0;
    uint64_t expectedPrior_ = 0;
    uint64_t receivedPrior_ = 0;
    uint32_t jitter_ = 0;  // RFC 3550 A.8, scaled by 16
    int64_t lastTransit_ = 0;
    bool haveTransit_ = false;
    uint64_t packets_ = 0;
    uint64_t bytes_ = 0;
    uint64_t srNtp_ = 0;
    uint32_t srRtp_ = 0;
    int64_t srArrivalMs_ = 0;
    int64_t lastKeyframeRequestMs_ = -1'000'000;
    std::vector<Missing> missing_;  // capacity reserved once; small and bounded
};

}  // namespace rtc
