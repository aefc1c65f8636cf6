// rtsp:// pull against a real RTSP server (tests/tools/rtsp_test_server, gst-rtsp-server),
// over TCP and UDP; the server going away and coming back: retrying -> live.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "pipeline/IngestSource.hpp"

using namespace std::chrono_literals;
using pipeline::IngestSource;
using pipeline::SourceOptions;
using pipeline::SourceState;

namespace {

struct Counter : rtc::SourceInput {
    std::atomic<size_t> video{0}, audio{0};
    void pushRtp(rtc::MediaKind k, const uint8_t*, size_t) override {
        (k == rtc::MediaKind::Video ? video : audio)++;
    }
};

std::string toolPath() {
    if (const char* p = std::getenv("CB_RTSP_TEST_SERVER")) return p;
    return std::string(CB_BINARY_DIR) + "/tests/tools/rtsp_test_server";
}

int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

struct RtspServer {
    pid_t pid = -1;
    explicit RtspServer(int port) {
        std::string tool = toolPath(), p = std::to_string(port);
        pid = fork();
        if (pid == 0) {
            execl(tool.c_str(), tool.c_str(), p.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
    }
    ~RtspServer() { stop(); }
    void stop() {
        if (pid <= 0) return;
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        pid = -1;
    }
};

template <class F>
bool waitFor(F cond, std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(100ms);
    }
    return cond();
}

void pullAndCheck(const std::string& transport) {
    ASSERT_EQ(access(toolPath().c_str(), X_OK), 0) << toolPath() << " is built with the tests";
    int port = freePort();
    auto server = std::make_unique<RtspServer>(port);
    Counter* sink = nullptr;
    SourceOptions o;
    o.uri = "rtsp://127.0.0.1:" + std::to_string(port) + "/test?transport=" + transport;
    o.minBackoff = 500ms;
    o.maxBackoff = 2s;
    o.stallTimeout = 5s;
    IngestSource src(o, [&](rtc::SourceInput::Listener*) {
        auto c = std::make_unique<Counter>();
        sink = c.get();
        return c;
    });
    ASSERT_TRUE(waitFor(
        [&] {
            return sink->video > 60 && sink->audio > 50 && src.status().state == SourceState::Live;
        },
        60s))
        << "video " << sink->video << " audio " << sink->audio << " state "
        << toString(src.status().state) << " " << src.status().reason;
    // The camera goes away: retrying with a reason; it comes back on the same port: live.
    server->stop();
    ASSERT_TRUE(waitFor([&] { return src.status().state == SourceState::Retrying; }, 30s));
    EXPECT_FALSE(src.status().reason.empty());
    server = std::make_unique<RtspServer>(port);
    size_t before = sink->video;
    ASSERT_TRUE(waitFor(
        [&] { return src.status().state == SourceState::Live && sink->video > before + 60; }, 60s))
        << "state " << toString(src.status().state) << " " << src.status().reason;
    EXPECT_GE(src.status().restarts, 1u);
}

}  // namespace

TEST(RtspPull, TcpAndComesBack) {
    pullAndCheck("tcp");
}
TEST(RtspPull, UdpAndComesBack) {
    pullAndCheck("udp");
}
