#include "recorder/ClockMapper.hpp"

#include <algorithm>

namespace recorder {

int64_t ClockMapper::map(uint32_t ts, int64_t wallUs) {
    if (!started_) {
        started_ = true;
        lastTs_ = ts;
        ext_ = anchorExt_ = 0;
        anchorOut_ = lastOut_ = std::max<int64_t>(0, wallUs - startUs_);
        lastWall_ = wallUs;
        return lastOut_;
    }
    int64_t ext = ext_ + int32_t(ts - lastTs_);  // signed difference: unwraps 2^32
    int64_t out = anchorOut_ + toUs(ext - anchorExt_);
    int64_t mediaDelta = out - lastOut_;
    int64_t wallDelta = wallUs - lastWall_;
    bool jump = mediaDelta < -kToleranceUs / 20 || mediaDelta - wallDelta > kToleranceUs ||
                wallDelta - mediaDelta > kToleranceUs;
    if (jump) {
        ++discontinuities_;
        anchorExt_ = ext;
        anchorOut_ = lastOut_ + std::max<int64_t>(wallDelta, 0);
        out = anchorOut_;
    }
    lastTs_ = ts;
    ext_ = ext;
    lastOut_ = out;
    lastWall_ = wallUs;
    return out;
}

}  // namespace recorder
