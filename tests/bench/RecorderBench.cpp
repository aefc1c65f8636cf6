// Recorder cost, for docs/BENCHMARKS.md (issue 5):
//  1. CPU share of one core per recorded 720p 1.5 Mbit/s H.264 + Opus source: real RTP
//     from GStreamer (x264 + rtph264pay, opusenc + rtpopuspay, made by a child process and
//     not counted) pushed through recorder::SourceRecording (queue, reorder, depacketise,
//     fMP4 + HLS mux, disk writes); getrusage of this process before/after.
//  2. With --long: post-processing (recorder::PostProcessor) of a 45-minute lesson made
//     by looping that recording with `ffmpeg -stream_loop -c copy`; wall time.
// Usage: build/bench/RecorderBench [--seconds N] [--long]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "recorder/PostProcessor.hpp"
#include "recorder/Rtp.hpp"
#include "recorder/SourceRecording.hpp"
#include "tests/recorder/GstRtp.hpp"

namespace {

double cpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int64_t rtpTimestampUs(const testutil::Packet& p, uint32_t first, int64_t rate) {
    recorder::RtpView v;
    recorder::RtpView::parse(p.data(), p.size(), v);
    return int64_t(uint32_t(v.timestamp - first)) * 1'000'000 / rate;
}

uint32_t firstTimestamp(const std::vector<testutil::Packet>& ps) {
    recorder::RtpView v;
    recorder::RtpView::parse(ps.at(0).data(), ps.at(0).size(), v);
    return v.timestamp;
}

}  // namespace

int main(int argc, char** argv) {
    int seconds = 20;
    bool longLesson = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atoi(argv[++i]);
        if (!std::strcmp(argv[i], "--long")) longLesson = true;
    }
    const int frames = seconds * 30;
    std::printf("generating %d s of 720p30 H.264 1.5 Mbit/s + Opus RTP with GStreamer...\n",
                seconds);
    auto video = testutil::gstRtp(
        "videotestsrc num-buffers=" + std::to_string(frames) +
        " pattern=snow ! video/x-raw,width=1280,height=720,framerate=30/1,format=I420 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1500 key-int-max=60 ! "
        "video/x-h264,profile=constrained-baseline ! rtph264pay mtu=1200 config-interval=-1 "
        "aggregate-mode=zero-latency");
    auto audio = testutil::audioRtp(seconds * 50);
    if (video.empty() || audio.empty()) return 1;
    uint64_t bytes = 0;
    for (const auto& p : video) bytes += p.size();

    auto dir = testutil::tempDir("bench");
    const uint32_t v0 = firstTimestamp(video), a0 = firstTimestamp(audio);
    double cpu0 = cpuSeconds();
    recorder::RecordingSummary summary;
    {
        recorder::SourceRecording rec("teacher", dir / "teacher", 0, {});
        // Interleave by media time, as a live source arrives.
        size_t vi = 0, ai = 0;
        const int64_t base = recorder::SourceRecording::nowUs();
        while (vi < video.size() || ai < audio.size()) {
            bool takeVideo = ai >= audio.size() ||
                             (vi < video.size() && rtpTimestampUs(video[vi], v0, 90000) <=
                                                       rtpTimestampUs(audio[ai], a0, 48000));
            const auto& p = takeVideo ? video[vi++] : audio[ai++];
            int64_t t = takeVideo ? rtpTimestampUs(p, v0, 90000) : rtpTimestampUs(p, a0, 48000);
            rec.push(takeVideo ? rtc::MediaKind::Video : rtc::MediaKind::Audio, p.data(), p.size(),
                     base + t);
        }
        summary = rec.stop();
    }
    double cpu = cpuSeconds() - cpu0;
    std::printf(
        "recorded %.1f s (%zu video + %zu audio packets, %.2f Mbit/s video), state %s, "
        "%zu fragments, dropped %llu\n",
        summary.durationSeconds, video.size(), audio.size(), double(bytes) * 8 / seconds / 1e6,
        recorder::stateName(summary.state), summary.fragments,
        (unsigned long long)summary.packetsDropped);
    std::printf("CPU: %.3f s for %d s of media = %.2f %% of one core per recorded source\n", cpu,
                seconds, 100.0 * cpu / seconds);

    if (longLesson) {
        auto recording = dir / "teacher" / "recording.mp4";
        auto lesson = dir / "lesson-45min.mp4";
        int loops = (45 * 60 + seconds - 1) / seconds - 1;
        testutil::run("ffmpeg -v error -y -stream_loop " + std::to_string(loops) + " -i " +
                      recording.string() + " -c copy " + lesson.string());
        recorder::PostProcessRequest req;
        req.input = lesson;
        req.outDir = dir / "vod";
        auto t0 = std::chrono::steady_clock::now();
        auto result = recorder::PostProcessor::run(req);
        double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf(
            "post-processing %.0f s of lesson: %.1f s wall, lesson.mp4 %.1f MB, %d "
            "thumbnails\n",
            result.durationSeconds, wall, double(result.bytes) / 1e6, result.thumbnails);
    }
    std::filesystem::remove_all(dir);
    return 0;
}
