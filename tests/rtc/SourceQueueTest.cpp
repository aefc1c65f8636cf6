// SourceQueue: the in-process source handoff ring (a real producer thread, drained here).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"
#include "rtc/SourceQueue.hpp"

using namespace rtc;

TEST(SourceQueueTest, WakesOncePerBurstAndDropsWhenFull) {
    SourceQueue q(8);
    uint8_t pkt[100] = {0x80, 96};
    bool wake = false;
    ASSERT_TRUE(q.push(MediaKind::Video, pkt, sizeof pkt, wake));
    EXPECT_TRUE(wake) << "first packet schedules the drain";
    for (int i = 0; i < 7; ++i) {
        ASSERT_TRUE(q.push(MediaKind::Audio, pkt, 50, wake));
        EXPECT_FALSE(wake) << "already scheduled";
    }
    EXPECT_FALSE(q.push(MediaKind::Audio, pkt, 50, wake)) << "full";
    EXPECT_EQ(q.dropped(), 1u);
    uint8_t big[kMaxRtpSize + 1] = {};
    EXPECT_FALSE(q.push(MediaKind::Audio, big, sizeof big, wake));
    std::vector<std::pair<MediaKind, size_t>> got;
    EXPECT_EQ(q.drain([&](MediaKind k, const uint8_t*, size_t n) { got.emplace_back(k, n); }), 8u);
    ASSERT_EQ(got.size(), 8u);
    EXPECT_EQ(got[0].first, MediaKind::Video);
    EXPECT_EQ(got[0].second, 100u);
    EXPECT_EQ(got[7].second, 50u);
    ASSERT_TRUE(q.push(MediaKind::Video, pkt, 10, wake));
    EXPECT_TRUE(wake) << "re-armed after the ring ran dry";
    q.close();
    EXPECT_FALSE(q.push(MediaKind::Video, pkt, 10, wake));
}

TEST(SourceQueueTest, KeepsOrderAcrossThreads) {
    SourceQueue q(64);
    constexpr uint32_t kPackets = 20000;
    std::atomic<bool> done{false};
    std::thread producer([&] {
        uint8_t pkt[16] = {};
        bool wake;
        for (uint32_t i = 0; i < kPackets;) {
            store32(pkt, i);
            if (q.push(MediaKind::Video, pkt, sizeof pkt, wake))
                ++i;
            else
                std::this_thread::yield();  // full: the test retries rather than drops
        }
        done = true;
    });
    uint32_t next = 0;
    bool ordered = true;
    while (next < kPackets) {
        q.drain([&](MediaKind, const uint8_t* d, size_t) {
            ordered = ordered && load32(d) == next;
            ++next;
        });
        if (next < kPackets) std::this_thread::yield();
    }
    producer.join();
    EXPECT_TRUE(done);
    EXPECT_TRUE(ordered);
    EXPECT_EQ(next, kPackets);
}
