#pragma once
// A few threads for handler work too heavy for the HTTP loop thread (password hashing):
// a bounded queue so a flood of such requests is refused (503) instead of queuing
// without limit. Jobs must not touch lws objects; they post results back to the loop.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace signaling {

class WorkPool {
public:
    WorkPool(size_t threads, size_t maxQueued);
    ~WorkPool();  // stop()
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;

    // False (job not taken) when maxQueued jobs are already waiting or the pool stopped.
    bool trySubmit(std::function<void()> job);
    // Lets running jobs finish, drops queued ones, joins the threads. Idempotent.
    void stop();

private:
    void run();

    const size_t maxQueued_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace signaling
