#pragma once
// RTMP chunk stream (RTMP spec §5.3): reassembles messages from chunks with all four
// header types (fmt 0-3), 1/2/3-byte chunk stream ids, extended timestamps and the
// peer's chunk size; and writes messages as chunks. Incremental: feed any split of the
// byte stream. Pure code (no sockets), bounded: a protocol violation throws RtmpError.
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace pipeline {

class RtmpError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct RtmpMessage {
    uint8_t type = 0;
    uint32_t streamId = 0;
    uint32_t timestamp = 0;  // absolute, ms
    uint32_t csid = 0;
    std::vector<uint8_t> payload;
};

class RtmpChunkReader {
public:
    static constexpr size_t kMaxMessage = 8 << 20;  // no sane tag is larger
    static constexpr size_t kMaxChunkStreams = 16;

    // Appends bytes; complete messages are returned by next(). Throws RtmpError.
    void feed(const uint8_t* data, size_t size);
    bool next(RtmpMessage& out);
    void setChunkSize(uint32_t size);  // from the peer's Set Chunk Size (1..0x7fffffff)
    uint32_t chunkSize() const { return chunkSize_; }
    uint64_t bytesIn() const { return bytesIn_; }

private:
    struct Stream {
        uint32_t timestamp = 0, delta = 0, length = 0, streamId = 0;
        uint8_t type = 0;
        bool extended = false;
        bool started = false;
        std::vector<uint8_t> partial;
    };
    bool parseOne();  // one chunk from buf_ at pos_, false if incomplete
    std::vector<uint8_t> buf_;
    size_t pos_ = 0;
    uint32_t chunkSize_ = 128;
    uint64_t bytesIn_ = 0;
    std::map<uint32_t, Stream> streams_;
    std::vector<RtmpMessage> ready_;
    size_t readyPos_ = 0;
};

// Serialises messages into chunks (fmt 0 then fmt 3), with our chunk size.
class RtmpChunkWriter {
public:
    void setChunkSize(uint32_t size) { chunkSize_ = size; }
    void write(std::string& out, uint32_t csid, uint8_t type, uint32_t streamId, uint32_t timestamp,
               const std::string& payload) const;

private:
    uint32_t chunkSize_ = 128;
};

}  // namespace pipeline
