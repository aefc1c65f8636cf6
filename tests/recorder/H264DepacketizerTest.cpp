#include <gtest/gtest.h>

#include <fstream>

#include "GstRtp.hpp"
#include "recorder/H264Depacketizer.hpp"
#include "recorder/H264Sps.hpp"
#include "recorder/ReorderBuffer.hpp"
#include "recorder/Rtp.hpp"

using namespace recorder;

namespace {

struct Result {
    std::vector<AccessUnit> units;
    int fuA = 0, stapA = 0, single = 0;
};

Result depacketize(const std::vector<testutil::Packet>& packets, H264Depacketizer& d,
                   size_t reorderDepth = 16) {
    Result r;
    ReorderBuffer reorder(reorderDepth);
    auto emit = [&](const std::vector<uint8_t>& p, bool lost) {
        RtpView v;
        ASSERT_TRUE(RtpView::parse(p.data(), p.size(), v));
        uint8_t type = v.payload[0] & 0x1f;
        r.fuA += type == 28;
        r.stapA += type == 24;
        r.single += type < 24;
        d.push(v.payload, v.payloadSize, v.timestamp, v.marker, lost, r.units);
    };
    for (const auto& p : packets) {
        RtpView v;
        EXPECT_TRUE(RtpView::parse(p.data(), p.size(), v));
        reorder.push(v.ssrc, v.sequence, p, emit);
    }
    reorder.flush(emit);
    return r;
}

// Writes the units as an H.264 byte stream and has ffmpeg decode it: frames decoded and
// error output.
std::pair<int, std::string> decode(const std::vector<AccessUnit>& units) {
    auto dir = testutil::tempDir("h264");
    auto file = dir / "out.h264";
    {
        std::ofstream o(file, std::ios::binary);
        for (const auto& u : units) {
            size_t pos = 0;
            while (pos + 4 <= u.data.size()) {
                size_t len = size_t(u.data[pos]) << 24 | size_t(u.data[pos + 1]) << 16 |
                             size_t(u.data[pos + 2]) << 8 | u.data[pos + 3];
                o.write("\0\0\0\1", 4);
                o.write(reinterpret_cast<const char*>(u.data.data() + pos + 4), long(len));
                pos += 4 + len;
            }
        }
    }
    std::string errors =
        testutil::run("ffmpeg -nostdin -v error -f h264 -i " + file.string() + " -f null -");
    std::string count = testutil::run(
        "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
        "stream=nb_read_frames -of csv=p=0 " +
        file.string());
    std::filesystem::remove_all(dir);
    return {std::atoi(count.c_str()), errors};
}

}  // namespace

TEST(H264Depacketizer, ReassemblesEveryFrameOfARealPayloader) {
    auto packets = testutil::videoRtp(90);
    int requests = 0;
    H264Depacketizer d([&] { ++requests; });
    auto r = depacketize(packets, d);
    EXPECT_GT(r.fuA, 0) << "the stream must exercise FU-A";
    EXPECT_GT(r.stapA, 0) << "the stream must exercise STAP-A";
    ASSERT_EQ(r.units.size(), 90u);
    EXPECT_TRUE(r.units[0].keyframe);
    int keyframes = 0;
    for (auto& u : r.units) keyframes += u.keyframe;
    EXPECT_EQ(keyframes, 3);
    EXPECT_EQ(requests, 0);
    EXPECT_EQ(d.framesDropped(), 0u);
    auto sps = parseSps(d.sps().data(), d.sps().size());
    ASSERT_TRUE(sps);
    EXPECT_EQ(sps->width, 640);
    EXPECT_EQ(sps->height, 360);
    EXPECT_FALSE(d.pps().empty());
    auto [frames, errors] = decode(r.units);
    EXPECT_EQ(frames, 90);
    EXPECT_EQ(errors, "");
}

TEST(H264Depacketizer, ReorderedPacketsComeOutWhole) {
    auto packets = testutil::videoRtp(60);
    for (size_t i = 10; i + 1 < packets.size(); i += 7) std::swap(packets[i], packets[i + 1]);
    H264Depacketizer d;
    auto r = depacketize(packets, d);
    EXPECT_EQ(r.units.size(), 60u);
    EXPECT_EQ(d.framesDropped(), 0u);
}

TEST(H264Depacketizer, LossDropsFramesUntilTheNextKeyframeAndAsksForOne) {
    auto packets = testutil::videoRtp(90);
    // Find a packet in the middle of frame 40 (frames counted by RTP timestamp).
    size_t victim = 0;
    int frame = -1;
    uint32_t lastTs = 0;
    for (size_t i = 0; i < packets.size(); ++i) {
        RtpView v;
        ASSERT_TRUE(RtpView::parse(packets[i].data(), packets[i].size(), v));
        if (frame < 0 || v.timestamp != lastTs) ++frame, lastTs = v.timestamp;
        if (frame == 40 && !v.marker) {
            victim = i;
            break;
        }
    }
    ASSERT_GT(victim, 0u);
    packets.erase(packets.begin() + long(victim));
    int requests = 0;
    H264Depacketizer d([&] { ++requests; });
    auto r = depacketize(packets, d);
    // Frames 0..39 survive, 40..59 are dropped, 60..89 (from the next IDR) survive.
    EXPECT_EQ(r.units.size(), 70u);
    EXPECT_EQ(d.framesDropped(), 20u);
    EXPECT_GE(requests, 1);
    EXPECT_TRUE(r.units[40].keyframe);
    auto [frames, errors] = decode(r.units);
    EXPECT_EQ(frames, 70);
    EXPECT_EQ(errors, "");
}

TEST(H264Depacketizer, NothingBeforeTheFirstKeyframe) {
    auto packets = testutil::videoRtp(45);
    // Start listening in the middle of the first GOP, as a recorder joining a live source.
    size_t start = packets.size() / 4;
    std::vector<testutil::Packet> late(packets.begin() + long(start), packets.end());
    int requests = 0;
    H264Depacketizer d([&] { ++requests; });
    auto r = depacketize(late, d);
    ASSERT_FALSE(r.units.empty());
    EXPECT_TRUE(r.units[0].keyframe);
    EXPECT_EQ(r.units.size(), 15u);
    EXPECT_GE(requests, 1);
}

TEST(H264Depacketizer, MalformedPayloadsAreCountedNotFatal) {
    H264Depacketizer d;
    std::vector<AccessUnit> out;
    const uint8_t stapBad[] = {24, 0, 50, 0x67};     // length beyond the packet
    const uint8_t fuShort[] = {28};                  // FU-A without its header
    const uint8_t fuMiddle[] = {28, 0x05, 1, 2, 3};  // continuation without a start
    const uint8_t stapB[] = {25, 0, 0};
    d.push(stapBad, sizeof stapBad, 1, true, false, out);
    d.push(fuShort, sizeof fuShort, 2, true, false, out);
    d.push(fuMiddle, sizeof fuMiddle, 3, true, false, out);
    d.push(stapB, sizeof stapB, 4, true, false, out);
    EXPECT_TRUE(out.empty());
    EXPECT_GE(d.malformed(), 3u);
}

TEST(RtpView, RejectsTruncatedHeaders) {
    const uint8_t shortPkt[] = {0x80, 96, 0, 1};
    RtpView v;
    EXPECT_FALSE(RtpView::parse(shortPkt, sizeof shortPkt, v));
    uint8_t ext[16] = {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 9};
    EXPECT_FALSE(RtpView::parse(ext, sizeof ext, v));  // extension longer than the packet
    uint8_t pad[14] = {0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x41, 5};
    EXPECT_FALSE(RtpView::parse(pad, sizeof pad, v));  // padding longer than the payload
}
