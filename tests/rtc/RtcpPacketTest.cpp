#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "rtc/ByteWriter.hpp"
#include "rtc/RtcpPacket.hpp"

namespace rtcp = rtc::rtcp;

namespace {

std::vector<rtcp::Header> walk(const std::vector<uint8_t>& b, bool* ok = nullptr) {
    std::vector<rtcp::Header> out;
    bool r = rtcp::forEach(b.data(), b.size(), [&](const rtcp::Header& h) { out.push_back(h); });
    if (ok) *ok = r;
    return out;
}

rtcp::Header one(const std::vector<uint8_t>& b) {
    auto hs = walk(b);
    EXPECT_EQ(hs.size(), 1u);
    return hs.empty() ? rtcp::Header{} : hs[0];
}

TEST(Rtcp, CompoundSrSdesRoundTrip) {
    rtcp::SenderReport sr;
    sr.ssrc = 0x11223344;
    sr.ntp = 0xE5A1B2C3D4E5F607ull;
    sr.rtpTimestamp = 90000;
    sr.packetCount = 10;
    sr.octetCount = 12000;
    rtcp::ReportBlock rb{0xAABBCCDD, 25, -3, 0x0001FFFF, 44, 0x12345678, 65536};
    sr.reports = {rb};
    uint8_t buf[200];
    size_t n = rtcp::writeSr(sr, buf, sizeof buf);
    ASSERT_EQ(n, 28u + 24);
    const size_t m =
        rtcp::writeSdes({{0x11223344, "cname-1"}, {5, "abcdefgh"}}, buf + n, sizeof buf - n);
    ASSERT_GT(m, 0u);
    std::vector<uint8_t> compound(buf, buf + n + m);
    bool ok = false;
    auto hs = walk(compound, &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(hs.size(), 2u);
    auto p = rtcp::parseSr(hs[0]);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->ssrc, sr.ssrc);
    EXPECT_EQ(p->ntp, sr.ntp);
    EXPECT_EQ(p->rtpTimestamp, 90000u);
    EXPECT_EQ(p->packetCount, 10u);
    EXPECT_EQ(p->octetCount, 12000u);
    ASSERT_EQ(p->reports.size(), 1u);
    EXPECT_EQ(p->reports[0], rb);
    auto sdes = rtcp::parseSdes(hs[1]);
    ASSERT_TRUE(sdes);
    ASSERT_EQ(sdes->size(), 2u);
    EXPECT_EQ((*sdes)[0].cname, "cname-1");
    EXPECT_EQ((*sdes)[1].ssrc, 5u);
    EXPECT_EQ((*sdes)[1].cname, "abcdefgh");
    EXPECT_FALSE(rtcp::parseRr(hs[0]));  // wrong type
}

TEST(Rtcp, RrAndByeRoundTrip) {
    rtcp::ReceiverReport rr;
    rr.ssrc = 1;
    for (uint32_t i = 0; i < 3; ++i)
        rr.reports.push_back({i, uint8_t(i), int32_t(i) * 1000, i, i, i, i});
    uint8_t buf[128];
    size_t n = rtcp::writeRr(rr, buf, sizeof buf);
    ASSERT_EQ(n, 8u + 72);
    auto p = rtcp::parseRr(one({buf, buf + n}));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->reports.size(), 3u);
    EXPECT_EQ(p->reports[2].cumulativeLost, 2000);
    EXPECT_EQ(rtcp::writeRr(rr, buf, 79), 0u);  // too small

    n = rtcp::writeBye({{7, 8}}, buf, sizeof buf);
    auto b = rtcp::parseBye(one({buf, buf + n}));
    ASSERT_TRUE(b);
    EXPECT_EQ(b->ssrcs, (std::vector<uint32_t>{7, 8}));
}

TEST(Rtcp, NackExpandsAndBuilds) {
    // Wire bytes: PID 65535, BLP 0b101 -> 65535, 0, 2; second item PID 100, BLP 0.
    const std::vector<uint8_t> wire = {0x81, 205, 0x00, 0x04, 0,    0,    0,    1,    0,    0,
                                       0,    2,   0xFF, 0xFF, 0x00, 0x05, 0x00, 0x64, 0x00, 0x00};
    auto n = rtcp::parseNack(one(wire));
    ASSERT_TRUE(n);
    EXPECT_EQ(n->senderSsrc, 1u);
    EXPECT_EQ(n->mediaSsrc, 2u);
    EXPECT_EQ(n->seqs, (std::vector<uint16_t>{65535, 0, 2, 100}));
    uint8_t buf[64];
    const size_t len = rtcp::writeNack(*n, buf, sizeof buf);
    EXPECT_EQ(std::vector<uint8_t>(buf, buf + len), wire);

    // Table: seq lists -> number of FCI items.
    struct Case {
        std::vector<uint16_t> seqs;
        size_t items;
    };
    const Case cases[] = {{{1}, 1},          {{1, 17}, 1},
                          {{1, 18}, 2},      {{65530, 65535, 3, 9}, 1},
                          {{10, 10, 11}, 1}, {{0, 100, 200, 201}, 3}};
    for (const auto& c : cases) {
        rtcp::Nack in{9, 10, c.seqs};
        size_t l = rtcp::writeNack(in, buf, sizeof buf);
        EXPECT_EQ(l, 12 + 4 * c.items);
        auto back = rtcp::parseNack(one({buf, buf + l}));
        ASSERT_TRUE(back);
        std::vector<uint16_t> want = c.seqs;
        want.erase(std::unique(want.begin(), want.end()), want.end());
        EXPECT_EQ(back->seqs, want);
    }
}

TEST(Rtcp, PliFirRemb) {
    const std::vector<uint8_t> pliWire = {0x81, 206, 0, 2, 0, 0, 0, 1, 0xDE, 0xAD, 0xBE, 0xEF};
    auto pli = rtcp::parsePli(one(pliWire));
    ASSERT_TRUE(pli);
    EXPECT_EQ(pli->mediaSsrc, 0xDEADBEEFu);
    uint8_t buf[64];
    EXPECT_EQ(std::vector<uint8_t>(buf, buf + rtcp::writePli(*pli, buf, sizeof buf)), pliWire);

    rtcp::Fir fir{3, {{0xABCDEF01, 7}}};
    size_t n = rtcp::writeFir(fir, buf, sizeof buf);
    ASSERT_EQ(n, 20u);
    EXPECT_EQ(buf[0], 0x84);
    auto f = rtcp::parseFir(one({buf, buf + n}));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->entries[0].ssrc, 0xABCDEF01u);
    EXPECT_EQ(f->entries[0].seqNr, 7);
    EXPECT_FALSE(rtcp::parsePli(one({buf, buf + n})));

    // REMB as libwebrtc writes it: 1,500,000 bit/s = 0x16E360 -> exp 3, mantissa 187500.
    rtcp::Remb remb{1, 1500000, {0x1234}};
    n = rtcp::writeRemb(remb, buf, sizeof buf);
    ASSERT_EQ(n, 24u);
    EXPECT_EQ(buf[0], 0x8F);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(buf + 12), 4), "REMB");
    auto r = rtcp::parseRemb(one({buf, buf + n}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->bitrate, 1500000u);
    EXPECT_EQ(r->ssrcs, (std::vector<uint32_t>{0x1234}));
    rtcp::Remb big{1, 123456789012ull, {}};
    n = rtcp::writeRemb(big, buf, sizeof buf);
    auto rb = rtcp::parseRemb(one({buf, buf + n}));
    ASSERT_TRUE(rb);
    EXPECT_NEAR(double(rb->bitrate), 123456789012.0, 123456789012.0 / (1 << 17));
}

TEST(Rtcp, TransportCcParsesDraftChunks) {
    // base 10, count 5, ref -1 (0xFFFFFF), fb count 3; one 2-bit vector chunk:
    // 11 | 1 2 0 1 0 0 0 -> 1 (small) 2 (large) 0 (lost) 1 (small) 0 ; deltas 4, -2 (i16), 250.
    const std::vector<uint8_t> wire = {0x8F, 205,  0x00, 0x06, 0,    0,    0,    1,    0,    0,
                                       0,    2,    0x00, 0x0A, 0x00, 0x05, 0xFF, 0xFF, 0xFF, 0x03,
                                       0xD8, 0x40, 0x04, 0xFF, 0xFE, 0xFA, 0x00, 0x00};
    auto fb = rtcp::parseTransportCc(one(wire));
    ASSERT_TRUE(fb);
    EXPECT_EQ(fb->baseSeq, 10);
    EXPECT_EQ(fb->referenceTime, -1);
    EXPECT_EQ(fb->feedbackCount, 3);
    ASSERT_EQ(fb->packets.size(), 5u);
    EXPECT_TRUE(fb->packets[0].received);
    EXPECT_EQ(fb->packets[0].delta, 4);
    EXPECT_EQ(fb->packets[1].delta, -2);
    EXPECT_FALSE(fb->packets[2].received);
    EXPECT_EQ(fb->packets[3].delta, 250);
    EXPECT_FALSE(fb->packets[4].received);

    // Run-length chunk (symbol 1, run 221) and a one-bit vector chunk.
    std::vector<uint8_t> rle = {0x8F, 205,  0,    0,   0, 0, 0, 1, 0,    0,    0,    2,
                                0x00, 0x00, 0x00, 235, 0, 0, 0, 0, 0x20, 0xDD, 0x9F, 0xFF};
    for (int i = 0; i < 234; ++i) rle.push_back(1);
    while (rle.size() % 4) rle.push_back(0);
    rtc::store16(rle.data() + 2, static_cast<uint16_t>(rle.size() / 4 - 1));
    auto r = rtcp::parseTransportCc(one(rle));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->packets.size(), 235u);
    EXPECT_TRUE(r->packets[220].received);
    EXPECT_FALSE(r->packets[221].received);  // chunk 0x9FFF: 1 0 | 0 then 13 x 1
    EXPECT_TRUE(r->packets[222].received);
}

TEST(Rtcp, TransportCcRoundTrip) {
    rtcp::TransportCc fb;
    fb.senderSsrc = 1;
    fb.mediaSsrc = 2;
    fb.baseSeq = 65530;
    fb.referenceTime = 123456;
    fb.feedbackCount = 9;
    // Runs, singles, lost, large and negative deltas.
    for (int i = 0; i < 40; ++i) fb.packets.push_back({true, 4});
    fb.packets.push_back({false, 0});
    fb.packets.push_back({true, 300});
    fb.packets.push_back({true, -40});
    for (int i = 0; i < 10; ++i) fb.packets.push_back({false, 0});
    fb.packets.push_back({true, 0});
    uint8_t buf[256];
    const size_t n = rtcp::writeTransportCc(fb, buf, sizeof buf);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(n % 4, 0u);
    auto back = rtcp::parseTransportCc(one({buf, buf + n}));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->baseSeq, 65530);
    EXPECT_EQ(back->referenceTime, 123456);
    EXPECT_EQ(back->feedbackCount, 9);
    ASSERT_EQ(back->packets.size(), fb.packets.size());
    for (size_t i = 0; i < fb.packets.size(); ++i) {
        EXPECT_EQ(back->packets[i].received, fb.packets[i].received) << i;
        EXPECT_EQ(back->packets[i].delta, fb.packets[i].delta) << i;
    }
    fb.packets.push_back({true, 40000});  // does not fit 16 bits
    EXPECT_EQ(rtcp::writeTransportCc(fb, buf, sizeof buf), 0u);
}

TEST(Rtcp, RejectsMalformed) {
    struct Case {
        const char* what;
        std::vector<uint8_t> bytes;
    };
    const Case compounds[] = {
        {"empty", {}},
        {"short header", {0x80, 200}},
        {"version 1", {0x40, 201, 0, 1, 0, 0, 0, 1}},
        {"length past end", {0x80, 201, 0, 5, 0, 0, 0, 1}},
        {"trailing bytes", {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80}},
        {"padding count too big", {0xA0, 201, 0, 1, 0, 0, 0, 9}},
    };
    for (const auto& c : compounds)
        EXPECT_FALSE(rtcp::isValidCompound(c.bytes.data(), c.bytes.size())) << c.what;

    // Packet-level: counts that do not fit their length.
    EXPECT_FALSE(rtcp::parseSr(one({0x81, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                    0,    0,   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})));
    EXPECT_FALSE(rtcp::parseRr(one({0x82, 201, 0, 1, 0, 0, 0, 1})));
    EXPECT_FALSE(rtcp::parseBye(one({0x82, 203, 0, 1, 0, 0, 0, 1})));
    EXPECT_FALSE(rtcp::parseNack(one({0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2})));  // no FCI
    EXPECT_FALSE(rtcp::parseSdes(one({0x81, 202, 0, 1, 0, 0, 0, 1})));              // no end item
    EXPECT_FALSE(rtcp::parseRemb(
        one({0x8F, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'X', 0, 0, 0, 0})));
    // TWCC whose status count needs more chunks than present / a reserved symbol.
    EXPECT_FALSE(rtcp::parseTransportCc(
        one({0x8F, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0})));
    EXPECT_FALSE(rtcp::parseTransportCc(
        one({0x8F, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x01, 0, 0})));
}

}  // namespace
