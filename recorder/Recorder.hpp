#pragma once
// Records one live lesson: an rtc::RtpSink that gives every source of the lesson its own
// SourceRecording (own thread, own files under lessonDir/<source>-<start ms>/).
// onRtp runs on a media worker: it only looks up the source and copies the packet.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "recorder/SourceRecording.hpp"
#include "rtc/MediaEngine.hpp"

namespace recorder {

class Recorder : public rtc::RtpSink {
public:
    // Called on recording threads, never on the media worker.
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void onRecordingStarted(const RecordingSummary&) {}
        virtual void onRecordingFailed(const RecordingSummary&) {}
        virtual void onKeyframeNeeded(const std::string& source) = 0;
    };

    Recorder(std::filesystem::path lessonDir, Listener& listener,
             SourceRecordingOptions options = {});
    ~Recorder() override;

    void onRtp(const std::string& source, rtc::MediaKind kind, const uint8_t* data,
               size_t size) override;

    // Ends every source's recording (after the sink was detached). Idempotent.
    std::vector<RecordingSummary> stop();
    std::vector<RecordingSummary> summaries() const;
    uint64_t packetsDropped() const;

    // A directory name for a source: [A-Za-z0-9_-] only, at most 32 characters.
    static std::string safeName(const std::string& source);

private:
    const std::filesystem::path lessonDir_;
    Listener& listener_;
    const SourceRecordingOptions options_;
    mutable std::mutex mutex_;
    bool stopped_ = false;
    std::map<std::string, std::unique_ptr<SourceRecording>> sources_;
    std::vector<RecordingSummary> finished_;
};

}  // namespace recorder
