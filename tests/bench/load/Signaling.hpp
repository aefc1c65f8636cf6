#pragma once
// The two servers' ways of setting up a session: WHIP/WHEP (ClassBridge: we offer, it answers)
// and the Janus streaming plugin over the Janus HTTP API (it offers, we answer).
#include <cstdint>
#include <string>

#include "HttpClient.hpp"

namespace load {

class WhipWhepSignaler {
public:
    WhipWhepSignaler(std::string base, std::string lesson)
        : base_(std::move(base)), lesson_(std::move(lesson)) {}
    struct Answer {
        std::string sdp;
        std::string location;
    };
    // path is "whip" or "whep"; query e.g. "?source=teacher". Throws on a non-201 answer.
    Answer post(const std::string& path, const std::string& query, const std::string& token,
                const std::string& offer);
    void remove(const std::string& location, const std::string& token);

private:
    HttpClient http_;
    std::string base_, lesson_;
};

class JanusSignaler {
public:
    explicit JanusSignaler(std::string base);  // creates a Janus session
    ~JanusSignaler();                          // destroys it
    struct Offer {
        uint64_t handle = 0;
        std::string sdp;
    };
    // Attaches a streaming-plugin handle and asks to watch the mountpoint; waits for the offer.
    Offer watch(int mountpoint);
    void start(uint64_t handle, const std::string& answerSdp);
    void keepalive();

private:
    std::string call(const std::string& path, const std::string& json);
    HttpClient http_;
    std::string base_;
    uint64_t session_ = 0;
    uint64_t tx_ = 0;
};

}  // namespace load
