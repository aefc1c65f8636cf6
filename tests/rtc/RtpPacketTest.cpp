#include <gtest/gtest.h>

#include <vector>

#include "rtc/H264.hpp"
#include "rtc/RtpPacket.hpp"

namespace {

// V=2, X=1, CC=1, M=1 PT=111, seq 0xFFFF, ts, ssrc, csrc, one-byte extensions:
// id 1 len 1 (2 bytes), id 3 len 3 (4 bytes), padding 0; payload "abc"; RTP padding 3.
std::vector<uint8_t> sample() {
    return {0xB1, 0xEF, 0xFF, 0xFF, 0x00, 0x00, 0x30, 0x39, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00,
            0x00, 0x07,              // CSRC
            0xBE, 0xDE, 0x00, 0x02,  // extension: 2 words
            0x11, 0xAA, 0xBB, 0x33, 0x01, 0x02, 0x03, 0x04, 'a',  'b',  'c',  0x00, 0x00, 0x03};
}

TEST(RtpPacket, ParsesEveryField) {
    auto buf = sample();
    auto p = rtc::RtpPacket::parse(buf.data(), buf.size());
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->padding());
    EXPECT_TRUE(p->hasExtension());
    EXPECT_TRUE(p->marker());
    EXPECT_EQ(p->payloadType(), 111);
    EXPECT_EQ(p->sequence(), 0xFFFF);
    EXPECT_EQ(p->timestamp(), 12345u);
    EXPECT_EQ(p->ssrc(), 0xDEADBEEFu);
    EXPECT_EQ(p->csrcCount(), 1);
    EXPECT_EQ(p->csrc(0), 7u);
    EXPECT_EQ(p->headerSize(), 28u);
    EXPECT_EQ(p->payloadSize(), 3u);
    EXPECT_EQ(p->paddingSize(), 3u);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(p->payload()), 3), "abc");
    EXPECT_TRUE(p->oneByteExtensions());
    auto e1 = p->extension(1);
    ASSERT_TRUE(e1);
    EXPECT_EQ(e1.size, 2u);
    EXPECT_EQ(e1.data[0], 0xAA);
    auto e3 = p->extension(3);
    ASSERT_TRUE(e3);
    EXPECT_EQ(e3.size, 4u);
    EXPECT_EQ(e3.data[3], 0x04);
    EXPECT_FALSE(p->extension(2));
}

TEST(RtpPacket, SettersWriteInPlace) {
    auto buf = sample();
    auto p = rtc::RtpPacket::parse(buf.data(), buf.size());
    ASSERT_TRUE(p);
    p->setSequence(1);
    p->setTimestamp(0xFFFFFFFF);
    p->setSsrc(42);
    p->setPayloadType(96);
    p->setMarker(false);
    const uint8_t v[] = {0x55, 0x66};
    EXPECT_TRUE(p->setExtension(1, v, 2));
    EXPECT_FALSE(p->setExtension(1, v, 1));  // size differs
    EXPECT_FALSE(p->setExtension(9, v, 2));  // absent
    EXPECT_TRUE(p->setExtensionId(3, 9));
    EXPECT_FALSE(p->setExtensionId(1, 15));  // does not fit the one-byte form
    auto q = rtc::RtpPacket::parse(buf.data(), buf.size());
    EXPECT_EQ(q->sequence(), 1);
    EXPECT_EQ(q->timestamp(), 0xFFFFFFFFu);
    EXPECT_EQ(q->ssrc(), 42u);
    EXPECT_EQ(q->payloadType(), 96);
    EXPECT_FALSE(q->marker());
    EXPECT_TRUE(q->padding());
    EXPECT_EQ(q->extension(1).data[0], 0x55);
    EXPECT_TRUE(q->extension(9));
    EXPECT_FALSE(q->extension(3));
}

TEST(RtpPacket, TwoByteExtensions) {
    std::vector<uint8_t> buf = {0x90, 96,   0, 1,    0,    0,    0,    1,    0,
                                0,    0,    1, 0x10, 0x00, 0x00, 0x02,  // two-byte profile, 2 words
                                0x05, 0x03, 1, 2,    3,    0x00, 0x00, 0x00, 'x'};
    auto p = rtc::RtpPacket::parse(buf.data(), buf.size());
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->twoByteExtensions());
    auto e = p->extension(5);
    ASSERT_TRUE(e);
    EXPECT_EQ(e.size, 3u);
    EXPECT_EQ(e.data[2], 3);
    EXPECT_TRUE(p->setExtensionId(5, 200));
    EXPECT_TRUE(p->extension(200));
    EXPECT_EQ(p->payloadSize(), 1u);
}

TEST(RtpPacket, RejectsMalformed) {
    auto ok = sample();
    struct Case {
        const char* what;
        std::vector<uint8_t> bytes;
    };
    std::vector<Case> cases = {
        {"empty", {}},
        {"short", {0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0}},
        {"version 1", {0x40, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}},
        {"csrc past end", {0x82, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}},
        {"extension header past end", {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE}},
        {"extension past end", {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0, 5, 0}},
        {"padding zero", {0xA0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0}},
        {"padding too long", {0xA0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 9}},
    };
    for (auto& c : cases)
        EXPECT_FALSE(rtc::RtpPacket::parse(c.bytes.data(), c.bytes.size())) << c.what;
    // Every truncation of a valid packet is either rejected or still self-consistent.
    for (size_t n = 0; n < ok.size(); ++n) {
        auto cut = std::vector<uint8_t>(ok.begin(), ok.begin() + n);
        if (auto p = rtc::RtpPacket::parse(cut.data(), cut.size())) {
            EXPECT_LE(p->headerSize() + p->payloadSize() + p->paddingSize(), n);
        }
    }
}

TEST(RtpPacket, HeaderAndRtx) {
    uint8_t buf[64];
    ASSERT_EQ(rtc::writeRtpHeader(buf, sizeof buf, 96, true, 500, 9000, 77), 12u);
    EXPECT_EQ(rtc::writeRtpHeader(buf, 11, 96, true, 500, 9000, 77), 0u);
    auto orig = sample();
    auto p = rtc::RtpPacket::parse(orig.data(), orig.size());
    uint8_t out[64];
    const size_t n = rtc::buildRtx(*p, 97, 0xABCD, 7, out, sizeof out);
    ASSERT_EQ(n, 28u + 2 + 3);
    auto r = rtc::RtpPacket::parse(out, n);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->payloadType(), 97);
    EXPECT_EQ(r->ssrc(), 0xABCDu);
    EXPECT_EQ(r->sequence(), 7);
    EXPECT_TRUE(r->marker());
    EXPECT_FALSE(r->padding());
    EXPECT_EQ(r->timestamp(), 12345u);
    EXPECT_EQ(rtc::load16(r->payload()), 0xFFFF);  // OSN
    EXPECT_EQ(r->payload()[2], 'a');
    EXPECT_TRUE(r->extension(3));
    EXPECT_EQ(rtc::buildRtx(*p, 97, 1, 1, out, 20), 0u);
}

TEST(H264, KeyframeDetection) {
    struct Case {
        const char* what;
        std::vector<uint8_t> payload;
        bool key;
    };
    const Case cases[] = {
        {"single IDR", {0x65, 0x88}, true},
        {"single SPS", {0x67, 0x42}, true},
        {"single non-IDR", {0x41, 0x9A}, false},
        {"single PPS", {0x68, 0xCE}, false},
        {"STAP-A SPS+PPS", {0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xCE}, true},
        {"STAP-A SEI+slice", {0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x41, 0x9A}, false},
        {"STAP-A truncated", {0x78, 0x00, 0x09, 0x67}, false},
        {"FU-A IDR start", {0x7C, 0x85, 0x88}, true},
        {"FU-A IDR middle", {0x7C, 0x05, 0x88}, false},
        {"FU-A non-IDR start", {0x7C, 0x81, 0x9A}, false},
        {"FU-A truncated", {0x7C}, false},
        {"empty", {}, false},
    };
    for (const auto& c : cases)
        EXPECT_EQ(rtc::h264::isKeyframe(c.payload.data(), c.payload.size()), c.key) << c.what;
    const uint8_t fu[] = {0x7C, 0x85};
    EXPECT_EQ(rtc::h264::nalType(fu, 2), 5);
}

}  // namespace
