#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "GstRtp.hpp"
#include "recorder/PostProcessor.hpp"
#include "recorder/Recorder.hpp"
#include "recorder/Rtp.hpp"

using namespace recorder;

namespace {

struct CountingListener : Recorder::Listener {
    std::atomic<int> started{0}, keyframes{0};
    void onRecordingStarted(const RecordingSummary&) override { ++started; }
    void onKeyframeNeeded(const std::string&) override { ++keyframes; }
};

// Plays packets into the sink in real time (sped up 4x), like a media worker would.
void play(rtc::RtpSink& sink, const std::string& source, const std::vector<testutil::Packet>& v,
          const std::vector<testutil::Packet>& a) {
    size_t vi = 0, ai = 0;
    RtpView v0, a0;
    RtpView::parse(v[0].data(), v[0].size(), v0);
    RtpView::parse(a[0].data(), a[0].size(), a0);
    auto t0 = std::chrono::steady_clock::now();
    while (vi < v.size() || ai < a.size()) {
        RtpView x, y;
        double vt = 1e18, at = 1e18;
        if (vi < v.size()) {
            RtpView::parse(v[vi].data(), v[vi].size(), x);
            vt = double(uint32_t(x.timestamp - v0.timestamp)) / 90000;
        }
        if (ai < a.size()) {
            RtpView::parse(a[ai].data(), a[ai].size(), y);
            at = double(uint32_t(y.timestamp - a0.timestamp)) / 48000;
        }
        double t = std::min(vt, at);
        std::this_thread::sleep_until(t0 + std::chrono::microseconds(int64_t(t * 1e6 / 4)));
        if (vt <= at) {
            sink.onRtp(source, rtc::MediaKind::Video, v[vi].data(), v[vi].size());
            ++vi;
        } else {
            sink.onRtp(source, rtc::MediaKind::Audio, a[ai].data(), a[ai].size());
            ++ai;
        }
    }
}

bool moovBeforeMdat(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::string head(1 << 20, '\0');
    in.read(head.data(), long(head.size()));
    head.resize(size_t(in.gcount()));
    auto moov = head.find("moov"), mdat = head.find("mdat");
    return moov != std::string::npos && (mdat == std::string::npos || moov < mdat);
}

}  // namespace

TEST(Recorder, RecordsEachSourceSeparatelyAndPostProcessesIntoALibraryResource) {
    auto dir = testutil::tempDir("lesson");
    auto video = testutil::videoRtp(180);  // 6 s
    auto audio = testutil::audioRtp(300);
    CountingListener listener;
    {
        Recorder rec(dir, listener);
        std::thread board([&] { play(rec, "board", video, audio); });
        play(rec, "teacher", video, audio);
        board.join();
        auto done = rec.stop();
        ASSERT_EQ(done.size(), 2u);
        for (const auto& s : done) {
            EXPECT_EQ(s.state, RecordingState::Finished) << s.error;
            EXPECT_NEAR(s.durationSeconds, 6.0, 0.5);
        }
    }
    EXPECT_EQ(listener.started.load(), 2);
    std::filesystem::path teacher;
    for (auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().filename().string().rfind("teacher-", 0) == 0) teacher = e.path();
    ASSERT_FALSE(teacher.empty());

    PostProcessRequest req;
    req.input = teacher / Mp4Writer::kMediaFile;
    req.outDir = dir / "vod";
    auto result = PostProcessor::run(req);
    EXPECT_NEAR(result.durationSeconds, 6.0, 0.5);
    EXPECT_GT(result.bytes, 10000u);
    EXPECT_EQ(result.thumbnails, 4);
    EXPECT_TRUE(std::filesystem::exists(req.outDir / "poster.jpg"));
    EXPECT_TRUE(moovBeforeMdat(req.outDir / "lesson.mp4")) << "faststart";
    std::string codecs =
        testutil::run("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " +
                      (req.outDir / "lesson.mp4").string());
    EXPECT_EQ(codecs, "h264\naac\n");
    EXPECT_EQ(testutil::run("ffmpeg -nostdin -v error -i " + (req.outDir / "index.m3u8").string() +
                            " -f null -"),
              "");
    EXPECT_NEAR(PostProcessor::probeDuration(req.outDir / "index.m3u8"), 6.0, 0.5);

    // Trimmed: no re-encode, so the start snaps to the keyframe at or before 2 s (GOP 1 s).
    req.trimStart = 2.0;
    req.trimEnd = 4.5;
    auto trimmed = PostProcessor::run(req);
    EXPECT_NEAR(trimmed.durationSeconds, 2.5, 0.6);
    std::filesystem::remove_all(dir);
}

TEST(PostProcessor, ABrokenInputFailsWithFfmpegsMessageAndLeavesNothing) {
    auto dir = testutil::tempDir("pp");
    {
        std::ofstream o(dir / "bad.mp4");
        o << "not a video";
    }
    PostProcessRequest req;
    req.input = dir / "bad.mp4";
    req.outDir = dir / "vod";
    EXPECT_THROW(PostProcessor::run(req), std::runtime_error);
    EXPECT_FALSE(std::filesystem::exists(req.outDir));
    std::filesystem::remove_all(dir);
}
