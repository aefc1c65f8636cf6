#include "recorder/H264Depacketizer.hpp"

namespace recorder {
namespace {
constexpr uint8_t kNalIdr = 5, kNalSps = 7, kNalPps = 8, kStapA = 24, kFuA = 28;
// While waiting for an IDR, the request is repeated every this many dropped frames
// (about a second of video), in case the first request or its answer was lost.
constexpr uint64_t kRequestEvery = 30;
}  // namespace

H264Depacketizer::H264Depacketizer(std::function<void()> needKeyframe)
    : needKeyframe_(std::move(needKeyframe)) {}

void H264Depacketizer::markBroken() {
    currentBroken_ = true;
    inFu_ = false;
    fu_.clear();
}

void H264Depacketizer::addNal(const uint8_t* nal, size_t size) {
    if (size == 0) {
        ++malformed_;
        return;
    }
    uint8_t type = nal[0] & 0x1f;
    if (type == kNalSps) sps_.assign(nal, nal + size);
    if (type == kNalPps) pps_.assign(nal, nal + size);
    if (type == kNalIdr) current_.keyframe = true;
    // Payloaders (config-interval) repeat SPS/PPS before every IDR slice, also between the
    // slices of one picture, where a decoder takes them as the start of a new picture.
    if ((type == kNalSps || type == kNalPps) && sliceSeen_) return;
    if (type >= 1 && type <= 5) sliceSeen_ = true;
    auto& d = current_.data;
    d.push_back(uint8_t(size >> 24));
    d.push_back(uint8_t(size >> 16));
    d.push_back(uint8_t(size >> 8));
    d.push_back(uint8_t(size));
    d.insert(d.end(), nal, nal + size);
}

void H264Depacketizer::finishAccessUnit(std::vector<AccessUnit>& out) {
    if (!haveCurrent_) return;
    haveCurrent_ = false;
    if (inFu_) markBroken();  // the last fragment of a NAL never came
    bool usable = !currentBroken_ && !current_.data.empty();
    if (usable && current_.keyframe) waitingKeyframe_ = false;
    if (usable && !waitingKeyframe_) {
        ++framesOut_;
        out.push_back(std::move(current_));
    } else {
        ++framesDropped_;
        if (currentBroken_) waitingKeyframe_ = true;
        if (waitingKeyframe_ && needKeyframe_ &&
            (!requestedOnce_ || ++unitsSinceRequest_ >= kRequestEvery)) {
            requestedOnce_ = true;
            unitsSinceRequest_ = 0;
            ++keyframeRequests_;
            needKeyframe_();
        }
    }
    current_ = AccessUnit{};
    currentBroken_ = false;
    sliceSeen_ = false;
    if (!waitingKeyframe_) requestedOnce_ = false;
}

void H264Depacketizer::push(const uint8_t* payload, size_t size, uint32_t timestamp, bool marker,
                            bool lostBefore, std::vector<AccessUnit>& out) {
    // The lost packets may have been the end of the frame in progress (its marker) ...
    if (lostBefore && haveCurrent_) markBroken();
    if (haveCurrent_ && timestamp != current_.rtpTimestamp) finishAccessUnit(out);
    if (!haveCurrent_) {
        haveCurrent_ = true;
        current_.rtpTimestamp = timestamp;
    }
    // ... or the start of this one, or whole frames it refers to.
    if (lostBefore) markBroken();
    if (size < 1) {
        ++malformed_;
        markBroken();
    } else {
        uint8_t type = payload[0] & 0x1f;
        if (type >= 1 && type <= 23) {
            if (inFu_) markBroken();
            addNal(payload, size);
        } else if (type == kStapA) {
            size_t pos = 1;
            while (pos + 2 <= size) {
                size_t len = size_t(payload[pos] << 8 | payload[pos + 1]);
                pos += 2;
                if (len == 0 || pos + len > size) {
                    ++malformed_;
                    markBroken();
                    break;
                }
                addNal(payload + pos, len);
                pos += len;
            }
        } else if (type == kFuA) {
            if (size < 3) {
                ++malformed_;
                markBroken();
            } else {
                bool start = payload[1] & 0x80, end = payload[1] & 0x40;
                if (start) {
                    if (inFu_) markBroken();
                    fu_.clear();
                    fu_.push_back(uint8_t((payload[0] & 0xe0) | (payload[1] & 0x1f)));
                    inFu_ = true;
                }
                if (!inFu_) {
                    markBroken();  // a middle or end fragment without its start
                } else {
                    fu_.insert(fu_.end(), payload + 2, payload + size);
                    if (end) {
                        addNal(fu_.data(), fu_.size());
                        fu_.clear();
                        inFu_ = false;
                    }
                }
            }
        } else {
            ++malformed_;  // STAP-B, MTAP, FU-B: not in packetization-mode 1
        }
    }
    if (marker) finishAccessUnit(out);
}

}  // namespace recorder
