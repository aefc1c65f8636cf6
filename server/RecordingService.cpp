#include "server/RecordingService.hpp"

#include <spdlog/spdlog.h>

#include <fstream>

#include "recorder/Mp4Writer.hpp"
#include "server/Lesson.hpp"
#include "server/LessonService.hpp"
#include "server/ModuleContext.hpp"
#include "server/RecordingJobs.hpp"
#include "server/ResourceService.hpp"
#include "server/Store.hpp"

namespace server {

// One live lesson's recorder; the listener side runs on recording threads.
struct RecordingService::Live : recorder::Recorder::Listener {
    RecordingService& owner;
    int64_t lessonId;
    std::string key;
    recorder::Recorder recorder;
    std::unique_ptr<rtc::MediaEngine::SinkHandle> sink;

    Live(RecordingService& o, int64_t id, const std::filesystem::path& dir)
        : owner(o), lessonId(id), key(std::to_string(id)), recorder(dir, *this) {}

    void onRecordingStarted(const recorder::RecordingSummary& s) override {
        ++owner.started_;
        try {
            std::lock_guard lock(owner.ctx_.store.mutex());
            owner.ctx_.store.run(
                "INSERT OR IGNORE INTO recordings (lesson_id, source, dir, started_at) VALUES (?, "
                "?, ?, ?)",
                lessonId, s.source, owner.relative(s.dir), s.startedAtMs / 1000);
        } catch (const std::exception& e) {
            spdlog::error("recordings: cannot record start of {}: {}", s.dir.string(), e.what());
        }
        spdlog::info("recording lesson {} source '{}' into {}", lessonId, s.source, s.dir.string());
    }
    void onRecordingFailed(const recorder::RecordingSummary& s) override {
        ++owner.failures_;
        if (s.diskFull) ++owner.diskFull_;
        spdlog::critical("ALERT recording of lesson {} source '{}' failed{}: {}", lessonId,
                         s.source, s.diskFull ? " - DISK FULL" : "", s.error);
        try {
            std::lock_guard lock(owner.ctx_.store.mutex());
            owner.ctx_.store.run("UPDATE recordings SET state = 'failed', error = ? WHERE dir = ?",
                                 s.error, owner.relative(s.dir));
        } catch (const std::exception&) {
        }
    }
    void onKeyframeNeeded(const std::string& source) override {
        owner.ctx_.media.requestKeyframe(key, source);
    }
};

RecordingService::RecordingService(ModuleContext& ctx, ResourceService& resources,
                                   RecordingJobs& jobs)
    : ctx_(ctx), resources_(resources), jobs_(jobs) {}

RecordingService::~RecordingService() {
    stopAll();
}

std::string RecordingService::relative(const std::filesystem::path& dir) const {
    return std::filesystem::relative(dir, ctx_.dataDir).string();
}

void RecordingService::recoverUnfinished() {
    std::vector<std::tuple<int64_t, int64_t, std::string, std::string>> open;
    {
        std::lock_guard lock(ctx_.store.mutex());
        auto q = ctx_.store.query(
            "SELECT id, lesson_id, source, dir FROM recordings WHERE state = 'recording'");
        while (q.step()) open.emplace_back(q.integer(0), q.integer(1), q.text(2), q.text(3));
    }
    for (auto& [id, lessonId, source, dir] : open) {
        auto r = recorder::Mp4Writer::recover(ctx_.dataDir / dir);
        recorder::RecordingSummary s;
        s.source = source;
        s.dir = ctx_.dataDir / dir;
        s.durationSeconds = r.durationSeconds;
        s.bytes = r.bytes;
        s.fragments = r.fragments;
        s.state =
            r.fragments > 0 ? recorder::RecordingState::Finished : recorder::RecordingState::Failed;
        s.error = r.fragments > 0 ? "" : "nothing was recorded before the server stopped";
        recorder::SourceRecording::writeState(s);
        ++recovered_;
        spdlog::warn("recovered recording {} of lesson {} ('{}'): {:.1f} s in {} fragments{}", id,
                     lessonId, source, r.durationSeconds, r.fragments,
                     r.truncated ? ", partial fragment cut" : "");
        finished(lessonId, s, true);
    }
}

void RecordingService::lessonLive(const Lesson& lesson) {
    if (!lesson.record || live_.count(lesson.id)) return;
    auto dir = ctx_.dataDir / "recordings" / std::to_string(lesson.id);
    auto live = std::make_unique<Live>(*this, lesson.id, dir);
    live->sink = ctx_.media.addSink(live->key, &live->recorder);
    live_.emplace(lesson.id, std::move(live));
}

void RecordingService::lessonEnded(int64_t lessonId) {
    auto it = live_.find(lessonId);
    if (it == live_.end()) return;
    std::unique_ptr<Live> live = std::move(it->second);
    live_.erase(it);
    live->sink.reset();  // no onRtp after this
    for (const auto& s : live->recorder.stop()) finished(lessonId, s, false);
}

void RecordingService::stopAll() {
    while (!live_.empty()) lessonEnded(live_.begin()->first);
}

void RecordingService::finished(int64_t lessonId, const recorder::RecordingSummary& s,
                                bool recovered) {
    int64_t recordingId = 0;
    try {
        std::lock_guard lock(ctx_.store.mutex());
        std::string rel = relative(s.dir);
        ctx_.store.run(
            "INSERT OR IGNORE INTO recordings (lesson_id, source, dir, started_at) VALUES (?, ?, "
            "?, ?)",
            lessonId, s.source, rel, s.startedAtMs / 1000);
        ctx_.store.run(
            "UPDATE recordings SET state = ?, error = ?, duration = ?, bytes = ?, recovered = ?, "
            "ended_at = unixepoch() WHERE dir = ?",
            std::string(recorder::stateName(s.state)), s.error, s.durationSeconds, int64_t(s.bytes),
            recovered, rel);
        auto q = ctx_.store.query("SELECT id FROM recordings WHERE dir = ?", rel);
        if (q.step()) recordingId = q.integer(0);
    } catch (const std::exception& e) {
        spdlog::error("recordings: {}: {}", s.dir.string(), e.what());
        return;
    }
    // What was written stays playable even when the recording failed (e.g. disk full).
    if (recordingId == 0 || s.durationSeconds < 1.0) return;
    try {
        int64_t resourceId = resources_.createDraft(recordingId);
        jobs_.enqueue(resourceId);
    } catch (const std::exception& e) {
        spdlog::error("library: no resource for recording {}: {}", recordingId, e.what());
    }
}

nlohmann::json RecordingService::listForLesson(int64_t lessonId) const {
    nlohmann::json out = nlohmann::json::array();
    std::lock_guard lock(ctx_.store.mutex());
    auto q = ctx_.store.query(
        "SELECT rec.id, rec.source, rec.state, rec.error, rec.duration, rec.bytes, rec.started_at, "
        "rec.ended_at, rec.recovered, r.id FROM recordings rec LEFT JOIN resources r ON "
        "r.recording_id = rec.id WHERE rec.lesson_id = ? ORDER BY rec.id",
        lessonId);
    while (q.step()) {
        nlohmann::json j = {
            {"id", q.integer(0)},
            {"lesson_id", lessonId},
            {"source", q.text(1)},
            {"state", q.text(2)},
            {"error", q.text(3)},
            {"duration", q.real(4)},
            {"bytes", q.integer(5)},
            {"started_at", LessonService::formatTime(q.integer(6))},
            {"ended_at", q.isNull(7) ? nlohmann::json(nullptr)
                                     : nlohmann::json(LessonService::formatTime(q.integer(7)))},
            {"recovered", q.integer(8) != 0},
            {"resource_id", q.isNull(9) ? nlohmann::json(nullptr) : nlohmann::json(q.integer(9))}};
        out.push_back(j);
    }
    return out;
}

void RecordingService::appendMetrics(std::string& out) const {
    uint64_t dropped = 0;
    size_t active = 0;
    for (const auto& [id, live] : live_) {
        dropped += live->recorder.packetsDropped();
        active += live->recorder.summaries().size();
    }
    out +=
        "# TYPE cb_recordings_active gauge\ncb_recordings_active " + std::to_string(active) + "\n";
    out += "# TYPE cb_recordings_started_total counter\ncb_recordings_started_total " +
           std::to_string(started_.load()) + "\n";
    out += "# TYPE cb_recording_failures_total counter\ncb_recording_failures_total " +
           std::to_string(failures_.load()) + "\n";
    out +=
        "# HELP cb_recording_disk_full_total recordings stopped because the disk was full "
        "(alert)\n";
    out += "# TYPE cb_recording_disk_full_total counter\ncb_recording_disk_full_total " +
           std::to_string(diskFull_.load()) + "\n";
    out += "# TYPE cb_recordings_recovered_total counter\ncb_recordings_recovered_total " +
           std::to_string(recovered_.load()) + "\n";
    out += "# TYPE cb_recorder_packets_dropped_total counter\ncb_recorder_packets_dropped_total " +
           std::to_string(dropped) + "\n";
    out += "# TYPE cb_postprocess_jobs_done_total counter\ncb_postprocess_jobs_done_total " +
           std::to_string(jobs_.done()) + "\n";
    out += "# TYPE cb_postprocess_jobs_failed_total counter\ncb_postprocess_jobs_failed_total " +
           std::to_string(jobs_.failed()) + "\n";
}

}  // namespace server
