#include "pipeline/RtmpSession.hpp"

#include <chrono>
#include <random>

#include "pipeline/Amf0.hpp"

namespace pipeline {

namespace {

constexpr size_t kHandshake = 1536;
constexpr uint32_t kOutChunkSize = 4096;

std::string percentDecode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(uint8_t(s[i + 1])) &&
            std::isxdigit(uint8_t(s[i + 2]))) {
            out.push_back(char(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(s[i] == '+' ? ' ' : s[i]);
        }
    }
    return out;
}

// "path?k=v&k2=v2" -> path; query merged into q.
std::string splitQuery(const std::string& s, std::map<std::string, std::string>& q) {
    auto qm = s.find('?');
    if (qm == std::string::npos) return s;
    std::string query = s.substr(qm + 1);
    size_t i = 0;
    while (i <= query.size()) {
        size_t amp = query.find('&', i);
        if (amp == std::string::npos) amp = query.size();
        std::string kv = query.substr(i, amp - i);
        auto eq = kv.find('=');
        if (!kv.empty())
            q[percentDecode(kv.substr(0, eq))] =
                eq == std::string::npos ? "" : percentDecode(kv.substr(eq + 1));
        i = amp + 1;
    }
    return s.substr(0, qm);
}

}  // namespace

RtmpSession::RtmpSession(Listener& listener) : listener_(listener) {}

RtmpPublish RtmpSession::parsePublish(const std::string& app, const std::string& tcUrl,
                                      const std::string& streamName) {
    RtmpPublish p{app, tcUrl, streamName, {}, {}, {}};
    std::map<std::string, std::string> q;
    std::string tcPath = splitQuery(tcUrl, q);
    (void)tcPath;
    std::string appPath = splitQuery(app, q);
    std::string stream = splitQuery(streamName, q);
    // "live/{lesson}" as the app (OBS: server URL ends with the lesson, key = source).
    auto slash = appPath.find('/');
    if (slash != std::string::npos && slash + 1 < appPath.size()) {
        p.lessonId = appPath.substr(slash + 1);
        if (!stream.empty()) p.source = stream;
    } else {
        p.lessonId = stream;
    }
    if (auto it = q.find("source"); it != q.end() && !it->second.empty()) p.source = it->second;
    if (p.source.empty()) p.source = "teacher";
    if (auto it = q.find("token"); it != q.end()) p.token = it->second;
    if (auto it = q.find("transcode"); it != q.end())
        p.transcode = it->second == "1" || it->second == "true";
    return p;
}

void RtmpSession::fail(const std::string& why) {
    if (error_.empty()) error_ = why;
    state_ = State::Closed;
}

void RtmpSession::control(uint8_t type, uint32_t value, int bytes, int extra) {
    std::string payload;
    for (int i = bytes - 1; i >= 0; --i) payload.push_back(char(value >> (8 * i)));
    if (extra >= 0) payload.push_back(char(extra));
    writer_.write(out_, 2, type, 0, 0, payload);
}

void RtmpSession::sendCommand(uint32_t streamId, const std::string& name, double tid,
                              const std::string& args) {
    std::string payload;
    encodeAmf0(Amf0Value::str(name), payload);
    encodeAmf0(Amf0Value::num(tid), payload);
    payload += args;
    writer_.write(out_, streamId ? 5 : 3, 20, streamId, 0, payload);
}

void RtmpSession::sendStatus(uint32_t streamId, const std::string& level, const std::string& code,
                             const std::string& desc) {
    std::string args;
    encodeAmf0(Amf0Value::null(), args);
    encodeAmf0(Amf0Value::obj({{"level", Amf0Value::str(level)},
                               {"code", Amf0Value::str(code)},
                               {"description", Amf0Value::str(desc)}}),
               args);
    sendCommand(streamId, "onStatus", 0, args);
}

bool RtmpSession::feed(const uint8_t* data, size_t size) {
    if (state_ == State::Closed) return false;
    try {
        while (size > 0 && state_ < State::Chunks) {
            if (state_ == State::C0) {
                if (data[0] != 3) {
                    fail("not an RTMP client (version byte " + std::to_string(data[0]) + ")");
                    return false;
                }
                ++data, --size;
                state_ = State::C1;
                continue;
            }
            size_t take = std::min(size, kHandshake - hs_.size());
            hs_.append(reinterpret_cast<const char*>(data), take);
            data += take, size -= take;
            if (hs_.size() < kHandshake) return true;
            if (state_ == State::C1) {
                out_.push_back(3);  // S0
                std::string s1(kHandshake, '\0');
                uint32_t now =
                    uint32_t(std::chrono::steady_clock::now().time_since_epoch().count() / 1000000);
                for (int i = 0; i < 4; ++i) s1[i] = char(now >> (24 - 8 * i));
                std::minstd_rand rng(now);
                for (size_t i = 8; i < kHandshake; ++i) s1[i] = char(rng());
                out_ += s1;
                out_ += hs_;  // S2 echoes C1
                state_ = State::C2;
            } else {
                state_ = State::Chunks;  // C2 content is not checked (plain handshake)
            }
            hs_.clear();
        }
        if (size == 0) return state_ != State::Closed;
        reader_.feed(data, size);
        RtmpMessage m;
        while (state_ != State::Closed && reader_.next(m)) onMessage(m);
        if (state_ != State::Closed && reader_.bytesIn() - lastAck_ >= ackWindow_) {
            lastAck_ = reader_.bytesIn();
            control(3, uint32_t(lastAck_), 4);
        }
    } catch (const std::exception& e) {
        fail(e.what());
    }
    return state_ != State::Closed;
}

void RtmpSession::onMessage(const RtmpMessage& m) {
    switch (m.type) {
        case 5:  // Window Acknowledgement Size from the client
            if (m.payload.size() >= 4)
                ackWindow_ =
                    std::max<uint32_t>(1024, uint32_t(m.payload[0]) << 24 | m.payload[1] << 16 |
                                                 m.payload[2] << 8 | m.payload[3]);
            break;
        case 8:
        case 9:
            if (state_ == State::Publishing && m.streamId == publishStream_) media(m);
            break;  // media before publish (or on another stream) is not accepted
        case 17:    // AMF3 command: a format byte, then AMF0
        case 20:
            onCommand(m);
            break;
        default:
            break;  // chunk size (handled by the reader), acks, user control, metadata
    }
}

void RtmpSession::onCommand(const RtmpMessage& m) {
    size_t skip = m.type == 17 && !m.payload.empty() ? 1 : 0;
    auto v = decodeAmf0(m.payload.data() + skip, m.payload.size() - skip);
    if (v.size() < 2 || v[0].type != Amf0Value::Type::String)
        throw RtmpError("RTMP: malformed command");
    const std::string& name = v[0].string;
    double tid = v[1].type == Amf0Value::Type::Number ? v[1].number : 0;
    std::string args;
    if (name == "connect") {
        if (v.size() < 3 || v[2].type != Amf0Value::Type::Object)
            throw RtmpError("RTMP: connect without object");
        app_ = v[2].field("app");
        tcUrl_ = v[2].field("tcUrl");
        control(5, 2500000, 4);     // Window Acknowledgement Size
        control(6, 2500000, 4, 2);  // Set Peer Bandwidth, dynamic
        control(1, kOutChunkSize, 4);
        writer_.setChunkSize(kOutChunkSize);
        encodeAmf0(Amf0Value::obj({{"fmsVer", Amf0Value::str("FMS/3,0,1,123")},
                                   {"capabilities", Amf0Value::num(31)}}),
                   args);
        encodeAmf0(Amf0Value::obj({{"level", Amf0Value::str("status")},
                                   {"code", Amf0Value::str("NetConnection.Connect.Success")},
                                   {"description", Amf0Value::str("Connection succeeded.")},
                                   {"objectEncoding", Amf0Value::num(0)}}),
                   args);
        sendCommand(0, "_result", tid, args);
    } else if (name == "createStream") {
        encodeAmf0(Amf0Value::null(), args);
        encodeAmf0(Amf0Value::num(1), args);
        sendCommand(0, "_result", tid, args);
    } else if (name == "releaseStream" || name == "FCPublish") {
        encodeAmf0(Amf0Value::null(), args);
        sendCommand(0, "_result", tid, args);
    } else if (name == "publish") {
        if (state_ == State::Publishing) throw RtmpError("RTMP: publish twice on one connection");
        std::string stream =
            v.size() > 3 && v[3].type == Amf0Value::Type::String ? v[3].string : "";
        RtmpPublish p = parsePublish(app_, tcUrl_, stream);
        std::string refused = listener_.onPublish(p);
        if (!refused.empty()) {
            sendStatus(m.streamId, "error", "NetStream.Publish.BadName", refused);
            fail("publish refused: " + refused);
            return;
        }
        publishStream_ = m.streamId;
        state_ = State::Publishing;
        sendStatus(m.streamId, "status", "NetStream.Publish.Start", stream + " is now published");
    } else if (name == "FCUnpublish" || name == "deleteStream" || name == "closeStream") {
        if (state_ == State::Publishing) fail("publisher ended the stream");
    }
    // Anything else (_checkbw, getStreamLength, ...) needs no answer for publishing.
}

void RtmpSession::media(const RtmpMessage& m) {
    if (m.payload.empty()) return;
    std::string flv;
    if (!flvHeaderSent_) {
        flv.append("FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00",
                   13);  // audio+video, PreviousTagSize0
        flvHeaderSent_ = true;
    }
    uint32_t n = uint32_t(m.payload.size());
    char tag[11] = {char(m.type),
                    char(n >> 16),
                    char(n >> 8),
                    char(n),
                    char(m.timestamp >> 16),
                    char(m.timestamp >> 8),
                    char(m.timestamp),
                    char(m.timestamp >> 24),
                    0,
                    0,
                    0};
    flv.append(tag, 11);
    flv.append(reinterpret_cast<const char*>(m.payload.data()), n);
    uint32_t prev = n + 11;
    char pts[4] = {char(prev >> 24), char(prev >> 16), char(prev >> 8), char(prev)};
    flv.append(pts, 4);
    if (!listener_.onFlv(reinterpret_cast<const uint8_t*>(flv.data()), flv.size()))
        fail("source stopped (taken over or failed)");
}

}  // namespace pipeline
