#pragma once
// The media plane's one public face. Everything else in rtc/ is internal to it.
// Thread-safe: every call may come from any thread (HTTP loop, GStreamer threads,
// recorder); the engine posts the work to the worker that owns the lesson's Router.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace rtc {

// An offer the engine cannot satisfy (no H.264/Opus, no BUNDLE/rtcp-mux, bad SDP ...).
// status is the HTTP status the WHIP/WHEP endpoint should answer (400, 406, 415, 422).
class OfferError : public std::runtime_error {
public:
    OfferError(int status, std::string code, const std::string& msg)
        : std::runtime_error(msg), status_(status), code_(std::move(code)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }

private:
    int status_;
    std::string code_;
};

enum class MediaKind : uint8_t { Audio, Video };

// An in-process source (pipeline/ ingest): plain RTP packets, H.264 (packetization-mode 1,
// 90 kHz) or Opus (48 kHz), any SSRC/PT; the engine rewrites them per subscriber.
class SourceInput {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        // A subscriber or the recorder needs a keyframe (throttled by the engine).
        // Called on a worker thread: do not block.
        virtual void onKeyframeRequested() = 0;
    };
    virtual ~SourceInput() = default;  // destroying it removes the source from the lesson
    // Copies the packet into the worker's queue; never blocks; drops (and counts) when full.
    virtual void pushRtp(MediaKind kind, const uint8_t* data, size_t size) = 0;
};

// A consumer of a lesson's plain (decrypted) RTP, e.g. the recorder. Called on a worker
// thread for every packet of every source of the lesson: copy and return, never block.
class RtpSink {
public:
    virtual ~RtpSink() = default;
    virtual void onRtp(const std::string& source, MediaKind kind, const uint8_t* data,
                       size_t size) = 0;
};

struct EngineOptions {
    uint16_t port = 40000;                  // UDP and TCP, shared by all workers
    std::vector<std::string> listenIps;     // empty: all interfaces ("0.0.0.0" and "::")
    std::vector<std::string> announcedIps;  // host candidates; empty: every local address
    std::string publicIp;                   // extra candidate for NAT (--public-ip)
    unsigned workers = 0;                   // 0: one per usable core
    std::chrono::milliseconds consentTimeout{30000};
};

struct SessionInfo {
    std::string id;  // opaque, URL-safe; the WHIP/WHEP resource is /whip|whep/{lesson}/{id}
    std::string answerSdp;
};

class MediaEngine {
public:
    explicit MediaEngine(EngineOptions options);
    ~MediaEngine();
    MediaEngine(const MediaEngine&) = delete;
    MediaEngine& operator=(const MediaEngine&) = delete;

    // WHIP: a browser/OBS publishes `source` into the lesson. Throws OfferError.
    SessionInfo publish(const std::string& lessonId, const std::string& source,
                        const std::string& offerSdp);
    // WHEP: a member classroom plays the lesson's main source. Throws OfferError.
    SessionInfo subscribe(const std::string& lessonId, const std::string& offerSdp);
    // PATCH with an ICE restart / trickle fragment; returns the answer fragment (may be
    // empty for trickle). Throws OfferError; returns false-y via std::nullopt-like empty
    // optional semantics by throwing std::out_of_range for an unknown session.
    std::string patch(const std::string& sessionId, const std::string& sdpFragment);
    // DELETE: tears the session down at once. False when unknown.
    bool close(const std::string& sessionId);
    // Lesson ended: every session, source and sink of it is closed.
    void closeLesson(const std::string& lessonId);

    std::unique_ptr<SourceInput> attachSource(const std::string& lessonId,
                                              const std::string& source,
                                              SourceInput::Listener* listener);
    // The source subscribers see by default; until set, the first source to arrive.
    void setMainSource(const std::string& lessonId, const std::string& source);
    std::string mainSource(const std::string& lessonId) const;
    std::vector<std::string> sources(const std::string& lessonId) const;

    // Adds a sink for all sources of the lesson; returns a handle whose destruction
    // detaches it (after which onRtp is never called again).
    class SinkHandle {
    public:
        virtual ~SinkHandle() = default;
    };
    std::unique_ptr<SinkHandle> addSink(const std::string& lessonId, RtpSink* sink);
    void requestKeyframe(const std::string& lessonId, const std::string& source);

    // Prometheus text lines (cb_rtc_*), appended to /metrics.
    std::string metricsText() const;
    uint16_t port() const;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace rtc
