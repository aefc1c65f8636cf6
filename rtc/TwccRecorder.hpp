#pragma once
// Receive side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-
// extensions-01) for one publisher transport: records (transport-wide sequence number,
// arrival time) of every packet carrying the extension and turns them into RTCP
// transport-cc feedback, which the publisher's send-side estimator (libwebrtc GoogCC) needs
// to raise its bitrate. Fixed ring, no allocation after construction; worker thread only.
#include <array>
#include <cstddef>
#include <cstdint>

namespace rtc {

class TwccRecorder {
public:
    // At most this many sequence numbers per feedback packet (keeps it < ~1 KB, one MTU).
    static constexpr size_t kMaxPacketsPerFeedback = 400;

    TwccRecorder();

    // A packet with this transport-wide sequence number arrived at arrivalUs (any monotonic
    // microsecond clock). Duplicates and packets older than what was already reported are
    // ignored (counted in lateOrDuplicate()).
    void onPacket(uint16_t transportSeq, int64_t arrivalUs);
    // True when enough is pending that feedback should go out now, not at the next tick.
    bool full() const { return pending() >= kMaxPacketsPerFeedback; }
    // Sequence numbers not yet covered by feedback (received or lost), up to the newest.
    size_t pending() const;

    // Writes one transport-cc feedback packet (RTCP RTPFB FMT 15) for the oldest pending
    // sequence numbers and advances past them; 0 when nothing is pending (or cap is too
    // small). Call repeatedly until it returns 0 to flush everything.
    size_t writeFeedback(uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t* out, size_t cap);

    uint64_t lateOrDuplicate() const { return lateOrDuplicate_; }
    uint8_t feedbackCount() const { return feedbackCount_; }

private:
    static constexpr size_t kRing = 4096;  // power of two; ~8 s of a 2.5 Mbit/s publisher
    static constexpr int64_t kNotReceived = INT64_MIN;

    int64_t& slot(int64_t seq) { return arrival_[static_cast<size_t>(seq) & (kRing - 1)]; }
    int64_t slot(int64_t seq) const { return arrival_[static_cast<size_t>(seq) & (kRing - 1)]; }
    int64_t unwrap(uint16_t seq) const;

    std::array<int64_t, kRing> arrival_;
    bool started_ = false;
    int64_t windowStart_ = 0;  // unwrapped: first sequence number not yet reported
    int64_t highest_ = -1;     // unwrapped: newest received (windowStart_ - 1 when none)
    uint8_t feedbackCount_ = 0;
    uint64_t lateOrDuplicate_ = 0;
};

}  // namespace rtc
