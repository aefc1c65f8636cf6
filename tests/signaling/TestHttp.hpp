#pragma once
// Test helpers: a libcurl client (a real HTTP peer) and raw-socket requests for what curl
// refuses to send (unnormalised paths, half requests).
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace testhttp {

struct Reply {
    long status = 0;
    std::string body;
    std::string headers;  // raw header block
    CURLcode code = CURLE_OK;
    std::string header(const std::string& lowerName) const {
        std::string lower = headers;
        for (auto& ch : lower) ch = static_cast<char>(tolower(static_cast<unsigned char>(ch)));
        auto pos = lower.find("\n" + lowerName + ":");
        if (pos == std::string::npos) return {};
        pos += lowerName.size() + 2;
        auto end = headers.find('\r', pos);
        std::string v = headers.substr(pos, end - pos);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        return v;
    }
};

struct Options {
    std::string method = "GET";
    std::string body;
    bool hasBody = false;
    std::vector<std::string> headers;
    std::string caFile;
    bool noBody = false;  // HEAD
    long timeoutSeconds = 30;
};

inline size_t collect(char* p, size_t s, size_t n, void* ud) {
    static_cast<std::string*>(ud)->append(p, s * n);
    return s * n;
}

inline Reply request(const std::string& url, const Options& o = {}) {
    Reply r;
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o.method.c_str());
    if (o.hasBody) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, o.body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(o.body.size()));
    }
    if (o.noBody || o.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_slist* hl = nullptr;
    for (auto& h : o.headers) hl = curl_slist_append(hl, h.c_str());
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, o.timeoutSeconds);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (!o.caFile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.caFile.c_str());
    r.code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    r.headers.insert(0, "\n");
    return r;
}

inline int connectTo(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    timeval tv{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Sends `raw` as is and reads until the server closes (or 30 s pass).
inline std::string rawRequest(uint16_t port, const std::string& raw) {
    int fd = connectTo(port);
    if (fd < 0) return {};
    ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return out;
}

inline int rawStatus(const std::string& response) {
    if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) return 0;
    return std::atoi(response.c_str() + 9);
}

}  // namespace testhttp
