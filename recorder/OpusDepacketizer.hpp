#pragma once
// RTP Opus (RFC 7587): one Opus packet per RTP payload, 48 kHz clock. Validates the TOC
// (RFC 6716 §3.1) so garbage is counted and dropped instead of being muxed.
#include <cstddef>
#include <cstdint>

namespace recorder {

class OpusDepacketizer {
public:
    // Duration of an Opus packet in 48 kHz samples, or 0 when it is malformed.
    static uint32_t packetSamples(const uint8_t* data, size_t size);

    // True when the payload is a usable Opus packet (its duration is then in samples()).
    bool push(const uint8_t* payload, size_t size);
    uint32_t samples() const { return samples_; }
    uint64_t malformed() const { return malformed_; }

    // A 20 ms Opus packet the decoder turns into silence / concealment (TOC only, no
    // frame data: CELT full-band 20 ms, a DTX frame) — used to fill gaps in the audio.
    static constexpr uint8_t kSilence20ms[1] = {0xf8};

private:
    uint32_t samples_ = 0;
    uint64_t malformed_ = 0;
};

}  // namespace recorder
