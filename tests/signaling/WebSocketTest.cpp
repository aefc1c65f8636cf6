// WebSocket upgrade, authorize(), messages both ways and sends from another thread, with
// libwebsockets' own client as the peer.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "common/Error.hpp"
#include "signaling/HttpServer.hpp"
#include "tests/signaling/TestHttp.hpp"
#include "tests/signaling/WsTestClient.hpp"

using namespace signaling;

namespace {

class EchoHandler : public WebSocketHandler {
public:
    void authorize(Request& req) override {
        if (req.queryParam("token") != "good") throw common::ApiError::unauthorized("bad token");
    }
    void onOpen(WebSocketSession& s) override {
        {
            std::lock_guard l(m);
            sessions.push_back(&s);
            last = &s;
        }
        s.send("hello " + s.request().param("id"));
    }
    void onMessage(WebSocketSession& s, std::string_view text) override {
        if (text == "close") {
            s.close();
            return;
        }
        s.send("echo:" + std::string(text));
    }
    void onClose(WebSocketSession& s) override {
        std::lock_guard l(m);
        std::erase(sessions, &s);
        ++closed;
    }
    std::mutex m;
    std::vector<WebSocketSession*> sessions;
    WebSocketSession* last = nullptr;  // kept past onClose on purpose (a racing notifier)
    std::atomic<int> closed{0};
};

struct WebSocketTest : ::testing::Test {
    void SetUp() override {
        HttpOptions o;
        o.port = 0;
        server = std::make_unique<HttpServer>(o);
        server->webSocket("/ws/lessons/{id}", &handler);
        server->route("GET", "/api/ping", [](Request&) { return Response::json(200, "1"); });
        server->start();
    }
    void TearDown() override { server->stop(); }
    EchoHandler handler;
    std::unique_ptr<HttpServer> server;
};

TEST_F(WebSocketTest, MessagesBothWaysAndSendFromOtherThread) {
    WsTestClient c(server->port(), "/ws/lessons/42?token=good");
    ASSERT_TRUE(c.waitOpen()) << c.failure();
    ASSERT_TRUE(c.waitMessages(1));
    EXPECT_EQ(c.received()[0], "hello 42");
    c.send("hi");
    std::string big(200000, 'z');  // larger than one frame buffer
    c.send(big);
    ASSERT_TRUE(c.waitMessages(3));
    EXPECT_EQ(c.received()[1], "echo:hi");
    EXPECT_EQ(c.received()[2], "echo:" + big);
    // A notifier thread pushes events (as the lesson service does).
    WebSocketSession* s = nullptr;
    {
        std::lock_guard l(handler.m);
        ASSERT_EQ(handler.sessions.size(), 1u);
        s = handler.sessions[0];
    }
    std::thread t([s] {
        for (int i = 0; i < 50; ++i) s->send("event " + std::to_string(i));
    });
    t.join();
    ASSERT_TRUE(c.waitMessages(53));
    auto got = c.received();
    for (int i = 0; i < 50; ++i) EXPECT_EQ(got[3 + i], "event " + std::to_string(i));
    // HTTP keeps working next to the socket.
    EXPECT_EQ(testhttp::request("http://127.0.0.1:" + std::to_string(server->port()) + "/api/ping")
                  .status,
              200);
    c.send("close");  // server-initiated close
    EXPECT_TRUE(c.waitClosed());
    for (int i = 0; i < 300 && handler.closed == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(handler.closed, 1);
}

TEST_F(WebSocketTest, UnauthorizedUpgradeIsRefusedWithHttpError) {
    WsTestClient c(server->port(), "/ws/lessons/42?token=bad");
    EXPECT_FALSE(c.waitOpen());
    EXPECT_TRUE(c.failed());
    // The refusal is a real HTTP answer with our JSON error body.
    std::string raw = testhttp::rawRequest(
        server->port(),
        "GET /ws/lessons/42?token=bad HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(testhttp::rawStatus(raw), 401) << raw;
    EXPECT_NE(raw.find("\"unauthorized\""), std::string::npos) << raw;
    raw = testhttp::rawRequest(
        server->port(),
        "GET /ws/other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n");
    EXPECT_EQ(testhttp::rawStatus(raw), 404) << raw;
    EXPECT_EQ(handler.closed, 0);
}

TEST_F(WebSocketTest, ClientDisconnectCallsOnClose) {
    {
        WsTestClient c(server->port(), "/ws/lessons/7?token=good");
        ASSERT_TRUE(c.waitOpen());
        ASSERT_TRUE(c.waitMessages(1));
    }  // client context destroyed: connection dropped
    for (int i = 0; i < 300 && handler.closed == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(handler.closed, 1);
    std::lock_guard l(handler.m);
    EXPECT_TRUE(handler.sessions.empty());
    // A notifier that raced the close: harmless no-ops (ASan would flag a freed session).
    ASSERT_NE(handler.last, nullptr);
    handler.last->send("late");
    handler.last->close();
    EXPECT_EQ(handler.last->request().param("id"), "7");
}

}  // namespace
