#include "LoadRun.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ClientSdp.hpp"
#include "Peer.hpp"
#include "PlainRtpOutput.hpp"
#include "ProcStat.hpp"
#include "Signaling.hpp"

namespace load {

using nlohmann::json;

namespace {

void raiseFdLimit() {
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

void sleepSeconds(double s) {
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

// A loop on its own thread with a tick over its peers.
struct LoopThread {
    EventLoop loop;
    std::vector<std::unique_ptr<Peer>> peers;  // loop thread only
    std::thread thread;
    LoopThread() {
        loop.setTick(20, [this] {
            int64_t now = monoNs();
            for (auto& p : peers) p->onTick(now);
        });
        thread = std::thread([this] { loop.run(); });
    }
    // SCHED_FIFO (root only): the publisher stands for a sender on another machine, so its
    // pacing must not wait behind the subscribers' receive work on the shared load core;
    // late sends bunch a keyframe's packets and queue them at any server alike.
    bool realtime() {
        sched_param sp{};
        sp.sched_priority = 10;
        return pthread_setschedparam(thread.native_handle(), SCHED_FIFO, &sp) == 0;
    }
    void stop() {
        loop.stop();
        if (thread.joinable()) thread.join();
    }
    ~LoopThread() {
        stop();
        peers.clear();
    }
};

std::string pickCandidate(const RemoteSdp& sdp, const std::string& preferIp, uint16_t& port) {
    for (const auto& c : sdp.udpCandidates)
        if (c.ip == preferIp) {
            port = c.port;
            return c.ip;
        }
    for (const auto& c : sdp.udpCandidates)
        if (c.ip.find(':') == std::string::npos) {
            port = c.port;
            return c.ip;
        }
    throw std::runtime_error("answer has no usable UDP candidate");
}

struct Totals {
    uint64_t videoExpected = 0, videoReceived = 0, audioExpected = 0, audioReceived = 0;
    uint64_t packets = 0, bytes = 0, verified = 0, authFailed = 0, unmatched = 0, rtcpSent = 0;
    unsigned connected = 0, failed = 0, withKeyframe = 0;
    std::vector<double> joinMs;
};

Totals collect(LoopThread& lt) {
    Totals t;
    lt.loop.call([&] {
        for (auto& p : lt.peers) {
            const PeerCounters& c = p->counters();
            t.videoExpected += c.videoExpected;
            t.videoReceived += c.videoReceived;
            t.audioExpected += c.audioExpected;
            t.audioReceived += c.audioReceived;
            t.packets += c.packets;
            t.bytes += c.bytes;
            t.verified += c.verified;
            t.authFailed += c.authFailed;
            t.unmatched += c.unmatched;
            t.rtcpSent += c.rtcpSent;
            t.connected += c.connected;
            t.failed += c.failed;
            if (c.keyframeNs) {
                ++t.withKeyframe;
                t.joinMs.push_back((c.keyframeNs - c.postNs) / 1e6);
            }
        }
    });
    return t;
}

// The machine's 1-minute load average at the end of the window: how busy the shared cores were.
double loadAverage() {
    double v = 0;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &v) != 1) v = 0;
        std::fclose(f);
    }
    return v;
}

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

}  // namespace

json runLoad(const LoadOptions& o) {
    raiseFdLimit();
    srtpGlobalInit();
    const bool janus = o.server == "janus";
    DtlsContext dtls(o.suite == "gcm" ? SrtpSuite::AeadAes128Gcm : SrtpSuite::AesCm128HmacSha1_80);
    MediaFile media(o.mediaDir, o.pacingKbps);
    SendLog log(media);
    ReceiveShared shared;
    shared.media = &media;
    shared.log = &log;
    shared.sampleEvery = std::max(1u, o.sampleEvery);

    // Publisher on its own loop thread so that pacing does not suffer from the receive load.
    LoopThread pub;
    const bool pubRealtime = pub.realtime();
    std::unique_ptr<PlainRtpOutput> plain;
    std::unique_ptr<RtpReplayer> replayer;
    // The replayer's timer fires on the publisher loop: that loop must stop before the
    // replayer (and the output it sends to) is destroyed, also when a step throws.
    struct StopFirst {
        LoopThread& t;
        ~StopFirst() { t.stop(); }
    } stopPublisherFirst{pub};
    WhipWhepSignaler whx(o.base, o.lesson);
    std::string pubSuite = "plain RTP to the mountpoint";
    if (janus) {
        plain = std::make_unique<PlainRtpOutput>(o.serverIp, o.videoPort, o.audioPort);
        replayer = std::make_unique<RtpReplayer>(pub.loop, media, log, *plain, OutputIds{});
        pub.loop.call([&] { replayer->start(); });
    } else {
        OutputIds ids;
        auto peer =
            std::make_unique<Peer>(pub.loop, dtls, nullptr, Peer::IceRole::Controlling, o.localIp);
        std::string offer = buildOffer(peer->localIce(), {ids.audioSsrc, ids.videoSsrc});
        auto ans = whx.post("whip", "?source=teacher", o.publisherToken, offer);
        RemoteSdp sdp = parseSdp(ans.sdp);
        uint16_t port = 0;
        std::string ip = pickCandidate(sdp, o.serverIp, port);
        if (sdp.videoPt() >= 0) ids.videoPt = static_cast<uint8_t>(sdp.videoPt());
        if (sdp.audioPt() >= 0) ids.audioPt = static_cast<uint8_t>(sdp.audioPt());
        Peer* raw = peer.get();
        replayer = std::make_unique<RtpReplayer>(pub.loop, media, log, *raw, ids);
        raw->setOnConnected([&] { replayer->start(); });
        int64_t now = realtimeNs();
        pub.loop.call([&] {
            raw->begin(sdp, ip, port, now);
            pub.peers.push_back(std::move(peer));
        });
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        bool up = false;
        while (!up && std::chrono::steady_clock::now() < deadline) {
            sleepSeconds(0.05);
            pub.loop.call([&] { up = raw->connected(); });
        }
        if (!up) throw std::runtime_error("WHIP publisher did not connect within 20 s");
        pub.loop.call([&] { pubSuite = "WHIP, SRTP " + raw->suiteName(); });
    }
    sleepSeconds(0.5);

    // Subscribers, joined at joinRate.
    LoopThread sub;
    sub.loop.setCoalesce(o.coalesceUs);
    std::unique_ptr<JanusSignaler> js;
    if (janus) js = std::make_unique<JanusSignaler>(o.base);
    std::vector<std::string> locations;
    unsigned joinErrors = 0;
    std::string firstError;
    auto joinStart = std::chrono::steady_clock::now();
    // An overloaded server answers POSTs slowly (its worker is behind on media): stop
    // joining at three times the planned join time plus the join timeout, and report the
    // step with the subscribers that got in, instead of running into the harness's limit.
    auto joinEnd =
        joinStart + std::chrono::duration<double>(3.0 * o.subscribers / o.joinRate + o.joinTimeout);
    unsigned notJoined = 0;
    for (unsigned i = 0; i < o.subscribers; ++i) {
        auto due = joinStart + std::chrono::duration<double>(i / o.joinRate);
        std::this_thread::sleep_until(due);
        if (std::chrono::steady_clock::now() >= joinEnd) {
            notJoined = o.subscribers - i;
            joinErrors += notJoined;
            if (firstError.empty()) firstError = "join phase timed out (server too slow)";
            break;
        }
        try {
            auto peer = std::make_unique<Peer>(
                sub.loop, dtls, &shared, janus ? Peer::IceRole::Lite : Peer::IceRole::Controlling,
                o.localIp);
            int64_t postNs = realtimeNs();
            RemoteSdp sdp;
            std::string ip;
            uint16_t port = 0;
            if (janus) {
                auto offer = js->watch(o.mountpoint);
                sdp = parseSdp(offer.sdp);
                std::string answer =
                    buildLiteAnswer(sdp, peer->localIce(), o.localIp, peer->localPort());
                if (i == 0 && std::getenv("CB_LOAD_DEBUG"))
                    std::fprintf(stderr, "--- offer\n%s--- answer\n%s", offer.sdp.c_str(),
                                 answer.c_str());
                Peer* raw = peer.get();
                sub.loop.call([&] {
                    raw->begin(sdp, "", 0, postNs);
                    sub.peers.push_back(std::move(peer));
                });
                js->start(offer.handle, answer);
            } else {
                auto ans = whx.post("whep", "", o.viewerToken, buildOffer(peer->localIce(), {}));
                locations.push_back(ans.location);
                sdp = parseSdp(ans.sdp);
                ip = pickCandidate(sdp, o.serverIp, port);
                Peer* raw = peer.get();
                sub.loop.call([&] {
                    raw->begin(sdp, ip, port, postNs);
                    sub.peers.push_back(std::move(peer));
                });
            }
        } catch (const std::exception& e) {
            if (joinErrors++ == 0) firstError = e.what();
        }
    }
    double joinSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - joinStart).count();

    // Wait until every subscriber has its DTLS up and a first keyframe, then warm up.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.joinTimeout);
    Totals t = collect(sub);
    while (t.withKeyframe + t.failed < o.subscribers - joinErrors &&
           std::chrono::steady_clock::now() < deadline) {
        sleepSeconds(0.25);
        if (js) js->keepalive();
        t = collect(sub);
    }
    sleepSeconds(o.warmup);

    // Measurement window.
    Totals a = collect(sub);
    uint64_t pubSent0 = 0, pubSent1 = 0;
    pub.loop.call([&] { pubSent0 = replayer->sent(); });
    sub.loop.call([&] { shared.latency.reset(); });
    ProcSample s0 = sampleProc(o.serverPid), self0 = sampleProc(0);
    CoreTimes c0 = sampleCores();
    auto w0 = std::chrono::steady_clock::now();
    for (double left = o.duration; left > 0; left -= 5) {
        sleepSeconds(std::min(5.0, left));
        if (js) js->keepalive();
    }
    double window = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    ProcSample s1 = sampleProc(o.serverPid), self1 = sampleProc(0);
    CoreTimes c1 = sampleCores();
    Totals b = collect(sub);
    int64_t pubLag = 0;
    pub.loop.call([&] {
        pubSent1 = replayer->sent();
        pubLag = replayer->maxLagNs();
    });
    int64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, pmax = 0;
    uint64_t latCount = 0;
    sub.loop.call([&] {
        p50 = shared.latency.quantileNs(0.50);
        p90 = shared.latency.quantileNs(0.90);
        p99 = shared.latency.quantileNs(0.99);
        p999 = shared.latency.quantileNs(0.999);
        pmax = shared.latency.maxNs();
        latCount = shared.latency.count();
    });

    uint64_t expected = (b.videoExpected - a.videoExpected) + (b.audioExpected - a.audioExpected);
    uint64_t received = (b.videoReceived - a.videoReceived) + (b.audioReceived - a.audioReceived);
    double lossPct =
        expected
            ? 100.0 * (static_cast<double>(expected) - static_cast<double>(received)) / expected
            : 100.0;
    if (lossPct < 0) lossPct = 0;
    double cpu = s1.cpuSeconds - s0.cpuSeconds;
    std::string subSuite;
    sub.loop.call([&] {
        for (auto& p : sub.peers)
            if (p->connected()) {
                subSuite = p->suiteName();
                break;
            }
    });
    json r = {
        {"server", o.server},
        {"subscribers", o.subscribers},
        {"join_errors", joinErrors},
        {"not_joined", notJoined},
        {"first_error", firstError},
        {"connected", b.connected},
        {"failed", b.failed},
        {"with_keyframe", b.withKeyframe},
        {"join_seconds", joinSeconds},
        {"window_seconds", window},
        {"server_cpu_seconds", cpu},
        {"server_cpu_pct", 100.0 * cpu / window},
        {"server_cpu_us_per_sub_second", o.subscribers ? 1e6 * cpu / (window * o.subscribers) : 0},
        {"server_peak_rss_kib", s1.hwmKiB},
        {"server_rss_kib", s1.rssKiB},
        {"server_threads", s1.threads},
        {"core_busy_pct", busyPercent(c0, c1)},
        {"load_cpu_pct", 100.0 * (self1.cpuSeconds - self0.cpuSeconds) / window},
        {"packets_delivered", b.packets - a.packets},
        {"bytes_delivered", b.bytes - a.bytes},
        {"mbit_per_s", 8.0 * (b.bytes - a.bytes) / window / 1e6},
        {"rtp_expected", expected},
        {"rtp_received", received},
        {"loss_pct", lossPct},
        {"latency_samples", latCount},
        {"latency_p50_ms", p50 / 1e6},
        {"latency_p90_ms", p90 / 1e6},
        {"latency_p99_ms", p99 / 1e6},
        {"latency_p999_ms", p999 / 1e6},
        {"latency_max_ms", pmax / 1e6},
        {"join_p50_ms", quantile(b.joinMs, 0.5)},
        {"join_p99_ms", quantile(b.joinMs, 0.99)},
        {"join_max_ms", quantile(b.joinMs, 1.0)},
        {"srtp_verified", b.verified - a.verified},
        {"srtp_auth_failed", b.authFailed - a.authFailed},
        {"srtp_sample_every", shared.sampleEvery},
        {"unmatched", b.unmatched - a.unmatched},
        {"rtcp_rr_sent", b.rtcpSent - a.rtcpSent},  // receiver reports, ~1/s per subscriber
        {"srtp_suite_subscribers", subSuite},
        {"publisher_transport", pubSuite},
        {"media_kbps", media.bitrateKbps()},
        {"media_pps", media.packetsPerSecond()},
        {"pacing_kbps", o.pacingKbps},
        {"loadavg", loadAverage()},
        {"publisher_pps", (pubSent1 - pubSent0) / window},
        {"publisher_max_lag_ms", pubLag / 1e6},
        {"publisher_realtime", pubRealtime},
    };
    // Bounded: a saturated server may answer DELETEs slowly, and it is stopped after the
    // step anyway.
    auto removeEnd = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (const auto& loc : locations) {
        if (std::chrono::steady_clock::now() >= removeEnd) break;
        try {
            whx.remove(loc, o.viewerToken);
        } catch (...) {
        }
    }
    return r;
}

}  // namespace load
