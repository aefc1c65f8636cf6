#include "recorder/StartAligner.hpp"

#include <algorithm>

namespace recorder {

bool StartAligner::add(bool video, uint32_t ts, uint32_t clockRate, int64_t wallUs) {
    if (!started_) {
        started_ = true;
        firstWallUs_ = wallUs;
    }
    Start& s = streams_[video ? 0 : 1];
    if (!s.seen) {
        s = Start{true, ts, wallUs};
    } else {
        // Signed difference: a reordered packet may be a little before the first one.
        int64_t mediaUs = int64_t(int32_t(ts - s.ts)) * 1'000'000 / int64_t(clockRate);
        int64_t floor = wallUs - mediaUs;
        // A new RTP base (source restarted within the warm-up) says nothing about latency.
        if (floor > s.wallUs - kMaxCorrectionUs) s.wallUs = std::min(s.wallUs, floor);
    }
    return wallUs - firstWallUs_ >= warmupUs_;
}

}  // namespace recorder
