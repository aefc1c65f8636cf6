#pragma once
// RFC 7983 demultiplexing of what arrives on the shared media port: the first byte tells
// STUN (0..3), DTLS (20..63) and RTP/RTCP (128..191) apart; RTCP is told from RTP by the
// payload type byte (RFC 5761: 192..223 with the marker bit included).
#include <cstddef>
#include <cstdint>

namespace rtc {

enum class PacketKind : uint8_t { Unknown, Stun, Dtls, Rtp, Rtcp };

inline PacketKind classifyPacket(const uint8_t* data, size_t len) {
    if (len == 0) return PacketKind::Unknown;
    const uint8_t b = data[0];
    if (b <= 3) return len >= 20 ? PacketKind::Stun : PacketKind::Unknown;
    if (b >= 20 && b <= 63) return len >= 13 ? PacketKind::Dtls : PacketKind::Unknown;
    if (b >= 128 && b <= 191) {
        if (len < 4) return PacketKind::Unknown;
        const uint8_t pt = data[1];
        if (pt >= 192 && pt <= 223) return len >= 8 ? PacketKind::Rtcp : PacketKind::Unknown;
        return len >= 12 ? PacketKind::Rtp : PacketKind::Unknown;
    }
    return PacketKind::Unknown;
}

inline const char* toString(PacketKind k) {
    switch (k) {
        case PacketKind::Stun:
            return "stun";
        case PacketKind::Dtls:
            return "dtls";
        case PacketKind::Rtp:
            return "rtp";
        case PacketKind::Rtcp:
            return "rtcp";
        default:
            return "unknown";
    }
}

}  // namespace rtc
