// RTMP protocol layer: chunk/AMF0 tables, then the real server against real ffmpeg.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "pipeline/Amf0.hpp"
#include "pipeline/IngestSource.hpp"
#include "pipeline/RtmpChunkStream.hpp"
#include "pipeline/RtmpServer.hpp"
#include "pipeline/RtmpSession.hpp"

using namespace pipeline;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> bytes(std::initializer_list<int> b) {
    std::vector<uint8_t> v;
    for (int x : b) v.push_back(uint8_t(x));
    return v;
}

}  // namespace

TEST(Amf0, RoundTripsCommandValues) {
    std::string enc;
    encodeAmf0(Amf0Value::str("connect"), enc);
    encodeAmf0(Amf0Value::num(1), enc);
    encodeAmf0(Amf0Value::obj(
                   {{"app", Amf0Value::str("live")}, {"tcUrl", Amf0Value::str("rtmp://h/live")}}),
               enc);
    encodeAmf0(Amf0Value::null(), enc);
    auto v = decodeAmf0(reinterpret_cast<const uint8_t*>(enc.data()), enc.size());
    ASSERT_EQ(v.size(), 4u);
    EXPECT_EQ(v[0].string, "connect");
    EXPECT_EQ(v[1].number, 1.0);
    EXPECT_EQ(v[2].field("app"), "live");
    EXPECT_EQ(v[2].field("tcUrl"), "rtmp://h/live");
    EXPECT_EQ(v[3].type, Amf0Value::Type::Null);
}

TEST(Amf0, RejectsMalformed) {
    struct Case {
        const char* what;
        std::vector<uint8_t> data;
    } cases[] = {
        {"truncated number", bytes({0, 1, 2})},
        {"string longer than data", bytes({2, 0, 10, 'a'})},
        {"object without end", bytes({3, 0, 1, 'a', 5})},
        {"unknown marker", bytes({0x42})},
        {"strict array count too big", bytes({10, 0xff, 0xff, 0xff, 0xff})},
    };
    for (auto& c : cases)
        EXPECT_THROW(decodeAmf0(c.data.data(), c.data.size()), Amf0Error) << c.what;
    std::vector<uint8_t> deep;
    for (int i = 0; i < 100; ++i) deep.push_back(10), deep.insert(deep.end(), {0, 0, 0, 1});
    EXPECT_THROW(decodeAmf0(deep.data(), deep.size()), Amf0Error) << "nesting";
    auto ecma = bytes({8, 0, 0, 0, 1, 0, 1, 'k', 1, 1, 0, 0, 9});
    auto v = decodeAmf0(ecma.data(), ecma.size());
    ASSERT_EQ(v.size(), 1u);
    EXPECT_TRUE(v[0].object.at("k").boolean);
}

TEST(RtmpChunks, AllHeaderTypesAndSplits) {
    // fmt0 on csid 4 (ts 1000, len 3, type 9, stream 1), fmt1 (delta 33, len 2, type 9),
    // fmt2 (delta 40, same len/type), fmt3 (repeats delta 40) -> timestamps 1000, 1033, 1073, 1113.
    auto s = bytes({0x04, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x03, 0x09, 0x01, 0x00, 0x00, 0x00,
                    'a',  'b',  'c',  0x44, 0x00, 0x00, 0x21, 0x00, 0x00, 0x02, 0x09, 'd',
                    'e',  0x84, 0x00, 0x00, 0x28, 'f',  'g',  0xc4, 'h',  'i'});
    for (size_t split = 1; split < s.size(); ++split) {
        RtmpChunkReader r;
        r.feed(s.data(), split);
        r.feed(s.data() + split, s.size() - split);
        std::vector<RtmpMessage> got;
        RtmpMessage m;
        while (r.next(m)) got.push_back(m);
        ASSERT_EQ(got.size(), 4u) << "split " << split;
        EXPECT_EQ(got[0].timestamp, 1000u);
        EXPECT_EQ(got[0].streamId, 1u);
        EXPECT_EQ(std::string(got[0].payload.begin(), got[0].payload.end()), "abc");
        EXPECT_EQ(got[1].timestamp, 1033u);
        EXPECT_EQ(got[2].timestamp, 1073u);
        EXPECT_EQ(got[3].timestamp, 1113u);
        EXPECT_EQ(std::string(got[3].payload.begin(), got[3].payload.end()), "hi");
    }
}

TEST(RtmpChunks, ContinuationExtendedTimestampTwoByteCsidAndChunkSize) {
    RtmpChunkWriter w;
    w.setChunkSize(4);
    std::string out;
    w.write(out, 300, 8, 1, 0x01234567, "0123456789");  // 3-byte csid, extended ts, 3 chunks
    RtmpChunkReader r;
    r.setChunkSize(4);
    r.feed(reinterpret_cast<const uint8_t*>(out.data()), out.size());
    RtmpMessage m;
    ASSERT_TRUE(r.next(m));
    EXPECT_EQ(m.csid, 300u);
    EXPECT_EQ(m.timestamp, 0x01234567u);
    EXPECT_EQ(std::string(m.payload.begin(), m.payload.end()), "0123456789");
    // Set Chunk Size applies to the next chunk.
    std::string sc;
    RtmpChunkWriter w2;
    w2.write(sc, 2, 1, 0, 0, std::string("\x00\x00\x10\x00", 4));
    RtmpChunkReader r2;
    r2.feed(reinterpret_cast<const uint8_t*>(sc.data()), sc.size());
    EXPECT_EQ(r2.chunkSize(), 4096u);
}

TEST(RtmpChunks, RejectsViolations) {
    RtmpChunkReader r;
    auto noFull = bytes({0x44, 0, 0, 0, 0, 0, 1, 9, 'x'});  // fmt1 on an unknown csid
    EXPECT_THROW(r.feed(noFull.data(), noFull.size()), RtmpError);
    RtmpChunkReader r2;
    auto huge = bytes({0x04, 0, 0, 0, 0xff, 0xff, 0xff, 9, 0, 0, 0, 0});  // 16 MB message
    EXPECT_THROW(r2.feed(huge.data(), huge.size()), RtmpError);
}

TEST(RtmpSession, ExtractsLessonSourceAndTokenWhereEncodersPutThem) {
    auto ff =
        RtmpSession::parsePublish("live", "rtmp://h:1935/live", "42?token=abc.def&source=board");
    EXPECT_EQ(ff.lessonId, "42");
    EXPECT_EQ(ff.source, "board");
    EXPECT_EQ(ff.token, "abc.def");
    auto obs =
        RtmpSession::parsePublish("live/42?token=t%2Bx", "rtmp://h/live/42?token=t%2Bx", "screen");
    EXPECT_EQ(obs.lessonId, "42");
    EXPECT_EQ(obs.source, "screen");
    EXPECT_EQ(obs.token, "t+x");
    auto def = RtmpSession::parsePublish("live", "", "7");
    EXPECT_EQ(def.source, "teacher");
    EXPECT_EQ(def.token, "");
    EXPECT_FALSE(def.transcode);
    EXPECT_TRUE(RtmpSession::parsePublish("live", "", "7?token=t&transcode=1").transcode);
}

namespace {

struct Collector : rtc::SourceInput {
    std::atomic<size_t> video{0}, audio{0};
    void pushRtp(rtc::MediaKind k, const uint8_t*, size_t) override {
        (k == rtc::MediaKind::Video ? video : audio)++;
    }
};

// Accepts lesson "5" with token "good"; every publish gets its own IngestSource.
struct Handler : PublishHandler {
    std::string uri = "push:flv";
    std::mutex m;
    std::vector<std::unique_ptr<IngestSource>> sources;
    std::vector<Collector*> collectors;
    void authorize(const PublishRequest& r) override {
        if (r.token != "good") throw PublishRefused(401, "bad token");
        if (r.lessonId != "5") throw PublishRefused(404, "no such lesson");
    }
    std::unique_ptr<PushSink> startPublish(const PublishRequest& r) override {
        authorize(r);
        SourceOptions o;
        o.uri = uri;
        std::lock_guard l(m);
        auto src = std::make_unique<IngestSource>(o, [this](rtc::SourceInput::Listener*) {
            auto c = std::make_unique<Collector>();
            collectors.push_back(c.get());
            return c;
        });
        struct Sink : PushSink {
            IngestSource* s;
            bool push(const uint8_t* d, size_t n) override { return s->pushBytes(d, n); }
        };
        auto sink = std::make_unique<Sink>();
        sink->s = src.get();
        sources.push_back(std::move(src));
        return sink;
    }
};

std::string ffmpegPush(uint16_t port, const std::string& path, int seconds) {
    return "ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i "
           "testsrc2=size=320x240:rate=30 -f lavfi -i "
           "sine=frequency=440 -t " +
           std::to_string(seconds) +
           " -c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 30 -preset ultrafast -c:a aac -f "
           "flv "
           "'rtmp://127.0.0.1:" +
           std::to_string(port) + path + "'";
}

}  // namespace

TEST(RtmpServer, FfmpegPublishesWhileGarbageAndWrongTokenAreRefused) {
    Handler h;
    RtmpServer server("127.0.0.1", 0, h);
    std::atomic<int> goodRc{-1};
    std::thread good([&] {
        goodRc =
            std::system(ffmpegPush(server.port(), "/live/5?token=good&source=teacher", 6).c_str());
    });
    // Garbage on a parallel connection: closed by the server, the publisher unaffected.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    std::string junk(5000, '\x7f');
    ASSERT_GT(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), 0);
    char c;
    timeval tv{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    EXPECT_EQ(::recv(fd, &c, 1, 0), 0) << "server must close a garbage connection";
    ::close(fd);
    // Wrong token: ffmpeg must fail (publish refused before media).
    int bad = std::system(ffmpegPush(server.port(), "/live/5?token=wrong", 2).c_str());
    EXPECT_NE(bad, 0);
    int unknown = std::system(ffmpegPush(server.port(), "/live/6?token=good", 2).c_str());
    EXPECT_NE(unknown, 0);
    EXPECT_GE(server.refused(), 2u);
    good.join();
    EXPECT_EQ(goodRc, 0);
    std::lock_guard l(h.m);
    ASSERT_EQ(h.collectors.size(), 1u);
    EXPECT_GT(h.collectors[0]->video.load(), 100u);
    EXPECT_GT(h.collectors[0]->audio.load(), 100u);
    // Ingest-added latency (queue in -> RTP out), reported, not asserted (shared CI cores).
    auto st = h.sources[0]->status();
    std::printf("rtmp passthrough latency: avg %.2f ms, max %.2f ms\n", st.latencyAvgMs,
                st.latencyMaxMs);
    RecordProperty("latency_avg_ms", std::to_string(st.latencyAvgMs));
    RecordProperty("latency_max_ms", std::to_string(st.latencyMaxMs));
    EXPECT_GT(st.latencyMaxMs, 0.0);
}

// ---- SRT listener (libsrt) against real ffmpeg ----
#include "pipeline/SrtServer.hpp"

namespace {

std::string ffmpegSrt(uint16_t port, const std::string& streamid, int seconds) {
    return "ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i "
           "testsrc2=size=320x240:rate=30 -f lavfi -i "
           "sine=frequency=440 -t " +
           std::to_string(seconds) +
           " -c:v libx264 -profile:v baseline -pix_fmt yuv420p -g 30 -preset ultrafast -c:a aac -f "
           "mpegts "
           "'srt://127.0.0.1:" +
           std::to_string(port) + "?streamid=" + streamid + "'";
}

// The same for MPEG-TS pushed over SRT.
struct TsHandler : Handler {
    TsHandler() { uri = "push:mpegts"; }
};

}  // namespace

TEST(SrtStreamId, Parses) {
    auto id = parseSrtStreamId("#!::r=12,m=publish,s=board,t=abc.def");
    EXPECT_EQ(id.lessonId, "12");
    EXPECT_EQ(id.source, "board");
    EXPECT_EQ(id.token, "abc.def");
    EXPECT_FALSE(id.transcode);
    EXPECT_TRUE(parseSrtStreamId("#!::r=12,m=publish,transcode=1").transcode);
    EXPECT_THROW(parseSrtStreamId("12"), std::invalid_argument);
    EXPECT_THROW(parseSrtStreamId("#!::m=publish"), std::invalid_argument);
    EXPECT_THROW(parseSrtStreamId("#!::r=1,m=request"), std::invalid_argument);
    EXPECT_THROW(parseSrtStreamId("#!::r=1,junk"), std::invalid_argument);
}

TEST(SrtServer, FfmpegPublishesWhileGarbageAndWrongTokenAreRefused) {
    TsHandler h;
    SrtServer server("127.0.0.1", 0, h);
    std::atomic<int> goodRc{-1};
    std::thread good([&] {
        goodRc =
            std::system(ffmpegSrt(server.port(), "#!::r=5,m=publish,s=teacher,t=good", 6).c_str());
    });
    // Garbage datagrams at the listener port.
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string junk(1316, '\x5a');
    for (int i = 0; i < 200; ++i)
        ::sendto(fd, junk.data(), junk.size() - i, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
    int bad =
        std::system(ffmpegSrt(server.port(), "#!::r=5,m=publish,s=teacher,t=wrong", 2).c_str());
    EXPECT_NE(bad, 0);
    good.join();
    EXPECT_EQ(goodRc, 0);
    EXPECT_GE(server.refused(), 1u);
    std::lock_guard l(h.m);
    ASSERT_EQ(h.collectors.size(), 1u);
    EXPECT_GT(h.collectors[0]->video.load(), 100u);
    EXPECT_GT(h.collectors[0]->audio.load(), 100u);
    auto st = h.sources[0]->status();
    std::printf("srt passthrough latency: avg %.2f ms, max %.2f ms\n", st.latencyAvgMs,
                st.latencyMaxMs);
}
