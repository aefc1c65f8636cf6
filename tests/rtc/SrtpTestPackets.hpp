#pragma once
// Packets and keys for the SRTP tests (SrtpTest.cpp, SrtpUnprotectorTest.cpp).
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rtc/ByteWriter.hpp"
#include "rtc/SrtpSession.hpp"

namespace srtptest {

inline std::vector<uint8_t> hex(const char* s) {
    std::vector<uint8_t> out;
    for (; s[0] && s[1]; s += 2)
        out.push_back(static_cast<uint8_t>(std::stoi(std::string(s, 2), nullptr, 16)));
    return out;
}

struct Keys {
    std::vector<uint8_t> key, salt;
};
inline Keys randomKeys(std::mt19937& rng, rtc::SrtpProfile p) {
    Keys k{std::vector<uint8_t>(16), std::vector<uint8_t>(rtc::srtpSaltLength(p))};
    for (auto& b : k.key) b = static_cast<uint8_t>(rng());
    for (auto& b : k.salt) b = static_cast<uint8_t>(rng());
    return k;
}

// RTP packet with optional CSRCs and one-byte header extension; payload random.
inline std::vector<uint8_t> makeRtp(std::mt19937& rng, uint32_t ssrc, uint16_t seq, uint32_t ts,
                                    size_t payload, int csrcs, bool ext) {
    std::vector<uint8_t> p(12 + 4 * csrcs + (ext ? 8 : 0) + payload);
    rtc::ByteWriter w(p.data(), p.size());
    w.u8(static_cast<uint8_t>(0x80 | (ext ? 0x10 : 0) | csrcs));
    w.u8(96 | (seq % 7 == 0 ? 0x80 : 0));
    w.u16(seq);
    w.u32(ts);
    w.u32(ssrc);
    for (int i = 0; i < csrcs; ++i) w.u32(0x1000 + i);
    if (ext) {
        w.u16(0xBEDE);
        w.u16(1);
        w.u32(0x10AB0000);  // id 1, len 2 (one-byte form), padding
    }
    while (w.remaining()) w.u8(static_cast<uint8_t>(rng()));
    return p;
}

// An RTCP SR-like packet of 28 + 4 * extraWords bytes from `ssrc`, body random: any
// well-formed first header will do for SRTCP.
inline std::vector<uint8_t> makeRtcp(std::mt19937& rng, uint32_t ssrc, size_t extraWords) {
    std::vector<uint8_t> pkt(28 + 4 * extraWords);
    for (auto& b : pkt) b = static_cast<uint8_t>(rng());
    pkt[0] = 0x80;
    pkt[1] = 200;
    rtc::store16(pkt.data() + 2, static_cast<uint16_t>(pkt.size() / 4 - 1));
    rtc::store32(pkt.data() + 4, ssrc);
    return pkt;
}

}  // namespace srtptest
