// HttpServer lifecycle, the lws callback switch, request reading and WebSocket sessions.
// Responses (routing, static files, streaming) are in HttpResponder.cpp.
#include <spdlog/spdlog.h>

#include <climits>
#include <cstring>
#include <stdexcept>

#include "common/Error.hpp"
#include "signaling/HttpServerImpl.hpp"

namespace signaling {

namespace {

constexpr size_t kChunkBytes = 64 * 1024;

int lwsCallback(lws* wsi, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
    lws_context* ctx = lws_get_context(wsi);
    auto* impl = ctx ? static_cast<HttpServer::Impl*>(lws_context_user(ctx)) : nullptr;
    if (!impl) return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
    try {
        return impl->callback(wsi, reason, in, len);
    } catch (const std::exception& e) {
        // Never let an exception unwind through C; drop the connection instead.
        spdlog::error("http: unexpected exception in callback {}: {}", static_cast<int>(reason),
                      e.what());
        return -1;
    }
}

const lws_protocols kProtocols[] = {
    {"classbridge", lwsCallback, 0, 64 * 1024, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// WebSocket keepalive: ping after 20 s of silence, hang up after 60 s without a pong.
const lws_retry_bo_t kRetryPolicy = {nullptr, 0, 0, 20, 60, 0};

void lwsLog(int level, const char* line) {
    std::string msg(line);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
    if (level & LLL_ERR)
        spdlog::warn("lws: {}", msg);
    else
        spdlog::debug("lws: {}", msg);
}

}  // namespace

std::string lwsMethod(lws* wsi) {
    static const std::pair<lws_token_indexes, const char*> kMethods[] = {
        {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
        {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
        {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
        {WSI_TOKEN_HEAD_URI, "HEAD"},
    };
    for (const auto& [token, name] : kMethods)
        if (lws_hdr_total_length(wsi, token) > 0) return name;
    return {};
}

namespace {

bool isUriToken(int t) {
    return t == WSI_TOKEN_GET_URI || t == WSI_TOKEN_POST_URI || t == WSI_TOKEN_PUT_URI ||
           t == WSI_TOKEN_PATCH_URI || t == WSI_TOKEN_DELETE_URI || t == WSI_TOKEN_OPTIONS_URI ||
           t == WSI_TOKEN_HEAD_URI || t == WSI_TOKEN_HTTP_URI_ARGS;
}

}  // namespace

HttpExchange::~HttpExchange() {
    if (fd >= 0) ::close(fd);
}

// ---- WsSession (send/close from any thread) ----

void WsSession::send(std::string text) {
    if (closed_) return;
    {
        std::lock_guard lock(mutex_);
        outbox_.push_back(std::move(text));
    }
    impl_.markDirty(this);
}

void WsSession::close() {
    if (closed_) return;
    closeRequested_ = true;
    impl_.markDirty(this);
}

bool WsSession::takeNext(std::string& out) {
    std::lock_guard lock(mutex_);
    if (outbox_.empty()) return false;
    out = std::move(outbox_.front());
    outbox_.pop_front();
    return true;
}

// ---- HttpServer ----

HttpServer::HttpServer(HttpOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() {
    stop();
}

void HttpServer::route(const std::string& method, const std::string& pattern, Handler handler) {
    impl_->routes.push_back({method, RoutePattern(pattern), std::move(handler)});
}

void HttpServer::webSocket(const std::string& pattern, WebSocketHandler* handler) {
    impl_->wsRoutes.push_back({RoutePattern(pattern), handler});
}

void HttpServer::setRequestObserver(RequestObserver observer) {
    impl_->observer = std::move(observer);
}

uint16_t HttpServer::port() const {
    return impl_->boundPort;
}

bool HttpServer::tls() const {
    return !impl_->options.certFile.empty() && !impl_->options.keyFile.empty();
}

void HttpServer::post(std::function<void()> task) {
    impl_->post(std::move(task));
}

void HttpServer::start() {
    Impl& m = *impl_;
    if (m.started) throw std::runtime_error("HttpServer already started");
    if (!m.options.staticDir.empty()) {
        char buf[PATH_MAX];
        if (!realpath(m.options.staticDir.c_str(), buf))
            spdlog::warn("http: static directory {} not found; serving none", m.options.staticDir);
        else
            m.staticRoot = buf;
    }
    m.chunk.resize(LWS_PRE + kChunkBytes);
    lws_set_log_level(LLL_ERR | LLL_WARN, lwsLog);

    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = m.options.port;
    info.iface =
        m.options.host.empty() || m.options.host == "0.0.0.0" ? nullptr : m.options.host.c_str();
    info.protocols = kProtocols;
    info.user = &m;
    info.timeout_secs = m.options.idleTimeoutSeconds;
    info.timeout_secs_ah_idle =
        m.options.idleTimeoutSeconds < 10 ? m.options.idleTimeoutSeconds : 10;
    info.keepalive_timeout = static_cast<int>(m.options.idleTimeoutSeconds);
    info.max_http_header_data = 8192;
    info.retry_and_idle_policy = &kRetryPolicy;
    info.alpn = "http/1.1";  // no h2: one request per connection keeps our state simple
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (tls()) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = m.options.certFile.c_str();
        info.ssl_private_key_filepath = m.options.keyFile.c_str();
    }
    m.context = lws_create_context(&info);
    if (!m.context)
        throw std::runtime_error("HTTP server could not listen on " + m.options.host + ":" +
                                 std::to_string(m.options.port));
    lws_vhost* vh = lws_get_vhost_by_name(m.context, "default");
    int p = vh ? lws_get_vhost_listen_port(vh) : -1;
    if (p <= 0) {
        lws_context_destroy(m.context);
        m.context = nullptr;
        throw std::runtime_error("HTTP server has no listening port");
    }
    m.boundPort = static_cast<uint16_t>(p);
    {
        std::lock_guard lock(m.taskMutex);
        m.contextAlive = true;
    }
    m.pool = std::make_unique<WorkPool>(m.options.offLoopThreads, m.options.offLoopMaxQueued);
    m.started = true;
    m.loop = std::thread([&m] {
        while (!m.stopping.load()) lws_service(m.context, 0);
    });
    spdlog::info("http: listening on {}://{}:{}", tls() ? "https" : "http", m.options.host,
                 m.boundPort);
}

void HttpServer::stop() {
    Impl& m = *impl_;
    if (!m.started) return;
    m.stopping = true;
    m.pool->stop();  // running jobs finish first: they post into the loop's queue
    m.wake();
    if (m.loop.joinable()) m.loop.join();
    {
        std::lock_guard lock(m.taskMutex);
        m.contextAlive = false;
    }
    lws_context_destroy(m.context);  // closes every connection; callbacks run on this thread
    m.context = nullptr;
    m.exchanges.clear();
    m.pendingUpgrades.clear();
    m.sessions.clear();
    m.graveyard.clear();
    m.started = false;
}

// ---- Impl: loop-thread side ----

void HttpServer::Impl::post(std::function<void()> task) {
    {
        std::lock_guard lock(taskMutex);
        tasks.push_back(std::move(task));
    }
    wake();
}

void HttpServer::Impl::wake() {
    std::lock_guard lock(taskMutex);
    if (contextAlive) lws_cancel_service(context);
}

void HttpServer::Impl::markDirty(WsSession* s) {
    std::lock_guard lock(taskMutex);
    dirty.push_back(s);
    if (contextAlive) lws_cancel_service(context);
}

void HttpServer::Impl::runTasks() {
    std::vector<std::function<void()>> todo;
    std::vector<WsSession*> wsDirty;
    {
        std::lock_guard lock(taskMutex);
        todo.swap(tasks);
        wsDirty.swap(dirty);
    }
    for (auto& t : todo) {
        try {
            t();
        } catch (const std::exception& e) {
            spdlog::error("http: posted task threw: {}", e.what());
        }
    }
    for (WsSession* s : wsDirty) {
        // The session may have closed since; only poke live ones.
        for (auto& [wsi, live] : sessions)
            if (live.get() == s) lws_callback_on_writable(wsi);
    }
}

int HttpServer::Impl::callback(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            runTasks();
            return 0;
        case LWS_CALLBACK_HTTP:
            return onHttp(wsi, static_cast<const char*>(in));
        case LWS_CALLBACK_HTTP_BODY:
            return onBody(wsi, static_cast<const char*>(in), len);
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
            return onBodyComplete(wsi);
        case LWS_CALLBACK_HTTP_WRITEABLE:
            return onHttpWriteable(wsi);
        case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
            return onConfirmUpgrade(wsi);
        case LWS_CALLBACK_ESTABLISHED:
            return onWsEstablished(wsi);
        case LWS_CALLBACK_RECEIVE:
            return onWsReceive(wsi, static_cast<const char*>(in), len);
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return onWsWritable(wsi);
        case LWS_CALLBACK_CLOSED:
            onWsClosed(wsi);
            return 0;
        case LWS_CALLBACK_CLOSED_HTTP:
        case LWS_CALLBACK_WSI_DESTROY:
            exchanges.erase(wsi);
            pendingUpgrades.erase(wsi);
            if (reason == LWS_CALLBACK_WSI_DESTROY) onWsClosed(wsi);
            return 0;
        default:
            return lws_callback_http_dummy(wsi, reason, nullptr, in, len);
    }
}

Request HttpServer::Impl::readRequest(lws* wsi, const char* uri, const std::string& method) {
    Request req;
    req.method = method;
    req.path = uri ? uri : "/";
    for (int t = 0; t < WSI_TOKEN_COUNT; ++t) {
        if (isUriToken(t)) continue;
        const char* name =
            reinterpret_cast<const char*>(lws_token_to_string(static_cast<lws_token_indexes>(t)));
        if (!name) continue;
        size_t n = std::strlen(name);
        if (n < 2 || name[0] == ':' || name[n - 1] != ':') continue;
        int total = lws_hdr_total_length(wsi, static_cast<lws_token_indexes>(t));
        if (total <= 0) continue;
        std::string value(static_cast<size_t>(total) + 1, '\0');
        int got = lws_hdr_copy(wsi, value.data(), total + 1, static_cast<lws_token_indexes>(t));
        if (got < 0) continue;
        value.resize(static_cast<size_t>(got));
        req.headers[std::string(name, n - 1)] = std::move(value);
    }
    // lws splits the query into '&'-separated fragments and has already percent-decoded
    // them (so a decoded '&' stays inside its fragment).
    char frag[2048];
    for (int i = 0;; ++i) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) break;
        std::string_view f(frag, static_cast<size_t>(n));
        if (f.empty()) continue;
        size_t eq = f.find('=');
        std::string name(f.substr(0, eq));
        std::string value =
            eq == std::string_view::npos ? std::string() : std::string(f.substr(eq + 1));
        req.query.emplace(std::move(name), std::move(value));
    }
    char peer[64] = {0};
    if (lws_get_peer_simple(wsi, peer, sizeof peer)) req.remoteAddress = peer;
    return req;
}

// ---- WebSocket ----

int HttpServer::Impl::onConfirmUpgrade(lws* wsi) {
    char uri[2048];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0) return -1;
    Request req = readRequest(wsi, uri, "GET");
    for (auto& r : wsRoutes) {
        if (!r.pattern.match(req.path, req.params)) continue;
        try {
            r.handler->authorize(req);
        } catch (const common::ApiError& e) {
            writeImmediateError(wsi, e.status(), e.code(), e.what());
            if (observer) observer("GET", r.pattern.text(), e.status());
            return -1;  // refused: the error is written, hang up
        } catch (const std::exception& e) {
            spdlog::error("http: websocket authorize for {} threw: {}", req.path, e.what());
            writeImmediateError(wsi, 500, "internal_error", "internal error");
            return -1;
        }
        if (observer) observer("GET", r.pattern.text(), 101);
        pendingUpgrades[wsi] = PendingUpgrade{std::move(req), r.handler};
        return 0;
    }
    writeImmediateError(wsi, 404, "not_found", "no WebSocket endpoint at " + req.path);
    if (observer) observer("GET", "not_found", 404);
    return -1;
}

int HttpServer::Impl::onWsEstablished(lws* wsi) {
    auto it = pendingUpgrades.find(wsi);
    if (it == pendingUpgrades.end()) return -1;
    auto session =
        std::make_unique<WsSession>(*this, wsi, std::move(it->second.request), it->second.handler);
    pendingUpgrades.erase(it);
    WsSession& s = *session;
    sessions[wsi] = std::move(session);
    s.handler()->onOpen(s);
    return 0;
}

int HttpServer::Impl::onWsReceive(lws* wsi, const char* data, size_t len) {
    auto it = sessions.find(wsi);
    if (it == sessions.end()) return -1;
    WsSession& s = *it->second;
    if (lws_frame_is_binary(wsi)) return -1;  // text protocol only
    if (s.rxBuffer.size() + len > options.maxBodyBytes) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, nullptr, 0);
        return -1;
    }
    s.rxBuffer.append(data, len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0) return 0;
    std::string msg;
    msg.swap(s.rxBuffer);
    try {
        s.handler()->onMessage(s, msg);
    } catch (const std::exception& e) {
        spdlog::warn("http: websocket message handler for {} threw: {}", s.request().path,
                     e.what());
    }
    return 0;
}

int HttpServer::Impl::onWsWritable(lws* wsi) {
    auto it = sessions.find(wsi);
    if (it == sessions.end()) return -1;
    WsSession& s = *it->second;
    std::string msg;
    if (s.takeNext(msg)) {
        std::vector<unsigned char> buf(LWS_PRE + msg.size());
        std::memcpy(buf.data() + LWS_PRE, msg.data(), msg.size());
        if (lws_write(wsi, buf.data() + LWS_PRE, msg.size(), LWS_WRITE_TEXT) <
            static_cast<int>(msg.size()))
            return -1;
        lws_callback_on_writable(wsi);  // maybe more queued
        return 0;
    }
    if (s.closeRequested()) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
        return -1;
    }
    return 0;
}

void HttpServer::Impl::onWsClosed(lws* wsi) {
    auto it = sessions.find(wsi);
    if (it == sessions.end()) return;
    std::unique_ptr<WsSession> s = std::move(it->second);
    sessions.erase(it);
    s->markClosed();
    try {
        s->handler()->onClose(*s);
    } catch (const std::exception& e) {
        spdlog::warn("http: websocket close handler threw: {}", e.what());
    }
    sweepGraveyard();
    graveyard.emplace_back(std::chrono::steady_clock::now(), std::move(s));
}

void HttpServer::Impl::sweepGraveyard() {
    auto cutoff = std::chrono::steady_clock::now() - std::chrono::seconds(30);
    while (!graveyard.empty() && graveyard.front().first < cutoff) graveyard.pop_front();
}

}  // namespace signaling
