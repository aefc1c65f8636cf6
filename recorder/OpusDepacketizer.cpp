#include "recorder/OpusDepacketizer.hpp"

namespace recorder {

uint32_t OpusDepacketizer::packetSamples(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    uint8_t toc = data[0];
    uint8_t config = toc >> 3;
    // Frame size per configuration (RFC 6716 Table 2), in 48 kHz samples.
    uint32_t frame;
    if (config < 12) {  // SILK: 10, 20, 40, 60 ms
        static constexpr uint32_t silk[4] = {480, 960, 1920, 2880};
        frame = silk[config & 3];
    } else if (config < 16) {  // Hybrid: 10, 20 ms
        frame = (config & 1) ? 960 : 480;
    } else {  // CELT: 2.5, 5, 10, 20 ms
        static constexpr uint32_t celt[4] = {120, 240, 480, 960};
        frame = celt[config & 3];
    }
    uint32_t frames;
    switch (toc & 3) {
        case 0:
            frames = 1;
            break;
        case 1:
        case 2:
            frames = 2;
            break;
        default:
            if (size < 2) return 0;
            frames = data[1] & 0x3f;
            if (frames == 0) return 0;
            break;
    }
    uint32_t total = frames * frame;
    if (total > 5760) return 0;  // more than 120 ms is invalid
    return total;
}

bool OpusDepacketizer::push(const uint8_t* payload, size_t size) {
    samples_ = packetSamples(payload, size);
    if (samples_ == 0) {
        ++malformed_;
        return false;
    }
    return true;
}

}  // namespace recorder
