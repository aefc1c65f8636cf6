#include "EventLoop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <stdexcept>
#include <system_error>

namespace load {

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}

static int64_t clockNs(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}
int64_t monoNs() {
    return clockNs(CLOCK_MONOTONIC);
}
int64_t realtimeNs() {
    return clockNs(CLOCK_REALTIME);
}

static int check(int rc, const char* what) {
    if (rc < 0) throw std::system_error(errno, std::generic_category(), what);
    return rc;
}

// Sentinels stored in epoll data.ptr for the loop's own descriptors.
static char kWakeTag;
static char kTickTag;

EventLoop::EventLoop()
    : epoll_(check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      eventFd_(check(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      timerFd_(check(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd")) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &kWakeTag;
    check(epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, eventFd_.get(), &ev), "epoll_ctl");
    ev.data.ptr = &kTickTag;
    check(epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, timerFd_.get(), &ev), "epoll_ctl");
}

EventLoop::~EventLoop() = default;

void EventLoop::add(int fd, FdHandler* handler) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = handler;
    check(epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev), "epoll_ctl add");
}

void EventLoop::remove(int fd) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::post(std::function<void()> fn) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(fn));
    }
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(eventFd_.get(), &one, sizeof one);
}

void EventLoop::call(const std::function<void()>& fn) {
    std::promise<void> done;
    post([&] {
        try {
            fn();
            done.set_value();
        } catch (...) {
            done.set_exception(std::current_exception());
        }
    });
    done.get_future().get();
}

void EventLoop::setTick(int periodMs, std::function<void()> fn) {
    tick_ = std::move(fn);
    itimerspec its{};
    its.it_interval.tv_sec = periodMs / 1000;
    its.it_interval.tv_nsec = (periodMs % 1000) * 1000000L;
    its.it_value = its.it_interval;
    check(timerfd_settime(timerFd_.get(), 0, &its, nullptr), "timerfd_settime");
}

void EventLoop::stop() {
    post([this] { stop_ = true; });
}

void EventLoop::drainTasks() {
    uint64_t v;
    [[maybe_unused]] ssize_t n = ::read(eventFd_.get(), &v, sizeof v);
    std::vector<std::function<void()>> tasks;
    {
        std::lock_guard lock(mutex_);
        tasks.swap(tasks_);
    }
    for (auto& t : tasks) t();
}

void EventLoop::run() {
    epoll_event events[256];
    while (!stop_) {
        if (coalesceUs_ > 0) {
            timespec ts{0, coalesceUs_ * 1000L};
            nanosleep(&ts, nullptr);
        }
        int n = epoll_wait(epoll_.get(), events, 256, 1000);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            void* p = events[i].data.ptr;
            if (p == &kWakeTag) {
                drainTasks();
            } else if (p == &kTickTag) {
                uint64_t v;
                [[maybe_unused]] ssize_t r = ::read(timerFd_.get(), &v, sizeof v);
                if (tick_) tick_();
            } else {
                static_cast<FdHandler*>(p)->onReadable();
            }
        }
    }
}

Timer::Timer(EventLoop& loop, std::function<void()> fn)
    : loop_(loop),
      fd_(check(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), "timerfd")),
      fn_(std::move(fn)) {
    loop_.add(fd_.get(), this);
}

Timer::~Timer() {
    loop_.remove(fd_.get());
}

void Timer::armAt(int64_t ns) {
    itimerspec its{};
    if (ns <= 0) ns = 1;
    its.it_value.tv_sec = ns / 1000000000;
    its.it_value.tv_nsec = ns % 1000000000;
    check(timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &its, nullptr), "timerfd_settime");
}

void Timer::onReadable() {
    uint64_t v;
    if (::read(fd_.get(), &v, sizeof v) != sizeof v) return;
    fn_();
}

}  // namespace load
