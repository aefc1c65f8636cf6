#pragma once
// H.264 RTP payload (RFC 6184, packetization-mode 1) inspection for the router: is this
// packet the start of a keyframe (IDR slice or SPS), so a new subscriber can start here?
#include <cstddef>
#include <cstdint>

#include "rtc/ByteReader.hpp"

namespace rtc::h264 {

constexpr uint8_t kNalIdr = 5;
constexpr uint8_t kNalSps = 7;
constexpr uint8_t kNalPps = 8;
constexpr uint8_t kStapA = 24;
constexpr uint8_t kFuA = 28;

inline bool isKeyNal(uint8_t type) {
    return type == kNalIdr || type == kNalSps;
}

// True when the payload carries an SPS or the first fragment of an IDR slice: as a single
// NAL unit, inside a STAP-A aggregate, or as an FU-A start fragment.
inline bool isKeyframe(const uint8_t* payload, size_t len) {
    if (len < 1) return false;
    const uint8_t type = payload[0] & 0x1F;
    if (type >= 1 && type <= 23) return isKeyNal(type);
    if (type == kStapA) {
        ByteReader r(payload + 1, len - 1);
        while (r.remaining() >= 3) {
            const uint16_t size = r.u16();
            const uint8_t* nal = r.bytes(size);
            if (!nal || size == 0) return false;
            if (isKeyNal(nal[0] & 0x1F)) return true;
        }
        return false;
    }
    if (type == kFuA) {
        if (len < 2) return false;
        const bool start = payload[1] & 0x80;
        return start && isKeyNal(payload[1] & 0x1F);
    }
    return false;
}

// The NAL unit type a packet carries (for FU-A: the fragmented unit's), 0 when unknown.
inline uint8_t nalType(const uint8_t* payload, size_t len) {
    if (len < 1) return 0;
    const uint8_t type = payload[0] & 0x1F;
    if (type == kFuA) return len >= 2 ? payload[1] & 0x1F : 0;
    return type;
}

}  // namespace rtc::h264
