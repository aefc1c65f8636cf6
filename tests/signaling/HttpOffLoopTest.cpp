// Response::offLoop against real curl clients: the work runs on the pool while the loop
// keeps answering others; errors map as for handlers; a full queue answers 503; a client
// that left before the result does not disturb the server.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/Error.hpp"
#include "signaling/HttpServer.hpp"
#include "tests/signaling/TestHttp.hpp"

using namespace signaling;
using testhttp::Options;
using testhttp::request;
using namespace std::chrono_literals;

namespace {

// Polls until cond() holds; false after `limit` (generous: the machine may be loaded).
template <typename F>
bool waitUntil(F cond, std::chrono::seconds limit = 30s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

class HttpOffLoopTest : public ::testing::Test {
protected:
    // /slow: off-loop work that blocks until release(); /fast: a plain handler.
    void start(HttpOptions o = {}) {
        o.port = 0;
        server_ = std::make_unique<HttpServer>(o);
        server_->route("GET", "/fast", [this](Request&) {
            loopThread_ = std::this_thread::get_id();
            return Response::json(200, "\"fast\"");
        });
        server_->route("GET", "/slow", [this](Request&) {
            ++handlerCalls_;
            return Response::deferred([this] {
                workThread_ = std::this_thread::get_id();
                ++started_;
                gate_.wait_for(60s);
                ++finished_;
                return Response::json(201, "\"slow\"");
            });
        });
        server_->route("GET", "/throws/{kind}", [](Request& r) {
            std::string kind = r.param("kind");
            return Response::deferred([kind]() -> Response {
                if (kind == "api") throw common::ApiError::conflict("double_booked", "busy");
                throw std::runtime_error("secret detail");
            });
        });
        server_->start();
    }
    void release() {
        if (!releasedOnce_.exchange(true)) released_.set_value();
    }
    void TearDown() override {
        release();
        if (server_) server_->stop();
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    }
    std::future<testhttp::Reply> requestAsync(const std::string& path, long timeout = 60) {
        Options o;
        o.timeoutSeconds = timeout;
        return std::async(std::launch::async, [u = url(path), o] { return request(u, o); });
    }

    std::unique_ptr<HttpServer> server_;
    std::promise<void> released_;
    std::shared_future<void> gate_ = released_.get_future().share();
    std::atomic<bool> releasedOnce_{false};
    std::atomic<int> handlerCalls_{0}, started_{0}, finished_{0};
    std::thread::id loopThread_, workThread_;
};

TEST_F(HttpOffLoopTest, LoopAnswersOthersWhileWorkRuns) {
    start();
    auto slow = requestAsync("/slow");
    ASSERT_TRUE(waitUntil([&] { return started_ == 1; }));
    // The work is blocked; a loop-thread handler would never get here before release().
    Options quick;
    quick.timeoutSeconds = 20;
    auto fast = request(url("/fast"), quick);
    EXPECT_EQ(fast.status, 200);
    EXPECT_EQ(finished_, 0);
    release();
    auto r = slow.get();
    EXPECT_EQ(r.status, 201);
    EXPECT_EQ(r.body, "\"slow\"");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_NE(workThread_, loopThread_);
}

TEST_F(HttpOffLoopTest, ErrorsBecomeJsonErrors) {
    release();
    start();
    auto r = request(url("/throws/api"));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "double_booked");
    r = request(url("/throws/other"));
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "internal_error");
    EXPECT_EQ(r.body.find("secret detail"), std::string::npos);
}

TEST_F(HttpOffLoopTest, FullQueueAnswers503) {
    HttpOptions o;
    o.offLoopThreads = 1;
    o.offLoopMaxQueued = 1;
    start(o);
    auto first = requestAsync("/slow");  // occupies the only worker
    ASSERT_TRUE(waitUntil([&] { return started_ == 1; }));
    auto second = requestAsync("/slow");  // waits in the queue
    // The loop runs handler and submit together, so a later request sees it queued.
    ASSERT_TRUE(waitUntil([&] { return handlerCalls_ == 2; }));
    auto third = request(url("/slow"));
    EXPECT_EQ(third.status, 503);
    EXPECT_EQ(nlohmann::json::parse(third.body)["error"]["code"], "busy");
    EXPECT_EQ(third.header("retry-after"), "1");
    release();
    EXPECT_EQ(first.get().status, 201);
    EXPECT_EQ(second.get().status, 201);
}

TEST_F(HttpOffLoopTest, ClientThatLeftIsForgotten) {
    start();
    Options impatient;
    impatient.timeoutSeconds = 1;
    auto gone = request(url("/slow"), impatient);
    EXPECT_EQ(gone.code, CURLE_OPERATION_TIMEDOUT);
    release();
    ASSERT_TRUE(waitUntil([&] { return finished_ == 1; }));
    // Its result was dropped; the server still serves both kinds of route.
    EXPECT_EQ(request(url("/fast")).status, 200);
    EXPECT_EQ(request(url("/slow")).status, 201);
}

}  // namespace
