// The HTTP request/response path on the loop thread: body collection with a size limit,
// routing, static files, and streaming a body or a file region (with Range) in 64 KiB
// chunks from HTTP_WRITEABLE so a large download never blocks the loop.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

#include "common/Error.hpp"
#include "signaling/HttpServerImpl.hpp"

namespace signaling {

namespace {

constexpr size_t kChunkBytes = 64 * 1024;

lws_token_indexes uriToken(const std::string& m) {
    if (m == "POST") return WSI_TOKEN_POST_URI;
    if (m == "PUT") return WSI_TOKEN_PUT_URI;
    if (m == "PATCH") return WSI_TOKEN_PATCH_URI;
    if (m == "DELETE") return WSI_TOKEN_DELETE_URI;
    if (m == "OPTIONS") return WSI_TOKEN_OPTIONS_URI;
    if (m == "HEAD") return WSI_TOKEN_HEAD_URI;
    return WSI_TOKEN_GET_URI;
}

const char* reasonPhrase(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Payload Too Large";
        case 429:
            return "Too Many Requests";
        case 503:
            return "Service Unavailable";
        default:
            return status >= 500 ? "Internal Server Error" : "Error";
    }
}

std::string httpDate(time_t t) {
    char buf[64];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

bool hasHeader(const Response& r, const char* lowerName) {
    for (const auto& [k, v] : r.headers) {
        if (k.size() != std::strlen(lowerName)) continue;
        bool same = true;
        for (size_t i = 0; i < k.size() && same; ++i)
            same =
                static_cast<char>(std::tolower(static_cast<unsigned char>(k[i]))) == lowerName[i];
        if (same) return true;
    }
    return false;
}

// Header writer over lws's helpers, into a buffer sized for this response.
class HeaderBuilder {
public:
    HeaderBuilder(lws* wsi, size_t extra) : wsi_(wsi), buf_(LWS_PRE + 1024 + extra) {
        p_ = buf_.data() + LWS_PRE;
        end_ = buf_.data() + buf_.size() - 1;
    }
    bool status(int code) { return lws_add_http_header_status(wsi_, code, &p_, end_) == 0; }
    bool add(const std::string& name, const std::string& value) {
        std::string n = name;
        for (auto& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        n += ':';
        return lws_add_http_header_by_name(wsi_, reinterpret_cast<const unsigned char*>(n.c_str()),
                                           reinterpret_cast<const unsigned char*>(value.data()),
                                           static_cast<int>(value.size()), &p_, end_) == 0;
    }
    // Writes the header block; false if the connection is unusable.
    bool write() {
        if (lws_finalize_http_header(wsi_, &p_, end_)) return false;
        unsigned char* start = buf_.data() + LWS_PRE;
        size_t n = static_cast<size_t>(p_ - start);
        return lws_write(wsi_, start, n, LWS_WRITE_HTTP_HEADERS) == static_cast<int>(n);
    }

private:
    lws* wsi_;
    std::vector<unsigned char> buf_;
    unsigned char* p_;
    unsigned char* end_;
};

}  // namespace

int HttpServer::Impl::onHttp(lws* wsi, const char* uri) {
    std::string method = lwsMethod(wsi);
    auto ex = std::make_unique<HttpExchange>();
    HttpExchange& e = *ex;
    e.id = nextExchangeId++;
    exchanges[wsi] = std::move(ex);
    if (method.empty())
        return writeImmediateError(wsi, 405, "method_not_allowed", "unsupported method");
    if (!uri || static_cast<int>(std::strlen(uri)) != lws_hdr_total_length(wsi, uriToken(method)))
        return writeImmediateError(wsi, 400, "bad_path", "invalid request path");  // decoded NUL
    e.request = readRequest(wsi, uri, method);
    e.headOnly = method == "HEAD";
    std::string cl = e.request.header("content-length");
    if (!e.request.header("transfer-encoding").empty())
        return writeImmediateError(wsi, 411, "length_required", "Content-Length is required");
    if (!cl.empty()) {
        char* endp = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(cl.c_str(), &endp, 10);
        if (errno || !endp || *endp || cl[0] == '-')
            return writeImmediateError(wsi, 400, "bad_request", "invalid Content-Length");
        e.declaredLength = v;
    }
    if (e.declaredLength > options.maxBodyBytes) {
        // Answer at once without buffering the body; the client (curl, browsers) reads the
        // status and stops. What it still sends is swallowed until a short timeout.
        e.bodyExpected = true;
        e.discardBody = true;
        e.dispatched = true;
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 2);
        Response r = Response::error(
            413, "payload_too_large",
            "request body exceeds " + std::to_string(options.maxBodyBytes) + " bytes");
        return respond(wsi, e, std::move(r), "payload_too_large");
    }
    if (e.declaredLength > 0) {
        // lws delivers HTTP_BODY chunks then HTTP_BODY_COMPLETION. Without Content-Length
        // the body is empty (RFC 9112 6.3), whatever lws then expects.
        e.bodyExpected = true;
        e.request.body.reserve(e.declaredLength);
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, options.idleTimeoutSeconds);
        return 0;
    }
    return dispatch(wsi, e);
}

int HttpServer::Impl::onBody(lws* wsi, const char* data, size_t len) {
    auto it = exchanges.find(wsi);
    if (it == exchanges.end()) return -1;
    HttpExchange& e = *it->second;
    if (e.discardBody || e.dispatched) return 0;
    if (e.request.body.size() + len > options.maxBodyBytes) {
        e.discardBody = true;
        e.dispatched = true;
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 2);
        return respond(wsi, e, Response::error(413, "payload_too_large", "request body too large"),
                       "payload_too_large");
    }
    e.request.body.append(data, len);
    return 0;
}

int HttpServer::Impl::onBodyComplete(lws* wsi) {
    auto it = exchanges.find(wsi);
    if (it == exchanges.end()) return -1;
    HttpExchange& e = *it->second;
    if (e.discardBody) {
        // The error response may still be streaming; close once it is out.
        if (e.bodyDone && !lws_partial_buffered(wsi)) return -1;
        return 0;
    }
    if (e.dispatched) return 0;
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    return dispatch(wsi, e);
}

int HttpServer::Impl::dispatch(lws* wsi, HttpExchange& e) {
    e.dispatched = true;
    std::string routeName;
    Response r = runGuarded(e.request, [&] { return route(e.request, routeName); });
    if (r.offLoop) {
        e.routeName = std::move(routeName);
        return startOffLoop(wsi, e, std::move(r.offLoop));
    }
    return respond(wsi, e, std::move(r), routeName);
}

Response HttpServer::Impl::route(Request& req, std::string& routeName) {
    std::string allow;
    std::map<std::string, std::string> params;
    const std::string& m = req.method;
    // Exact method first; HEAD falls back to GET.
    for (int pass = 0; pass < 2; ++pass) {
        const std::string want = pass == 0 ? m : (m == "HEAD" ? "GET" : "");
        if (want.empty()) break;
        for (auto& r : routes) {
            if (r.method != want || !r.pattern.match(req.path, params)) continue;
            routeName = r.pattern.text();
            req.params = std::move(params);
            return r.handler(req);
        }
    }
    for (auto& r : routes) {
        if (!r.pattern.match(req.path, params)) continue;
        if (allow.find(r.method) == std::string::npos)
            allow += (allow.empty() ? "" : ", ") + r.method;
        routeName = r.pattern.text();
    }
    if (!allow.empty()) {
        if (m == "OPTIONS") {
            Response r;
            r.status = 204;
            r.contentType.clear();
            r.headers.emplace_back("Allow", allow + ", OPTIONS");
            return r;
        }
        Response r =
            Response::error(405, "method_not_allowed", m + " is not allowed on " + req.path);
        r.headers.emplace_back("Allow", allow);
        return r;
    }
    if ((m == "GET" || m == "HEAD") && !staticRoot.empty()) {
        routeName = "static";
        return serveStatic(req);
    }
    routeName = "not_found";
    return Response::error(404, "not_found", "no such resource: " + req.path);
}

Response HttpServer::Impl::serveStatic(const Request& req) {
    auto rel = staticRelativePath(req.path);
    if (!rel) return Response::error(400, "bad_path", "invalid path");
    std::string full = staticRoot + "/" + *rel;
    char resolved[PATH_MAX];
    // realpath resolves symlinks too, so a link pointing outside the root is refused.
    if (!realpath(full.c_str(), resolved)) return Response::error(404, "not_found", "no such file");
    std::string canon = resolved;
    if (canon.compare(0, staticRoot.size(), staticRoot) != 0 ||
        (canon.size() > staticRoot.size() && canon[staticRoot.size()] != '/'))
        return Response::error(404, "not_found", "no such file");
    struct stat st;
    if (stat(canon.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return Response::error(404, "not_found", "no such file");
    Response r;
    r.filePath = canon;
    r.contentType = mimeTypeFor(canon);
    // Pages change with deployments: revalidate every time (cheap with the ETag).
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
}

int HttpServer::Impl::respond(lws* wsi, HttpExchange& e, Response r, const std::string& routeName) {
    const Request& req = e.request;
    size_t extra = 0;
    for (auto& [k, v] : r.headers) extra += k.size() + v.size() + 4;
    std::vector<std::pair<std::string, std::string>> hdrs;
    uint64_t length = r.body.size();
    if (!r.filePath.empty()) {
        int fd = ::open(r.filePath.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (fd >= 0) ::close(fd);
            return respond(wsi, e, Response::error(404, "not_found", "file not found"), routeName);
        }
        uint64_t size = static_cast<uint64_t>(st.st_size);
        std::string etag = "\"" + std::to_string(size) + "-" + std::to_string(st.st_mtim.tv_sec) +
                           "." + std::to_string(st.st_mtim.tv_nsec / 1000000) + "\"";
        hdrs.emplace_back("ETag", etag);
        hdrs.emplace_back("Last-Modified", httpDate(st.st_mtim.tv_sec));
        hdrs.emplace_back("Accept-Ranges", "bytes");
        if (r.status == 200 && req.header("if-none-match") == etag) {
            ::close(fd);
            r.status = 304;
            length = 0;
            r.contentType.clear();
        } else {
            ByteRange range = r.status == 200 ? parseRange(req.header("range"), size) : ByteRange{};
            if (range.kind == ByteRange::Kind::Unsatisfiable) {
                ::close(fd);
                Response err =
                    Response::error(416, "range_not_satisfiable", "range not satisfiable");
                err.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
                return respond(wsi, e, std::move(err), routeName);
            }
            e.fd = fd;
            e.fileOffset = 0;
            e.fileRemaining = size;
            if (range.kind == ByteRange::Kind::Partial) {
                r.status = 206;
                e.fileOffset = range.first;
                e.fileRemaining = range.last - range.first + 1;
                hdrs.emplace_back("Content-Range", "bytes " + std::to_string(range.first) + "-" +
                                                       std::to_string(range.last) + "/" +
                                                       std::to_string(size));
            }
            length = e.fileRemaining;
        }
        r.body.clear();
    }
    if (r.status == 204 || r.status == 304) length = 0;
    e.body = std::move(r.body);
    e.bodyOffset = 0;
    HeaderBuilder h(wsi, extra + 512);
    bool ok = h.status(r.status);
    if (!r.contentType.empty() && r.status != 204 && r.status != 304)
        ok = ok && h.add("Content-Type", r.contentType);
    if (r.status != 204) ok = ok && h.add("Content-Length", std::to_string(length));
    for (auto& [k, v] : hdrs) ok = ok && h.add(k, v);
    for (auto& [k, v] : r.headers) ok = ok && h.add(k, v);
    if (!hasHeader(r, "cache-control") && r.filePath.empty())
        ok = ok && h.add("Cache-Control", "no-store");
    ok = ok && h.add("X-Content-Type-Options", "nosniff");
    // One exchange per connection: lws 4.1 keep-alive with pipelining has misbehaved.
    ok = ok && h.add("Connection", "close");
    if (observer) observer(req.method, routeName, r.status);
    if (!ok) {
        spdlog::warn("http: response headers for {} too large", req.path);
        return -1;
    }
    if (!h.write()) return -1;
    if (e.headOnly || length == 0) {
        e.body.clear();
        if (e.fd >= 0) {
            ::close(e.fd);
            e.fd = -1;
        }
        e.fileRemaining = 0;
        e.bodyDone = true;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

int HttpServer::Impl::writeBody(lws* wsi, HttpExchange& e) {
    unsigned char* buf = chunk.data() + LWS_PRE;
    size_t n = 0;
    bool last = false;
    if (e.fd >= 0) {
        size_t want =
            e.fileRemaining < kChunkBytes ? static_cast<size_t>(e.fileRemaining) : kChunkBytes;
        ssize_t got = pread(e.fd, buf, want, static_cast<off_t>(e.fileOffset));
        if (got <= 0) return -1;  // file shrank or I/O error: the length promise is broken
        n = static_cast<size_t>(got);
        e.fileOffset += n;
        e.fileRemaining -= n;
        last = e.fileRemaining == 0;
    } else {
        n = std::min(kChunkBytes, e.body.size() - e.bodyOffset);
        std::memcpy(buf, e.body.data() + e.bodyOffset, n);
        e.bodyOffset += n;
        last = e.bodyOffset >= e.body.size();
    }
    if (n > 0 &&
        lws_write(wsi, buf, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < static_cast<int>(n))
        return -1;
    // Downloads stay alive as long as the client keeps reading.
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, options.idleTimeoutSeconds);
    if (last) {
        e.bodyDone = true;
        e.body.clear();
        if (e.fd >= 0) {
            ::close(e.fd);
            e.fd = -1;
        }
    }
    lws_callback_on_writable(wsi);
    return 0;
}

int HttpServer::Impl::finish(lws* wsi, HttpExchange& e) {
    if (e.bodyExpected && e.discardBody) {
        // Early error while the client is still sending: give it a moment to read the
        // response before the close (closing with unread data resets the connection).
        if (!e.closing) {
            e.closing = true;
            lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 2);
        }
        return 0;
    }
    if (lws_partial_buffered(wsi)) {
        e.closing = true;
        lws_callback_on_writable(wsi);
        return 0;
    }
    return -1;  // response complete: close
}

int HttpServer::Impl::writeImmediateError(lws* wsi, int status, const std::string& code,
                                          const std::string& message) {
    auto it = exchanges.find(wsi);
    if (it == exchanges.end()) it = exchanges.emplace(wsi, std::make_unique<HttpExchange>()).first;
    HttpExchange& e = *it->second;
    e.dispatched = true;
    Response r = Response::error(status, code, message);
    // Written synchronously: used before lws would give us a writeable callback (upgrade
    // refusal), so header and body go out in one write.
    std::string head =
        "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) +
        "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + r.body;
    std::vector<unsigned char> buf(LWS_PRE + head.size());
    std::memcpy(buf.data() + LWS_PRE, head.data(), head.size());
    lws_write(wsi, buf.data() + LWS_PRE, head.size(), LWS_WRITE_RAW);
    return -1;
}

}  // namespace signaling
