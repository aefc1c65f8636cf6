#include "server/RecordingJobs.hpp"

#include <spdlog/spdlog.h>

#include "recorder/PostProcessor.hpp"
#include "server/ResourceService.hpp"
#include "server/Store.hpp"

namespace server {

namespace {
constexpr int kMaxAttempts = 3;
}

RecordingJobs::RecordingJobs(Store& store, ResourceService& resources,
                             std::filesystem::path dataDir)
    : store_(store), resources_(resources), dataDir_(std::move(dataDir)) {}

RecordingJobs::~RecordingJobs() {
    stop();
}

std::filesystem::path RecordingJobs::vodDir(const std::filesystem::path& dataDir,
                                            int64_t resourceId) {
    return dataDir / "vod" / std::to_string(resourceId);
}

void RecordingJobs::start() {
    {
        std::lock_guard lock(store_.mutex());
        // A crash (or kill) interrupted these: their staging output is discarded and redone.
        store_.run(
            "UPDATE jobs SET state = 'queued', updated_at = unixepoch() WHERE state = 'running'");
    }
    thread_ = std::thread([this] { run(); });
}

void RecordingJobs::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cancel_ = true;  // a running ffmpeg is killed; its job is queued again for the next start
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void RecordingJobs::enqueue(int64_t resourceId) {
    {
        std::lock_guard lock(store_.mutex());
        // A job for the same resource that has not started yet covers this request too.
        auto q = store_.query("SELECT 1 FROM jobs WHERE resource_id = ? AND state = 'queued'",
                              resourceId);
        if (!q.step())
            store_.run("INSERT INTO jobs (kind, resource_id) VALUES ('postprocess', ?)",
                       resourceId);
        store_.run("UPDATE resources SET processing = 'pending' WHERE id = ?", resourceId);
    }
    wake();
}

void RecordingJobs::wake() {
    {
        std::lock_guard lock(mutex_);
        pending_ = true;
    }
    cv_.notify_all();
}

void RecordingJobs::run() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, std::chrono::seconds(30), [&] { return stopping_ || pending_; });
            if (stopping_) return;
            pending_ = false;
        }
        while (runOne()) {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
        }
    }
}

bool RecordingJobs::runOne() {
    int64_t jobId = 0, resourceId = 0, attempts = 0;
    double trimStart = 0;
    std::optional<double> trimEnd;
    std::string dir;
    try {
        std::lock_guard lock(store_.mutex());
        auto q = store_.query(
            "SELECT j.id, j.resource_id, j.attempts, r.trim_start, r.trim_end, rec.dir "
            "FROM jobs j JOIN resources r ON r.id = j.resource_id "
            "LEFT JOIN recordings rec ON rec.id = r.recording_id "
            "WHERE j.state = 'queued' ORDER BY j.id LIMIT 1");
        if (!q.step()) return false;
        jobId = q.integer(0);
        resourceId = q.integer(1);
        attempts = q.integer(2) + 1;
        trimStart = q.real(3);
        if (!q.isNull(4)) trimEnd = q.real(4);
        dir = q.isNull(5) ? std::string() : q.text(5);
        store_.run(
            "UPDATE jobs SET state = 'running', attempts = ?, updated_at = unixepoch() WHERE id = "
            "?",
            attempts, jobId);
        store_.run("UPDATE resources SET processing = 'running' WHERE id = ?", resourceId);
    } catch (const std::exception& e) {
        spdlog::error("jobs: {}", e.what());
        return false;
    }
    recorder::PostProcessRequest req;
    req.input = dataDir_ / dir / "recording.mp4";
    req.outDir = vodDir(dataDir_, resourceId);
    req.trimStart = trimStart;
    req.trimEnd = trimEnd;
    req.cancel = &cancel_;
    auto t0 = std::chrono::steady_clock::now();
    try {
        if (dir.empty()) throw std::runtime_error("the recording is gone");
        auto result = recorder::PostProcessor::run(req);
        resources_.setProcessing(resourceId, "ready", "", result.durationSeconds, result.bytes);
        std::lock_guard lock(store_.mutex());
        store_.run(
            "UPDATE jobs SET state = 'done', error = '', updated_at = unixepoch() WHERE id = ?",
            jobId);
        ++done_;
        spdlog::info("jobs: resource {} processed in {:.1f} s ({:.1f} s of video)", resourceId,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                     result.durationSeconds);
    } catch (const recorder::Cancelled&) {
        spdlog::info("jobs: resource {} interrupted by shutdown; it runs again at the next start",
                     resourceId);
        resources_.setProcessing(resourceId, "pending", "");
        std::lock_guard lock(store_.mutex());
        store_.run(
            "UPDATE jobs SET state = 'queued', attempts = ?, updated_at = unixepoch() "
            "WHERE id = ?",
            attempts - 1, jobId);
        return false;
    } catch (const std::exception& e) {
        bool retry = attempts < kMaxAttempts;
        spdlog::error("jobs: resource {} attempt {}: {}", resourceId, attempts, e.what());
        resources_.setProcessing(resourceId, retry ? "pending" : "failed", e.what());
        std::lock_guard lock(store_.mutex());
        store_.run("UPDATE jobs SET state = ?, error = ?, updated_at = unixepoch() WHERE id = ?",
                   std::string(retry ? "queued" : "failed"), std::string(e.what()), jobId);
        if (!retry) ++failed_;
    }
    return true;
}

}  // namespace server
