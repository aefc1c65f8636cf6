#pragma once
// Live recording of lessons with record=true: a recorder::Recorder per live lesson,
// attached to the media engine as a sink; the `recordings` rows; at the end of each
// recording a draft library resource and its post-processing job. At start-up, recordings
// a crash left open are closed (recorder::Mp4Writer::recover) and enter the library too.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "recorder/Recorder.hpp"
#include "rtc/MediaEngine.hpp"

namespace server {

struct ModuleContext;
struct Lesson;
class ResourceService;
class RecordingJobs;

class RecordingService {
public:
    RecordingService(ModuleContext& ctx, ResourceService& resources, RecordingJobs& jobs);
    ~RecordingService();

    void recoverUnfinished();  // before anything records
    void lessonLive(const Lesson& lesson);
    void lessonEnded(int64_t lessonId);
    void stopAll();
    nlohmann::json listForLesson(int64_t lessonId) const;
    void appendMetrics(std::string& out) const;

private:
    struct Live;
    void finished(int64_t lessonId, const recorder::RecordingSummary& s, bool recovered);
    std::string relative(const std::filesystem::path& dir) const;

    ModuleContext& ctx_;
    ResourceService& resources_;
    RecordingJobs& jobs_;
    std::map<int64_t, std::unique_ptr<Live>> live_;  // HTTP thread only
    std::atomic<uint64_t> failures_{0}, diskFull_{0}, recovered_{0}, started_{0};
};

}  // namespace server
