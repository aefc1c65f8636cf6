#pragma once
// One media thread: an epoll loop with a cross-thread task queue (eventfd wake-up),
// timers and fd watchers. Every media object (transport, router) lives on exactly one
// worker and is touched only from its thread; other threads talk to it through post().
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rtc {

class Worker {
public:
    using Task = std::function<void()>;
    using TimerId = uint64_t;
    using FdCallback = std::function<void(uint32_t epollEvents)>;

    explicit Worker(unsigned index);
    ~Worker();  // stops and joins; pending tasks are dropped
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    unsigned index() const { return index_; }
    void start();
    void stop();  // idempotent; from any thread but the worker's own

    // Any thread. Runs fn on the worker thread, in order. Dropped after stop().
    void post(Task fn);
    // Any thread but the worker's own: runs fn on the worker and waits for it. Exceptions
    // propagate to the caller. Runs inline when called on the worker itself.
    void runSync(const Task& fn);
    bool isCurrentThread() const { return std::this_thread::get_id() == threadId_.load(); }

    // ---- worker thread only ----
    TimerId addTimer(std::chrono::milliseconds delay, bool repeat, Task fn);
    void cancelTimer(TimerId id);
    void addFd(int fd, uint32_t events, FdCallback cb);
    void modifyFd(int fd, uint32_t events);
    void removeFd(int fd);
    // Called at the end of every loop iteration (flushes send batches). `first`: before
    // the hooks added so far (work that produces sends runs before they are flushed).
    void addIterationHook(Task fn, bool first = false);

    // Loop load for metrics: nanoseconds spent handling events vs waiting.
    uint64_t busyNs() const { return busyNs_.load(std::memory_order_relaxed); }
    uint64_t idleNs() const { return idleNs_.load(std::memory_order_relaxed); }
    uint64_t tasksRun() const { return tasksRun_.load(std::memory_order_relaxed); }

    // How long single pieces of work held the loop, per kind: media that arrives meanwhile
    // waits, so these are the stalls behind forwarding latency (/metrics). One writer (the
    // worker), read by any thread.
    enum WorkKind : unsigned { kTimerWork, kTaskWork, kFdWork, kHookWork, kWorkKinds };
    static constexpr std::array<uint64_t, 8> kStallBoundsNs = {
        100'000, 250'000, 500'000, 1'000'000, 2'000'000, 4'000'000, 8'000'000, 16'000'000};
    struct WorkStats {
        std::atomic<uint64_t> buckets[kStallBoundsNs.size() + 1]{};  // last: above all bounds
        std::atomic<uint64_t> sumNs{0}, maxNs{0};
    };
    const WorkStats& workStats(WorkKind k) const { return work_[k]; }
    static const char* workKindName(WorkKind k);

private:
    void run();
    void drainTasks();
    int runTimers();  // returns ms until the next timer, or -1
    void record(WorkKind kind, std::chrono::steady_clock::time_point start,
                std::chrono::steady_clock::time_point end);

    struct Timer {
        std::chrono::steady_clock::time_point due;
        std::chrono::milliseconds period;
        bool repeat;
        Task fn;
    };

    const unsigned index_;
    int epollFd_ = -1;
    int wakeFd_ = -1;
    std::thread thread_;
    std::atomic<std::thread::id> threadId_{};
    std::atomic<bool> running_{false};

    std::mutex tasksMutex_;
    std::vector<Task> tasks_;
    bool accepting_ = true;  // guarded by tasksMutex_
    std::vector<Task> runningTasks_;

    TimerId nextTimerId_ = 1;
    std::unordered_map<TimerId, Timer> timers_;
    std::multimap<std::chrono::steady_clock::time_point, TimerId> timerQueue_;
    std::unordered_map<int, std::shared_ptr<FdCallback>> fds_;
    std::vector<Task> iterationHooks_;

    std::atomic<uint64_t> busyNs_{0};
    std::atomic<uint64_t> idleNs_{0};
    std::atomic<uint64_t> tasksRun_{0};
    WorkStats work_[kWorkKinds];
    static constexpr uint64_t kStallLogNs = 50'000'000;
    std::chrono::steady_clock::time_point lastStallLog_{};
};

}  // namespace rtc
