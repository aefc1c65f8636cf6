#pragma once
// One source's recording on disk: a fragmented MP4 (`recording.mp4`: ftyp+moov, then a
// moof+mdat per fragment of ≤ maxFragment, cut at keyframes) with H.264 video and Opus
// audio, plus an HLS EVENT playlist (`recording.m3u8`, fMP4 byte ranges into the same file)
// appended after every fragment. A fragment is complete on disk before it is listed, so a
// crash loses at most the fragment being built; recover() closes what a crash left.
// Not thread-safe: lives on its recording's thread.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "recorder/Av.hpp"

namespace recorder {

struct RecoveryResult {
    bool found = false;      // a recording was there
    bool truncated = false;  // a partial fragment was cut off
    double durationSeconds = 0;
    uint64_t bytes = 0;
    size_t fragments = 0;
};

class Mp4Writer {
public:
    static constexpr const char* kMediaFile = "recording.mp4";
    static constexpr const char* kPlaylistFile = "recording.m3u8";

    Mp4Writer(std::filesystem::path dir, int64_t maxFragmentUs = 2'000'000);
    ~Mp4Writer();
    Mp4Writer(const Mp4Writer&) = delete;
    Mp4Writer& operator=(const Mp4Writer&) = delete;

    // Creates the files: video from SPS/PPS, Opus audio track (always present; silence
    // fills what the source does not send). Throws std::runtime_error.
    void open(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps);
    bool isOpen() const { return ctx_ != nullptr; }

    // Time in microseconds, increasing per track; the first keyframe becomes time 0 and
    // audio before it is dropped. Video data: length-prefixed NAL units. False once the writer
    // failed (see error()); it then ignores everything.
    bool writeVideo(int64_t ptsUs, bool keyframe, const std::vector<uint8_t>& data);
    bool writeAudio(int64_t ptsUs, const uint8_t* data, size_t size);

    // Writes the last fragment and ends the playlist. Idempotent.
    void finish();

    bool failed() const { return failed_; }
    const std::string& error() const { return error_; }
    bool diskFull() const { return diskFull_; }
    double durationSeconds() const { return double(listedUs_) / 1e6; }
    uint64_t bytes() const { return fileEnd_; }
    size_t fragments() const { return fragments_; }
    uint64_t silencePackets() const { return silencePackets_; }
    uint64_t audioOverlaps() const { return audioOverlaps_; }

    // Closes a recording a crash left open: drops an unlisted/partial fragment from the
    // file and ends the playlist. Safe on a finished recording (no change).
    static RecoveryResult recover(const std::filesystem::path& dir);

private:
    struct Held {
        bool valid = false;
        int64_t ptsUs = 0;
        bool keyframe = false;
        std::vector<uint8_t> data;
    };
    bool writePacket(int streamIndex, const Held& held, int64_t durationUs);
    bool flushFragment(int64_t endUs);
    bool writeAudioSamples(int64_t startSamples, const uint8_t* data, size_t size, int64_t samples);
    bool fillSilence(int64_t untilSamples);
    bool fail(const std::string& what, int err);
    void appendPlaylist(const std::string& text);

    std::filesystem::path dir_;
    int64_t maxFragmentUs_;
    av::OutputContext ctx_;
    av::Packet pkt_;
    FILE* playlist_ = nullptr;
    Held video_, audio_;
    int64_t fragmentStartUs_ = 0;
    bool fragmentHasVideo_ = false;
    int64_t audioEnd_ = 0;  // end of the audio handed to the muxer, in 48 kHz samples
    int64_t lastVideoUs_ = -1;
    int64_t originUs_ = 0;     // input time of the first keyframe, subtracted from all
    int64_t lastFrameUs_ = 0;  // duration of the last frame (for the final one)
    uint64_t audioOverlaps_ = 0;
    uint64_t fileEnd_ = 0;
    int64_t listedUs_ = 0;
    size_t fragments_ = 0;
    uint64_t silencePackets_ = 0;
    bool failed_ = false, diskFull_ = false, finished_ = false;
    std::string error_;
};

}  // namespace recorder
