#include "rtc/Producer.hpp"

#include <algorithm>
#include <cstring>

#include "rtc/ByteReader.hpp"

namespace rtc {

namespace {
constexpr size_t kMaxMissing = 256;
constexpr uint16_t kMaxGapTracked = 200;  // a larger jump is a restart, not loss
constexpr uint8_t kMaxNackTries = 4;
constexpr int64_t kNackRetryMs = 60;
constexpr int64_t kNackGiveUpMs = 1000;

bool seqNewer(uint16_t a, uint16_t b) {
    return a != b && static_cast<uint16_t>(a - b) < 0x8000;
}
}  // namespace

Producer::Producer(MediaKind kind, uint32_t clockRate, size_t slots)
    : kind_(kind), clockRate_(clockRate), slots_(std::max<size_t>(slots, 16)) {
    missing_.reserve(kMaxMissing);
}

const RtpSlot* Producer::receive(const uint8_t* data, size_t size, int64_t nowMs) {
    if (size < 12 || size > kMaxRtpSize || (data[0] >> 6) != 2) return nullptr;
    const bool hasPadding = data[0] & 0x20;
    const bool hasExt = data[0] & 0x10;
    const size_t csrcs = data[0] & 0x0f;
    size_t header = 12 + 4 * csrcs;
    if (header > size) return nullptr;
    if (hasExt) {
        if (header + 4 > size) return nullptr;
        header += 4 + 4 * size_t{load16(data + header + 2)};
        if (header > size) return nullptr;
    }
    if (hasPadding) {
        const uint8_t pad = data[size - 1];
        if (pad == 0 || header + pad > size) return nullptr;
    }
    const uint16_t seq = load16(data + 2);
    const uint32_t ts = load32(data + 4);
    const uint32_t ssrc = load32(data + 8);

    if (!started_ || ssrc != ssrc_) {
        // First packet, or the publisher restarted its stream with a new SSRC.
        restarted_ = started_;
        started_ = true;
        ssrc_ = ssrc;
        baseSeq_ = maxSeq_ = static_cast<uint16_t>(seq - 1);
        cycles_ = 0;
        received_ = expectedPrior_ = receivedPrior_ = 0;
        haveTransit_ = false;
        missing_.clear();
        for (auto& s : slots_) s.used = false;
        baseSeq_ = seq;
        maxSeq_ = seq;
    } else {
        RtpSlot& existing = slots_[seq % slots_.size()];
        if (existing.used && existing.seq == seq) return nullptr;  // duplicate
        trackLoss(seq, nowMs);
    }
    ++received_;
    ++packets_;
    bytes_ += size;

    // Interarrival jitter (RFC 3550 A.8) in RTP clock units.
    const int64_t arrival = nowMs * static_cast<int64_t>(clockRate_) / 1000;
    const int64_t transit = arrival - static_cast<int64_t>(ts);
    if (haveTransit_) {
        int64_t d = transit - lastTransit_;
        if (d < 0) d = -d;
        if (d < (int64_t{1} << 28)) jitter_ += static_cast<uint32_t>(d) - ((jitter_ + 8) >> 4);
    }
    lastTransit_ = transit;
    haveTransit_ = true;

    RtpSlot& slot = slots_[seq % slots_.size()];
    slot.used = true;
    slot.marker = data[1] & 0x80;
    slot.padding = hasPadding;
    slot.payloadType = data[1] & 0x7f;
    slot.seq = seq;
    slot.headerSize = static_cast<uint16_t>(header);
    slot.size = static_cast<uint16_t>(size);
    slot.timestamp = ts;
    slot.ssrc = ssrc;
    slot.arrivalMs = nowMs;
    std::memcpy(slot.data.data(), data, size);
    return &slot;
}

void Producer::trackLoss(uint16_t seq, int64_t nowMs) {
    if (seqNewer(seq, maxSeq_)) {
        const uint16_t gap = static_cast<uint16_t>(seq - maxSeq_);
        if (gap > 1 && gap <= kMaxGapTracked) {
            for (uint16_t s = static_cast<uint16_t>(maxSeq_ + 1); s != seq; ++s) {
                if (missing_.size() >= kMaxMissing) missing_.erase(missing_.begin());
                missing_.push_back({s, 0, nowMs - kNackRetryMs});
            }
        }
        if (seq < maxSeq_) ++cycles_;
        maxSeq_ = seq;
    } else {
        // A late or retransmitted packet: no longer missing.
        auto it = std::find_if(missing_.begin(), missing_.end(),
                               [seq](const Missing& m) { return m.seq == seq; });
        if (it != missing_.end()) missing_.erase(it);
    }
}

const RtpSlot* Producer::find(uint16_t seq) const {
    const RtpSlot& s = slots_[seq % slots_.size()];
    return s.used && s.seq == seq ? &s : nullptr;
}

void Producer::onSenderReport(uint64_t ntp, uint32_t rtpTimestamp, int64_t nowMs) {
    srNtp_ = ntp;
    srRtp_ = rtpTimestamp;
    srArrivalMs_ = nowMs;
}

uint64_t Producer::lost() const {
    if (!started_) return 0;
    const uint64_t extMax = (uint64_t{cycles_} << 16) + maxSeq_;
    const uint64_t expected = extMax - baseSeq_ + 1;
    return expected > received_ ? expected - received_ : 0;
}

void Producer::writeReportBlock(ByteWriter& w, int64_t nowMs) {
    const uint64_t extMax = (uint64_t{cycles_} << 16) + maxSeq_;
    const uint64_t expected = started_ ? extMax - baseSeq_ + 1 : 0;
    const uint64_t expectedInterval = expected - expectedPrior_;
    const uint64_t receivedInterval = received_ - receivedPrior_;
    expectedPrior_ = expected;
    receivedPrior_ = received_;
    const int64_t lostInterval =
        static_cast<int64_t>(expectedInterval) - static_cast<int64_t>(receivedInterval);
    const uint8_t fraction =
        expectedInterval == 0 || lostInterval <= 0
            ? 0
            : static_cast<uint8_t>(std::min<int64_t>(255, (lostInterval << 8) / expectedInterval));
    const uint32_t cumulative = static_cast<uint32_t>(std::min<uint64_t>(lost(), 0x7fffff));
    w.u32(ssrc_);
    w.u8(fraction);
    w.u24(cumulative);
    w.u32(static_cast<uint32_t>(extMax));
    w.u32(jitter());
    // LSR: middle 32 bits of the last SR's NTP; DLSR in 1/65536 s.
    w.u32(static_cast<uint32_t>(srNtp_ >> 16));
    w.u32(srNtp_ == 0 ? 0 : static_cast<uint32_t>((nowMs - srArrivalMs_) * 65536 / 1000));
}

size_t Producer::collectNacks(uint16_t* out, size_t max, int64_t nowMs) {
    size_t n = 0;
    for (auto it = missing_.begin(); it != missing_.end();) {
        if (it->tries >= kMaxNackTries || nowMs - it->lastMs > kNackGiveUpMs + kNackRetryMs) {
            it = missing_.erase(it);
            continue;
        }
        if (n < max && nowMs - it->lastMs >= kNackRetryMs) {
            out[n++] = it->seq;
            ++it->tries;
            it->lastMs = nowMs;
        }
        ++it;
    }
    return n;
}

bool Producer::allowKeyframeRequest(int64_t nowMs, int64_t intervalMs) {
    if (nowMs - lastKeyframeRequestMs_ < intervalMs) return false;
    lastKeyframeRequestMs_ = nowMs;
    return true;
}

}  // namespace rtc
