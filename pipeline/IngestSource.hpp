#pragma once
// One media source of a lesson, running its GStreamer pipeline on GStreamer's threads
// plus one control thread (bus watch, stall watchdog, retry with back-off 1 s -> 30 s).
// Pulled sources (test://, rtsp://, srt://, rtmp://) connect themselves; pushed ones
// (RTMP/SRT publishers) are fed container bytes through pushBytes().
// Destruction stops the pipeline, joins every thread and detaches from the lesson.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pipeline/MediaChains.hpp"
#include "rtc/MediaEngine.hpp"

namespace pipeline {

enum class SourceState { Connecting, Live, Retrying, Failed, Ended };
const char* toString(SourceState s);

struct SourceOptions {
    // Pulled: "test://pattern[?width=&height=&fps=&freq=&pattern=]",
    // "rtsp://...[?transport=udp|tcp]", "srt://host:port[?...]", "rtmp://...". Pushed: "push:flv"
    // or "push:mpegts".
    std::string uri;
    bool transcode = false;  // re-encode video WebRTC cannot play instead of refusing it
    std::string label;       // for log lines, e.g. "lesson 3 source teacher"
    std::chrono::milliseconds minBackoff{1000};
    std::chrono::milliseconds maxBackoff{30000};
    std::chrono::milliseconds stallTimeout{10000};  // no packets for this long: reconnect
};

struct SourceStatus {
    SourceState state = SourceState::Connecting;
    std::string reason;  // last error / refusal
    uint64_t videoPackets = 0, audioPackets = 0, videoBytes = 0, audioBytes = 0;
    uint64_t restarts = 0;
    double latencyAvgMs = 0, latencyMaxMs = 0;  // passthrough video, ingest-added
    std::string videoCaps;
};

class IngestSource : public rtc::SourceInput::Listener {
public:
    using Attach = std::function<std::unique_ptr<rtc::SourceInput>(rtc::SourceInput::Listener*)>;

    // Throws std::invalid_argument for a URI we cannot ingest (message is user-facing).
    IngestSource(SourceOptions options, const Attach& attach);
    ~IngestSource() override;
    IngestSource(const IngestSource&) = delete;
    IngestSource& operator=(const IngestSource&) = delete;

    SourceStatus status() const;
    bool pushed() const { return pushed_; }
    // Pushed sources: container bytes (FLV / MPEG-TS). Never blocks. False once the
    // source failed (refused codec, broken stream): the caller should hang up.
    bool pushBytes(const uint8_t* data, size_t size);
    void onKeyframeRequested() override;

    // Validates a pulled URI (scheme, options); throws std::invalid_argument.
    static void validateUri(const std::string& uri);

private:
    struct Run;  // one pipeline incarnation
    void controlLoop();
    std::unique_ptr<Run> build();
    bool watch(Run& run);  // returns when the run ends; false: stop requested
    void setState(SourceState s, const std::string& reason = {});

    SourceOptions options_;
    bool pushed_;
    ChainStats stats_;
    std::unique_ptr<rtc::SourceInput> input_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    SourceState state_ = SourceState::Connecting;
    std::string reason_;
    uint64_t restarts_ = 0;
    std::unique_ptr<Run> run_;  // guarded by mutex_ for pushBytes/keyframe access
    std::thread thread_;
};

}  // namespace pipeline
