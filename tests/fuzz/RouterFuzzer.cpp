// Router packet path with arbitrary input: publisher RTP and RTCP, subscriber RTCP
// (NACK/PLI/FIR walking), source switches and ticks. Must never crash or overrun.
#include <cstddef>
#include <cstdint>

#include "rtc/Router.hpp"

namespace {

class NullOutput : public rtc::Consumer::Output {
public:
    void sendRtp(uint8_t*, size_t, size_t) override {}
    void sendRtcp(uint8_t*, size_t, size_t) override {}
};

class NullFeedback : public rtc::Router::SourceFeedback {
public:
    void requestKeyframe() override {}
    void sendRtcp(uint8_t*, size_t, size_t) override {}
    bool wantsRtcp() const override { return true; }
};

rtc::Consumer::Track track(uint32_t ssrc, uint8_t pt, uint32_t rtx, uint8_t rtxPt, uint32_t clock) {
    rtc::Consumer::Track t;
    t.enabled = true;
    t.ssrc = ssrc;
    t.payloadType = pt;
    t.rtxSsrc = rtx;
    t.rtxPayloadType = rtxPt;
    t.clockRate = clock;
    return t;
}

}  // namespace

struct World {
    // Built once: a Router preallocates its packet rings, too slow to redo per input.
    rtc::EngineMetrics metrics;
    rtc::Router router{"fuzz", metrics};
    NullFeedback fa, fb;
    NullOutput out;
    rtc::Consumer c1{1, track(1, 111, 0, 0, 48000), track(2, 96, 3, 97, 90000), &out};
    rtc::Consumer c2{2, track(4, 111, 0, 0, 48000), track(5, 96, 0, 0, 90000), &out};
    rtc::Router::Source* a = router.addSource("teacher", &fa, 0);
    rtc::Router::Source* b = router.addSource("board", &fb, 0);
    World() {
        router.addConsumer(&c1, 0);
        router.addConsumer(&c2, 0);
    }
};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static World w;
    static int64_t now = 0;
    rtc::Router& router = w.router;
    auto* a = w.a;
    auto* b = w.b;
    auto* c1 = &w.c1;
    auto* c2 = &w.c2;
    // Records: [op][len16][bytes...]
    size_t off = 0;
    while (off + 3 <= size) {
        const uint8_t op = data[off];
        size_t len = (size_t{data[off + 1]} << 8) | data[off + 2];
        off += 3;
        if (len > size - off) len = size - off;
        const uint8_t* p = data + off;
        off += len;
        now += op & 0x0f;
        switch (op >> 4) {
            case 0:
                router.onSourceRtp(a, rtc::MediaKind::Video, p, len, now);
                break;
            case 1:
                router.onSourceRtp(a, rtc::MediaKind::Audio, p, len, now);
                break;
            case 2:
                router.onSourceRtp(b, rtc::MediaKind::Video, p, len, now);
                break;
            case 3:
                router.onSourceRtcp(a, p, len, now);
                break;
            case 4:
                router.onConsumerRtcp(c1, p, len, now);
                break;
            case 5:
                router.onConsumerRtcp(c2, p, len, now);
                break;
            case 6:
                router.setMainSource(len & 1 ? "board" : "teacher", now);
                break;
            case 7:
                router.onTick(now + 1000, static_cast<uint64_t>(now) << 32);
                break;
            default:
                break;
        }
    }
    return 0;
}
