#include "rtc/TwccRecorder.hpp"

#include <vector>

#include "rtc/RtcpPacket.hpp"

namespace rtc {

namespace {
constexpr int64_t kTickUs = 250;       // receive deltas are in 250 µs ticks
constexpr int64_t kRefUs = 64000;      // the reference time is in 64 ms units
constexpr int64_t kRestartGap = 2048;  // a jump this large is a new sequence space

int64_t floorDiv(int64_t a, int64_t b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}
}  // namespace

TwccRecorder::TwccRecorder() {
    arrival_.fill(kNotReceived);
}

int64_t TwccRecorder::unwrap(uint16_t seq) const {
    const int64_t ref = highest_ >= windowStart_ ? highest_ : windowStart_ - 1;
    const int16_t diff =
        static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(ref)));
    return ref + diff;
}

size_t TwccRecorder::pending() const {
    return highest_ >= windowStart_ ? static_cast<size_t>(highest_ - windowStart_ + 1) : 0;
}

void TwccRecorder::onPacket(uint16_t transportSeq, int64_t arrivalUs) {
    if (!started_) {
        started_ = true;
        // Start well away from zero so unwrapped numbers stay positive after a wrap back.
        windowStart_ = (int64_t{1} << 32) + transportSeq;
        highest_ = windowStart_ - 1;
    }
    const int64_t s = unwrap(transportSeq);
    if (s - highest_ > kRestartGap || windowStart_ - s > kRestartGap) {
        // Far from anything seen: the sender restarted its counter. Drop what was pending.
        windowStart_ = highest_ = s;
        slot(s) = kNotReceived;  // may hold a long-reported arrival
    } else if (s < windowStart_) {
        ++lateOrDuplicate_;  // already reported (as lost): too late for the estimator
        return;
    } else if (s > highest_) {
        for (int64_t q = highest_ + 1; q <= s; ++q) slot(q) = kNotReceived;
        // Unflushed history longer than the ring: forget the oldest (never reported).
        if (s - windowStart_ >= static_cast<int64_t>(kRing)) windowStart_ = s - kRing + 1;
        highest_ = s;
    }
    int64_t& a = slot(s);
    if (a != kNotReceived) {
        ++lateOrDuplicate_;
        return;
    }
    a = arrivalUs;
}

size_t TwccRecorder::writeFeedback(uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t* out,
                                   size_t cap) {
    if (pending() == 0) return 0;
    int64_t base = windowStart_;
    int64_t first = base;  // the first received packet exists: highest_ is one
    while (slot(first) == kNotReceived) ++first;
    // A very long leading loss run: report only its tail, the rest is simply never acked.
    if (first - base >= static_cast<int64_t>(kMaxPacketsPerFeedback))
        base = first - static_cast<int64_t>(kMaxPacketsPerFeedback) + 1;

    rtcp::TransportCc fb;
    fb.senderSsrc = senderSsrc;
    fb.mediaSsrc = mediaSsrc;
    fb.baseSeq = static_cast<uint16_t>(base);
    fb.feedbackCount = feedbackCount_;
    const int64_t ref = floorDiv(slot(first), kRefUs);
    fb.referenceTime = static_cast<int32_t>(ref & 0xFFFFFF);
    int64_t prevTicks = ref * (kRefUs / kTickUs);
    // One allocation per feedback (every ~50 ms), none per packet.
    fb.packets.reserve(kMaxPacketsPerFeedback);
    size_t lastReceived = 0;
    for (int64_t q = base; q <= highest_ && fb.packets.size() < kMaxPacketsPerFeedback; ++q) {
        const int64_t a = slot(q);
        rtcp::TwccPacket p;
        if (a != kNotReceived) {
            const int64_t ticks = floorDiv(a, kTickUs);
            const int64_t delta = ticks - prevTicks;
            // Not representable (a pause of > 8 s, or a clock step): the next feedback
            // starts here with its own reference time.
            if (delta < -32768 || delta > 32767) break;
            p.received = true;
            p.delta = static_cast<int32_t>(delta);
            prevTicks = ticks;
        }
        fb.packets.push_back(p);
        if (p.received) lastReceived = fb.packets.size();
    }
    // Trailing losses wait for the next feedback: they may still arrive (reordering).
    fb.packets.resize(lastReceived);
    const size_t n = rtcp::writeTransportCc(fb, out, cap);
    if (n == 0) return 0;
    windowStart_ = base + static_cast<int64_t>(fb.packets.size());
    ++feedbackCount_;
    return n;
}

}  // namespace rtc
