// Arbitrary bytes as Opus RTP payloads: TOC parsing must never read past the packet and
// must bound durations to 120 ms.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "recorder/OpusDepacketizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    recorder::OpusDepacketizer d;
    for (size_t cut = 0; cut <= size && cut < 64; ++cut) {
        if (d.push(data, cut) && (d.samples() == 0 || d.samples() > 5760)) abort();
    }
    return 0;
}
