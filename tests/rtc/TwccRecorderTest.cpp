// TwccRecorder: recorded (transport seq, arrival) pairs come back out of the RTCP
// transport-cc feedback it writes, decoded by our parser the way a sender does it.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "rtc/RtcpPacket.hpp"
#include "rtc/TwccRecorder.hpp"

namespace rtcp = rtc::rtcp;

namespace {

struct Arrival {
    uint16_t seq;
    int64_t us;
};

// What a sender learns: per 16-bit seq, received (arrival in 250 µs ticks) or lost.
struct Decoded {
    std::map<uint32_t, std::optional<int64_t>> bySeq;  // key: seq as reported (unwrapped)
    std::vector<uint8_t> counts;                       // feedback packet count field
    std::vector<size_t> sizes;                         // packets per feedback
};

void decodeInto(const uint8_t* buf, size_t n, Decoded& d, uint32_t& unwrapBase, bool& first) {
    std::optional<rtcp::TransportCc> fb;
    ASSERT_TRUE(
        rtcp::forEach(buf, n, [&](const rtcp::Header& h) { fb = rtcp::parseTransportCc(h); }));
    ASSERT_TRUE(fb);
    EXPECT_EQ(fb->senderSsrc, 7u);
    EXPECT_EQ(fb->mediaSsrc, 9u);
    d.counts.push_back(fb->feedbackCount);
    d.sizes.push_back(fb->packets.size());
    int64_t ticks = int64_t{fb->referenceTime} * 256;
    if (first) {
        unwrapBase = fb->baseSeq;
        first = false;
    }
    // Unwrap against the previous base (as libwebrtc's SequenceNumberUnwrapper does).
    const int16_t diff =
        static_cast<int16_t>(static_cast<uint16_t>(fb->baseSeq - uint16_t(unwrapBase)));
    const uint32_t base = unwrapBase + diff;
    unwrapBase = base;
    for (size_t i = 0; i < fb->packets.size(); ++i) {
        const auto& p = fb->packets[i];
        const uint32_t seq = base + static_cast<uint32_t>(i);
        if (p.received) {
            ticks += p.delta;
            d.bySeq[seq] = ticks;
        } else if (!d.bySeq.count(seq)) {
            d.bySeq[seq] = std::nullopt;
        }
    }
}

// Feeds arrivals, flushing every `flushEvery` packets (0 = once at the end).
Decoded run(const std::vector<Arrival>& in, size_t flushEvery) {
    rtc::TwccRecorder rec;
    Decoded d;
    uint32_t unwrapBase = 0;
    bool first = true;
    uint8_t buf[1500];
    auto flush = [&] {
        while (size_t n = rec.writeFeedback(7, 9, buf, sizeof buf)) {
            EXPECT_EQ(n % 4, 0u);
            EXPECT_LE(n, 1200u);
            decodeInto(buf, n, d, unwrapBase, first);
        }
        EXPECT_EQ(rec.pending(), 0u);
    };
    for (size_t i = 0; i < in.size(); ++i) {
        rec.onPacket(in[i].seq, in[i].us);
        if (rec.full() || (flushEvery && (i + 1) % flushEvery == 0)) flush();
    }
    flush();
    return d;
}

struct Case {
    const char* what;
    std::vector<Arrival> in;
    size_t flushEvery;
    // Expected: seq offset from the first seq -> arrival µs or lost (-1).
    std::vector<std::pair<uint32_t, int64_t>> expect;
};

std::vector<Arrival> steady(uint16_t firstSeq, size_t n, int64_t t0, int64_t stepUs) {
    std::vector<Arrival> v;
    for (size_t i = 0; i < n; ++i)
        v.push_back({static_cast<uint16_t>(firstSeq + i), t0 + static_cast<int64_t>(i) * stepUs});
    return v;
}

TEST(TwccRecorder, TableRoundTrip) {
    const int64_t t0 = 5'000'123'456;  // arbitrary steady-clock µs
    std::vector<Case> cases;
    {
        Case c{"in order, small deltas", steady(100, 20, t0, 1000), 0, {}};
        for (uint32_t i = 0; i < 20; ++i) c.expect.push_back({i, t0 + i * 1000});
        cases.push_back(c);
    }
    {
        Case c{"sequence wrap across feedbacks", steady(65530, 14, t0, 2000), 4, {}};
        for (uint32_t i = 0; i < 14; ++i) c.expect.push_back({i, t0 + i * 2000});
        cases.push_back(c);
    }
    {
        // 3 and 4 lost, 6 before 5 (negative delta), 8 arrives 70 ms late (large delta).
        Case c{"loss, reordering, large delta",
               {{0, t0},
                {1, t0 + 500},
                {2, t0 + 1000},
                {6, t0 + 1500},
                {5, t0 + 1750},
                {7, t0 + 2000},
                {8, t0 + 72000},
                {9, t0 + 72100}},
               0,
               {{0, t0},
                {1, t0 + 500},
                {2, t0 + 1000},
                {3, -1},
                {4, -1},
                {5, t0 + 1750},
                {6, t0 + 1500},
                {7, t0 + 2000},
                {8, t0 + 72000},
                {9, t0 + 72100}}};
        cases.push_back(c);
    }
    {
        // 10 s of silence: the delta does not fit 16 bits; a second feedback starts there.
        Case c{"gap longer than a 16-bit delta",
               {{40, t0}, {41, t0 + 10'000'000}},
               0,
               {{0, t0}, {1, t0 + 10'000'000}}};
        cases.push_back(c);
    }
    {
        Case c{"more than one feedback's worth", steady(1000, 1000, t0, 300), 0, {}};
        for (uint32_t i = 0; i < 1000; ++i) c.expect.push_back({i, t0 + i * 300});
        cases.push_back(c);
    }
    {
        // Wrap in the middle of one feedback, with losses on both sides of it.
        Case c{"wrap inside one feedback with losses",
               {{65533, t0}, {65535, t0 + 250}, {1, t0 + 750}, {2, t0 + 1000}},
               0,
               {{0, t0}, {1, -1}, {2, t0 + 250}, {3, -1}, {4, t0 + 750}, {5, t0 + 1000}}};
        cases.push_back(c);
    }
    for (const Case& c : cases) {
        SCOPED_TRACE(c.what);
        const Decoded d = run(c.in, c.flushEvery);
        ASSERT_FALSE(d.bySeq.empty());
        const uint32_t first = d.bySeq.begin()->first;
        ASSERT_EQ(d.bySeq.size(), c.expect.size());
        for (const auto& [off, us] : c.expect) {
            auto it = d.bySeq.find(first + off);
            ASSERT_NE(it, d.bySeq.end()) << "seq +" << off;
            if (us < 0) {
                EXPECT_FALSE(it->second.has_value()) << "seq +" << off << " should be lost";
            } else {
                ASSERT_TRUE(it->second.has_value()) << "seq +" << off;
                EXPECT_EQ(*it->second, us / 250) << "seq +" << off;  // 250 µs resolution
            }
        }
        // Feedback packet count increments by one per packet.
        for (size_t i = 1; i < d.counts.size(); ++i)
            EXPECT_EQ(d.counts[i], static_cast<uint8_t>(d.counts[i - 1] + 1));
        for (size_t s : d.sizes) EXPECT_LE(s, rtc::TwccRecorder::kMaxPacketsPerFeedback);
    }
}

TEST(TwccRecorder, LateAndDuplicatePacketsAreNotReportedTwice) {
    rtc::TwccRecorder rec;
    uint8_t buf[1500];
    rec.onPacket(10, 1000);
    rec.onPacket(12, 2000);
    ASSERT_GT(rec.writeFeedback(7, 9, buf, sizeof buf), 0u);  // 11 reported lost
    EXPECT_EQ(rec.writeFeedback(7, 9, buf, sizeof buf), 0u);
    rec.onPacket(11, 3000);  // too late
    rec.onPacket(12, 3000);  // duplicate of a reported one
    rec.onPacket(13, 4000);
    rec.onPacket(13, 4100);  // duplicate of a pending one
    EXPECT_EQ(rec.lateOrDuplicate(), 3u);
    EXPECT_EQ(rec.pending(), 1u);
    const size_t n = rec.writeFeedback(7, 9, buf, sizeof buf);
    ASSERT_GT(n, 0u);
    std::optional<rtcp::TransportCc> fb;
    rtcp::forEach(buf, n, [&](const rtcp::Header& h) { fb = rtcp::parseTransportCc(h); });
    ASSERT_TRUE(fb);
    EXPECT_EQ(fb->baseSeq, 13);
    ASSERT_EQ(fb->packets.size(), 1u);
    EXPECT_EQ(fb->feedbackCount, 1);
}

TEST(TwccRecorder, SenderRestartStartsANewWindow) {
    rtc::TwccRecorder rec;
    rec.onPacket(100, 1000);
    rec.onPacket(101, 2000);
    rec.onPacket(30000, 3000);  // far ahead: a new counter, not 29,898 losses
    EXPECT_EQ(rec.pending(), 1u);
    uint8_t buf[1500];
    const size_t n = rec.writeFeedback(7, 9, buf, sizeof buf);
    std::optional<rtcp::TransportCc> fb;
    rtcp::forEach(buf, n, [&](const rtcp::Header& h) { fb = rtcp::parseTransportCc(h); });
    ASSERT_TRUE(fb);
    EXPECT_EQ(fb->baseSeq, 30000);
    EXPECT_EQ(fb->packets.size(), 1u);
    // Far behind what was reported: also a restart, not a late packet forever.
    rec.onPacket(5, 4000);
    rec.onPacket(6, 5000);
    EXPECT_EQ(rec.pending(), 2u);
    const size_t m = rec.writeFeedback(7, 9, buf, sizeof buf);
    fb.reset();
    rtcp::forEach(buf, m, [&](const rtcp::Header& h) { fb = rtcp::parseTransportCc(h); });
    ASSERT_TRUE(fb);
    EXPECT_EQ(fb->baseSeq, 5);
    EXPECT_EQ(fb->packets.size(), 2u);
    EXPECT_EQ(rec.lateOrDuplicate(), 0u);
}

}  // namespace
