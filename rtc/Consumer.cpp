#include "rtc/Consumer.hpp"

#include <cstring>

namespace rtc {

Consumer::Consumer(uint64_t id, Track audio, Track video, Output* output)
    : id_(id), output_(output) {
    streams_[0].track = audio;
    streams_[1].track = video;
    // Random-looking but deterministic per consumer start points (RFC 3550 wants them random;
    // the ids are random already).
    streams_[0].rtxSeq = static_cast<uint16_t>(id * 7919);
    streams_[1].rtxSeq = static_cast<uint16_t>(id * 104729);
}

size_t Consumer::writeHeader(uint8_t* out, const RtpSlot& pkt, uint8_t pt, uint16_t seq,
                             uint32_t ts, uint32_t ssrc, bool padding) {
    // Our own fixed header, no CSRCs and no extensions: the publisher's extension ids mean
    // nothing to this subscriber.
    out[0] = static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0));
    out[1] = static_cast<uint8_t>((pkt.marker ? 0x80 : 0) | (pt & 0x7f));
    store16(out + 2, seq);
    store32(out + 4, ts);
    store32(out + 8, ssrc);
    return 12;
}

size_t Consumer::forward(MediaKind kind, const RtpSlot& pkt, int64_t nowMs, uint8_t* scratch,
                         size_t capacity) {
    Stream& s = streams_[index(kind)];
    if (!s.track.enabled) return 0;
    const size_t payload = pkt.payloadSize();
    if (12 + payload > capacity) return 0;
    if (s.newSegment) {
        // Continue right after what this subscriber last saw: next sequence number, and a
        // timestamp advanced by the wall-clock time since (at least one tick).
        if (s.started) {
            const uint16_t nextSeq = static_cast<uint16_t>(s.lastSeq + 1);
            int64_t elapsed = nowMs - s.lastSendMs;
            if (elapsed < 1) elapsed = 1;
            const uint32_t nextTs =
                s.lastTs + static_cast<uint32_t>(elapsed * s.track.clockRate / 1000);
            s.seqOffset = static_cast<uint16_t>(nextSeq - pkt.seq);
            s.tsOffset = nextTs - pkt.timestamp;
        } else {
            s.seqOffset = static_cast<uint16_t>(id_ * 2654435761u);
            s.tsOffset = static_cast<uint32_t>(id_ * 40503u);
        }
        s.segmentFirstOutSeq = static_cast<uint16_t>(pkt.seq + s.seqOffset);
        s.newSegment = false;
        s.started = true;
    }
    const uint16_t seq = static_cast<uint16_t>(pkt.seq + s.seqOffset);
    const uint32_t ts = pkt.timestamp + s.tsOffset;
    writeHeader(scratch, pkt, s.track.payloadType, seq, ts, s.track.ssrc, pkt.padding);
    std::memcpy(scratch + 12, pkt.payload(), payload);
    // Track the newest (not a reordered older) packet for continuity and SRs.
    if (static_cast<uint16_t>(seq - s.lastSeq) < 0x8000 || s.packets == 0) {
        s.lastSeq = seq;
        s.lastTs = ts;
        s.lastSendMs = nowMs;
    }
    ++s.packets;
    s.octets += static_cast<uint32_t>(payload);
    output_->sendRtp(scratch, 12 + payload, capacity);
    return 12 + payload;
}

size_t Consumer::retransmit(MediaKind kind, const RtpSlot& pkt, uint8_t* scratch, size_t capacity) {
    Stream& s = streams_[index(kind)];
    if (!s.track.enabled || !s.started) return 0;
    const uint16_t seq = static_cast<uint16_t>(pkt.seq + s.seqOffset);
    const uint32_t ts = pkt.timestamp + s.tsOffset;
    const size_t payload = pkt.payloadSize();
    if (s.track.rtxPayloadType == 0) {
        if (12 + payload > capacity) return 0;
        writeHeader(scratch, pkt, s.track.payloadType, seq, ts, s.track.ssrc, pkt.padding);
        std::memcpy(scratch + 12, pkt.payload(), payload);
        output_->sendRtp(scratch, 12 + payload, capacity);
        return 12 + payload;
    }
    // RFC 4588: own SSRC and sequence, payload = original sequence number + original payload.
    // Padding is not carried over (it belongs to the original packet's length).
    size_t body = payload;
    if (pkt.padding) body -= pkt.payload()[payload - 1];
    if (14 + body > capacity) return 0;
    writeHeader(scratch, pkt, s.track.rtxPayloadType, s.rtxSeq++, ts, s.track.rtxSsrc, false);
    store16(scratch + 12, seq);
    std::memcpy(scratch + 14, pkt.payload(), body);
    output_->sendRtp(scratch, 14 + body, capacity);
    return 14 + body;
}

void Consumer::startNewSegment() {
    streams_[0].newSegment = true;
    streams_[1].newSegment = true;
}

void Consumer::startNewSegment(MediaKind kind) {
    streams_[index(kind)].newSegment = true;
}

bool Consumer::toSourceSeq(MediaKind kind, uint16_t outSeq, uint16_t& sourceSeq) const {
    const Stream& s = streams_[index(kind)];
    if (!s.started || s.newSegment) return false;
    // Only packets of the current segment map back to the current source.
    if (static_cast<uint16_t>(outSeq - s.segmentFirstOutSeq) >= 0x8000) return false;
    if (static_cast<uint16_t>(s.lastSeq - outSeq) >= 0x8000) return false;
    sourceSeq = static_cast<uint16_t>(outSeq - s.seqOffset);
    return true;
}

bool Consumer::kindOf(uint32_t ssrc, MediaKind& kind) const {
    for (size_t i = 0; i < 2; ++i) {
        const Track& t = streams_[i].track;
        if (t.enabled && (t.ssrc == ssrc || (t.rtxSsrc != 0 && t.rtxSsrc == ssrc))) {
            kind = i == 0 ? MediaKind::Audio : MediaKind::Video;
            return true;
        }
    }
    return false;
}

void Consumer::writeSenderReports(ByteWriter& w, uint64_t ntpNow, int64_t nowMs,
                                  const Producer* audioSource, const Producer* videoSource) {
    for (size_t i = 0; i < 2; ++i) {
        const Stream& s = streams_[i];
        if (!s.track.enabled || !s.started) continue;
        const Producer* src = i == 0 ? audioSource : videoSource;
        uint32_t rtp;
        if (src && src->hasSenderReport() && !s.newSegment) {
            // The publisher's own NTP<->RTP mapping keeps audio and video in sync (lip sync).
            const int64_t sinceSrMs =
                static_cast<int64_t>(((ntpNow - src->srNtp()) >> 16) * 1000 >> 16);
            rtp = src->srRtp() + s.tsOffset +
                  static_cast<uint32_t>(sinceSrMs * static_cast<int64_t>(s.track.clockRate) / 1000);
        } else {
            rtp = s.lastTs + static_cast<uint32_t>((nowMs - s.lastSendMs) *
                                                   static_cast<int64_t>(s.track.clockRate) / 1000);
        }
        w.u8(0x80);
        w.u8(200);
        w.u16(6);
        w.u32(s.track.ssrc);
        w.u64(ntpNow);
        w.u32(rtp);
        w.u32(s.packets);
        w.u32(s.octets);
    }
}

}  // namespace rtc
