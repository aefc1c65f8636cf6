#include "rtc/Worker.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <exception>
#include <future>
#include <system_error>

namespace rtc {

namespace {
using Clock = std::chrono::steady_clock;
uint64_t nsBetween(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}
// Single writer: a plain load + store instead of a locked read-modify-write.
void bump(std::atomic<uint64_t>& c, uint64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace

const char* Worker::workKindName(WorkKind k) {
    switch (k) {
        case kTimerWork:
            return "timer";
        case kTaskWork:
            return "task";
        case kFdWork:
            return "fd";
        case kHookWork:
            return "hook";
        default:
            return "?";
    }
}

void Worker::record(WorkKind kind, Clock::time_point start, Clock::time_point end) {
    const uint64_t ns = nsBetween(start, end);
    WorkStats& w = work_[kind];
    size_t b = 0;
    while (b < kStallBoundsNs.size() && ns > kStallBoundsNs[b]) ++b;
    bump(w.buckets[b], 1);
    bump(w.sumNs, ns);
    if (ns > w.maxNs.load(std::memory_order_relaxed)) w.maxNs.store(ns, std::memory_order_relaxed);
    // Long stalls also go to the log (when they happen matters), at most one line a second.
    if (ns >= kStallLogNs && end - lastStallLog_ >= std::chrono::seconds(1)) {
        lastStallLog_ = end;
        spdlog::warn("worker {}: one piece of {} work held the loop for {:.1f} ms", index_,
                     workKindName(kind), ns / 1e6);
    }
}

Worker::Worker(unsigned index) : index_(index) {
    epollFd_ = epoll_create1(EPOLL_CLOEXEC);
    wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epollFd_ < 0 || wakeFd_ < 0) {
        if (epollFd_ >= 0) ::close(epollFd_);
        if (wakeFd_ >= 0) ::close(wakeFd_);
        throw std::system_error(errno, std::generic_category(), "worker epoll/eventfd");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wakeFd_;
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

Worker::~Worker() {
    stop();
    ::close(wakeFd_);
    ::close(epollFd_);
}

void Worker::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] { run(); });
}

void Worker::stop() {
    {
        // Later posts are dropped at once, so runSync() callers see broken_promise
        // instead of waiting for a loop that will not run again.
        std::lock_guard<std::mutex> lock(tasksMutex_);
        accepting_ = false;
    }
    if (running_.exchange(false)) {
        uint64_t one = 1;
        (void)!::write(wakeFd_, &one, sizeof(one));
    }
    if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

void Worker::post(Task fn) {
    bool wake;
    {
        std::lock_guard<std::mutex> lock(tasksMutex_);
        if (!accepting_) return;
        wake = tasks_.empty();
        tasks_.push_back(std::move(fn));
    }
    // One write per burst: the loop drains the whole queue per wake-up.
    if (wake) {
        uint64_t one = 1;
        (void)!::write(wakeFd_, &one, sizeof(one));
    }
}

void Worker::runSync(const Task& fn) {
    if (isCurrentThread()) {
        fn();
        return;
    }
    auto done = std::make_shared<std::promise<void>>();
    auto result = done->get_future();
    // The task owns the only reference: dropping it breaks the promise.
    post([fn, done = std::move(done)] {
        try {
            fn();
            done->set_value();
        } catch (...) {
            done->set_exception(std::current_exception());
        }
    });
    // A stopped worker drops tasks (and with them the promise): broken_promise tells.
    result.get();
}

Worker::TimerId Worker::addTimer(std::chrono::milliseconds delay, bool repeat, Task fn) {
    TimerId id = nextTimerId_++;
    auto due = std::chrono::steady_clock::now() + delay;
    timers_.emplace(id, Timer{due, delay, repeat, std::move(fn)});
    timerQueue_.emplace(due, id);
    return id;
}

void Worker::cancelTimer(TimerId id) {
    // The queue entry stays and is skipped when it comes due.
    timers_.erase(id);
}

void Worker::addFd(int fd, uint32_t events, FdCallback cb) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl add");
    fds_[fd] = std::make_shared<FdCallback>(std::move(cb));
}

void Worker::modifyFd(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epollFd_, EPOLL_CTL_MOD, fd, &ev);
}

void Worker::removeFd(int fd) {
    epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
    fds_.erase(fd);
}

void Worker::addIterationHook(Task fn, bool first) {
    iterationHooks_.insert(first ? iterationHooks_.begin() : iterationHooks_.end(), std::move(fn));
}

void Worker::drainTasks() {
    {
        std::lock_guard<std::mutex> lock(tasksMutex_);
        runningTasks_.swap(tasks_);
    }
    for (auto& t : runningTasks_) {
        const auto start = Clock::now();
        try {
            t();
        } catch (const std::exception& e) {
            spdlog::error("worker {}: task threw: {}", index_, e.what());
        }
        record(kTaskWork, start, Clock::now());
    }
    tasksRun_.fetch_add(runningTasks_.size(), std::memory_order_relaxed);
    runningTasks_.clear();
}

int Worker::runTimers() {
    auto now = std::chrono::steady_clock::now();
    while (!timerQueue_.empty() && timerQueue_.begin()->first <= now) {
        auto [due, id] = *timerQueue_.begin();
        timerQueue_.erase(timerQueue_.begin());
        auto it = timers_.find(id);
        if (it == timers_.end() || it->second.due != due) continue;  // cancelled / stale
        Task fn = it->second.fn;  // the callback may cancel itself
        if (it->second.repeat) {
            it->second.due = now + it->second.period;
            timerQueue_.emplace(it->second.due, id);
        } else {
            timers_.erase(it);
        }
        const auto start = Clock::now();
        try {
            fn();
        } catch (const std::exception& e) {
            spdlog::error("worker {}: timer threw: {}", index_, e.what());
        }
        now = Clock::now();
        record(kTimerWork, start, now);
    }
    if (timerQueue_.empty()) return -1;
    auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(timerQueue_.begin()->first - now)
            .count();
    return wait < 0 ? 0 : static_cast<int>(wait) + 1;
}

void Worker::run() {
    threadId_.store(std::this_thread::get_id());
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    while (running_.load(std::memory_order_relaxed)) {
        const auto busyStart = Clock::now();
        int timeout = runTimers();
        const auto hooksStart = Clock::now();
        for (auto& hook : iterationHooks_) hook();
        const auto idleStart = Clock::now();
        record(kHookWork, hooksStart, idleStart);
        bump(busyNs_, nsBetween(busyStart, idleStart));
        int n = epoll_wait(epollFd_, events, kMaxEvents, timeout);
        const auto wake = Clock::now();
        bump(idleNs_, nsBetween(idleStart, wake));
        if (n < 0) {
            if (errno == EINTR) continue;
            spdlog::error("worker {}: epoll_wait: {}", index_, std::strerror(errno));
            break;
        }
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == wakeFd_) {
                uint64_t v;
                (void)!::read(wakeFd_, &v, sizeof(v));
                drainTasks();
                continue;
            }
            auto it = fds_.find(fd);
            if (it == fds_.end()) continue;
            auto cb = it->second;  // keeps the callback alive if it removes itself
            const auto start = Clock::now();
            try {
                (*cb)(events[i].events);
            } catch (const std::exception& e) {
                spdlog::error("worker {}: fd handler threw: {}", index_, e.what());
            }
            record(kFdWork, start, Clock::now());
        }
        const auto flushStart = Clock::now();
        for (auto& hook : iterationHooks_) hook();
        const auto end = Clock::now();
        record(kHookWork, flushStart, end);
        bump(busyNs_, nsBetween(wake, end));
    }
    std::vector<Task> dropped;
    {
        std::lock_guard<std::mutex> lock(tasksMutex_);
        accepting_ = false;
        dropped.swap(tasks_);
    }
    dropped.clear();
    threadId_.store(std::thread::id());
}

}  // namespace rtc
