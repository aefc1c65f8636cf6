#pragma once
// Per-subscriber, per-kind continuity of RTP sequence numbers and timestamps: when the
// subscriber's source changes (teacher camera -> screen, re-published stream, new SSRC),
// output continues at last+1 and at a timestamp advanced by the wall-clock gap, so the
// browser's jitter buffer sees one stream. Handles 16-bit and 32-bit wraps (modular
// arithmetic) and drops packets that would collide with the previous source's output.
#include <cstdint>

namespace rtc {

class SeqRewriter {
public:
    explicit SeqRewriter(uint32_t clockRate) : clockRate_(clockRate) {}

    // Rewrites (seq, ts) of a packet from source `ssrc`; a new SSRC starts a new segment
    // (the router only hands over packets of the source it currently forwards). Returns
    // false for packets to drop: older than the segment's first forwarded packet.
    bool rewrite(uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t nowMs, uint16_t& seqOut,
                 uint32_t& tsOut) {
        if (!started_ || ssrc != ssrc_ || switchPending_) switchTo(ssrc, seq, ts, nowMs);
        // Extended input sequence relative to the highest seen (16-bit wrap).
        const int16_t delta = static_cast<int16_t>(seq - highestIn_);
        const int64_t ext = highestExt_ + delta;
        if (ext < firstExt_) return false;  // before the switch point: output already used
        if (delta > 0) {
            highestIn_ = seq;
            highestExt_ = ext;
        }
        seqOut = static_cast<uint16_t>(seq + seqOffset_);
        tsOut = ts + tsOffset_;
        if (delta >= 0) {
            lastSeqOut_ = seqOut;
            lastTsOut_ = tsOut;
            lastOutMs_ = nowMs;
        }
        return true;
    }

    // The next packet (from any SSRC) starts a new segment, e.g. after the router switched
    // this subscriber to another source that happens to reuse an SSRC.
    void sourceChanged() { switchPending_ = true; }

    uint32_t currentSsrc() const { return ssrc_; }
    uint16_t lastSequence() const { return lastSeqOut_; }
    uint32_t lastTimestamp() const { return lastTsOut_; }
    uint32_t switches() const { return switches_; }

private:
    void switchTo(uint32_t ssrc, uint16_t seq, uint32_t ts, int64_t nowMs) {
        if (started_) {
            // Continue right after the last output; advance the clock by the real gap
            // (at least one tick so timestamps never repeat across sources).
            const int64_t gapMs = nowMs > lastOutMs_ ? nowMs - lastOutMs_ : 0;
            uint32_t gapTicks = static_cast<uint32_t>(gapMs * int64_t{clockRate_} / 1000);
            if (gapTicks == 0) gapTicks = 1;
            seqOffset_ = static_cast<uint16_t>(lastSeqOut_ + 1 - seq);
            tsOffset_ = lastTsOut_ + gapTicks - ts;
            lastSeqOut_ = static_cast<uint16_t>(seq + seqOffset_);
            lastTsOut_ = ts + tsOffset_;
            ++switches_;
        } else {
            seqOffset_ = 0;
            tsOffset_ = 0;
            lastSeqOut_ = seq;
            lastTsOut_ = ts;
        }
        lastOutMs_ = nowMs;
        started_ = true;
        switchPending_ = false;
        ssrc_ = ssrc;
        highestIn_ = seq;
        highestExt_ = 1 << 20;  // room below for reordered packets before the first one
        firstExt_ = highestExt_;
    }

    uint32_t clockRate_;
    bool started_ = false;
    bool switchPending_ = false;
    uint32_t ssrc_ = 0;
    uint16_t seqOffset_ = 0;
    uint32_t tsOffset_ = 0;
    uint16_t highestIn_ = 0;
    int64_t highestExt_ = 0;
    int64_t firstExt_ = 0;
    uint16_t lastSeqOut_ = 0;
    uint32_t lastTsOut_ = 0;
    int64_t lastOutMs_ = 0;
    uint32_t switches_ = 0;
};

}  // namespace rtc
