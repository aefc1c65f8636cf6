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
uint64_t nsSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                t)
        .count();
}
}  // namespace

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

void Worker::addIterationHook(Task fn) {
    iterationHooks_.push_back(std::move(fn));
}

void Worker::drainTasks() {
    {
        std::lock_guard<std::mutex> lock(tasksMutex_);
        runningTasks_.swap(tasks_);
    }
    for (auto& t : runningTasks_) {
        try {
            t();
        } catch (const std::exception& e) {
            spdlog::error("worker {}: task threw: {}", index_, e.what());
        }
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
        try {
            fn();
        } catch (const std::exception& e) {
            spdlog::error("worker {}: timer threw: {}", index_, e.what());
        }
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
        auto busyStart = std::chrono::steady_clock::now();
        int timeout = runTimers();
        for (auto& hook : iterationHooks_) hook();
        auto idleStart = std::chrono::steady_clock::now();
        busyNs_.fetch_add(nsSince(busyStart), std::memory_order_relaxed);
        int n = epoll_wait(epollFd_, events, kMaxEvents, timeout);
        auto wake = std::chrono::steady_clock::now();
        idleNs_.fetch_add(
            std::chrono::duration_cast<std::chrono::nanoseconds>(wake - idleStart).count(),
            std::memory_order_relaxed);
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
            try {
                (*cb)(events[i].events);
            } catch (const std::exception& e) {
                spdlog::error("worker {}: fd handler threw: {}", index_, e.what());
            }
        }
        for (auto& hook : iterationHooks_) hook();
        busyNs_.fetch_add(nsSince(wake), std::memory_order_relaxed);
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
