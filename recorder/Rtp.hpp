#pragma once
// A read-only view of one RTP packet (RFC 3550), parsed against its explicit length.
#include <cstddef>
#include <cstdint>

namespace recorder {

inline uint16_t readU16(const uint8_t* p) {
    return uint16_t(p[0] << 8 | p[1]);
}
inline uint32_t readU32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

struct RtpView {
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint32_t ssrc = 0;
    uint8_t payloadType = 0;
    bool marker = false;
    const uint8_t* payload = nullptr;
    size_t payloadSize = 0;

    // False for anything that is not a well-formed RTP v2 packet with a payload.
    static bool parse(const uint8_t* data, size_t size, RtpView& out) {
        if (size < 12 || (data[0] >> 6) != 2) return false;
        size_t offset = 12 + size_t(data[0] & 0x0f) * 4;  // CSRC list
        if (offset > size) return false;
        if (data[0] & 0x10) {  // header extension: 4-byte header + length in 32-bit words
            if (offset + 4 > size) return false;
            offset += 4 + size_t(readU16(data + offset + 2)) * 4;
            if (offset > size) return false;
        }
        size_t end = size;
        if (data[0] & 0x20) {  // padding: last byte counts the padding bytes
            uint8_t pad = data[size - 1];
            if (pad == 0 || pad > end - offset) return false;
            end -= pad;
        }
        if (end <= offset) return false;
        out.marker = (data[1] & 0x80) != 0;
        out.payloadType = data[1] & 0x7f;
        out.sequence = readU16(data + 2);
        out.timestamp = readU32(data + 4);
        out.ssrc = readU32(data + 8);
        out.payload = data + offset;
        out.payloadSize = end - offset;
        return true;
    }
};

}  // namespace recorder
