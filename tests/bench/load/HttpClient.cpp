#include "HttpClient.hpp"

#include <stdexcept>

namespace load {

namespace {
size_t onBody(char* p, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(p, size * n);
    return size * n;
}
size_t onHeader(char* p, size_t size, size_t n, void* user) {
    std::string h(p, size * n);
    if (h.size() > 9 && (h.rfind("Location:", 0) == 0 || h.rfind("location:", 0) == 0)) {
        std::string v = h.substr(9);
        while (!v.empty() && (v.front() == ' ')) v.erase(v.begin());
        while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
            v.pop_back();
        *static_cast<std::string*>(user) = v;
    }
    return size * n;
}
struct SlistFree {
    curl_slist* l = nullptr;
    ~SlistFree() { curl_slist_free_all(l); }
};
}  // namespace

HttpClient::HttpClient() : curl_(curl_easy_init()) {
    if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::~HttpClient() {
    curl_easy_cleanup(curl_);
}

HttpResponse HttpClient::request(const std::string& method, const std::string& url,
                                 const std::vector<std::string>& headers, const std::string& body,
                                 long timeoutMs) {
    HttpResponse r;
    SlistFree hl;
    for (const auto& h : headers) hl.l = curl_slist_append(hl.l, h.c_str());
    hl.l = curl_slist_append(hl.l, "Expect:");
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, hl.l);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeoutMs);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r.location);
    if (method == "POST" || method == "PATCH" || !body.empty()) {
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    CURLcode rc = curl_easy_perform(curl_);
    if (rc != CURLE_OK)
        throw std::runtime_error(method + " " + url + ": " + curl_easy_strerror(rc));
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

}  // namespace load
