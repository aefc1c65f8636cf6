#pragma once
// RTP H.264 (RFC 6184, packetization-mode 1) → access units of length-prefixed NAL units
// (the MP4 "avc1" sample format). Handles single NAL, STAP-A and FU-A; remembers SPS/PPS.
// After a loss it drops frames until the next IDR and asks for one (callback, throttled),
// so no broken frame is ever written.
#include <cstdint>
#include <functional>
#include <vector>

namespace recorder {

struct AccessUnit {
    uint32_t rtpTimestamp = 0;
    bool keyframe = false;      // contains an IDR slice
    std::vector<uint8_t> data;  // NAL units, each with a 4-byte big-endian length
};

class H264Depacketizer {
public:
    // needKeyframe is called (at most once per `requestInterval` packets... see .cpp)
    // when a loss made the stream undecodable until the next IDR.
    explicit H264Depacketizer(std::function<void()> needKeyframe = {});

    // One RTP payload in sequence order; lostBefore: packets are missing before this one.
    // Completed access units are appended to `out`.
    void push(const uint8_t* payload, size_t size, uint32_t timestamp, bool marker, bool lostBefore,
              std::vector<AccessUnit>& out);

    const std::vector<uint8_t>& sps() const { return sps_; }
    const std::vector<uint8_t>& pps() const { return pps_; }
    bool waitingForKeyframe() const { return waitingKeyframe_; }

    uint64_t framesOut() const { return framesOut_; }
    uint64_t framesDropped() const { return framesDropped_; }
    uint64_t malformed() const { return malformed_; }
    uint64_t keyframeRequests() const { return keyframeRequests_; }

private:
    void addNal(const uint8_t* nal, size_t size);
    void finishAccessUnit(std::vector<AccessUnit>& out);
    void markBroken();

    std::function<void()> needKeyframe_;
    AccessUnit current_;
    bool haveCurrent_ = false;
    bool currentBroken_ = false;
    bool sliceSeen_ = false;   // the current access unit has a slice already
    std::vector<uint8_t> fu_;  // FU-A reassembly of one NAL unit
    bool inFu_ = false;
    bool waitingKeyframe_ = true;  // nothing decodable before the first IDR
    uint64_t unitsSinceRequest_ = 0;
    bool requestedOnce_ = false;
    std::vector<uint8_t> sps_, pps_;
    uint64_t framesOut_ = 0, framesDropped_ = 0, malformed_ = 0, keyframeRequests_ = 0;
};

}  // namespace recorder
