#pragma once
// Turns the elementary streams a demuxer/depayloader exposes into RTP for the Router:
//   H.264  -> queue -> h264parse (SPS/PPS on every IDR) -> rtph264pay -> appsink  (no transcode)
//   AAC    -> queue -> aacparse -> avdec_aac -> audioconvert/resample -> opusenc -> rtpopuspay
//   Opus   -> queue -> opusparse -> rtpopuspay
// Each appsink callback hands the packet to the SourceInput (which copies it into the
// media worker's queue and never blocks). Built once per pipeline (re)start.
#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "rtc/MediaEngine.hpp"

namespace pipeline {

// Counters shared by all pipeline incarnations of one source (survive retries).
struct ChainStats {
    std::atomic<uint64_t> videoPackets{0}, audioPackets{0}, videoBytes{0}, audioBytes{0};
    std::atomic<int64_t> lastPacketMs{0};  // steady clock, ms; 0 = never
    // Passthrough video latency, queue entry -> RTP out, in microseconds.
    std::atomic<uint64_t> latencySamples{0}, latencySumUs{0}, latencyMaxUs{0};
    std::mutex infoMutex;
    std::string videoCaps, audioCaps;  // last negotiated, for the API
};

int64_t steadyMs();

class MediaChains {
public:
    // Refusal: the chain posts an application message "cb-refuse" with field "reason".
    MediaChains(GstBin* bin, rtc::SourceInput* out, ChainStats& stats, bool transcodeVideo);
    ~MediaChains();
    MediaChains(const MediaChains&) = delete;
    MediaChains& operator=(const MediaChains&) = delete;

    // Links an elementary or RTP pad (from pad-added). Returns false for a stream we do
    // not carry (ignored; e.g. a second video or data track). Streaming-thread safe.
    bool link(GstPad* pad);
    // Builds the encoder chain used by test://pattern (raw video/audio in).
    GstElement* addRawVideo(GstElement* rawSrcTail);
    GstElement* addRawAudio(GstElement* rawSrcTail);
    // Upstream GstForceKeyUnit to our encoder when we encode; no-op for passthrough.
    void requestKeyframe();
    void setKeyframeInterval(unsigned frames) { keyIntMax_ = frames; }  // our encoder's GOP

private:
    struct Ring;
    GstElement* add(const char* factory, const char* name = nullptr);
    GstElement* linkMany(std::initializer_list<GstElement*> chain);
    GstElement* videoTail(GstElement* h264In);  // h264parse -> pay -> appsink
    GstElement* x264(GstElement* rawIn);
    GstElement* elementaryChain(const std::string& media, const GstStructure* s);
    GstElement* opusTail(GstElement* rawAudioIn);
    GstElement* appsink(rtc::MediaKind kind);
    bool linkPad(GstPad* pad, GstElement* head);
    void sync(std::initializer_list<GstElement*> els);
    static GstFlowReturn onSample(GstElement* sink, gpointer self);
    static GstPadProbeReturn onCaps(GstPad*, GstPadProbeInfo*, gpointer self);
    static GstPadProbeReturn onVideoIn(GstPad*, GstPadProbeInfo*, gpointer self);
    static GstPadProbeReturn onParsed(GstPad*, GstPadProbeInfo*, gpointer self);
    void refuse(std::string reason);  // once: posts "cb-refuse", drops all further output

    GstBin* bin_;
    rtc::SourceInput* out_;
    ChainStats& stats_;
    bool transcodeVideo_;
    std::mutex mutex_;  // guards structure changes from several streaming threads
    bool haveVideo_ = false, haveAudio_ = false;
    GstElement* videoSink_ = nullptr;  // for upstream keyframe events
    bool encodes_ = false;
    unsigned keyIntMax_ = 60;
    Ring* ring_;
    std::atomic<bool> refused_{false};
    // B-frame detection (passthrough): PTS going backwards in decode order = reordering.
    GstClockTime lastPts_ = GST_CLOCK_TIME_NONE;
    int ptsReversals_ = 0;
};

}  // namespace pipeline
