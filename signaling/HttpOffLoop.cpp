// Handlers that answer with Response::offLoop: the work runs on the pool, its Response is
// posted back to the loop thread and written from the connection's next HTTP_WRITEABLE
// (lws wants writes from the connection's own callback). A client that hung up meanwhile
// is recognised by the exchange id and its result dropped.
#include <spdlog/spdlog.h>

#include "common/Error.hpp"
#include "signaling/HttpServerImpl.hpp"

namespace signaling {

Response runGuarded(const Request& req, const std::function<Response()>& handler) {
    try {
        return handler();
    } catch (const common::ApiError& err) {
        return Response::error(err.status(), err.code(), err.what());
    } catch (const std::exception& err) {
        spdlog::error("http: {} {} failed: {}", req.method, req.path, err.what());
        return Response::error(500, "internal_error", "internal error");
    }
}

int HttpServer::Impl::startOffLoop(lws* wsi, HttpExchange& e, std::function<Response()> work) {
    const uint64_t id = e.id;
    // What the job needs to log an error; the exchange (and its Request) may be gone.
    Request what;
    what.method = e.request.method;
    what.path = e.request.path;
    bool taken = pool->trySubmit([this, wsi, id, what = std::move(what), work = std::move(work)] {
        auto result = std::make_shared<Response>(runGuarded(what, work));
        post([this, wsi, id, result] {
            auto it = exchanges.find(wsi);
            if (it == exchanges.end() || it->second->id != id) return;  // client left
            it->second->offLoopResult = std::make_unique<Response>(std::move(*result));
            lws_callback_on_writable(wsi);
        });
    });
    if (!taken) {
        Response busy = Response::error(503, "busy", "server busy, try again");
        busy.headers.emplace_back("Retry-After", "1");
        return respond(wsi, e, std::move(busy), e.routeName);
    }
    e.awaitingOffLoop = true;
    // A wedged job must not hold the connection for ever.
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, options.idleTimeoutSeconds);
    return 0;
}

int HttpServer::Impl::onHttpWriteable(lws* wsi) {
    auto it = exchanges.find(wsi);
    if (it == exchanges.end()) return -1;
    HttpExchange& e = *it->second;
    if (e.awaitingOffLoop) {
        if (!e.offLoopResult) return 0;  // not ready yet
        e.awaitingOffLoop = false;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        Response r = std::move(*e.offLoopResult);
        e.offLoopResult.reset();
        return respond(wsi, e, std::move(r), e.routeName);
    }
    if (e.closing) return -1;
    if (!e.bodyDone) return writeBody(wsi, e);
    return finish(wsi, e);
}

}  // namespace signaling
