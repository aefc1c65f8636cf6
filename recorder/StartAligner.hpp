#pragma once
// Where each stream of a source starts on the recording's timeline. Streams carry
// independent RTP bases, so their first packets are placed by arrival time. A single
// arrival is a poor anchor: a loaded machine, a starting encoder or a worker's queue can
// delay one packet by tens of milliseconds, and that error would stay in the recording as
// an A/V offset for good. Over a short warm-up the aligner keeps, per stream, the latency
// floor: min over packets of (arrival - RTP time since the stream's first packet), i.e.
// the first packet's arrival with the queueing jitter taken out.
#include <cstdint>

namespace recorder {

class StartAligner {
public:
    struct Start {
        bool seen = false;
        uint32_t ts = 0;     // RTP timestamp of the stream's first packet
        int64_t wallUs = 0;  // its jitter-free arrival (the floor)
    };

    explicit StartAligner(int64_t warmupUs = kWarmupUs) : warmupUs_(warmupUs) {}

    // One packet (any order). Returns true once the warm-up is over: `warmupUs` of wall
    // time since the first packet of either stream.
    bool add(bool video, uint32_t ts, uint32_t clockRate, int64_t wallUs);

    const Start& start(bool video) const { return streams_[video ? 0 : 1]; }
    int64_t firstWallUs() const { return firstWallUs_; }

    // Long enough to see several packets of each stream leave an idle queue.
    static constexpr int64_t kWarmupUs = 1'000'000;
    // Packets implying a first arrival earlier than this are inconsistent, not early.
    static constexpr int64_t kMaxCorrectionUs = 500'000;

private:
    int64_t warmupUs_;
    bool started_ = false;
    int64_t firstWallUs_ = 0;
    Start streams_[2];
};

}  // namespace recorder
