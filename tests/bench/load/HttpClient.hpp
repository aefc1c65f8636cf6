#pragma once
// Blocking HTTP/1.1 over one reused libcurl easy handle (keep-alive): the load client's
// signalling (WHIP/WHEP, Janus HTTP API) is control path, one request at a time.
#include <curl/curl.h>

#include <string>
#include <vector>

namespace load {

struct HttpResponse {
    long status = 0;
    std::string body;
    std::string location;
};

class HttpClient {
public:
    HttpClient();
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Throws std::runtime_error on a transport error (not on HTTP error statuses).
    HttpResponse request(const std::string& method, const std::string& url,
                         const std::vector<std::string>& headers, const std::string& body,
                         long timeoutMs = 30000);

private:
    CURL* curl_;
};

}  // namespace load
