// Arbitrary bytes as a sequence of RTP packets (2-byte length prefixes) through the
// recorder's RTP view, reorder buffer, H.264 depacketizer and SPS parser.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "recorder/H264Depacketizer.hpp"
#include "recorder/H264Sps.hpp"
#include "recorder/ReorderBuffer.hpp"
#include "recorder/Rtp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    recorder::H264Depacketizer depacketizer([] {});
    recorder::ReorderBuffer reorder(8);
    std::vector<recorder::AccessUnit> units;
    auto emit = [&](const std::vector<uint8_t>& p, bool lost) {
        recorder::RtpView v;
        if (!recorder::RtpView::parse(p.data(), p.size(), v)) return;
        depacketizer.push(v.payload, v.payloadSize, v.timestamp, v.marker, lost, units);
    };
    size_t pos = 0;
    while (pos + 2 <= size) {
        size_t len = size_t(data[pos] << 8 | data[pos + 1]) % 1500;
        pos += 2;
        if (len > size - pos) len = size - pos;
        std::vector<uint8_t> packet(data + pos, data + pos + len);
        pos += len;
        recorder::RtpView v;
        if (recorder::RtpView::parse(packet.data(), packet.size(), v))
            reorder.push(v.ssrc, v.sequence, std::move(packet), emit);
    }
    reorder.flush(emit);
    if (!depacketizer.sps().empty())
        (void)recorder::parseSps(depacketizer.sps().data(), depacketizer.sps().size());
    (void)recorder::parseSps(data, size);
    return 0;
}
