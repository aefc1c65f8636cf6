#pragma once
// Post-processing jobs (recorder::PostProcessor) on one background thread. Jobs live in
// the `jobs` table, so they survive a restart: at start, a job left `running` by a crash
// is queued again. A job is tried up to three times.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace server {

class Store;
class ResourceService;

class RecordingJobs {
public:
    RecordingJobs(Store& store, ResourceService& resources, std::filesystem::path dataDir);
    ~RecordingJobs();

    void start();
    void stop();
    // Queues (or re-queues) the post-processing of a resource. Any thread.
    void enqueue(int64_t resourceId);
    void wake();

    uint64_t done() const { return done_; }
    uint64_t failed() const { return failed_; }
    static std::filesystem::path vodDir(const std::filesystem::path& dataDir, int64_t resourceId);

private:
    void run();
    bool runOne();

    Store& store_;
    ResourceService& resources_;
    std::filesystem::path dataDir_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::atomic<bool> cancel_{false};
    bool pending_ = true;
    std::thread thread_;
    std::atomic<uint64_t> done_{0}, failed_{0};
};

}  // namespace server
