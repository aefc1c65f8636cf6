#pragma once
// HTTP/1.1 + WebSocket front on libwebsockets: routes with "{name}" path parameters,
// bounded request bodies, static files, file responses with Range, TLS.
// One loop thread; handlers run on it (heavy ones hand work to a small pool through
// Response::offLoop). Other threads use post().
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "signaling/Http.hpp"

namespace signaling {

using Handler = std::function<Response(Request&)>;

// A live WebSocket connection. send()/close() may be called from any thread.
class WebSocketSession {
public:
    virtual ~WebSocketSession() = default;
    virtual void send(std::string text) = 0;
    virtual void close() = 0;
    virtual const Request& request() const = 0;  // the upgrade request (path, query, params)
};

class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    // Before the upgrade: throw common::ApiError to refuse (answered as HTTP status + JSON).
    virtual void authorize(Request& upgradeRequest) = 0;
    virtual void onOpen(WebSocketSession& session) = 0;
    virtual void onMessage(WebSocketSession& session, std::string_view text) = 0;
    // The last call for a session: drop any pointer to it here. (send()/close() from a
    // thread that raced this are harmless no-ops for a grace period of 30 s.)
    virtual void onClose(WebSocketSession& session) = 0;
};

struct HttpOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;   // 0: any free port (see HttpServer::port())
    std::string staticDir;  // served for GET paths no route matched; empty: none
    std::string certFile;   // both set: HTTPS
    std::string keyFile;
    size_t maxBodyBytes = 1 << 20;
    unsigned idleTimeoutSeconds = 30;  // slow or stuck clients are dropped
    size_t offLoopThreads = 2;         // Response::offLoop workers (≈ cores)
    size_t offLoopMaxQueued = 64;      // more waiting jobs than this: 503 busy
};

class HttpServer {
public:
    explicit HttpServer(HttpOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // pattern: "/api/v1/lessons/{id}/start"; a final "{*rest}" segment matches the rest of
    // the path (for /vod/{id}/{*rest}). Register before start().
    void route(const std::string& method, const std::string& pattern, Handler handler);
    void webSocket(const std::string& pattern, WebSocketHandler* handler);

    // Called after each response: method, route pattern (or "static"/"not_found"), status.
    using RequestObserver =
        std::function<void(const std::string& method, const std::string& route, int status)>;
    void setRequestObserver(RequestObserver observer);

    void start();  // binds and starts the loop thread; throws std::runtime_error on failure
    void stop();   // idempotent
    uint16_t port() const;
    bool tls() const;
    void post(std::function<void()> task);  // runs task on the loop thread

    class Impl;  // internal (signaling/HttpServerImpl.hpp)

private:
    std::unique_ptr<Impl> impl_;
};

// Writes a self-signed ECDSA P-256 certificate + key (PEM) for `classbridge serve
// --tls-self-signed`.
void writeSelfSignedCertificate(const std::string& certFile, const std::string& keyFile,
                                const std::string& commonName);

}  // namespace signaling
