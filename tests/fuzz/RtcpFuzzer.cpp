// libFuzzer target: RTCP compound walk and every packet parser; what parses is written
// back and must parse again.
#include <cstddef>
#include <cstdint>

#include "rtc/RtcpPacket.hpp"

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
    return 0;
}
