// Router/Producer/Consumer: forwarding with header rewriting, keyframe throttling,
// NACK -> RTX, source switch continuity, and the feedback sent to publishers.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "rtc/ByteReader.hpp"
#include "rtc/Router.hpp"
#include "rtc/RtcpPacket.hpp"

using namespace rtc;

namespace {

std::vector<uint8_t> rtp(uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t payload,
                         bool withExtension = false) {
    std::vector<uint8_t> p;
    p.reserve(12 + 8 + payload);  // one allocation; GCC 12 misreads the insert below otherwise
    p.resize(12);
    p[0] = withExtension ? 0x90 : 0x80;
    p[1] = pt;
    store16(&p[2], seq);
    store32(&p[4], ts);
    store32(&p[8], ssrc);
    if (withExtension) {  // one-byte header extension block with one element
        const uint8_t ext[] = {0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00};
        p.insert(p.end(), ext, ext + sizeof ext);
    }
    for (size_t i = 0; i < payload; ++i) p.push_back(static_cast<uint8_t>(seq + i));
    return p;
}

struct Captured {
    std::vector<std::vector<uint8_t>> rtp, rtcp;
};

class CaptureOutput : public Consumer::Output {
public:
    void sendRtp(uint8_t* d, size_t n, size_t) override { got.rtp.emplace_back(d, d + n); }
    void sendRtcp(uint8_t* d, size_t n, size_t) override { got.rtcp.emplace_back(d, d + n); }
    Captured got;
};

class CountingFeedback : public Router::SourceFeedback {
public:
    void requestKeyframe() override { ++keyframes; }
    void sendRtcp(uint8_t* d, size_t n, size_t) override { rtcp.emplace_back(d, d + n); }
    bool wantsRtcp() const override { return true; }
    int keyframes = 0;
    std::vector<std::vector<uint8_t>> rtcp;
};

Consumer::Track track(uint32_t ssrc, uint8_t pt, uint32_t rtxSsrc, uint8_t rtxPt, uint32_t clock) {
    Consumer::Track t;
    t.enabled = true;
    t.ssrc = ssrc;
    t.payloadType = pt;
    t.rtxSsrc = rtxSsrc;
    t.rtxPayloadType = rtxPt;
    t.clockRate = clock;
    return t;
}

std::vector<uint8_t> nack(uint32_t mediaSsrc, uint16_t pid, uint16_t blp) {
    std::vector<uint8_t> p(16);
    p[0] = 0x81;
    p[1] = 205;
    store16(&p[2], 3);
    store32(&p[4], 0x1234);
    store32(&p[8], mediaSsrc);
    store16(&p[12], pid);
    store16(&p[14], blp);
    return p;
}

std::vector<uint8_t> pli(uint32_t mediaSsrc) {
    std::vector<uint8_t> p(12);
    p[0] = 0x81;
    p[1] = 206;
    store16(&p[2], 2);
    store32(&p[4], 0x1234);
    store32(&p[8], mediaSsrc);
    return p;
}

struct RouterFixture : ::testing::Test {
    EngineMetrics metrics;
    Router router{"lesson", metrics};
    CountingFeedback teacherFb, boardFb;
    CaptureOutput out1, out2;
    Consumer c1{1, track(111, 111, 0, 0, 48000), track(222, 102, 223, 103, 90000), &out1};
    Consumer c2{2, track(333, 109, 0, 0, 48000), track(444, 96, 0, 0, 90000), &out2};

    void feed(Router::Source* s, MediaKind k, const std::vector<uint8_t>& p, int64_t now) {
        router.onSourceRtp(s, k, p.data(), p.size(), now);
    }
};

}  // namespace

TEST_F(RouterFixture, ForwardsToEveryConsumerWithItsOwnSsrcAndPayloadType) {
    auto* src = router.addSource("teacher", &teacherFb, 0);
    router.addConsumer(&c1, 0);
    router.addConsumer(&c2, 0);
    for (uint16_t i = 0; i < 10; ++i) {
        feed(src, MediaKind::Video, rtp(96, 1000 + i, 90000 + 3000 * i, 0xabc, 200, true), i * 33);
        feed(src, MediaKind::Audio, rtp(111, 50 + i, 960 * i, 0xdef, 80), i * 20);
    }
    ASSERT_EQ(out1.got.rtp.size(), 20u);
    ASSERT_EQ(out2.got.rtp.size(), 20u);
    uint16_t lastSeq = 0;
    for (size_t i = 0; i < out1.got.rtp.size(); i += 2) {
        const auto& v = out1.got.rtp[i];
        EXPECT_EQ(load32(&v[8]), 222u);
        EXPECT_EQ(v[1] & 0x7f, 102);
        EXPECT_EQ(v[0], 0x80) << "publisher's extensions are not forwarded";
        ASSERT_EQ(v.size(), 12u + 200u);
        // Payload unchanged.
        const auto orig = rtp(96, static_cast<uint16_t>(1000 + i / 2), 0, 0, 200);
        EXPECT_TRUE(std::equal(v.begin() + 12, v.end(), orig.begin() + 12));
        if (i > 0) {
            EXPECT_EQ(load16(&v[2]), static_cast<uint16_t>(lastSeq + 1));
        }
        lastSeq = load16(&v[2]);
    }
    EXPECT_EQ(load32(&out2.got.rtp[1][8]), 333u);
    EXPECT_EQ(out2.got.rtp[1][1] & 0x7f, 109);
    EXPECT_EQ(metrics.packetsIn.load(), 20u);
    EXPECT_EQ(metrics.packetsOut.load(), 40u);
}

TEST_F(RouterFixture, SequenceAndTimestampContinueAcrossWrapAndSourceSwitch) {
    auto* teacher = router.addSource("teacher", &teacherFb, 0);
    auto* board = router.addSource("board", &boardFb, 0);
    EXPECT_EQ(router.mainSource(), "teacher");
    router.addConsumer(&c1, 0);
    int64_t now = 0;
    for (uint16_t i = 0; i < 20; ++i, now += 33)
        feed(teacher, MediaKind::Video,
             rtp(96, static_cast<uint16_t>(65530 + i), 4294960000u + 3000 * i, 1, 100), now);
    for (uint16_t i = 0; i < 5; ++i)
        feed(board, MediaKind::Video, rtp(96, 7 + i, 5 + 3000 * i, 2, 100), now);
    ASSERT_EQ(out1.got.rtp.size(), 20u) << "only the main source is forwarded";
    const int kfBefore = boardFb.keyframes;
    router.setMainSource("board", now);
    EXPECT_EQ(boardFb.keyframes, kfBefore + 1) << "a switch asks the new source for a keyframe";
    now += 40;
    for (uint16_t i = 0; i < 5; ++i, now += 33)
        feed(board, MediaKind::Video, rtp(96, 100 + i, 777 + 3000 * i, 2, 100), now);
    ASSERT_EQ(out1.got.rtp.size(), 25u);
    for (size_t i = 1; i < out1.got.rtp.size(); ++i) {
        EXPECT_EQ(load16(&out1.got.rtp[i][2]),
                  static_cast<uint16_t>(load16(&out1.got.rtp[i - 1][2]) + 1))
            << i;
        EXPECT_EQ(load32(&out1.got.rtp[i][8]), 222u);
        const uint32_t dts = load32(&out1.got.rtp[i][4]) - load32(&out1.got.rtp[i - 1][4]);
        EXPECT_GT(dts, 0u) << i;
        EXPECT_LT(dts, 90000u / 5) << i;  // no jump of more than 200 ms
    }
}

// A source that restarts (new SSRC: a reconnected RTMP publisher, a camera pulled again)
// begins anywhere, here just behind the old numbers; subscribers must not see that jump.
TEST_F(RouterFixture, ARestartedSourceContinuesSubscribersStreamsAndAsksForAKeyframe) {
    auto* teacher = router.addSource("teacher", &teacherFb, 0);
    router.addConsumer(&c1, 0);
    int64_t now = 1000;
    for (uint16_t i = 0; i < 10; ++i, now += 33)
        feed(teacher, MediaKind::Video, rtp(96, 5000 + i, 900000 + 3000 * i, 1, 100), now);
    const int keyframesBefore = teacherFb.keyframes;
    now += 2000;  // the camera was away for two seconds
    for (uint16_t i = 0; i < 10; ++i, now += 33)
        feed(teacher, MediaKind::Video, rtp(96, 4800 + i, 12345 + 3000 * i, 9, 100), now);
    EXPECT_EQ(teacherFb.keyframes, keyframesBefore + 1);
    ASSERT_EQ(out1.got.rtp.size(), 20u);
    for (size_t i = 1; i < out1.got.rtp.size(); ++i) {
        EXPECT_EQ(load16(&out1.got.rtp[i][2]),
                  static_cast<uint16_t>(load16(&out1.got.rtp[i - 1][2]) + 1))
            << i;
        const uint32_t dts = load32(&out1.got.rtp[i][4]) - load32(&out1.got.rtp[i - 1][4]);
        EXPECT_GT(dts, 0u) << i;
        EXPECT_LT(dts, 90000u * 3) << i;  // about the real gap, never backwards
    }
}

TEST_F(RouterFixture, KeyframeRequestsAreThrottledPerSource) {
    auto* src = router.addSource("teacher", &teacherFb, 0);
    feed(src, MediaKind::Video, rtp(96, 1, 0, 5, 10), 0);
    router.addConsumer(&c1, 1000);
    EXPECT_EQ(teacherFb.keyframes, 1) << "a new consumer gets a keyframe request";
    for (int i = 0; i < 10; ++i) {
        auto p = pli(222);
        router.onConsumerRtcp(&c1, p.data(), p.size(), 1000 + i * 10);
    }
    EXPECT_EQ(teacherFb.keyframes, 1);
    router.onTick(1200, 0);
    EXPECT_EQ(teacherFb.keyframes, 1);
    router.onTick(1500, 0);
    EXPECT_EQ(teacherFb.keyframes, 2) << "the deferred request goes out after 500 ms";
    router.onTick(1600, 0);
    EXPECT_EQ(teacherFb.keyframes, 2);
    EXPECT_EQ(metrics.plisReceived.load(), 10u);
}

TEST_F(RouterFixture, NackIsAnsweredWithRtxOrPlainRetransmission) {
    auto* src = router.addSource("teacher", &teacherFb, 0);
    router.addConsumer(&c1, 0);
    router.addConsumer(&c2, 0);
    for (uint16_t i = 0; i < 50; ++i)
        feed(src, MediaKind::Video, rtp(96, 500 + i, 3000 * i, 9, 300), i);
    const uint16_t first1 = load16(&out1.got.rtp[0][2]);
    // c1 negotiated RTX: asks for its 10th and 12th packet.
    auto n1 = nack(222, static_cast<uint16_t>(first1 + 10), 0x2);
    router.onConsumerRtcp(&c1, n1.data(), n1.size(), 100);
    ASSERT_EQ(out1.got.rtp.size(), 52u);
    for (int k = 0; k < 2; ++k) {
        const auto& r = out1.got.rtp[50 + k];
        EXPECT_EQ(load32(&r[8]), 223u);
        EXPECT_EQ(r[1] & 0x7f, 103);
        const uint16_t osn = load16(&r[12]);
        EXPECT_EQ(osn, static_cast<uint16_t>(first1 + 10 + 2 * k));
        const auto& orig = out1.got.rtp[10 + 2 * k];
        ASSERT_EQ(r.size(), orig.size() + 2);
        EXPECT_TRUE(std::equal(orig.begin() + 12, orig.end(), r.begin() + 14));
    }
    // c2 has no RTX: the packet is resent as it was.
    const uint16_t first2 = load16(&out2.got.rtp[0][2]);
    auto n2 = nack(444, static_cast<uint16_t>(first2 + 3), 0);
    router.onConsumerRtcp(&c2, n2.data(), n2.size(), 100);
    ASSERT_EQ(out2.got.rtp.size(), 51u);
    EXPECT_EQ(out2.got.rtp[50], out2.got.rtp[3]);
    // A packet never sent is not invented.
    auto n3 = nack(444, static_cast<uint16_t>(first2 + 200), 0);
    router.onConsumerRtcp(&c2, n3.data(), n3.size(), 100);
    EXPECT_EQ(out2.got.rtp.size(), 51u);
    EXPECT_EQ(metrics.rtxSent.load(), 3u);
    EXPECT_EQ(metrics.rtxMissed.load(), 1u);
}

TEST_F(RouterFixture, PublisherGetsNacksForLossAndReceiverReportsWithRemb) {
    auto* src = router.addSource("teacher", &teacherFb, 0);
    for (uint16_t s = 10; s < 30; ++s)
        if (s != 15 && s != 16 && s != 20)
            feed(src, MediaKind::Video, rtp(96, s, s * 3000, 77, 50), s);
    router.onTick(1000, 0);
    ASSERT_FALSE(teacherFb.rtcp.empty());
    const auto& p = teacherFb.rtcp.back();
    // Walk the compound packet.
    bool sawRr = false, sawRemb = false, sawNack = false;
    for (size_t off = 0; off + 4 <= p.size();) {
        const size_t len = (load16(&p[off + 2]) + 1) * 4;
        ASSERT_LE(off + len, p.size());
        if (p[off + 1] == 201) {
            sawRr = true;
            ASSERT_EQ(p[off] & 0x1f, 1);
            EXPECT_EQ(load32(&p[off + 8]), 77u);
            EXPECT_EQ(load24(&p[off + 13]), 3u) << "cumulative loss";
            EXPECT_EQ(load32(&p[off + 16]), 29u) << "highest sequence";
        } else if (p[off + 1] == 206 && (p[off] & 0x1f) == 15) {
            sawRemb = true;
            EXPECT_EQ(load32(&p[off + 12]), 0x52454d42u);
            const uint8_t exp = p[off + 17] >> 2;
            const uint32_t mant = ((p[off + 17] & 3u) << 16) | load16(&p[off + 18]);
            EXPECT_NEAR(double(mant) * (1u << exp), Router::kRembBitrate,
                        Router::kRembBitrate * 0.01);
        } else if (p[off + 1] == 205) {
            sawNack = true;
            EXPECT_EQ(load32(&p[off + 8]), 77u);
            EXPECT_EQ(load16(&p[off + 12]), 15);
            EXPECT_EQ(load16(&p[off + 14]), 0x1 | 0x10) << "16 and 20 in the bitmask";
        }
        off += len;
    }
    EXPECT_TRUE(sawRr);
    EXPECT_TRUE(sawRemb);
    EXPECT_TRUE(sawNack);
    // A retransmission fills the hole: it is not asked for again.
    feed(src, MediaKind::Video, rtp(96, 15, 45000, 77, 50), 1001);
    feed(src, MediaKind::Video, rtp(96, 16, 48000, 77, 50), 1001);
    feed(src, MediaKind::Video, rtp(96, 20, 60000, 77, 50), 1001);
    teacherFb.rtcp.clear();
    router.onTick(1100, 0);
    EXPECT_TRUE(teacherFb.rtcp.empty());
}

TEST_F(RouterFixture, SendsSenderReportsToConsumersAndFollowsTeacherByDefault) {
    auto* other = router.addSource("screen", &boardFb, 0);
    EXPECT_EQ(router.mainSource(), "screen");
    auto* teacher = router.addSource("teacher", &teacherFb, 0);
    EXPECT_EQ(router.mainSource(), "teacher");
    router.addConsumer(&c1, 0);
    feed(teacher, MediaKind::Video, rtp(96, 1, 1000, 1, 100), 10);
    feed(teacher, MediaKind::Audio, rtp(111, 1, 1000, 2, 100), 10);
    feed(other, MediaKind::Video, rtp(96, 1, 1000, 3, 100), 10);
    router.onTick(2000, 0x1234567800000000ull);
    ASSERT_EQ(out1.got.rtcp.size(), 1u);
    const auto& sr = out1.got.rtcp[0];
    ASSERT_EQ(sr.size(), 56u);
    EXPECT_EQ(sr[1], 200);
    EXPECT_EQ(load32(&sr[4]), 111u);
    EXPECT_EQ(load32(&sr[32]), 222u);
    EXPECT_EQ(load64(&sr[36]), 0x1234567800000000ull);
    EXPECT_EQ(load32(&sr[48]), 1u) << "packet count";
    router.removeSource(teacher, 2000);
    EXPECT_EQ(router.mainSource(), "screen");
}

TEST(RouterSenderReports, AreSpreadOverTheTicksAndReachEveryConsumerOncePerSecond) {
    // 100 subscribers, a 20 ms tick: 2 SRs per tick, never an SR for everyone at once
    // (that burst held the worker for milliseconds at 500 subscribers while media waited).
    EngineMetrics metrics;
    Router router("lesson", metrics);
    CountingFeedback fb;
    auto* src = router.addSource("teacher", &fb, 0);
    constexpr int kConsumers = 100;
    std::vector<std::unique_ptr<CaptureOutput>> outs;
    std::vector<std::unique_ptr<Consumer>> consumers;
    for (int i = 0; i < kConsumers; ++i) {
        outs.push_back(std::make_unique<CaptureOutput>());
        consumers.push_back(std::make_unique<Consumer>(i + 1, track(1000 + i, 111, 0, 0, 48000),
                                                       track(2000 + i, 96, 0, 0, 90000),
                                                       outs.back().get()));
        router.addConsumer(consumers.back().get(), 0);
    }
    auto video = rtp(96, 1, 1000, 7, 100);
    router.onSourceRtp(src, MediaKind::Video, video.data(), video.size(), 5);
    router.onTick(10, 0);  // first tick: starts the schedule
    auto srCount = [&] {
        size_t n = 0;
        for (auto& o : outs) n += o->got.rtcp.size();
        return n;
    };
    size_t before = srCount();
    size_t maxPerTick = 0;
    for (int64_t t = 30; t <= 1010; t += 20) {
        const size_t was = srCount();
        router.onTick(t, 0);
        maxPerTick = std::max(maxPerTick, srCount() - was);
    }
    EXPECT_LE(maxPerTick, 3u) << "SRs must be spread over the ticks";
    EXPECT_EQ(srCount() - before, static_cast<size_t>(kConsumers)) << "one SR each per second";
    for (auto& o : outs) {
        ASSERT_GE(o->got.rtcp.size(), 1u);
        EXPECT_LE(o->got.rtcp.size(), 2u);
        EXPECT_EQ(o->got.rtcp.back()[1], 200) << "an SR";
    }
    // A tick that comes 3 s late sends at most one round, not three.
    for (auto& o : outs) o->got.rtcp.clear();
    router.onTick(4010, 0);
    EXPECT_EQ(srCount(), static_cast<size_t>(kConsumers));
    for (auto& c : consumers) router.removeConsumer(c.get());
}

TEST(ProducerTest, RejectsMalformedAndDuplicatePackets) {
    Producer p(MediaKind::Video, 90000, 64);
    auto ok = rtp(96, 1, 0, 1, 10);
    EXPECT_NE(p.receive(ok.data(), ok.size(), 0), nullptr);
    EXPECT_EQ(p.receive(ok.data(), ok.size(), 0), nullptr) << "duplicate";
    auto ext = rtp(96, 2, 0, 1, 10, true);
    const RtpSlot* s = p.receive(ext.data(), ext.size(), 0);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->headerSize, 20);
    EXPECT_EQ(s->payloadSize(), 10u);
    ext[14] = 0x40;  // extension length larger than the packet
    store16(&ext[2], 3);
    EXPECT_EQ(p.receive(ext.data(), ext.size(), 0), nullptr);
    auto shortPkt = rtp(96, 4, 0, 1, 0);
    EXPECT_EQ(p.receive(shortPkt.data(), 11, 0), nullptr);
    auto padded = rtp(96, 5, 0, 1, 4);
    padded[0] |= 0x20;
    padded.back() = 9;  // padding longer than the payload
    EXPECT_EQ(p.receive(padded.data(), padded.size(), 0), nullptr);
    EXPECT_EQ(p.packets(), 2u);
}

TEST_F(RouterFixture, FirInACompoundFromASubscriberAsksTheMainSourceForAKeyframe) {
    auto* src = router.addSource("teacher", &teacherFb, 0);
    feed(src, MediaKind::Video, rtp(96, 1, 0, 5, 10), 0);
    router.addConsumer(&c1, 0);
    ASSERT_EQ(teacherFb.keyframes, 1);
    // RR + FIR (RFC 5104) as a browser sends it, built by our writers.
    uint8_t buf[64];
    size_t n = rtcp::writeRr(rtcp::ReceiverReport{0x1234, {}}, buf, sizeof buf);
    n += rtcp::writeFir(rtcp::Fir{0x1234, {{222, 7}}}, buf + n, sizeof buf - n);
    router.onConsumerRtcp(&c1, buf, n, 1000);
    EXPECT_EQ(teacherFb.keyframes, 2);
    EXPECT_EQ(metrics.plisReceived.load(), 1u);
}

// With a DeferredFanout (the worker's end-of-pass flush) packets are held and then sent
// subscriber by subscriber: each one's packets back to back, in their order, the same
// packets as without deferral; any change to the consumers sends what is held first.
TEST_F(RouterFixture, DeferredFanoutHoldsPacketsUntilFlushThenSendsThemPerSubscriber) {
    DeferredFanout deferred;
    router.deferFanoutTo(&deferred);
    // The fixture's router outlives `deferred`: detach first (~Router calls forget() on it).
    struct Detach {
        Router& r;
        ~Detach() { r.deferFanoutTo(nullptr); }
    } detach{router};
    auto* src = router.addSource("teacher", &teacherFb, 0);
    router.addConsumer(&c1, 0);
    router.addConsumer(&c2, 0);
    for (uint16_t i = 0; i < 3; ++i)
        feed(src, MediaKind::Video, rtp(96, 1000 + i, 90000, 0xabc, 100 + i), 0);
    EXPECT_TRUE(out1.got.rtp.empty());
    EXPECT_TRUE(out2.got.rtp.empty());
    deferred.flush();
    ASSERT_EQ(out1.got.rtp.size(), 3u);
    ASSERT_EQ(out2.got.rtp.size(), 3u);
    for (uint16_t i = 0; i < 3; ++i) {
        EXPECT_EQ(out1.got.rtp[i].size(), 12u + 100u + i);
        EXPECT_EQ(load16(&out1.got.rtp[i][2]), static_cast<uint16_t>(load16(&out1.got.rtp[0][2]) + i));
    }
    deferred.flush();  // nothing held: nothing more
    EXPECT_EQ(out1.got.rtp.size(), 3u);

    // Held packets go out before a consumer leaves; the one who stays gets them too.
    feed(src, MediaKind::Audio, rtp(111, 7, 960, 0xdef, 80), 20);
    router.removeConsumer(&c2);
    EXPECT_EQ(out1.got.rtp.size(), 4u);
    EXPECT_EQ(out2.got.rtp.size(), 4u);

    // A full hold is sent without waiting for the flush.
    for (uint16_t i = 0; i < 16; ++i)
        feed(src, MediaKind::Video, rtp(96, 2000 + i, 93000, 0xabc, 50), 40);
    EXPECT_EQ(out1.got.rtp.size(), 4u + 16u);
}

TEST(RouterDeferred, ARouterDestroyedWhileMarkedIsForgotten) {
    EngineMetrics metrics;
    DeferredFanout deferred;
    CountingFeedback fb;
    CaptureOutput out;
    Consumer c{1, track(111, 111, 0, 0, 48000), track(222, 102, 0, 0, 90000), &out};
    {
        Router r{"lesson", metrics};
        r.deferFanoutTo(&deferred);
        auto* src = r.addSource("teacher", &fb, 0);
        r.addConsumer(&c, 0);
        auto p = rtp(96, 1, 0, 0xabc, 10);
        r.onSourceRtp(src, MediaKind::Video, p.data(), p.size(), 0);
    }
    deferred.flush();  // must not touch the destroyed router (ASan would say)
    EXPECT_TRUE(out.got.rtp.empty());
}
