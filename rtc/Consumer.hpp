#pragma once
// One WHEP subscriber's view of its lesson: an audio and a video output stream with our
// own SSRCs and payload types. Rewrites each forwarded packet's header so the stream stays
// continuous (sequence numbers and timestamps) when the Router switches its source, and
// answers NACKs with RTX (RFC 4588) when the subscriber negotiated it.
#include <cstddef>
#include <cstdint>

#include "rtc/ByteWriter.hpp"
#include "rtc/HotLines.hpp"
#include "rtc/MediaEngine.hpp"
#include "rtc/Producer.hpp"

namespace rtc {

class Consumer {
public:
    struct Track {
        bool enabled = false;
        uint32_t ssrc = 0;
        uint8_t payloadType = 0;
        uint32_t rtxSsrc = 0;
        uint8_t rtxPayloadType = 0;  // 0: no RTX, retransmit on the media SSRC
        uint32_t clockRate = 90000;
    };
    // Where the rewritten packets go (the subscriber's transport: protects and sends).
    // `data` is a scratch buffer of `capacity` bytes the callee may protect in place.
    class Output {
    public:
        virtual ~Output() = default;
        virtual void sendRtp(uint8_t* data, size_t size, size_t capacity) = 0;
        virtual void sendRtcp(uint8_t* data, size_t size, size_t capacity) = 0;
        // The memory sendRtp() touches for this subscriber (session, transport, SRTP
        // keys), asked once when the consumer joins a Router, which prefetches it a few
        // subscribers ahead: at hundreds of subscribers the fan-out otherwise waits on a
        // chain of cache misses per subscriber. Only prefetched, never dereferenced.
        virtual void hotLines(HotLines& out) const { (void)out; }
    };

    Consumer(uint64_t id, Track audio, Track video, Output* output);

    uint64_t id() const { return id_; }
    Output* output() const { return output_; }
    const Track& track(MediaKind k) const { return streams_[index(k)].track; }

    // Rewrites `pkt` into `scratch` and sends it. Returns bytes sent (0: track disabled).
    size_t forward(MediaKind kind, const RtpSlot& pkt, int64_t nowMs, uint8_t* scratch,
                   size_t capacity);
    // Resends a packet this consumer already got (as RTX when negotiated).
    size_t retransmit(MediaKind kind, const RtpSlot& pkt, uint8_t* scratch, size_t capacity);
    // The next forwarded packet of each kind starts a new segment (a source switch).
    void startNewSegment();
    void startNewSegment(MediaKind kind);  // one stream's source restarted
    // Maps a sequence number we sent back to the source's (only within the current segment).
    bool toSourceSeq(MediaKind kind, uint16_t outSeq, uint16_t& sourceSeq) const;
    // Which kind an SSRC of ours belongs to (for RTCP feedback); false when not ours.
    bool kindOf(uint32_t ssrc, MediaKind& kind) const;
    // Appends SR packets for the started streams; `source` gives the NTP mapping if known.
    void writeSenderReports(ByteWriter& w, uint64_t ntpNow, int64_t nowMs,
                            const Producer* audioSource, const Producer* videoSource);

    uint64_t packetsSent() const { return streams_[0].packets + streams_[1].packets; }
    // This object's lines, then its output's (Output::hotLines).
    void hotLines(HotLines& out) const {
        out.add(this, sizeof *this);
        if (output_) output_->hotLines(out);
    }

private:
    struct Stream {
        Track track;
        bool started = false;
        bool newSegment = true;
        uint16_t seqOffset = 0;
        uint32_t tsOffset = 0;
        uint16_t lastSeq = 0;
        uint32_t lastTs = 0;
        int64_t lastSendMs = 0;
        uint16_t segmentFirstOutSeq = 0;
        uint16_t rtxSeq = 0;
        uint32_t packets = 0;
        uint32_t octets = 0;
    };
    static size_t index(MediaKind k) { return k == MediaKind::Audio ? 0 : 1; }
    static size_t writeHeader(uint8_t* out, const RtpSlot& pkt, uint8_t pt, uint16_t seq,
                              uint32_t ts, uint32_t ssrc, bool padding);

    const uint64_t id_;
    Output* const output_;
    Stream streams_[2];
};

}  // namespace rtc
