#include "pipeline/IngestSource.hpp"

#include <gst/app/gstappsrc.h>
#include <spdlog/spdlog.h>

#include <map>
#include <stdexcept>

#include "pipeline/Gst.hpp"

namespace pipeline {

const char* toString(SourceState s) {
    switch (s) {
        case SourceState::Connecting:
            return "connecting";
        case SourceState::Live:
            return "live";
        case SourceState::Retrying:
            return "retrying";
        case SourceState::Failed:
            return "failed";
        case SourceState::Ended:
            return "ended";
    }
    return "unknown";
}

namespace {

struct Uri {
    std::string scheme, rest;  // rest: after "scheme://", without our query
    std::map<std::string, std::string> query;
    std::string queryString;  // original query
};

Uri parseUri(const std::string& uri) {
    Uri u;
    auto p = uri.find("://");
    if (uri.rfind("push:", 0) == 0) {
        u.scheme = "push";
        u.rest = uri.substr(5);
        return u;
    }
    if (p == std::string::npos || p == 0)
        throw std::invalid_argument("uri must look like scheme://...");
    u.scheme = uri.substr(0, p);
    std::string rest = uri.substr(p + 3);
    auto q = rest.find('?');
    if (q != std::string::npos) {
        u.queryString = rest.substr(q + 1);
        rest.resize(q);
        size_t i = 0;
        while (i <= u.queryString.size()) {
            size_t amp = u.queryString.find('&', i);
            if (amp == std::string::npos) amp = u.queryString.size();
            std::string kv = u.queryString.substr(i, amp - i);
            auto eq = kv.find('=');
            if (!kv.empty())
                u.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
            i = amp + 1;
        }
    }
    u.rest = rest;
    return u;
}

int intParam(const Uri& u, const char* name, int def, int lo, int hi) {
    auto it = u.query.find(name);
    if (it == u.query.end()) return def;
    try {
        size_t used = 0;
        int v = std::stoi(it->second, &used);
        if (used != it->second.size() || v < lo || v > hi) throw std::out_of_range(name);
        return v;
    } catch (const std::exception&) {
        throw std::invalid_argument(std::string("test://pattern: ") + name +
                                    " must be an integer in [" + std::to_string(lo) + ", " +
                                    std::to_string(hi) + "]");
    }
}

// RTSP URL without our own `transport` hint (the camera never sees it).
std::string rtspLocation(const Uri& u) {
    std::string q;
    for (auto& [k, v] : u.query)
        if (k != "transport") q += (q.empty() ? "" : "&") + k + (v.empty() ? "" : "=" + v);
    return "rtsp://" + u.rest + (q.empty() ? "" : "?" + q);
}

}  // namespace

void IngestSource::validateUri(const std::string& uri) {
    if (uri.size() > 2048) throw std::invalid_argument("uri is too long");
    for (char c : uri)
        if (static_cast<unsigned char>(c) <= 0x20)
            throw std::invalid_argument("uri must not contain spaces or control characters");
    Uri u = parseUri(uri);
    if (u.scheme == "test") {
        if (u.rest != "pattern")
            throw std::invalid_argument("the only test source is test://pattern");
        intParam(u, "width", 1280, 16, 3840);
        intParam(u, "height", 720, 16, 2160);
        intParam(u, "fps", 30, 1, 60);
        intParam(u, "freq", 440, 20, 20000);
        intParam(u, "gop", 60, 1, 3000);
        if (auto it = u.query.find("pattern"); it != u.query.end()) {
            static const char* ok[] = {"smpte", "ball",  "snow",  "red",      "green",
                                       "blue",  "white", "black", "circular", "bar"};
            bool found = false;
            for (auto* o : ok) found = found || it->second == o;
            if (!found)
                throw std::invalid_argument("test://pattern: unknown pattern '" + it->second + "'");
        }
    } else if (u.scheme == "rtsp") {
        if (u.rest.empty()) throw std::invalid_argument("rtsp:// needs a host");
        auto t = u.query.find("transport");
        if (t != u.query.end() && t->second != "udp" && t->second != "tcp")
            throw std::invalid_argument("rtsp transport must be udp or tcp");
    } else if (u.scheme == "srt" || u.scheme == "rtmp") {
        if (u.rest.empty() || u.rest[0] == ':' || u.rest[0] == '/')
            throw std::invalid_argument(u.scheme + ":// needs a host");
    } else if (u.scheme == "push") {
        if (u.rest != "flv" && u.rest != "mpegts")
            throw std::invalid_argument("push format must be flv or mpegts");
    } else {
        throw std::invalid_argument("unsupported uri scheme '" + u.scheme +
                                    "' (use rtsp, srt, rtmp or test)");
    }
}

struct IngestSource::Run {
    gst::Pipeline pipe{"ingest"};
    std::unique_ptr<MediaChains> chains;
    GstElement* appsrc = nullptr;  // pushed sources
    int64_t startedMs = steadyMs();
    ~Run() { pipe.stop(); }  // joins streaming threads before chains (callback target) dies
};

static void onPadAdded(GstElement*, GstPad* pad, gpointer chains) {
    static_cast<MediaChains*>(chains)->link(pad);
}

IngestSource::IngestSource(SourceOptions options, const Attach& attach)
    : options_(std::move(options)), pushed_(options_.uri.rfind("push:", 0) == 0) {
    validateUri(options_.uri);
    gst::ensureInit();
    input_ = attach(this);
    if (!input_) throw std::runtime_error("media engine refused the source");
    if (pushed_) run_ = build();  // bytes may arrive right after construction
    thread_ = std::thread([this] { controlLoop(); });
}

IngestSource::~IngestSource() {
    {
        std::lock_guard l(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::unique_ptr<Run> run;
    {
        std::lock_guard l(mutex_);
        run = std::move(run_);
    }
    run.reset();
    input_.reset();  // after the pipeline: no callback can use it any more
}

std::unique_ptr<IngestSource::Run> IngestSource::build() {
    Uri u = parseUri(options_.uri);
    auto run = std::make_unique<Run>();
    auto& p = run->pipe;
    run->chains = std::make_unique<MediaChains>(p.bin(), input_.get(), stats_, options_.transcode);
    MediaChains* chains = run->chains.get();
    GstElement* demux = nullptr;
    if (u.scheme == "test") {
        int w = intParam(u, "width", 1280, 16, 3840), h = intParam(u, "height", 720, 16, 2160);
        int fps = intParam(u, "fps", 30, 1, 60), freq = intParam(u, "freq", 440, 20, 20000);
        chains->setKeyframeInterval(unsigned(intParam(u, "gop", 60, 1, 3000)));
        GstElement* v = p.add(gst::make("videotestsrc"));
        g_object_set(v, "is-live", TRUE, nullptr);
        gst_util_set_object_arg(G_OBJECT(v), "pattern",
                                u.query.count("pattern") ? u.query["pattern"].c_str() : "smpte");
        GstElement* caps = p.add(gst::make("capsfilter"));
        std::string c = "video/x-raw,width=" + std::to_string(w) + ",height=" + std::to_string(h) +
                        ",framerate=" + std::to_string(fps) + "/1";
        gst::setCaps(caps, c.c_str());
        GstElement* clock = p.add(gst::make("clockoverlay"));
        g_object_set(clock, "time-format", "%H:%M:%S", "font-desc", "Sans 32", "shaded-background",
                     TRUE, nullptr);
        gst::link(v, caps);
        gst::link(caps, clock);
        chains->addRawVideo(clock);
        GstElement* a = p.add(gst::make("audiotestsrc"));
        g_object_set(a, "is-live", TRUE, "freq", double(freq), "volume", 0.3, nullptr);
        chains->addRawAudio(a);
    } else if (u.scheme == "rtsp") {
        GstElement* src = p.add(gst::make("rtspsrc"));
        std::string loc = rtspLocation(u);
        g_object_set(src, "location", loc.c_str(), "latency", 100u, "do-retransmission", FALSE,
                     nullptr);
        auto t = u.query.find("transport");
        gst_util_set_object_arg(G_OBJECT(src), "protocols",
                                t != u.query.end() && t->second == "udp" ? "udp" : "tcp");
        g_signal_connect(src, "pad-added", G_CALLBACK(onPadAdded), chains);
    } else if (u.scheme == "srt") {
        GstElement* src = p.add(gst::make("srtsrc"));
        g_object_set(src, "uri", options_.uri.c_str(), nullptr);
        demux = p.add(gst::make("tsdemux"));
        gst::link(src, demux);
    } else if (u.scheme == "rtmp") {
        // librtmp's rtmpsrc plays from more servers: rtmp2src ignores the media of servers
        // that send it on message stream 0 (ffmpeg's `-listen 1` does). rtmp2src if absent.
        GstElement* src = nullptr;
        try {
            src = p.add(gst::make("rtmpsrc"));
            std::string loc = options_.uri + " live=1";
            g_object_set(src, "location", loc.c_str(), "timeout", 10, nullptr);
        } catch (const std::runtime_error&) {
            src = p.add(gst::make("rtmp2src"));
            g_object_set(src, "location", options_.uri.c_str(), nullptr);
        }
        demux = p.add(gst::make("flvdemux"));
        gst::link(src, demux);
    } else if (u.scheme == "push") {
        run->appsrc = p.add(gst::make("appsrc"));
        g_object_set(run->appsrc, "is-live", TRUE, "block", FALSE, "max-bytes", guint64(16u << 20),
                     nullptr);
        gst_util_set_object_arg(G_OBJECT(run->appsrc), "format", "bytes");
        demux = p.add(gst::make(u.rest == "flv" ? "flvdemux" : "tsdemux"));
        gst::link(run->appsrc, demux);
    }
    if (demux) g_signal_connect(demux, "pad-added", G_CALLBACK(onPadAdded), chains);
    try {
        p.play();
    } catch (const std::runtime_error&) {
        // A source that connects while starting (rtmpsrc) fails here when the server is
        // down: not terminal. Its error is on the bus, so watch() retries with that reason.
    }
    return run;
}

void IngestSource::setState(SourceState s, const std::string& reason) {
    {
        std::lock_guard l(mutex_);
        state_ = s;
        if (!reason.empty() || s == SourceState::Live) reason_ = reason;
    }
    // What the AV technician reads in the server log (the API and /metrics say the same).
    // (never the URI: it may hold a camera password)
    const std::string who = options_.label.empty() ? std::string("source") : options_.label;
    if (s == SourceState::Failed)
        spdlog::warn("ingest: {} failed: {}", who, reason);
    else if (s == SourceState::Retrying)
        spdlog::info("ingest: {} retrying: {}", who, reason);
}

// Watches one run until it errors, ends, stalls or we stop. True: the run ended by itself.
bool IngestSource::watch(Run& run) {
    GstBus* bus = run.pipe.bus();
    for (;;) {
        {
            std::lock_guard l(mutex_);
            if (stopping_) return false;
        }
        gst::MessageRef msg(gst_bus_timed_pop_filtered(
            bus, 200 * GST_MSECOND,
            GstMessageType(GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_APPLICATION)));
        int64_t now = steadyMs(), last = stats_.lastPacketMs.load();
        if (msg) {
            if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
                GError* err = nullptr;
                gst_message_parse_error(msg.get(), &err, nullptr);
                std::string why = err ? err->message : "pipeline error";
                g_clear_error(&err);
                setState(SourceState::Retrying, why);
                return true;
            }
            if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS) {
                setState(SourceState::Retrying, "end of stream");
                return true;
            }
            const GstStructure* s = gst_message_get_structure(msg.get());
            if (s && gst_structure_has_name(s, "cb-refuse")) {
                setState(SourceState::Failed, gst_structure_get_string(s, "reason"));
                return true;
            }
        }
        if (last > run.startedMs) {
            std::lock_guard l(mutex_);
            if (state_ != SourceState::Live && state_ != SourceState::Failed) {
                state_ = SourceState::Live;
                reason_.clear();
            }
        }
        int64_t since = std::max(last, run.startedMs);
        if (now - since > options_.stallTimeout.count()) {
            setState(SourceState::Retrying,
                     "no media for " + std::to_string(options_.stallTimeout.count() / 1000) + " s");
            return true;
        }
    }
}

void IngestSource::controlLoop() {
    auto backoff = options_.minBackoff;
    for (;;) {
        Run* raw;
        {
            std::lock_guard l(mutex_);
            if (stopping_) return;
            raw = run_.get();  // a pushed source's first run was built by the constructor
        }
        if (!raw) {
            std::unique_ptr<Run> fresh;
            try {
                fresh = build();
            } catch (const std::exception& e) {
                setState(SourceState::Failed, e.what());  // missing plugin: retrying cannot help
                return;
            }
            std::lock_guard l(mutex_);
            raw = fresh.get();
            run_ = std::move(fresh);
        }
        bool ended = watch(*raw);
        std::unique_ptr<Run> run;
        {
            std::lock_guard l(mutex_);
            run = std::move(run_);
        }
        bool wasLive = stats_.lastPacketMs.load() > raw->startedMs;
        run.reset();  // full teardown before any retry
        if (!ended) return;
        std::unique_lock l(mutex_);
        if (pushed_ || state_ == SourceState::Failed) {
            if (pushed_ && state_ != SourceState::Failed) state_ = SourceState::Ended;
            return;
        }
        if (wasLive) backoff = options_.minBackoff;
        ++restarts_;
        cv_.wait_for(l, backoff, [this] { return stopping_; });
        backoff = std::min(options_.maxBackoff, backoff * 2);
        if (stopping_) return;
    }
}

SourceStatus IngestSource::status() const {
    SourceStatus s;
    {
        std::lock_guard l(mutex_);
        s.state = state_;
        s.reason = reason_;
        s.restarts = restarts_;
    }
    s.videoPackets = stats_.videoPackets;
    s.audioPackets = stats_.audioPackets;
    s.videoBytes = stats_.videoBytes;
    s.audioBytes = stats_.audioBytes;
    if (uint64_t n = stats_.latencySamples)
        s.latencyAvgMs = double(stats_.latencySumUs) / n / 1000.0;
    s.latencyMaxMs = double(stats_.latencyMaxUs) / 1000.0;
    {
        std::lock_guard l(const_cast<ChainStats&>(stats_).infoMutex);
        s.videoCaps = stats_.videoCaps;
    }
    return s;
}

bool IngestSource::pushBytes(const uint8_t* data, size_t size) {
    std::lock_guard l(mutex_);
    if (!run_ || !run_->appsrc || state_ == SourceState::Failed || state_ == SourceState::Ended)
        return false;
    GstBuffer* buf = gst_buffer_new_memdup(data, size);
    return gst_app_src_push_buffer(GST_APP_SRC(run_->appsrc), buf) == GST_FLOW_OK;
}

void IngestSource::onKeyframeRequested() {
    std::lock_guard l(mutex_);
    if (run_) run_->chains->requestKeyframe();
}

}  // namespace pipeline
