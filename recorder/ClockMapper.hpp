#pragma once
// Maps one RTP stream's 32-bit timestamps onto the recording's timeline (microseconds
// since the recording started). The RTP clock is trusted between packets (it wraps at
// 2^32: unwrapped here); the first packet is placed by wall-clock arrival so streams that
// start later line up. When a source stops and comes back (new timestamp base, or a pause),
// the RTP jump and the wall-clock gap disagree: the stream is re-anchored so the recording
// continues with a jump equal to the wall time that passed (a discontinuity, not a wrong
// duration).
#include <cstdint>

namespace recorder {

class ClockMapper {
public:
    // clockRate: 90000 for video, 48000 for Opus. recordingStartUs: wall clock (any
    // monotonic microsecond clock) at which the recording's time 0 lies.
    ClockMapper(uint32_t clockRate, int64_t recordingStartUs)
        : rate_(clockRate), startUs_(recordingStartUs) {}

    // Recording time of a packet with RTP timestamp `ts` that arrived at `wallUs`.
    int64_t map(uint32_t ts, int64_t wallUs);

    uint64_t discontinuities() const { return discontinuities_; }

    // The RTP/wall disagreement beyond which a jump is a discontinuity. Large enough that a
    // stalled, overloaded machine delivering a burst late is not mistaken for one.
    static constexpr int64_t kToleranceUs = 2'500'000;

private:
    int64_t toUs(int64_t ticks) const { return ticks * 1'000'000 / int64_t(rate_); }

    uint32_t rate_;
    int64_t startUs_;
    bool started_ = false;
    uint32_t lastTs_ = 0;
    int64_t ext_ = 0;        // unwrapped timestamp of the last packet
    int64_t anchorExt_ = 0;  // unwrapped timestamp at the anchor
    int64_t anchorOut_ = 0;  // recording time at the anchor
    int64_t lastOut_ = 0;
    int64_t lastWall_ = 0;
    uint64_t discontinuities_ = 0;
};

}  // namespace recorder
