#pragma once
// The request/response model shared by every route handler. Handlers run on the HTTP
// loop thread and must not block for long: CPU-heavy work goes to Response::offLoop.
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace signaling {

struct Request {
    std::string method;                          // "GET", "POST", ...
    std::string path;                            // decoded path, no query
    std::map<std::string, std::string> query;    // decoded query parameters
    std::map<std::string, std::string> headers;  // lower-case names
    std::map<std::string, std::string> params;   // from "{name}" segments of the route
    std::string body;
    std::string remoteAddress;

    std::string header(const std::string& lowerName) const {
        auto it = headers.find(lowerName);
        return it == headers.end() ? std::string() : it->second;
    }
    std::string queryParam(const std::string& name) const {
        auto it = query.find(name);
        return it == query.end() ? std::string() : it->second;
    }
    const std::string& param(const std::string& name) const { return params.at(name); }
};

struct Response {
    int status = 200;
    std::string contentType = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // When set, the body is this file, streamed by the server with HTTP Range support
    // (206/416) instead of `body`; contentType still applies.
    std::string filePath;
    // When set, the server runs this on its work pool instead of the loop thread and
    // sends what it returns (errors thrown map as for handlers; 503 if the pool is full).
    // It must own or outlive what it captures: the Request is gone by then.
    std::function<Response()> offLoop;

    static Response json(int status, std::string body) {
        Response r;
        r.status = status;
        r.body = std::move(body);
        return r;
    }
    static Response error(int status, const std::string& code, const std::string& message);
    static Response deferred(std::function<Response()> work) {
        Response r;
        r.offLoop = std::move(work);
        return r;
    }
};

}  // namespace signaling
