#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "GstRtp.hpp"
#include "recorder/Rtp.hpp"
#include "recorder/SourceRecording.hpp"

using namespace recorder;
using testutil::Packet;

namespace {

struct Timed {
    int64_t wallUs;
    rtc::MediaKind kind;
    const Packet* packet;
};

// Video and audio packets in arrival order, timed by their RTP clocks from `startUs`.
std::vector<Timed> schedule(const std::vector<Packet>& video, const std::vector<Packet>& audio,
                            int64_t startUs) {
    std::vector<Timed> all;
    auto add = [&](const std::vector<Packet>& ps, rtc::MediaKind kind, int64_t rate) {
        if (ps.empty()) return;
        RtpView first;
        RtpView::parse(ps[0].data(), ps[0].size(), first);
        for (const auto& p : ps) {
            RtpView v;
            RtpView::parse(p.data(), p.size(), v);
            int64_t ticks = int64_t(uint32_t(v.timestamp - first.timestamp));
            all.push_back({startUs + ticks * 1'000'000 / rate, kind, &p});
        }
    };
    add(video, rtc::MediaKind::Video, 90000);
    add(audio, rtc::MediaKind::Audio, 48000);
    std::stable_sort(all.begin(), all.end(),
                     [](const Timed& a, const Timed& b) { return a.wallUs < b.wallUs; });
    return all;
}

void feed(SourceRecording& r, const std::vector<Timed>& packets) {
    for (const auto& t : packets) r.push(t.kind, t.packet->data(), t.packet->size(), t.wallUs);
}

struct Probe {
    std::string codecs;  // "h264,opus"
    double duration = 0;
    std::string decodeErrors;
};

Probe probe(const std::filesystem::path& file) {
    Probe p;
    p.codecs = testutil::run("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " +
                             file.string());
    std::replace(p.codecs.begin(), p.codecs.end(), '\n', ',');
    if (!p.codecs.empty() && p.codecs.back() == ',') p.codecs.pop_back();
    p.duration = std::atof(testutil::run("ffprobe -v error -show_entries format=duration -of "
                                         "csv=p=0 " +
                                         file.string())
                               .c_str());
    p.decodeErrors = testutil::run("ffmpeg -nostdin -v error -i " + file.string() + " -f null -");
    return p;
}

std::string readFile(const std::filesystem::path& f) {
    std::ifstream in(f);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::vector<double> segmentDurations(const std::string& playlist) {
    std::vector<double> out;
    size_t pos = 0;
    while ((pos = playlist.find("#EXTINF:", pos)) != std::string::npos) {
        pos += 8;
        out.push_back(std::atof(playlist.c_str() + pos));
    }
    return out;
}

class SourceRecordingTest : public ::testing::Test {
protected:
    void SetUp() override { dir_ = testutil::tempDir("src"); }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

}  // namespace

TEST_F(SourceRecordingTest, FiveSecondsBecomeAPlayableFragmentedMp4AndPlaylist) {
    auto video = testutil::videoRtp(150);
    auto audio = testutil::audioRtp(250);
    int keyframeRequests = 0;
    SourceRecording rec("teacher", dir_ / "teacher", 0, [&] { ++keyframeRequests; });
    feed(rec, schedule(video, audio, 1'000'000));
    auto s = rec.stop();
    EXPECT_EQ(s.state, RecordingState::Finished) << s.error;
    EXPECT_EQ(s.packetsDropped, 0u);
    EXPECT_NEAR(s.durationSeconds, 5.0, 0.1);
    auto media = dir_ / "teacher" / Mp4Writer::kMediaFile;
    Probe p = probe(media);
    EXPECT_EQ(p.codecs, "h264,opus");
    EXPECT_NEAR(p.duration, 5.0, 0.15);
    EXPECT_EQ(p.decodeErrors, "");
    std::string playlist = readFile(dir_ / "teacher" / Mp4Writer::kPlaylistFile);
    EXPECT_NE(playlist.find("#EXT-X-ENDLIST"), std::string::npos);
    EXPECT_NE(playlist.find("#EXT-X-PLAYLIST-TYPE:EVENT"), std::string::npos);
    auto durations = segmentDurations(playlist);
    ASSERT_GE(durations.size(), 3u);
    for (double d : durations) EXPECT_LE(d, 2.0);
    // The playlist (byte ranges into the same file) plays too.
    Probe hls = probe(dir_ / "teacher" / Mp4Writer::kPlaylistFile);
    EXPECT_EQ(hls.decodeErrors, "");
    EXPECT_NEAR(hls.duration, 5.0, 0.15);
    auto state = nlohmann::json::parse(readFile(dir_ / "teacher" / "state.json"));
    EXPECT_EQ(state["state"], "finished");
}

TEST_F(SourceRecordingTest, ASourceGoneForFiveSecondsContinuesTheSameRecordingInWallTime) {
    auto video1 = testutil::videoRtp(90);  // 3 s
    auto audio1 = testutil::audioRtp(150);
    auto video2 = testutil::videoRtp(90);  // a new encoder: new SSRC, sequence, timestamps
    auto audio2 = testutil::audioRtp(150);
    // The worst case for the new encoder's random numbers: sequences just behind the old.
    auto renumber = [](std::vector<Packet>& ps, const Packet& lastBefore) {
        uint16_t seq = uint16_t((lastBefore[2] << 8 | lastBefore[3]) - 500);
        for (auto& p : ps) {
            p[2] = uint8_t(seq >> 8);
            p[3] = uint8_t(seq);
            ++seq;
        }
    };
    renumber(video2, video1.back());
    renumber(audio2, audio1.back());
    SourceRecording rec("teacher", dir_ / "teacher", 0, {});
    feed(rec, schedule(video1, audio1, 0));
    feed(rec, schedule(video2, audio2, 8'000'000));  // back 5 s after the first part ended
    auto s = rec.stop();
    EXPECT_EQ(s.state, RecordingState::Finished) << s.error;
    auto p = probe(dir_ / "teacher" / Mp4Writer::kMediaFile);
    EXPECT_EQ(p.codecs, "h264,opus");
    EXPECT_NEAR(p.duration, 11.0, 0.3);
    EXPECT_NEAR(s.durationSeconds, 11.0, 0.3);
    EXPECT_EQ(p.decodeErrors, "");
}

// Both streams start together at the source; the first audio packet reaches the recorder
// 80 ms late (a starting encoder, a busy worker). The recording must not keep that as an
// A/V offset: both tracks start at the same time.
TEST_F(SourceRecordingTest, AFirstPacketHeldUpInAQueueDoesNotShiftItsStream) {
    auto video = testutil::videoRtp(90);
    auto audio = testutil::audioRtp(150);
    auto packets = schedule(video, audio, 1'000'000);
    auto firstAudio = std::find_if(packets.begin(), packets.end(),
                                   [](const Timed& t) { return t.kind == rtc::MediaKind::Audio; });
    ASSERT_NE(firstAudio, packets.end());
    firstAudio->wallUs += 80'000;
    std::stable_sort(packets.begin(), packets.end(),
                     [](const Timed& a, const Timed& b) { return a.wallUs < b.wallUs; });
    SourceRecording rec("teacher", dir_ / "teacher", 0, {});
    feed(rec, packets);
    EXPECT_EQ(rec.stop().state, RecordingState::Finished);
    // The writer fills audio missing at the start with 1-byte silence packets: the first
    // real (longer) audio packet is where the source's audio lies.
    auto media = (dir_ / "teacher" / Mp4Writer::kMediaFile).string();
    auto firstPts = [&](const char* stream, size_t minSize) {
        std::istringstream lines(
            testutil::run("ffprobe -v error -select_streams " + std::string(stream) +
                          " -show_entries packet=pts_time,size -of csv=p=0 " + media));
        for (std::string line; std::getline(lines, line);) {
            auto comma = line.find(',');
            if (comma != std::string::npos &&
                size_t(std::atol(line.c_str() + comma + 1)) >= minSize)
                return std::atof(line.c_str());
        }
        return -1.0;
    };
    double videoStart = firstPts("v:0", 1), audioStart = firstPts("a:0", 2);
    ASSERT_GE(videoStart, 0);
    ASSERT_GE(audioStart, 0);
    EXPECT_NEAR(audioStart, videoStart, 0.005);
}

TEST_F(SourceRecordingTest, AVideoOnlySourceGetsASilentAudioTrack) {
    auto video = testutil::videoRtp(120);
    SourceRecording rec("board", dir_ / "board", 0, {});
    feed(rec, schedule(video, {}, 0));
    auto s = rec.stop();
    EXPECT_EQ(s.state, RecordingState::Finished);
    auto p = probe(dir_ / "board" / Mp4Writer::kMediaFile);
    EXPECT_EQ(p.codecs, "h264,opus");
    EXPECT_EQ(p.decodeErrors, "");
    EXPECT_NEAR(p.duration, 4.0, 0.2);
}

TEST_F(SourceRecordingTest, AKilledRecorderLeavesAFileThatRecoveryCloses) {
    auto video = testutil::videoRtp(150);
    auto audio = testutil::audioRtp(250);
    auto timed = schedule(video, audio, 0);
    auto dir = dir_ / "teacher";
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The child records about 4 s and is killed -9 while the next fragment is built.
        SourceRecording rec("teacher", dir, 0, {});
        for (const auto& t : timed) {
            if (t.wallUs > 4'300'000) break;
            rec.push(t.kind, t.packet->data(), t.packet->size(), t.wallUs);
        }
        for (int i = 0; i < 6000 && rec.summary().fragments < 4; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        raise(SIGKILL);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    auto media = dir / Mp4Writer::kMediaFile;
    std::string before = readFile(dir / Mp4Writer::kPlaylistFile);
    EXPECT_EQ(before.find("#EXT-X-ENDLIST"), std::string::npos);
    uint64_t listedEnd = std::filesystem::file_size(media);
    {  // as if the crash came in the middle of writing the next fragment
        std::ofstream o(media, std::ios::app | std::ios::binary);
        o.write("\0\0\x10\0moof\0\0\0\x10mfhd", 16);
    }
    auto r = Mp4Writer::recover(dir);
    EXPECT_TRUE(r.found);
    EXPECT_TRUE(r.truncated);
    EXPECT_GE(r.fragments, 2u);
    EXPECT_EQ(std::filesystem::file_size(media), listedEnd);
    EXPECT_GE(r.durationSeconds, 3.5);
    std::string after = readFile(dir / Mp4Writer::kPlaylistFile);
    EXPECT_NE(after.find("#EXT-X-ENDLIST"), std::string::npos);
    auto p = probe(media);
    EXPECT_EQ(p.codecs, "h264,opus");
    EXPECT_EQ(p.decodeErrors, "");
    EXPECT_NEAR(p.duration, r.durationSeconds, 0.2);
    EXPECT_EQ(probe(dir / Mp4Writer::kPlaylistFile).decodeErrors, "");
    // Recovering again changes nothing.
    auto again = Mp4Writer::recover(dir);
    EXPECT_FALSE(again.truncated);
    EXPECT_EQ(readFile(dir / Mp4Writer::kPlaylistFile), after);
}

TEST_F(SourceRecordingTest, ADiskThatFillsUpFailsTheRecordingAndKeepsWhatWasWritten) {
    auto video = testutil::videoRtp(300);
    auto audio = testutil::audioRtp(500);
    auto timed = schedule(video, audio, 0);
    auto dir = dir_ / "teacher";
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A file size limit makes write() fail like a full disk, only in this process.
        signal(SIGXFSZ, SIG_IGN);
        rlimit lim{400'000, 400'000};
        setrlimit(RLIMIT_FSIZE, &lim);
        bool failed = false;
        SourceRecording rec("teacher", dir, 0, {}, [&](const RecordingSummary&) { failed = true; });
        feed(rec, timed);
        auto s = rec.stop();
        _exit(s.state == RecordingState::Failed && s.diskFull && failed ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the recording must end failed, disk full";
    auto state = nlohmann::json::parse(readFile(dir / "state.json"));
    EXPECT_EQ(state["state"], "failed");
    EXPECT_EQ(state["disk_full"], true);
    std::string playlist = readFile(dir / Mp4Writer::kPlaylistFile);
    EXPECT_NE(playlist.find("#EXT-X-ENDLIST"), std::string::npos);
    auto r = Mp4Writer::recover(dir);  // cuts what the failed write left half-done
    auto p = probe(dir / Mp4Writer::kMediaFile);
    EXPECT_EQ(p.decodeErrors, "");
    EXPECT_GT(p.duration, 1.0);
    EXPECT_LT(p.duration, 9.0);
    EXPECT_NEAR(p.duration, r.durationSeconds, 0.2);
}

TEST_F(SourceRecordingTest, ASlowConsumerDropsAndCountsInsteadOfBlocking) {
    auto video = testutil::videoRtp(60);
    SourceRecordingOptions o;
    o.queuePackets = 4;
    SourceRecording rec("teacher", dir_ / "teacher", 0, {}, {}, o);
    auto t0 = SourceRecording::nowUs();
    for (int round = 0; round < 20; ++round)
        for (const auto& p : video) rec.push(rtc::MediaKind::Video, p.data(), p.size(), 0);
    EXPECT_LT(SourceRecording::nowUs() - t0, 5'000'000);
    auto s = rec.stop();
    EXPECT_GT(s.packetsDropped, 0u);
}
