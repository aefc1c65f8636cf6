#include <gtest/gtest.h>

#include "GstRtp.hpp"
#include "recorder/ClockMapper.hpp"
#include "recorder/OpusDepacketizer.hpp"
#include "recorder/Rtp.hpp"
#include "recorder/StartAligner.hpp"

using namespace recorder;

TEST(ClockMapper, UnwrapsTheThirtyTwoBitTimestamp) {
    ClockMapper m(90000, 0);
    uint32_t ts = 0xffffffffu - 90000;  // one second before the wrap
    int64_t wall = 1'000'000;
    EXPECT_EQ(m.map(ts, wall), 1'000'000);
    for (int i = 1; i <= 90; ++i) {  // three seconds at 30 fps, across the wrap
        ts += 3000;
        wall += 33'333;
        EXPECT_EQ(m.map(ts, wall), 1'000'000 + int64_t(i) * 3000 * 1'000'000 / 90000);
    }
    EXPECT_EQ(m.discontinuities(), 0u);
}

TEST(ClockMapper, ASourceThatReturnsWithANewBaseContinuesAfterTheWallClockGap) {
    ClockMapper m(90000, 0);
    uint32_t ts = 12345;
    int64_t wall = 0, out = 0;
    for (int i = 0; i < 30; ++i, ts += 3000, wall += 33'333) out = m.map(ts, wall);
    EXPECT_NEAR(double(out), 29 * 33'333.0, 1000);
    // Gone for five seconds; back with a random new timestamp base.
    wall += 5'000'000;
    ts = 987654321;
    int64_t back = m.map(ts, wall);
    EXPECT_NEAR(double(back - out), 5'033'333.0, 1000);
    EXPECT_EQ(m.discontinuities(), 1u);
    ts += 3000;
    wall += 33'333;
    EXPECT_EQ(m.map(ts, wall), back + 33'333);
}

TEST(ClockMapper, ASourceWhoseClockStoodStillStillGetsTheWallClockGap) {
    // E.g. a router that rewrites timestamps to continue where they stopped.
    ClockMapper m(48000, 0);
    uint32_t ts = 1000;
    int64_t wall = 0, out = 0;
    for (int i = 0; i < 50; ++i, ts += 960, wall += 20'000) out = m.map(ts, wall);
    wall += 5'000'000;
    int64_t back = m.map(ts, wall);
    EXPECT_NEAR(double(back - out), 5'020'000.0, 1000);
}

TEST(ClockMapper, ALateBurstUnderLoadIsNotADiscontinuity) {
    ClockMapper m(90000, 0);
    uint32_t ts = 0;
    int64_t wall = 0;
    for (int i = 0; i < 30; ++i, ts += 3000, wall += 33'333) m.map(ts, wall);
    wall += 1'500'000;  // the worker stalled for 1.5 s, then delivers the backlog at once
    for (int i = 0; i < 45; ++i, ts += 3000) m.map(ts, wall);
    EXPECT_EQ(m.discontinuities(), 0u);
    EXPECT_EQ(m.map(ts, wall), int64_t(ts) * 1'000'000 / 90000);
}

TEST(ClockMapper, LaterStreamsArePlacedByArrival) {
    ClockMapper m(48000, 1'000'000);
    EXPECT_EQ(m.map(777, 1'250'000), 250'000);
}

TEST(StartAligner, AFirstPacketHeldUpInAQueueIsPlacedAtTheStreamsLatencyFloor) {
    StartAligner a(1'000'000);
    // Audio: the first packet is 70 ms late (a starting encoder, a busy worker); the
    // following 20 ms packets arrive on time. Video: on time from the start.
    EXPECT_FALSE(a.add(false, 5000, 48000, 1'070'000));
    EXPECT_FALSE(a.add(true, 90000, 90000, 1'000'000));
    for (int i = 1; i < 50; ++i) {
        EXPECT_FALSE(a.add(false, 5000 + 960 * i, 48000, 1'000'000 + 20'000 * i + 3'000));
        EXPECT_FALSE(a.add(true, 90000 + 3000 * i / 2, 90000, 1'000'000 + 16'666 * i + 5'000));
    }
    EXPECT_TRUE(a.add(false, 5000 + 960 * 50, 48000, 2'070'000));
    EXPECT_EQ(a.firstWallUs(), 1'070'000);
    EXPECT_EQ(a.start(false).ts, 5000u);
    EXPECT_EQ(a.start(false).wallUs, 1'003'000);
    EXPECT_TRUE(a.start(true).seen);
    EXPECT_NEAR(double(a.start(true).wallUs), 1'000'000.0, 1000.0);
}

TEST(StartAligner, ANewTimestampBaseInTheWarmUpIsNotTakenForLatency) {
    StartAligner a(1'000'000);
    a.add(true, 1000, 90000, 0);
    a.add(true, 4000, 90000, 33'400);
    a.add(true, 900'000'000, 90000, 66'000);  // the source restarted: a random new base
    EXPECT_EQ(a.start(true).wallUs, 0);
    EXPECT_FALSE(a.start(false).seen);
}

TEST(OpusDepacketizer, DurationsFromTheToc) {
    const uint8_t celt20[] = {0xf8, 1, 2};       // config 31, code 0: one 20 ms frame
    const uint8_t silk60x2[] = {0x1b, 1, 2};     // config 3 (60 ms), code 3 ... needs count
    const uint8_t silk10x2[] = {0x01, 1, 2};     // config 0 (10 ms), code 1: two frames
    const uint8_t code3[] = {0xfb, 0x03, 1, 2};  // 3 x 20 ms
    const uint8_t tooLong[] = {0x1b, 0x03};      // 3 x 60 ms > 120 ms
    EXPECT_EQ(OpusDepacketizer::packetSamples(celt20, sizeof celt20), 960u);
    EXPECT_EQ(OpusDepacketizer::packetSamples(silk10x2, sizeof silk10x2), 960u);
    EXPECT_EQ(OpusDepacketizer::packetSamples(code3, sizeof code3), 2880u);
    EXPECT_EQ(OpusDepacketizer::packetSamples(tooLong, sizeof tooLong), 0u);
    EXPECT_EQ(OpusDepacketizer::packetSamples(silk60x2, 1), 0u);  // code 3 without count
    EXPECT_EQ(OpusDepacketizer::packetSamples(celt20, 0), 0u);
}

TEST(OpusDepacketizer, RealEncoderPacketsAreTwentyMilliseconds) {
    auto packets = testutil::audioRtp(50);
    ASSERT_GE(packets.size(), 45u);
    OpusDepacketizer d;
    for (const auto& p : packets) {
        RtpView v;
        ASSERT_TRUE(RtpView::parse(p.data(), p.size(), v));
        ASSERT_TRUE(d.push(v.payload, v.payloadSize));
        EXPECT_EQ(d.samples(), 960u);
    }
    EXPECT_EQ(d.malformed(), 0u);
}
