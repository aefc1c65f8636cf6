#pragma once
// One benchmark step against one server: publish the replay, join N subscribers, hold them
// for a measurement window, and report what the server cost and what the subscribers got.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace load {

struct LoadOptions {
    std::string server = "classbridge";  // or "janus"
    std::string base;                    // HTTP base URL of the server
    std::string serverIp;                // media address (candidate / mountpoint target)
    std::string localIp;                 // load client's address
    std::string mediaDir;
    unsigned subscribers = 10;
    double joinRate = 100;  // subscribers per second
    double joinTimeout = 60;
    double warmup = 3;
    double duration = 30;
    int serverPid = 0;
    std::string suite = "cm";  // cm | gcm
    unsigned sampleEvery = 16;
    int coalesceUs = 2000;
    double pacingKbps = 3750;  // publisher pacer: 2.5 x 1.5 Mbit/s, like libwebrtc; 0 = bursts  //
                               // subscriber loop: sleep before each epoll_wait
    // ClassBridge
    std::string lesson, publisherToken, viewerToken;
    // Janus
    int mountpoint = 1;
    uint16_t videoPort = 0, audioPort = 0;
};

// Runs the step; throws on setup errors (publisher cannot connect, signalling fails).
nlohmann::json runLoad(const LoadOptions& o);

}  // namespace load
