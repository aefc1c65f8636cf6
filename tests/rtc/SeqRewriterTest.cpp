#include <gtest/gtest.h>

#include <memory>

#include "rtc/RtxBuffer.hpp"
#include "rtc/SeqRewriter.hpp"

namespace {

TEST(SeqRewriter, PassThroughAcrossWraps) {
    rtc::SeqRewriter r(90000);
    uint16_t s;
    uint32_t t;
    uint16_t seq = 65530;
    uint32_t ts = 0xFFFFF000u;
    for (int i = 0; i < 20; ++i, ++seq, ts += 3000) {
        ASSERT_TRUE(r.rewrite(1, seq, ts, i * 33, s, t));
        EXPECT_EQ(s, seq);
        EXPECT_EQ(t, ts);
    }
    EXPECT_EQ(r.switches(), 0u);
}

TEST(SeqRewriter, SourceSwitchContinuesOutput) {
    rtc::SeqRewriter r(90000);
    uint16_t s = 0, prevS = 0;
    uint32_t t = 0, prevT = 0;
    // Source A near both wraps.
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(r.rewrite(0xA, static_cast<uint16_t>(65530 + i), 0xFFFFFF00u + 3000u * i,
                              1000 + 33 * i, s, t));
    }
    prevS = s, prevT = t;
    // Source B with unrelated numbering, 100 ms later.
    ASSERT_TRUE(r.rewrite(0xB, 1234, 777, 1000 + 33 * 9 + 100, s, t));
    EXPECT_EQ(s, static_cast<uint16_t>(prevS + 1));
    EXPECT_EQ(t, prevT + 9000u);  // 100 ms at 90 kHz
    EXPECT_EQ(r.switches(), 1u);
    ASSERT_TRUE(r.rewrite(0xB, 1235, 777 + 3000, 1500, s, t));
    EXPECT_EQ(s, static_cast<uint16_t>(prevS + 2));
    EXPECT_EQ(t, prevT + 12000u);
    // A reordered packet of B from before the switch point would collide: dropped.
    EXPECT_FALSE(r.rewrite(0xB, 1233, 777 - 3000, 1500, s, t));
    // Reordering after the switch point is kept, mapped consistently.
    ASSERT_TRUE(r.rewrite(0xB, 1237, 777 + 9000, 1550, s, t));
    EXPECT_EQ(s, static_cast<uint16_t>(prevS + 4));
    ASSERT_TRUE(r.rewrite(0xB, 1236, 777 + 6000, 1560, s, t));
    EXPECT_EQ(s, static_cast<uint16_t>(prevS + 3));
    EXPECT_EQ(r.lastSequence(), static_cast<uint16_t>(prevS + 4));  // late one does not rewind

    // Same SSRC restarting (re-published): the router says so; output stays continuous.
    const uint16_t last = r.lastSequence();
    r.sourceChanged();
    ASSERT_TRUE(r.rewrite(0xB, 5, 5, 1600, s, t));
    EXPECT_EQ(s, static_cast<uint16_t>(last + 1));
    EXPECT_EQ(r.switches(), 2u);
}

TEST(SeqRewriter, ImmediateSwitchStillAdvancesTimestamp) {
    rtc::SeqRewriter r(48000);
    uint16_t s;
    uint32_t t, t0;
    ASSERT_TRUE(r.rewrite(1, 10, 100, 5000, s, t0));
    ASSERT_TRUE(r.rewrite(2, 99, 100, 5000, s, t));
    EXPECT_EQ(t, t0 + 1);
}

TEST(RtxBuffer, StoresFindsAndExpires) {
    rtc::RtxBuffer<std::shared_ptr<const int>> b(100, 1000);
    EXPECT_EQ(b.capacity(), 128u);
    for (int i = 0; i < 300; ++i)
        b.store(static_cast<uint16_t>(65500 + i), i, std::make_shared<const int>(i));
    // Newest 128 are held (the ring wraps over seq 65535 -> 0); older ones were overwritten.
    auto* p = b.find(static_cast<uint16_t>(65500 + 299), 299);
    ASSERT_TRUE(p);
    EXPECT_EQ(**p, 299);
    ASSERT_TRUE(b.find(static_cast<uint16_t>(65500 + 172), 299));
    EXPECT_FALSE(b.find(static_cast<uint16_t>(65500 + 171), 299));
    EXPECT_FALSE(b.find(65500, 299));
    // Age limit.
    EXPECT_TRUE(b.find(static_cast<uint16_t>(65500 + 200), 1200));
    EXPECT_FALSE(b.find(static_cast<uint16_t>(65500 + 199), 1200));
    // Overwriting releases the old buffer (shared ownership ends with the slot).
    auto keep = std::make_shared<const int>(1);
    std::weak_ptr<const int> weak = keep;
    b.store(7, 0, std::move(keep));
    b.store(7 + 128, 1, std::make_shared<const int>(2));
    EXPECT_TRUE(weak.expired());
    b.clear();
    EXPECT_FALSE(b.find(7 + 128, 1));
}

}  // namespace
