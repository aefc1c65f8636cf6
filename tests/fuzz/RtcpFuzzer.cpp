// libFuzzer target: RTCP compound walk and every packet parser; what parses is written
// back and must parse again. The same bytes, read as transport-cc arrivals, go through
// TwccRecorder, whose feedback must parse and stay within its limits.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "rtc/RtcpPacket.hpp"
#include "rtc/TwccRecorder.hpp"

namespace rtcp = rtc::rtcp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    uint8_t out[70000];
    auto reparse = [&](size_t n) {
        if (n && !rtcp::isValidCompound(out, n)) __builtin_trap();
    };
    rtcp::forEach(data, size, [&](const rtcp::Header& h) {
        if (auto sr = rtcp::parseSr(h)) reparse(rtcp::writeSr(*sr, out, sizeof out));
        if (auto rr = rtcp::parseRr(h)) reparse(rtcp::writeRr(*rr, out, sizeof out));
        if (auto sd = rtcp::parseSdes(h)) reparse(rtcp::writeSdes(*sd, out, sizeof out));
        if (auto bye = rtcp::parseBye(h)) reparse(rtcp::writeBye(*bye, out, sizeof out));
        if (auto n = rtcp::parseNack(h)) reparse(rtcp::writeNack(*n, out, sizeof out));
        if (auto p = rtcp::parsePli(h)) reparse(rtcp::writePli(*p, out, sizeof out));
        if (auto f = rtcp::parseFir(h)) reparse(rtcp::writeFir(*f, out, sizeof out));
        if (auto r = rtcp::parseRemb(h)) reparse(rtcp::writeRemb(*r, out, sizeof out));
        if (auto t = rtcp::parseTransportCc(h)) {
            const size_t n = rtcp::writeTransportCc(*t, out, sizeof out);
            reparse(n);
            if (n) {
                bool again = false;
                rtcp::forEach(out, n, [&](const rtcp::Header& h2) {
                    auto t2 = rtcp::parseTransportCc(h2);
                    again = t2 && t2->packets.size() == t->packets.size();
                });
                if (!again) __builtin_trap();
            }
        }
    });

    // (transport seq, signed time step in 50 µs units) pairs: reordering, loss, wraps,
    // clock steps and long pauses all come out of random input.
    auto rec = std::make_unique<rtc::TwccRecorder>();  // 32 KB: not on the stack
    int64_t t = 10'000'000'000;
    auto flush = [&] {
        while (const size_t n = rec->writeFeedback(1, 2, out, 1200)) {
            bool ok = false;
            rtcp::forEach(out, n, [&](const rtcp::Header& h) {
                auto fb = rtcp::parseTransportCc(h);
                ok = fb && !fb->packets.empty() &&
                     fb->packets.size() <= rtc::TwccRecorder::kMaxPacketsPerFeedback &&
                     fb->packets.back().received;
            });
            if (!ok) __builtin_trap();
        }
        if (rec->pending() != 0) __builtin_trap();
    };
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const uint16_t seq = static_cast<uint16_t>((data[i] << 8) | data[i + 1]);
        t += int64_t{static_cast<int16_t>((data[i + 2] << 8) | data[i + 3])} * 50;
        rec->onPacket(seq, t);
        if (rec->full() || (i / 4) % 16 == 15) flush();
    }
    flush();
    return 0;
}
