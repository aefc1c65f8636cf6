#include "pipeline/MediaChains.hpp"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <array>
#include <cstring>

#include "pipeline/Gst.hpp"

namespace pipeline {

int64_t steadyMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

static int64_t steadyUs() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// PTS -> arrival time of the last video buffers, to measure what ingest adds.
struct MediaChains::Ring {
    std::mutex m;
    std::array<std::pair<GstClockTime, int64_t>, 64> slots{};
    size_t next = 0;
    void put(GstClockTime pts, int64_t us) {
        std::lock_guard l(m);
        slots[next++ % slots.size()] = {pts, us};
    }
    int64_t take(GstClockTime pts) {
        std::lock_guard l(m);
        for (auto& s : slots)
            if (s.first == pts && s.second) {
                int64_t t = s.second;
                s.second = 0;  // one sample per frame (first packet of it)
                return t;
            }
        return 0;
    }
};

MediaChains::MediaChains(GstBin* bin, rtc::SourceInput* out, ChainStats& stats, bool transcodeVideo)
    : bin_(bin), out_(out), stats_(stats), transcodeVideo_(transcodeVideo), ring_(new Ring) {}

MediaChains::~MediaChains() {
    delete ring_;
}

GstElement* MediaChains::add(const char* factory, const char* name) {
    GstElement* e = gst::make(factory, name);
    gst_bin_add(bin_, e);
    return e;
}

GstElement* MediaChains::linkMany(std::initializer_list<GstElement*> chain) {
    GstElement* prev = nullptr;
    for (GstElement* e : chain) {
        if (prev) gst::link(prev, e);
        prev = e;
    }
    return *chain.begin();
}

void MediaChains::sync(std::initializer_list<GstElement*> els) {
    for (GstElement* e : els) gst_element_sync_state_with_parent(e);
}

GstElement* MediaChains::appsink(rtc::MediaKind kind) {
    GstElement* s = add("appsink");
    // sync=false: hand packets on as soon as they exist; pacing is the source's.
    g_object_set(s, "sync", FALSE, "async", FALSE, "max-buffers", 300u, "drop", TRUE,
                 "enable-last-sample", FALSE, nullptr);
    g_object_set_data(G_OBJECT(s), "cb-kind",
                      GINT_TO_POINTER(kind == rtc::MediaKind::Video ? 1 : 2));
    GstAppSinkCallbacks cb{};
    cb.new_sample = [](GstAppSink* sink, gpointer self) {
        return MediaChains::onSample(GST_ELEMENT(sink), self);
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(s), &cb, this, nullptr);
    if (kind == rtc::MediaKind::Video) videoSink_ = s;
    return s;
}

GstFlowReturn MediaChains::onSample(GstElement* sink, gpointer selfp) {
    auto* self = static_cast<MediaChains*>(selfp);
    gst::SampleRef sample(gst_app_sink_pull_sample(GST_APP_SINK(sink)));
    if (!sample) return GST_FLOW_EOS;
    GstBuffer* buf = gst_sample_get_buffer(sample.get());
    if (!buf || self->refused_) return GST_FLOW_OK;
    bool video = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(sink), "cb-kind")) == 1;
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return GST_FLOW_OK;
    self->out_->pushRtp(video ? rtc::MediaKind::Video : rtc::MediaKind::Audio, map.data, map.size);
    auto& st = self->stats_;
    if (video) {
        st.videoPackets.fetch_add(1, std::memory_order_relaxed);
        st.videoBytes.fetch_add(map.size, std::memory_order_relaxed);
        if (GST_BUFFER_PTS_IS_VALID(buf)) {
            if (int64_t t0 = self->ring_->take(GST_BUFFER_PTS(buf))) {
                uint64_t d = uint64_t(steadyUs() - t0);
                st.latencySamples.fetch_add(1, std::memory_order_relaxed);
                st.latencySumUs.fetch_add(d, std::memory_order_relaxed);
                uint64_t m = st.latencyMaxUs.load(std::memory_order_relaxed);
                while (d > m && !st.latencyMaxUs.compare_exchange_weak(m, d)) {
                }
            }
        }
    } else {
        st.audioPackets.fetch_add(1, std::memory_order_relaxed);
        st.audioBytes.fetch_add(map.size, std::memory_order_relaxed);
    }
    st.lastPacketMs.store(steadyMs(), std::memory_order_relaxed);
    gst_buffer_unmap(buf, &map);
    return GST_FLOW_OK;
}

GstPadProbeReturn MediaChains::onVideoIn(GstPad*, GstPadProbeInfo* info, gpointer selfp) {
    auto* self = static_cast<MediaChains*>(selfp);
    if (GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info); b && GST_BUFFER_PTS_IS_VALID(b))
        self->ring_->put(GST_BUFFER_PTS(b), steadyUs());
    return GST_PAD_PROBE_OK;
}

// After h264parse (so a refusal from the caps, which precede the buffers, comes first).
// Buffers arrive in decode order: a PTS a little earlier than the previous one is a
// reordered (B-)frame; a big jump back is a discontinuity, and one step back could be a
// glitch, so a few are needed.
GstPadProbeReturn MediaChains::onParsed(GstPad*, GstPadProbeInfo* info, gpointer selfp) {
    auto* self = static_cast<MediaChains*>(selfp);
    GstBuffer* b = GST_PAD_PROBE_INFO_BUFFER(info);
    if (self->transcodeVideo_ || !b || !GST_BUFFER_PTS_IS_VALID(b)) return GST_PAD_PROBE_OK;
    GstClockTime pts = GST_BUFFER_PTS(b);
    if (GST_CLOCK_TIME_IS_VALID(self->lastPts_) && pts < self->lastPts_ &&
        self->lastPts_ - pts < GST_SECOND && ++self->ptsReversals_ == 3)
        self->refuse(
            "H.264 with B-frames (frames out of presentation order) cannot be played reliably "
            "by WebRTC; set the encoder to baseline profile or B-frames 0");
    self->lastPts_ = pts;
    return GST_PAD_PROBE_OK;
}

void MediaChains::refuse(std::string reason) {
    if (refused_.exchange(true)) return;
    reason += "; re-encode it at the source or add the source with \"transcode\": true";
    GstStructure* m =
        gst_structure_new("cb-refuse", "reason", G_TYPE_STRING, reason.c_str(), nullptr);
    gst_element_post_message(GST_ELEMENT(bin_), gst_message_new_application(GST_OBJECT(bin_), m));
}

// Checks the parsed H.264 caps: WebRTC decoders play 8-bit 4:2:0 progressive only.
GstPadProbeReturn MediaChains::onCaps(GstPad*, GstPadProbeInfo* info, gpointer selfp) {
    auto* self = static_cast<MediaChains*>(selfp);
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (!ev || GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
    GstCaps* caps = nullptr;
    gst_event_parse_caps(ev, &caps);
    {
        std::lock_guard l(self->stats_.infoMutex);
        self->stats_.videoCaps = gst::capsString(caps);
    }
    if (self->transcodeVideo_) return GST_PAD_PROBE_OK;
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    const char* profile = gst_structure_get_string(s, "profile");
    const char* interlace = gst_structure_get_string(s, "interlace-mode");
    const char* chroma = gst_structure_get_string(s, "chroma-format");  // from the SPS
    guint depth = 8;
    gst_structure_get_uint(s, "bit-depth-luma", &depth);
    std::string reason;
    if (profile && (std::strstr(profile, "4:2:2") || std::strstr(profile, "4:4:4") ||
                    std::strstr(profile, "high-10")))
        reason = std::string("H.264 profile ") + profile + " cannot be played by WebRTC";
    else if (chroma && std::strcmp(chroma, "4:2:0") != 0)
        reason = std::string("H.264 with chroma ") + chroma + " cannot be played by WebRTC";
    else if (depth != 8)
        reason = "H.264 with " + std::to_string(depth) + "-bit video cannot be played by WebRTC";
    else if (interlace && std::strcmp(interlace, "progressive") != 0)
        reason = std::string("interlaced H.264 (") + interlace + ") cannot be played by WebRTC";
    if (!reason.empty()) self->refuse(reason);
    return GST_PAD_PROBE_OK;
}

// x264enc -> constrained-baseline capsfilter; returns the capsfilter (chain tail).
GstElement* MediaChains::x264(GstElement* rawIn) {
    GstElement* conv = add("videoconvert");
    GstElement* raw = add("capsfilter");
    gst::setCaps(raw, "video/x-raw,format=I420");
    GstElement* enc = add("x264enc");
    gst_util_set_object_arg(G_OBJECT(enc), "tune", "zerolatency");
    gst_util_set_object_arg(G_OBJECT(enc), "speed-preset", "ultrafast");
    g_object_set(enc, "key-int-max", keyIntMax_, "bitrate", 1500u, nullptr);
    GstElement* caps = add("capsfilter");
    gst::setCaps(caps, "video/x-h264,profile=constrained-baseline");
    linkMany({conv, raw, enc, caps});
    gst::link(rawIn, conv);
    sync({caps, enc, raw, conv});
    encodes_ = true;
    return caps;
}

// h264parse -> rtph264pay -> appsink, returns the h264parse (head).
GstElement* MediaChains::videoTail(GstElement* h264In) {
    GstElement* parse = add("h264parse");
    g_object_set(parse, "config-interval", -1, nullptr);
    GstElement* pay = add("rtph264pay");
    g_object_set(pay, "pt", 96u, "mtu", 1200u, "config-interval", -1, nullptr);
    GstElement* sink = appsink(rtc::MediaKind::Video);
    linkMany({parse, pay, sink});
    GstPad* psrc = gst_element_get_static_pad(parse, "src");
    gst_pad_add_probe(psrc, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &MediaChains::onCaps, this,
                      nullptr);
    gst_pad_add_probe(psrc, GST_PAD_PROBE_TYPE_BUFFER, &MediaChains::onParsed, this, nullptr);
    gst_object_unref(psrc);
    if (h264In) gst::link(h264In, parse);
    sync({sink, pay, parse});
    return parse;
}

GstElement* MediaChains::opusTail(GstElement* rawAudioIn) {
    GstElement* conv = add("audioconvert");
    GstElement* res = add("audioresample");
    GstElement* caps = add("capsfilter");
    gst::setCaps(caps, "audio/x-raw,rate=48000,channels=2");
    GstElement* enc = add("opusenc");
    GstElement* pay = add("rtpopuspay");
    g_object_set(pay, "pt", 111u, nullptr);
    GstElement* sink = appsink(rtc::MediaKind::Audio);
    linkMany({conv, res, caps, enc, pay, sink});
    if (rawAudioIn) gst::link(rawAudioIn, conv);
    sync({sink, pay, enc, caps, res, conv});
    return conv;
}

GstElement* MediaChains::addRawVideo(GstElement* rawTail) {
    std::lock_guard l(mutex_);
    haveVideo_ = true;
    GstElement* tail = x264(rawTail);
    videoTail(tail);
    sync({tail});
    return tail;
}

GstElement* MediaChains::addRawAudio(GstElement* rawTail) {
    std::lock_guard l(mutex_);
    haveAudio_ = true;
    return opusTail(rawTail);
}

bool MediaChains::linkPad(GstPad* pad, GstElement* head) {
    GstPad* sinkPad = gst_element_get_static_pad(head, "sink");
    GstPadLinkReturn r = gst_pad_link(pad, sinkPad);
    gst_object_unref(sinkPad);
    return r == GST_PAD_LINK_OK;
}

// Elementary stream (demuxer or depayloader output) -> the matching chain.
// Returns the chain's head (its sink pad is what `src` must link to), or nullptr.
GstElement* MediaChains::elementaryChain(const std::string& media, const GstStructure* s) {
    if (media == "video/x-h264") {
        if (haveVideo_) return nullptr;
        haveVideo_ = true;
        GstElement* q = add("queue");
        GstPad* qsink = gst_element_get_static_pad(q, "sink");
        gst_pad_add_probe(qsink, GST_PAD_PROBE_TYPE_BUFFER, &MediaChains::onVideoIn, this, nullptr);
        gst_object_unref(qsink);
        if (transcodeVideo_) {
            // Decoding reorders B-frames; deinterlace passes progressive video untouched.
            GstElement* parse = add("h264parse");
            GstElement* dec = add("avdec_h264");
            GstElement* deint = add("deinterlace");
            linkMany({q, parse, dec, deint});
            GstElement* tail = x264(deint);
            videoTail(tail);
            sync({tail});
            sync({deint, dec, parse, q});
        } else {
            GstElement* parse = videoTail(nullptr);
            GstElement* in = q;
            // tsdemux gives byte-stream without alignment: h264parse would hold every frame
            // until the next one starts (one frame interval, 33 ms at 30 fps). A PES carries
            // one access unit (encoders and muxers write it so), so tell h264parse that.
            const char* format = gst_structure_get_string(s, "stream-format");
            if (format && std::strcmp(format, "byte-stream") == 0 &&
                !gst_structure_has_field(s, "alignment")) {
                in = add("capsfilter");
                gst::setCaps(in, "video/x-h264,stream-format=byte-stream,alignment=au");
                gst::link(q, in);
            }
            gst::link(in, parse);
            sync({in, q});
        }
        return q;
    }
    if (media == "audio/mpeg" || media == "audio/x-opus") {
        if (haveAudio_) return nullptr;
        GstElement* q = add("queue");
        if (media == "audio/x-opus") {
            GstElement* parse = add("opusparse");
            GstElement* pay = add("rtpopuspay");
            g_object_set(pay, "pt", 111u, nullptr);
            GstElement* sink = appsink(rtc::MediaKind::Audio);
            linkMany({q, parse, pay, sink});
            sync({sink, pay, parse, q});
        } else {
            int version = 4;
            gst_structure_get_int(s, "mpegversion", &version);
            GstElement* parse = add(version == 1 ? "mpegaudioparse" : "aacparse");
            GstElement* dec = add(version == 1 ? "avdec_mp3" : "avdec_aac");
            GstElement* tail = opusTail(nullptr);
            linkMany({q, parse, dec, tail});
            sync({dec, parse, q});
        }
        haveAudio_ = true;
        return q;
    }
    return nullptr;
}

bool MediaChains::link(GstPad* pad) {
    GstCaps* caps = gst_pad_get_current_caps(pad);
    if (!caps) caps = gst_pad_query_caps(pad, nullptr);
    gst::CapsRef hold(caps);
    if (!caps || gst_caps_is_empty(caps)) return false;
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    std::string media = gst_structure_get_name(s);
    std::lock_guard l(mutex_);
    try {
        if (media == "application/x-rtp") {
            // RTSP: depayload to the elementary stream, then the same chains as push.
            const char* enc = gst_structure_get_string(s, "encoding-name");
            std::string e = enc ? enc : "";
            const char* depay = e == "H264"            ? "rtph264depay"
                                : e == "MPEG4-GENERIC" ? "rtpmp4gdepay"
                                : e == "MP4A-LATM"     ? "rtpmp4adepay"
                                : e == "OPUS"          ? "rtpopusdepay"
                                                       : nullptr;
            if (!depay) return false;
            std::string es = e == "H264"   ? "video/x-h264"
                             : e == "OPUS" ? "audio/x-opus"
                                           : "audio/mpeg";
            GstElement* head = elementaryChain(es, s);
            if (!head) return false;
            GstElement* d = add(depay);
            gst::link(d, head);
            sync({d});
            return linkPad(pad, d);
        }
        GstElement* head = elementaryChain(media, s);
        return head && linkPad(pad, head);
    } catch (const std::exception& e) {
        GST_WARNING("ingest: cannot link %s: %s", media.c_str(), e.what());
        return false;
    }
}

void MediaChains::requestKeyframe() {
    if (!encodes_ || !videoSink_) return;
    // Travels upstream from the sink through the payloader and parser to x264enc.
    gst_element_send_event(
        videoSink_, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
}

}  // namespace pipeline
