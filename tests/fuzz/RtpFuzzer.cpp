// libFuzzer target: RTP header view (extensions both forms), RTX building, H.264 keyframe
// detection, and SRTP protect of whatever parses.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "rtc/H264.hpp"
#include "rtc/RtpPacket.hpp"
#include "rtc/SrtpProtector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> buf(data, data + size);
    buf.resize(size + 64);
    auto p = rtc::RtpPacket::parse(buf.data(), size);
    if (!p) return 0;
    if (p->headerSize() + p->payloadSize() + p->paddingSize() > size) __builtin_trap();
    (void)rtc::h264::isKeyframe(p->payload(), p->payloadSize());
    (void)rtc::h264::nalType(p->payload(), p->payloadSize());
    for (uint8_t id = 1; id < 16; ++id) {
        if (auto e = p->extension(id)) {
            if (e.data < buf.data() || e.data + e.size > buf.data() + size) __builtin_trap();
            (void)p->setExtensionId(id, static_cast<uint8_t>(id + 1));
        }
    }
    std::vector<uint8_t> rtx(size + 2);
    (void)rtc::buildRtx(*p, 97, 1, 2, rtx.data(), rtx.size());
    static const uint8_t key[16] = {1}, salt[14] = {2};
    static rtc::SrtpProtector protector(rtc::SrtpProfile::AesCm128HmacSha1_80, key, 16, salt, 14);
    size_t len = size;
    (void)protector.protectRtp(buf.data(), len, buf.size());
    return 0;
}
