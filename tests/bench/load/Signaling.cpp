#include "Signaling.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace load {

using nlohmann::json;

WhipWhepSignaler::Answer WhipWhepSignaler::post(const std::string& path, const std::string& query,
                                                const std::string& token,
                                                const std::string& offer) {
    auto r =
        http_.request("POST", base_ + "/" + path + "/" + lesson_ + query,
                      {"Content-Type: application/sdp", "Authorization: Bearer " + token}, offer);
    if (r.status != 201)
        throw std::runtime_error("POST /" + path + ": HTTP " + std::to_string(r.status) + " " +
                                 r.body);
    return {r.body, r.location};
}

void WhipWhepSignaler::remove(const std::string& location, const std::string& token) {
    if (location.empty()) return;
    std::string url = location.rfind("http", 0) == 0 ? location : base_ + location;
    http_.request("DELETE", url, {"Authorization: Bearer " + token}, "", 5000);
}

JanusSignaler::JanusSignaler(std::string base) : base_(std::move(base)) {
    auto j = json::parse(call("/janus", json{{"janus", "create"}}.dump()));
    if (j.value("janus", "") != "success") throw std::runtime_error("janus create: " + j.dump());
    session_ = j["data"]["id"].get<uint64_t>();
}

JanusSignaler::~JanusSignaler() {
    try {
        call("/janus/" + std::to_string(session_), json{{"janus", "destroy"}}.dump());
    } catch (...) {
    }
}

std::string JanusSignaler::call(const std::string& path, const std::string& body) {
    json j = json::parse(body);
    j["transaction"] = "t" + std::to_string(++tx_);
    auto r = http_.request("POST", base_ + path, {"Content-Type: application/json"}, j.dump());
    if (r.status != 200)
        throw std::runtime_error("janus " + path + ": HTTP " + std::to_string(r.status));
    return r.body;
}

void JanusSignaler::keepalive() {
    call("/janus/" + std::to_string(session_), json{{"janus", "keepalive"}}.dump());
}

JanusSignaler::Offer JanusSignaler::watch(int mountpoint) {
    const std::string s = "/janus/" + std::to_string(session_);
    auto a = json::parse(
        call(s, json{{"janus", "attach"}, {"plugin", "janus.plugin.streaming"}}.dump()));
    if (a.value("janus", "") != "success") throw std::runtime_error("janus attach: " + a.dump());
    Offer o;
    o.handle = a["data"]["id"].get<uint64_t>();
    const std::string h = s + "/" + std::to_string(o.handle);
    auto m = json::parse(call(
        h,
        json{{"janus", "message"}, {"body", {{"request", "watch"}, {"id", mountpoint}}}}.dump()));
    if (m.value("janus", "") == "error") throw std::runtime_error("janus watch: " + m.dump());
    // The offer arrives as an asynchronous event on the session's long poll.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = http_.request("GET", base_ + s + "?maxev=20", {}, "", 35000);
        if (r.status != 200)
            throw std::runtime_error("janus poll: HTTP " + std::to_string(r.status));
        json ev = json::parse(r.body);
        json list = ev.is_array() ? ev : json::array({ev});
        for (const auto& e : list) {
            if (e.value("sender", uint64_t{0}) != o.handle) continue;
            if (e.contains("jsep") && e["jsep"].value("type", "") == "offer") {
                o.sdp = e["jsep"]["sdp"].get<std::string>();
                return o;
            }
            if (e.contains("plugindata") && e["plugindata"]["data"].contains("error"))
                throw std::runtime_error("janus watch: " + e.dump());
        }
    }
    throw std::runtime_error("janus watch: no offer within 30 s");
}

void JanusSignaler::start(uint64_t handle, const std::string& answerSdp) {
    const std::string h = "/janus/" + std::to_string(session_) + "/" + std::to_string(handle);
    auto m = json::parse(call(h, json{{"janus", "message"},
                                      {"body", {{"request", "start"}}},
                                      {"jsep", {{"type", "answer"}, {"sdp", answerSdp}}}}
                                     .dump()));
    if (m.value("janus", "") == "error") throw std::runtime_error("janus start: " + m.dump());
}

}  // namespace load
