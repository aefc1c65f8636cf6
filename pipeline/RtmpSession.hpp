#pragma once
// The server side of one RTMP publishing connection, as pure protocol logic: handshake
// (C0/C1/C2, the plain variant every encoder accepts), chunk stream, control messages,
// the AMF0 commands connect / releaseStream / FCPublish / createStream / publish /
// FCUnpublish / deleteStream and their replies, then audio/video messages re-wrapped as
// an FLV byte stream for flvdemux. Sockets live in RtmpServer; this is what the fuzzer
// drives.
#include <cstdint>
#include <map>
#include <string>

#include "pipeline/RtmpChunkStream.hpp"

namespace pipeline {

struct RtmpPublish {
    std::string app, tcUrl, streamName;   // as the client sent them
    std::string lessonId, source, token;  // extracted (see docs/ingest.md)
    bool transcode = false;               // "transcode=1" in the query
};

class RtmpSession {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        // Before any media is accepted. Returns "" to accept, else the refusal text.
        virtual std::string onPublish(const RtmpPublish& publish) = 0;
        // FLV bytes (header, then tags). False: stop (source failed / taken over).
        virtual bool onFlv(const uint8_t* data, size_t size) = 0;
    };

    explicit RtmpSession(Listener& listener);
    // Consumes bytes from the client. False: close the connection (error() says why);
    // output() may still hold a last reply to flush first.
    bool feed(const uint8_t* data, size_t size);
    std::string& output() { return out_; }
    const std::string& error() const { return error_; }
    bool publishing() const { return state_ == State::Publishing; }

    // Splits what encoders send into lesson/source/token (query parts may be in the app,
    // the tcUrl or the stream name).
    static RtmpPublish parsePublish(const std::string& app, const std::string& tcUrl,
                                    const std::string& streamName);

private:
    enum class State { C0, C1, C2, Chunks, Publishing, Closed };
    void onMessage(const RtmpMessage& m);
    void onCommand(const RtmpMessage& m);
    void sendCommand(uint32_t streamId, const std::string& name, double tid,
                     const std::string& args);
    void sendStatus(uint32_t streamId, const std::string& level, const std::string& code,
                    const std::string& desc);
    void control(uint8_t type, uint32_t value, int bytes, int extra = -1);
    void fail(const std::string& why);
    void media(const RtmpMessage& m);

    Listener& listener_;
    State state_ = State::C0;
    std::string hs_;  // handshake bytes collected
    RtmpChunkReader reader_;
    RtmpChunkWriter writer_;
    std::string out_, error_;
    std::string app_, tcUrl_;
    uint32_t publishStream_ = 0;
    bool flvHeaderSent_ = false;
    uint64_t ackWindow_ = 2500000, lastAck_ = 0;
};

}  // namespace pipeline
