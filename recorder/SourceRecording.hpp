#pragma once
// The recording of one source of a live lesson: RTP in (any thread, copied into a bounded
// queue), and on its own thread: reorder, depacketize, map clocks, mux (Mp4Writer).
// A media worker never waits on this thread or the disk: when the queue is full the
// packet is dropped and counted.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "recorder/ClockMapper.hpp"
#include "recorder/H264Depacketizer.hpp"
#include "recorder/Mp4Writer.hpp"
#include "recorder/OpusDepacketizer.hpp"
#include "recorder/ReorderBuffer.hpp"
#include "recorder/StartAligner.hpp"
#include "rtc/MediaEngine.hpp"

namespace recorder {

enum class RecordingState { Recording, Finished, Failed };
const char* stateName(RecordingState s);

struct RecordingSummary {
    std::string source;
    std::filesystem::path dir;
    RecordingState state = RecordingState::Recording;
    std::string error;
    double durationSeconds = 0;
    uint64_t bytes = 0;
    size_t fragments = 0;
    int64_t startedAtMs = 0;  // Unix time
    uint64_t packetsDropped = 0, packetsLost = 0, framesDropped = 0;
    bool diskFull = false;
};

struct SourceRecordingOptions {
    size_t queuePackets = 8192;  // ~ 20 s of a 1.5 Mbit/s source
    int64_t maxFragmentUs = 2'000'000;
    size_t videoReorderDepth = 48;  // packets a gap is waited for (NACK)
    size_t audioReorderDepth = 8;
};

class SourceRecording {
public:
    // needKeyframe: called on the recording's thread (throttled) when the video is broken
    // until the next keyframe; onFailed: once, on the recording's thread; onStarted: on the
    // recording's thread once its directory and state file exist.
    SourceRecording(std::string source, std::filesystem::path dir, int64_t startedAtMs,
                    std::function<void()> needKeyframe,
                    std::function<void(const RecordingSummary&)> onFailed = {},
                    SourceRecordingOptions options = {},
                    std::function<void(const RecordingSummary&)> onStarted = {});
    ~SourceRecording();
    SourceRecording(const SourceRecording&) = delete;
    SourceRecording& operator=(const SourceRecording&) = delete;

    // Any thread; never blocks on I/O. wallUs: arrival time (steady clock, microseconds).
    void push(rtc::MediaKind kind, const uint8_t* data, size_t size, int64_t wallUs);
    // Processes what is queued, finishes the files and joins the thread. Idempotent.
    RecordingSummary stop();
    RecordingSummary summary() const;
    const std::string& source() const { return source_; }

    static int64_t nowUs();  // the steady clock push() expects
    // Writes dir/state.json (state, source, error ...) atomically.
    static void writeState(const RecordingSummary& s);

private:
    struct Item {
        rtc::MediaKind kind;
        int64_t wallUs;
        std::vector<uint8_t> data;
    };
    void run();
    void process(Item& item);
    void dispatch(Item& item);
    void startClocks();
    void onVideo(const std::vector<uint8_t>& packet, bool lost, int64_t wallUs);
    void onAudio(const std::vector<uint8_t>& packet, bool lost, int64_t wallUs);
    void checkWriter();

    const std::string source_;
    const std::filesystem::path dir_;
    const int64_t startedAtMs_;
    const SourceRecordingOptions options_;
    std::function<void()> needKeyframe_;
    std::function<void(const RecordingSummary&)> onFailed_;
    std::function<void(const RecordingSummary&)> onStarted_;

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Item> queue_;
    bool stopping_ = false;
    std::atomic<uint64_t> dropped_{0};
    std::atomic<bool> dropLogged_{false};
    std::thread thread_;
    bool stopped_ = false;

    // Recording thread only.
    std::unique_ptr<Mp4Writer> writer_;
    H264Depacketizer h264_;
    OpusDepacketizer opus_;
    ReorderBuffer videoOrder_, audioOrder_;
    std::unique_ptr<ClockMapper> videoClock_, audioClock_;
    StartAligner aligner_;
    std::deque<Item> warmup_;  // packets held until the aligner has placed both streams
    std::vector<AccessUnit> units_;
    bool failedReported_ = false;

    // Published by the recording thread for summary().
    RecordingSummary published_;
};

}  // namespace recorder
