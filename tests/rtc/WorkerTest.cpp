// rtc::Worker: tasks run in order on the worker thread, runSync propagates results and
// exceptions, timers fire (once / repeatedly) and can be cancelled, load is accounted.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "rtc/Worker.hpp"

using namespace std::chrono_literals;

namespace {

template <typename Pred>
bool waitUntil(Pred pred, std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

TEST(Worker, PostedTasksRunInOrderOnTheWorkerThread) {
    rtc::Worker w(0);
    w.start();
    std::mutex m;
    std::vector<int> seen;
    std::atomic<bool> allOnWorker{true};
    std::vector<std::thread> posters;
    // Each poster's own tasks stay in order even with several posting threads.
    for (int t = 0; t < 4; ++t)
        posters.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i)
                w.post([&, t, i] {
                    if (!w.isCurrentThread()) allOnWorker = false;
                    std::lock_guard lock(m);
                    seen.push_back(t * 1000 + i);
                });
        });
    for (auto& p : posters) p.join();
    ASSERT_TRUE(waitUntil([&] {
        std::lock_guard lock(m);
        return seen.size() == 2000;
    }));
    EXPECT_TRUE(allOnWorker);
    std::vector<int> last(4, -1);
    for (int v : seen) {
        EXPECT_GT(v % 1000, last[v / 1000]);
        last[v / 1000] = v % 1000;
    }
    EXPECT_FALSE(w.isCurrentThread());
    EXPECT_GE(w.tasksRun(), 2000u);
}

TEST(Worker, RunSyncReturnsAfterTheTaskAndPropagatesExceptions) {
    rtc::Worker w(1);
    w.start();
    int value = 0;
    w.runSync([&] { value = 42; });
    EXPECT_EQ(value, 42);
    EXPECT_THROW(w.runSync([] { throw std::runtime_error("boom"); }), std::runtime_error);
    // The loop survives a throwing task.
    w.runSync([&] { value = 7; });
    EXPECT_EQ(value, 7);
}

TEST(Worker, TimersFireOnceRepeatAndCancel) {
    rtc::Worker w(2);
    w.start();
    std::atomic<int> once{0}, repeat{0}, cancelled{0};
    rtc::Worker::TimerId repeatId = 0;
    auto t0 = std::chrono::steady_clock::now();
    std::atomic<int64_t> onceAfterMs{-1};
    w.runSync([&] {
        w.addTimer(50ms, false, [&] {
            onceAfterMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - t0)
                              .count();
            ++once;
        });
        repeatId = w.addTimer(10ms, true, [&] { ++repeat; });
        auto c = w.addTimer(30ms, false, [&] { ++cancelled; });
        w.cancelTimer(c);
    });
    ASSERT_TRUE(waitUntil([&] { return once == 1 && repeat >= 5; }));
    // Never early (a late timer under load is fine).
    EXPECT_GE(onceAfterMs.load(), 50);
    w.runSync([&] { w.cancelTimer(repeatId); });
    int after = repeat;
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(repeat.load(), after);
    EXPECT_EQ(once.load(), 1);
    EXPECT_EQ(cancelled.load(), 0);
}

TEST(Worker, TimerMayCancelItselfAndAddAnother) {
    rtc::Worker w(3);
    w.start();
    std::atomic<int> fired{0}, second{0};
    rtc::Worker::TimerId id = 0;
    w.runSync([&] {
        id = w.addTimer(5ms, true, [&] {
            ++fired;
            w.cancelTimer(id);
            w.addTimer(5ms, false, [&] { ++second; });
        });
    });
    ASSERT_TRUE(waitUntil([&] { return second == 1; }));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(fired.load(), 1);
}

TEST(Worker, AccountsBusyAndIdleTime) {
    rtc::Worker w(4);
    w.start();
    w.runSync([] {
        auto end = std::chrono::steady_clock::now() + 30ms;
        while (std::chrono::steady_clock::now() < end) {
        }
    });
    std::this_thread::sleep_for(50ms);
    w.runSync([] {});
    EXPECT_GE(w.busyNs(), 30'000'000u);
    EXPECT_GT(w.idleNs(), 0u);
}

TEST(Worker, StopDropsLaterTasksAndRunSyncReportsIt) {
    rtc::Worker w(5);
    w.start();
    w.stop();
    EXPECT_THROW(w.runSync([] {}), std::future_error);
}

}  // namespace
