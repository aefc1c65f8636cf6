#include <gtest/gtest.h>

#include <vector>

#include "recorder/ReorderBuffer.hpp"

using recorder::ReorderBuffer;

namespace {

struct Out {
    std::vector<uint8_t> tags;  // first byte of each released packet
    std::vector<bool> lost;
};

void push(ReorderBuffer& b, Out& out, uint32_t ssrc, uint16_t seq, uint8_t tag) {
    b.push(ssrc, seq, std::vector<uint8_t>{tag}, [&](const std::vector<uint8_t>& p, bool lost) {
        out.tags.push_back(p[0]);
        out.lost.push_back(lost);
    });
}

}  // namespace

TEST(ReorderBuffer, PutsPacketsBackInOrderAcrossTheSequenceWrap) {
    ReorderBuffer b(8);
    Out out;
    push(b, out, 1, 65534, 1);
    push(b, out, 1, 0, 3);  // 65535 is late
    push(b, out, 1, 65535, 2);
    push(b, out, 1, 1, 4);
    EXPECT_EQ(out.tags, (std::vector<uint8_t>{1, 2, 3, 4}));
    EXPECT_EQ(b.lost(), 0u);
}

TEST(ReorderBuffer, AGapStaysOpenUntilDepthPacketsAreHeldThenCountsAsLost) {
    ReorderBuffer b(3);
    Out out;
    push(b, out, 1, 10, 1);
    for (uint16_t s = 12; s <= 14; ++s) push(b, out, 1, s, uint8_t(s));
    EXPECT_EQ(out.tags, (std::vector<uint8_t>{1}));  // 11 may still come (NACK)
    push(b, out, 1, 15, 15);
    EXPECT_EQ(out.tags, (std::vector<uint8_t>{1, 12, 13, 14, 15}));
    EXPECT_EQ(out.lost, (std::vector<bool>{false, true, false, false, false}));
    EXPECT_EQ(b.lost(), 1u);
    push(b, out, 1, 11, 11);  // too late now
    EXPECT_EQ(b.late(), 1u);
}

// A restarted encoder (new SSRC) whose random sequence numbers start just behind the old
// ones: its packets are a new stream, not late ones.
TEST(ReorderBuffer, ANewSsrcStartsAfreshEvenWithSequenceNumbersJustBehind) {
    ReorderBuffer b(8);
    Out out;
    for (uint16_t s = 5000; s < 5010; ++s) push(b, out, 1, s, 1);
    for (uint16_t s = 4500; s < 4510; ++s) push(b, out, 2, s, 2);
    ASSERT_EQ(out.tags.size(), 20u);
    EXPECT_EQ(b.late(), 0u);
    EXPECT_TRUE(out.lost[10]) << "the first packet of the new stream marks a discontinuity";
    EXPECT_FALSE(out.lost[11]);
}
