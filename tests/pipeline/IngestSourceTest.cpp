// IngestSource against real media: the synthetic pattern (x264enc/opusenc) and FLV made
// by ffmpeg, pushed through flvdemux. The RTP is checked the way a receiver would.
#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline/Gst.hpp"
#include "pipeline/IngestSource.hpp"

using namespace std::chrono_literals;
using pipeline::IngestSource;
using pipeline::SourceOptions;
using pipeline::SourceState;

namespace {

struct Collector : rtc::SourceInput {
    std::mutex m;
    std::vector<std::vector<uint8_t>> video, audio;
    void pushRtp(rtc::MediaKind kind, const uint8_t* d, size_t n) override {
        std::lock_guard l(m);
        (kind == rtc::MediaKind::Video ? video : audio).emplace_back(d, d + n);
    }
    size_t count(rtc::MediaKind k) {
        std::lock_guard l(m);
        return (k == rtc::MediaKind::Video ? video : audio).size();
    }
};

struct Attached {
    Collector* sink = nullptr;
    IngestSource::Attach attach() {
        return [this](rtc::SourceInput::Listener*) {
            auto c = std::make_unique<Collector>();
            sink = c.get();
            return c;
        };
    }
};

template <class F>
bool waitFor(F cond, std::chrono::seconds limit = 60s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(50ms);
    }
    return cond();
}

size_t rtpHeaderLen(const std::vector<uint8_t>& p) {
    if (p.size() < 12 || (p[0] >> 6) != 2) return 0;
    size_t len = 12 + 4 * (p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (p.size() < len + 4) return 0;
        len += 4 + 4 * ((p[len + 2] << 8) | p[len + 3]);
    }
    return len <= p.size() ? len : 0;
}

// NAL unit types that start in this H.264 RTP packet (RFC 6184 single, STAP-A, FU-A).
std::vector<int> nalStarts(const std::vector<uint8_t>& p) {
    std::vector<int> out;
    size_t h = rtpHeaderLen(p);
    if (!h || h >= p.size()) return out;
    int t = p[h] & 0x1f;
    if (t >= 1 && t <= 23) out.push_back(t);
    if (t == 24)
        for (size_t i = h + 1; i + 2 < p.size();) {
            size_t n = (p[i] << 8) | p[i + 1];
            if (i + 2 + n > p.size() || n == 0) break;
            out.push_back(p[i + 2] & 0x1f);
            i += 2 + n;
        }
    if (t == 28 && h + 1 < p.size() && (p[h + 1] & 0x80)) out.push_back(p[h + 1] & 0x1f);
    return out;
}

// Counts IDRs that were preceded (since the previous IDR) by both SPS and PPS.
struct KeyframeCheck {
    int idrs = 0, idrsWithConfig = 0;
};
KeyframeCheck checkKeyframes(Collector& c) {
    std::lock_guard l(c.m);
    KeyframeCheck k;
    bool sps = false, pps = false;
    int prev = -1;
    for (auto& p : c.video) {
        EXPECT_EQ(p[1] & 0x7f, 96);
        for (int t : nalStarts(p)) {
            if (t == 7) sps = true;
            if (t == 8) pps = true;
            if (t == 5 && prev != 5) {
                ++k.idrs;
                if (sps && pps) ++k.idrsWithConfig;
                sps = pps = false;
            }
            prev = t;
        }
    }
    return k;
}

int threadCount() {
    int n = 0;
    if (DIR* d = opendir("/proc/self/task")) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
    }
    return n;
}

std::filesystem::path makeFlv(const std::string& name, const std::string& videoArgs) {
    auto dir =
        std::filesystem::temp_directory_path() / ("cb-pipeline-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto out = dir / name;
    std::string cmd =
        "ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=30 "
        "-f lavfi -i sine=frequency=440:sample_rate=44100 -t 4 " +
        videoArgs + " -c:a aac -f flv '" + out.string() + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return out;
}

// Options of a pushed FLV source (what the RTMP server creates for a publisher).
SourceOptions pushedFlv(bool transcode = false) {
    SourceOptions o;
    o.uri = "push:flv";
    o.transcode = transcode;
    return o;
}

void feed(IngestSource& src, const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> buf(4096);
    while (in) {
        in.read(buf.data(), buf.size());
        if (in.gcount() > 0 &&
            !src.pushBytes(reinterpret_cast<uint8_t*>(buf.data()), size_t(in.gcount())))
            break;
    }
}

}  // namespace

TEST(IngestSource, TestPatternGivesH264WithConfigOnKeyframesAndOpus) {
    Attached a;
    SourceOptions o;
    o.uri = "test://pattern?width=320&height=240&fps=30";
    IngestSource src(o, a.attach());
    ASSERT_NE(a.sink, nullptr);
    // key-int-max=60 at 30 fps: a keyframe every 2 s; wait for three of them.
    ASSERT_TRUE(waitFor([&] { return checkKeyframes(*a.sink).idrs >= 3; }))
        << "video packets: " << a.sink->count(rtc::MediaKind::Video);
    auto k = checkKeyframes(*a.sink);
    EXPECT_EQ(k.idrs, k.idrsWithConfig) << "every IDR must follow SPS and PPS";
    ASSERT_TRUE(waitFor([&] { return a.sink->count(rtc::MediaKind::Audio) >= 50; }));
    {
        std::lock_guard l(a.sink->m);
        for (auto& p : a.sink->audio) {
            ASSERT_GT(p.size(), rtpHeaderLen(p));
            EXPECT_EQ(p[1] & 0x7f, 111);
        }
    }
    EXPECT_EQ(src.status().state, SourceState::Live);
    EXPECT_NE(src.status().videoCaps.find("constrained-baseline"), std::string::npos)
        << src.status().videoCaps;
}

TEST(IngestSource, KeyframeRequestForcesAnIdrWhenWeEncode) {
    Attached a;
    SourceOptions o;
    // GOP of 900 frames (30 s): without requests there is one IDR at the start, then none
    // for 30 s, so extra IDRs within the next 15 s can only come from our requests.
    o.uri = "test://pattern?width=160&height=120&fps=30&gop=900";
    IngestSource src(o, a.attach());
    ASSERT_TRUE(waitFor([&] {
        return checkKeyframes(*a.sink).idrs >= 1 && a.sink->count(rtc::MediaKind::Video) > 30;
    }));
    int before = checkKeyframes(*a.sink).idrs;
    for (int i = 0; i < 3; ++i) {
        src.onKeyframeRequested();
        std::this_thread::sleep_for(500ms);
    }
    ASSERT_TRUE(waitFor([&] { return checkKeyframes(*a.sink).idrs >= before + 2; }, 15s))
        << "idrs before " << before << " after " << checkKeyframes(*a.sink).idrs;
    auto k = checkKeyframes(*a.sink);
    EXPECT_EQ(k.idrs, k.idrsWithConfig) << "forced IDRs carry SPS/PPS too";
}

TEST(IngestSource, PushedFlvIsPassedThroughWithoutTranscode) {
    auto flv = makeFlv("base.flv", "-c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 30");
    Attached a;
    IngestSource src(pushedFlv(), a.attach());
    feed(src, flv);
    ASSERT_TRUE(waitFor([&] { return checkKeyframes(*a.sink).idrs >= 3; }));
    auto k = checkKeyframes(*a.sink);
    EXPECT_EQ(k.idrs, k.idrsWithConfig);
    ASSERT_TRUE(waitFor([&] { return a.sink->count(rtc::MediaKind::Audio) >= 100; }))
        << "AAC must come out as Opus RTP; got " << a.sink->count(rtc::MediaKind::Audio);
    auto st = src.status();
    EXPECT_NE(st.videoCaps.find("profile=(string)constrained-baseline"), std::string::npos)
        << st.videoCaps;
    EXPECT_GT(st.latencyMaxMs, 0.0);
    std::filesystem::remove_all(flv.parent_path());
}

// A pushed FLV WebRTC cannot play: refused with a reason naming `why` (and the transcode
// option); the same bytes with transcode=true come out as constrained baseline.
void expectRefusedUnlessTranscoded(const std::filesystem::path& flv, const char* why) {
    {
        Attached a;
        IngestSource src(pushedFlv(), a.attach());
        feed(src, flv);
        ASSERT_TRUE(waitFor([&] { return src.status().state == SourceState::Failed; }))
            << "state " << pipeline::toString(src.status().state);
        EXPECT_NE(src.status().reason.find(why), std::string::npos) << src.status().reason;
        EXPECT_NE(src.status().reason.find("transcode"), std::string::npos);
        EXPECT_FALSE(src.pushBytes(reinterpret_cast<const uint8_t*>("x"), 1));
    }
    Attached a;
    IngestSource src(pushedFlv(true), a.attach());
    feed(src, flv);
    ASSERT_TRUE(waitFor([&] { return checkKeyframes(*a.sink).idrs >= 2; }));
    auto st = src.status();
    EXPECT_NE(st.state, SourceState::Failed) << st.reason;
    EXPECT_NE(st.videoCaps.find("constrained-baseline"), std::string::npos) << st.videoCaps;
    auto k = checkKeyframes(*a.sink);
    EXPECT_EQ(k.idrs, k.idrsWithConfig);
    std::filesystem::remove_all(flv.parent_path());
}

TEST(IngestSource, High422IsRefusedWithAClearReasonUnlessTranscoded) {
    expectRefusedUnlessTranscoded(
        makeFlv("h422.flv", "-c:v libx264 -profile:v high422 -pix_fmt yuv422p -g 30"), "4:2:2");
}

TEST(IngestSource, BFramesAreRefusedWithAClearReasonUnlessTranscoded) {
    // Main profile 4:2:0 progressive: the caps look playable, only the frame order tells.
    expectRefusedUnlessTranscoded(
        makeFlv("bf.flv", "-c:v libx264 -profile:v main -bf 2 -pix_fmt yuv420p -g 30"), "B-frames");
}

TEST(IngestSource, BaselineWithoutBFramesIsNotRefused) {
    // A false positive would refuse every ordinary camera: 4 s of baseline must pass.
    auto flv = makeFlv("nobf.flv", "-c:v libx264 -profile:v high -bf 0 -pix_fmt yuv420p -g 30");
    Attached a;
    IngestSource src(pushedFlv(), a.attach());
    feed(src, flv);
    ASSERT_TRUE(waitFor([&] { return checkKeyframes(*a.sink).idrs >= 4; }));
    EXPECT_NE(src.status().state, SourceState::Failed) << src.status().reason;
    std::filesystem::remove_all(flv.parent_path());
}

TEST(IngestSource, UnreachableRtspRetriesWithState) {
    Attached a;
    SourceOptions o;
    o.uri = "rtsp://127.0.0.1:9/none?transport=tcp";  // discard port: connection refused
    o.minBackoff = 100ms;
    o.maxBackoff = 400ms;
    IngestSource src(o, a.attach());
    ASSERT_TRUE(waitFor([&] { return src.status().restarts >= 2; }));
    auto st = src.status();
    EXPECT_EQ(st.state, SourceState::Retrying);
    EXPECT_FALSE(st.reason.empty());
}

TEST(IngestSource, TeardownLeaksNoThreadsAndNoElements) {
    auto flv = makeFlv("cycle.flv", "-c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 30");
    // One encoding source (x264/opus) and one pushed (flvdemux, parsers, AAC decoder) per
    // cycle, as a lesson with a test pattern and a publisher would have.
    auto once = [&] {
        Attached a, b;
        SourceOptions o;
        o.uri = "test://pattern?width=160&height=120";
        IngestSource src(o, a.attach());
        IngestSource pushed(pushedFlv(), b.attach());
        feed(pushed, flv);
        ASSERT_TRUE(waitFor([&] { return a.sink->count(rtc::MediaKind::Video) > 10; }));
        ASSERT_TRUE(waitFor([&] { return b.sink->count(rtc::MediaKind::Audio) > 10; }));
        EXPECT_GT(pipeline::gst::liveObjects(), 10u);
    };
    once();
    std::this_thread::sleep_for(300ms);
    int base = threadCount();
    EXPECT_TRUE(waitFor([] { return pipeline::gst::liveObjects() == 0; }, 10s))
        << pipeline::gst::liveObjects() << " elements alive after the first teardown";
    for (int i = 0; i < 3; ++i) once();
    // Every element of every pipeline incarnation is finalized when the source goes.
    EXPECT_TRUE(waitFor([] { return pipeline::gst::liveObjects() == 0; }, 10s))
        << pipeline::gst::liveObjects() << " elements leaked by start/stop cycles";
    // GStreamer's task pool may keep an idle thread or two for reuse; growth per run would
    // mean a leaked pipeline.
    ASSERT_TRUE(waitFor([&] { return threadCount() <= base + 2; }, 20s))
        << "threads " << threadCount() << " vs " << base;
    std::filesystem::remove_all(flv.parent_path());
}

TEST(IngestSource, RejectsBadUris) {
    for (const char* bad :
         {"http://x/", "test://other", "test://pattern?width=0", "rtsp://h/p?transport=sctp",
          "nonsense", "srt://", "test://pattern?pattern=evil", "rtsp://a b"})
        EXPECT_THROW(IngestSource::validateUri(bad), std::invalid_argument) << bad;
    for (const char* good :
         {"test://pattern", "rtsp://cam/1?transport=udp", "srt://10.0.0.1:9000?latency=100",
          "rtmp://box/live/1", "test://pattern?width=640&height=360&pattern=ball"})
        EXPECT_NO_THROW(IngestSource::validateUri(good)) << good;
}
