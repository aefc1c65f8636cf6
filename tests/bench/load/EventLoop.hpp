#pragma once
// A single-threaded epoll loop for the load client: fd readiness, absolute-time timers
// (timerfd) and tasks posted from other threads (eventfd). Every Peer lives on one loop.
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace load {

class FdHandler {
public:
    virtual ~FdHandler() = default;
    virtual void onReadable() = 0;
};

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd();
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return fd_; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }

private:
    int fd_ = -1;
};

int64_t monoNs();      // CLOCK_MONOTONIC, for pacing and timeouts
int64_t realtimeNs();  // CLOCK_REALTIME, comparable with SO_TIMESTAMPNS receive stamps

class EventLoop {
public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void add(int fd, FdHandler* handler);
    void remove(int fd);
    // Thread-safe: runs fn on the loop thread.
    void post(std::function<void()> fn);
    // Thread-safe: runs fn on the loop thread and waits for it.
    void call(const std::function<void()>& fn);
    // Called on the loop thread every periodMs (retransmissions, consent, DTLS timers).
    void setTick(int periodMs, std::function<void()> fn);
    // Sleeps this long before each wait, so that bursts pile up in the socket buffers and are
    // read with one recvmmsg per socket (fewer system calls per packet on the load side; the
    // latency measurement uses kernel receive timestamps, so it is not affected).
    void setCoalesce(int microseconds) { coalesceUs_ = microseconds; }
    void run();   // until stop()
    void stop();  // thread-safe

private:
    void drainTasks();

    UniqueFd epoll_;
    UniqueFd eventFd_;
    UniqueFd timerFd_;
    std::function<void()> tick_;
    std::mutex mutex_;
    std::vector<std::function<void()>> tasks_;
    bool stop_ = false;
    int coalesceUs_ = 0;
};

// A one-shot timer at an absolute CLOCK_MONOTONIC time, on a loop.
class Timer : public FdHandler {
public:
    Timer(EventLoop& loop, std::function<void()> fn);
    ~Timer() override;
    void armAt(int64_t monoNs);
    void onReadable() override;

private:
    EventLoop& loop_;
    UniqueFd fd_;
    std::function<void()> fn_;
};

}  // namespace load
