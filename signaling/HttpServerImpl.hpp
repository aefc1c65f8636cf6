#pragma once
// Internal to signaling/: the libwebsockets-backed state of HttpServer. One loop thread
// owns every lws object; other threads reach it only through the task queue.
#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "signaling/HttpParse.hpp"
#include "signaling/HttpServer.hpp"
#include "signaling/WorkPool.hpp"

namespace signaling {

// "GET", "POST", ... from lws's parsed request line; empty if lws does not know it.
std::string lwsMethod(lws* wsi);

// One HTTP request/response on a connection (we answer with Connection: close).
struct HttpExchange {
    uint64_t id = 0;  // tells a reused lws* apart when an off-loop result comes back
    Request request;
    bool bodyExpected = false;
    uint64_t declaredLength = 0;
    bool dispatched = false;   // handler ran / response started
    bool discardBody = false;  // an early error was sent; swallow what the client still sends
    bool headOnly = false;
    // Response body source: either `body` or an open file region.
    std::string body;
    size_t bodyOffset = 0;
    int fd = -1;
    uint64_t fileOffset = 0;
    uint64_t fileRemaining = 0;
    bool bodyDone = false;
    bool closing = false;  // everything written; close once lws has flushed
    // Off-loop handler: the result waits here until the connection is writeable.
    bool awaitingOffLoop = false;
    std::unique_ptr<Response> offLoopResult;
    std::string routeName;
    ~HttpExchange();
};

// Runs a handler, turning ApiError into its JSON error and anything else into a logged 500.
Response runGuarded(const Request& req, const std::function<Response()>& handler);

class WsSession final : public WebSocketSession {
public:
    WsSession(HttpServer::Impl& impl, lws* wsi, Request request, WebSocketHandler* handler)
        : impl_(impl), wsi_(wsi), request_(std::move(request)), handler_(handler) {}
    void send(std::string text) override;
    void close() override;
    const Request& request() const override { return request_; }

    lws* wsi() const { return wsi_; }
    WebSocketHandler* handler() const { return handler_; }
    bool takeNext(std::string& out);  // false when the outbox is empty
    bool closeRequested() const { return closeRequested_.load(); }
    void markClosed() { closed_ = true; }
    std::string rxBuffer;

private:
    HttpServer::Impl& impl_;
    lws* wsi_;
    Request request_;
    WebSocketHandler* handler_;
    std::mutex mutex_;
    std::deque<std::string> outbox_;
    std::atomic<bool> closeRequested_{false};
    std::atomic<bool> closed_{false};  // send()/close() after this are no-ops
};

class HttpServer::Impl {
public:
    explicit Impl(HttpOptions o) : options(std::move(o)) {}

    struct Route {
        std::string method;
        RoutePattern pattern;
        Handler handler;
    };
    struct WsRoute {
        RoutePattern pattern;
        WebSocketHandler* handler;
    };
    struct PendingUpgrade {
        Request request;
        WebSocketHandler* handler;
    };

    HttpOptions options;
    std::vector<Route> routes;
    std::vector<WsRoute> wsRoutes;
    RequestObserver observer;
    std::string staticRoot;  // realpath of options.staticDir

    lws_context* context = nullptr;
    uint16_t boundPort = 0;
    std::thread loop;
    std::atomic<bool> stopping{false};
    bool started = false;

    std::mutex taskMutex;  // guards tasks, dirty and context-liveness for wake()
    std::vector<std::function<void()>> tasks;
    std::vector<WsSession*> dirty;
    bool contextAlive = false;
    void post(std::function<void()> task);

    std::unique_ptr<WorkPool> pool;  // Response::offLoop jobs
    uint64_t nextExchangeId = 1;

    std::unordered_map<lws*, std::unique_ptr<HttpExchange>> exchanges;
    std::unordered_map<lws*, PendingUpgrade> pendingUpgrades;
    std::unordered_map<lws*, std::unique_ptr<WsSession>> sessions;
    // Closed sessions are kept a while so a notifier thread that raced onClose still
    // calls send() on a live (closed, no-op) object rather than freed memory.
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::unique_ptr<WsSession>>>
        graveyard;
    void sweepGraveyard();
    std::vector<unsigned char> chunk;  // LWS_PRE + 64 KiB, reused by every write

    void wake();
    void markDirty(WsSession* s);
    int callback(lws* wsi, lws_callback_reasons reason, void* in, size_t len);

    // HttpServer.cpp
    void runTasks();
    int onHttp(lws* wsi, const char* uri);
    int onBody(lws* wsi, const char* data, size_t len);
    int onBodyComplete(lws* wsi);
    int onConfirmUpgrade(lws* wsi);
    int onWsEstablished(lws* wsi);
    int onWsReceive(lws* wsi, const char* data, size_t len);
    int onWsWritable(lws* wsi);
    void onWsClosed(lws* wsi);
    Request readRequest(lws* wsi, const char* uri, const std::string& method);

    // HttpResponder.cpp
    int dispatch(lws* wsi, HttpExchange& ex);
    int startOffLoop(lws* wsi, HttpExchange& ex, std::function<Response()> work);
    int onHttpWriteable(lws* wsi);
    Response route(Request& req, std::string& routeName);
    Response serveStatic(const Request& req);
    int respond(lws* wsi, HttpExchange& ex, Response res, const std::string& routeName);
    int writeBody(lws* wsi, HttpExchange& ex);
    int finish(lws* wsi, HttpExchange& ex);
    int writeImmediateError(lws* wsi, int status, const std::string& code,
                            const std::string& message);
};

}  // namespace signaling
