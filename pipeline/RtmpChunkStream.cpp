#include "pipeline/RtmpChunkStream.hpp"

#include <algorithm>

namespace pipeline {

namespace {
uint32_t be24(const uint8_t* p) {
    return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
}
uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | be24(p + 1);
}
uint32_t le32(const uint8_t* p) {
    return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}
}  // namespace

void RtmpChunkReader::feed(const uint8_t* data, size_t size) {
    bytesIn_ += size;
    buf_.insert(buf_.end(), data, data + size);
    while (parseOne()) {
    }
    if (pos_ > 0) {  // drop consumed bytes; what is left is a partial chunk
        buf_.erase(buf_.begin(), buf_.begin() + long(pos_));
        pos_ = 0;
    }
}

bool RtmpChunkReader::next(RtmpMessage& out) {
    if (readyPos_ >= ready_.size()) {
        ready_.clear();
        readyPos_ = 0;
        return false;
    }
    out = std::move(ready_[readyPos_++]);
    return true;
}

void RtmpChunkReader::setChunkSize(uint32_t size) {
    if (size < 1 || size > 0x7fffffff) throw RtmpError("RTMP: invalid chunk size");
    chunkSize_ = std::min<uint32_t>(size, 1 << 24);
}

bool RtmpChunkReader::parseOne() {
    const uint8_t* p = buf_.data() + pos_;
    size_t avail = buf_.size() - pos_;
    if (avail < 1) return false;
    size_t h = 1;
    uint8_t fmt = p[0] >> 6;
    uint32_t csid = p[0] & 0x3f;
    if (csid == 0) {
        if (avail < 2) return false;
        csid = 64 + p[1];
        h = 2;
    } else if (csid == 1) {
        if (avail < 3) return false;
        csid = 64 + p[1] + 256u * p[2];
        h = 3;
    }
    static constexpr size_t kHeader[4] = {11, 7, 3, 0};
    if (avail < h + kHeader[fmt]) return false;
    auto it = streams_.find(csid);
    if (it == streams_.end()) {
        if (fmt != 0)
            throw RtmpError("RTMP: chunk stream " + std::to_string(csid) +
                            " starts without a full header");
        if (streams_.size() >= kMaxChunkStreams) throw RtmpError("RTMP: too many chunk streams");
    }
    Stream next = it == streams_.end() ? Stream{} : it->second;
    const uint8_t* m = p + h;
    uint32_t tsField = 0;
    if (fmt <= 2) tsField = be24(m);
    if (fmt <= 1) {
        next.length = be24(m + 3);
        next.type = m[6];
        if (next.length > kMaxMessage) throw RtmpError("RTMP: message too large");
    }
    if (fmt == 0) next.streamId = le32(m + 7);
    h += kHeader[fmt];
    bool extended = fmt <= 2 ? tsField == 0xffffff : next.extended;
    uint32_t ts = tsField;
    if (extended) {
        if (avail < h + 4) return false;
        ts = be32(p + h);
        h += 4;
    }
    bool newMessage = next.partial.empty();
    if (!newMessage && fmt != 3) throw RtmpError("RTMP: new header in the middle of a message");
    size_t want = std::min<size_t>(chunkSize_, next.length - next.partial.size());
    if (avail < h + want) return false;
    // Commit: the whole chunk is here.
    if (newMessage) {
        if (fmt == 0) {
            next.timestamp = ts;
            next.delta = 0;
        } else if (fmt == 1 || fmt == 2) {
            next.delta = ts;
            next.timestamp += ts;
        } else if (next.started) {
            next.timestamp += next.delta;  // fmt 3 starting a message repeats the last delta
        }
        next.extended = extended;
        next.started = true;
    }
    next.partial.insert(next.partial.end(), p + h, p + h + want);
    pos_ += h + want;
    if (next.partial.size() == next.length) {
        RtmpMessage msg;
        msg.type = next.type;
        msg.streamId = next.streamId;
        msg.timestamp = next.timestamp;
        msg.csid = csid;
        msg.payload.swap(next.partial);
        next.partial.clear();
        if (msg.type == 1) {  // Set Chunk Size applies to the very next chunk
            if (msg.payload.size() < 4) throw RtmpError("RTMP: short Set Chunk Size");
            setChunkSize(be32(msg.payload.data()) & 0x7fffffff);
        }
        ready_.push_back(std::move(msg));
    }
    streams_[csid] = std::move(next);
    return true;
}

void RtmpChunkWriter::write(std::string& out, uint32_t csid, uint8_t type, uint32_t streamId,
                            uint32_t timestamp, const std::string& payload) const {
    auto basic = [&](uint8_t fmt) {
        if (csid < 64) {
            out.push_back(char(fmt << 6 | csid));
        } else if (csid < 320) {
            out.push_back(char(fmt << 6));
            out.push_back(char(csid - 64));
        } else {
            out.push_back(char(fmt << 6 | 1));
            out.push_back(char((csid - 64) & 0xff));
            out.push_back(char((csid - 64) >> 8));
        }
    };
    bool ext = timestamp >= 0xffffff;
    auto be = [&](uint32_t v, int bytes) {
        for (int i = bytes - 1; i >= 0; --i) out.push_back(char(v >> (8 * i)));
    };
    basic(0);
    be(ext ? 0xffffff : timestamp, 3);
    be(uint32_t(payload.size()), 3);
    out.push_back(char(type));
    for (int i = 0; i < 4; ++i) out.push_back(char(streamId >> (8 * i)));  // little-endian
    if (ext) be(timestamp, 4);
    size_t off = 0;
    for (;;) {
        size_t n = std::min<size_t>(chunkSize_, payload.size() - off);
        out.append(payload, off, n);
        off += n;
        if (off >= payload.size()) break;
        basic(3);
        if (ext) be(timestamp, 4);
    }
}

}  // namespace pipeline
