#pragma once
// How the RTMP and SRT listeners hand a publisher to the server: the server checks the
// token and lesson (before any media is accepted) and returns where the bytes go.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace pipeline {

struct PublishRequest {
    std::string protocol;  // "rtmp" | "srt"
    std::string lessonId, source, token, remote;
    bool transcode = false;  // publisher asked for re-encoding (transcode=1 in its URL)
};

// Refusal with a reason the publisher is told; status follows HTTP (401, 403, 404, 409).
class PublishRefused : public std::runtime_error {
public:
    PublishRefused(int status, const std::string& why) : std::runtime_error(why), status_(status) {}
    int status() const { return status_; }

private:
    int status_;
};

class PushSink {
public:
    virtual ~PushSink() = default;  // the publisher has gone: the pushed source ends
    // Container bytes (FLV for RTMP, MPEG-TS for SRT). Never blocks. False: hang up.
    virtual bool push(const uint8_t* data, size_t size) = 0;
};

class PublishHandler {
public:
    virtual ~PublishHandler() = default;
    // Only checks: may be called from the SRT accept callback. Throws PublishRefused.
    virtual void authorize(const PublishRequest& request) = 0;
    // Checks again and starts the source. Throws PublishRefused. Called on the listener
    // thread; must not block for long.
    virtual std::unique_ptr<PushSink> startPublish(const PublishRequest& request) = 0;
};

}  // namespace pipeline
