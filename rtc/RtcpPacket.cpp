#include "rtc/RtcpPacket.hpp"

#include <algorithm>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

namespace rtc::rtcp {
namespace {

// Payload after the 4-byte header, without trailing padding.
ByteReader body(const Header& h) {
    size_t n = h.size - 4;
    if (h.padding) n -= h.data[h.size - 1];
    return ByteReader(h.data + 4, n);
}

ReportBlock readBlock(ByteReader& r) {
    ReportBlock b;
    b.ssrc = r.u32();
    b.fractionLost = r.u8();
    const uint32_t lost = r.u24();
    b.cumulativeLost =
        (lost & 0x800000) ? static_cast<int32_t>(lost | 0xFF000000u) : static_cast<int32_t>(lost);
    b.highestSeq = r.u32();
    b.jitter = r.u32();
    b.lastSr = r.u32();
    b.delaySinceLastSr = r.u32();
    return b;
}

void writeBlock(ByteWriter& w, const ReportBlock& b) {
    w.u32(b.ssrc);
    w.u8(b.fractionLost);
    w.u24(static_cast<uint32_t>(b.cumulativeLost) & 0xFFFFFF);
    w.u32(b.highestSeq);
    w.u32(b.jitter);
    w.u32(b.lastSr);
    w.u32(b.delaySinceLastSr);
}

// Writes the common header with a placeholder length; finish() patches it.
uint8_t* begin(ByteWriter& w, uint8_t count, uint8_t type) {
    uint8_t* h = w.reserve(4);
    if (h) {
        h[0] = static_cast<uint8_t>(0x80 | (count & 0x1F));
        h[1] = type;
    }
    return h;
}

size_t finish(ByteWriter& w, uint8_t* h) {
    if (!w.ok() || !h || w.size() % 4 != 0) return 0;
    store16(h + 2, static_cast<uint16_t>(w.size() / 4 - 1));
    return w.size();
}

bool isFb(const Header& h, uint8_t type, uint8_t fmt) {
    return h.type == type && h.count == fmt;
}

}  // namespace

bool isValidCompound(const uint8_t* data, size_t len) {
    return forEach(data, len, [](const Header&) {});
}

std::optional<SenderReport> parseSr(const Header& h) {
    if (h.type != kSr) return std::nullopt;
    ByteReader r = body(h);
    SenderReport sr;
    sr.ssrc = r.u32();
    sr.ntp = r.u64();
    sr.rtpTimestamp = r.u32();
    sr.packetCount = r.u32();
    sr.octetCount = r.u32();
    if (!r.ok() || r.remaining() < size_t{h.count} * 24) return std::nullopt;
    for (int i = 0; i < h.count; ++i) sr.reports.push_back(readBlock(r));
    return sr;
}

std::optional<ReceiverReport> parseRr(const Header& h) {
    if (h.type != kRr) return std::nullopt;
    ByteReader r = body(h);
    ReceiverReport rr;
    rr.ssrc = r.u32();
    if (!r.ok() || r.remaining() < size_t{h.count} * 24) return std::nullopt;
    for (int i = 0; i < h.count; ++i) rr.reports.push_back(readBlock(r));
    return rr;
}

std::optional<std::vector<SdesChunk>> parseSdes(const Header& h) {
    if (h.type != kSdes) return std::nullopt;
    ByteReader r = body(h);
    std::vector<SdesChunk> chunks;
    for (int i = 0; i < h.count; ++i) {
        const size_t start = r.offset();
        SdesChunk c;
        c.ssrc = r.u32();
        for (;;) {
            const uint8_t type = r.u8();
            if (!r.ok()) return std::nullopt;
            if (type == 0) break;  // end of items; chunk padded to 32 bits
            const uint8_t n = r.u8();
            std::string_view text = r.string(n);
            if (!r.ok()) return std::nullopt;
            if (type == 1) c.cname = text;
        }
        const size_t used = r.offset() - start;
        if (!r.skip((4 - used % 4) % 4)) return std::nullopt;
        chunks.push_back(std::move(c));
    }
    return chunks;
}

std::optional<Bye> parseBye(const Header& h) {
    if (h.type != kBye) return std::nullopt;
    ByteReader r = body(h);
    Bye b;
    for (int i = 0; i < h.count; ++i) b.ssrcs.push_back(r.u32());
    if (!r.ok()) return std::nullopt;
    return b;
}

std::optional<Nack> parseNack(const Header& h) {
    if (!isFb(h, kRtpfb, kFmtNack)) return std::nullopt;
    ByteReader r = body(h);
    Nack n;
    n.senderSsrc = r.u32();
    n.mediaSsrc = r.u32();
    if (!r.ok() || r.remaining() == 0 || r.remaining() % 4 != 0) return std::nullopt;
    while (r.remaining() >= 4) {
        const uint16_t pid = r.u16();
        const uint16_t blp = r.u16();
        n.seqs.push_back(pid);
        for (int i = 0; i < 16; ++i)
            if (blp & (1u << i)) n.seqs.push_back(static_cast<uint16_t>(pid + i + 1));
    }
    return n;
}

std::optional<Pli> parsePli(const Header& h) {
    if (!isFb(h, kPsfb, kFmtPli)) return std::nullopt;
    ByteReader r = body(h);
    Pli p{r.u32(), r.u32()};
    if (!r.ok()) return std::nullopt;
    return p;
}

std::optional<Fir> parseFir(const Header& h) {
    if (!isFb(h, kPsfb, kFmtFir)) return std::nullopt;
    ByteReader r = body(h);
    Fir f;
    f.senderSsrc = r.u32();
    r.u32();  // media source: unused (0) for FIR
    if (!r.ok() || r.remaining() == 0 || r.remaining() % 8 != 0) return std::nullopt;
    while (r.remaining() >= 8) {
        FirEntry e;
        e.ssrc = r.u32();
        e.seqNr = r.u8();
        r.skip(3);
        f.entries.push_back(e);
    }
    return f;
}

std::optional<Remb> parseRemb(const Header& h) {
    if (!isFb(h, kPsfb, kFmtAfb)) return std::nullopt;
    ByteReader r = body(h);
    Remb m;
    m.senderSsrc = r.u32();
    r.u32();  // media source: 0
    if (r.string(4) != "REMB") return std::nullopt;
    const uint8_t num = r.u8();
    const uint32_t br = r.u24();
    const unsigned exp = br >> 18;
    const uint64_t mantissa = br & 0x3FFFF;
    if (!r.ok() || exp > 46) return std::nullopt;  // keep the result within 64 bits
    m.bitrate = mantissa << exp;
    for (int i = 0; i < num; ++i) m.ssrcs.push_back(r.u32());
    if (!r.ok()) return std::nullopt;
    return m;
}

std::optional<TransportCc> parseTransportCc(const Header& h) {
    if (!isFb(h, kRtpfb, kFmtTwcc)) return std::nullopt;
    ByteReader r = body(h);
    TransportCc fb;
    fb.senderSsrc = r.u32();
    fb.mediaSsrc = r.u32();
    fb.baseSeq = r.u16();
    const uint16_t count = r.u16();
    const uint32_t ref = r.u24();
    fb.referenceTime =
        (ref & 0x800000) ? static_cast<int32_t>(ref | 0xFF000000u) : static_cast<int32_t>(ref);
    fb.feedbackCount = r.u8();
    if (!r.ok()) return std::nullopt;
    std::vector<uint8_t> symbols;
    symbols.reserve(count);
    while (symbols.size() < count) {
        const uint16_t chunk = r.u16();
        if (!r.ok()) return std::nullopt;
        if ((chunk & 0x8000) == 0) {  // run length: symbol (2 bits), length (13 bits)
            const uint8_t sym = (chunk >> 13) & 0x3;
            const size_t run = chunk & 0x1FFF;
            if (run == 0) return std::nullopt;
            for (size_t i = 0; i < run && symbols.size() < count; ++i) symbols.push_back(sym);
        } else if ((chunk & 0x4000) == 0) {  // 14 one-bit symbols
            for (int i = 13; i >= 0 && symbols.size() < count; --i)
                symbols.push_back((chunk >> i) & 0x1);
        } else {  // 7 two-bit symbols
            for (int i = 6; i >= 0 && symbols.size() < count; --i)
                symbols.push_back((chunk >> (2 * i)) & 0x3);
        }
    }
    fb.packets.resize(count);
    for (size_t i = 0; i < count; ++i) {
        const uint8_t sym = symbols[i];
        if (sym == 3) return std::nullopt;  // reserved
        if (sym == 0) continue;
        fb.packets[i].received = true;
        fb.packets[i].delta = sym == 1 ? int32_t{r.u8()} : int32_t{static_cast<int16_t>(r.u16())};
    }
    if (!r.ok()) return std::nullopt;
    return fb;
}

size_t writeSr(const SenderReport& sr, uint8_t* out, size_t cap) {
    if (sr.reports.size() > 31) return 0;
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, static_cast<uint8_t>(sr.reports.size()), kSr);
    w.u32(sr.ssrc);
    w.u64(sr.ntp);
    w.u32(sr.rtpTimestamp);
    w.u32(sr.packetCount);
    w.u32(sr.octetCount);
    for (const auto& b : sr.reports) writeBlock(w, b);
    return finish(w, h);
}

size_t writeRr(const ReceiverReport& rr, uint8_t* out, size_t cap) {
    if (rr.reports.size() > 31) return 0;
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, static_cast<uint8_t>(rr.reports.size()), kRr);
    w.u32(rr.ssrc);
    for (const auto& b : rr.reports) writeBlock(w, b);
    return finish(w, h);
}

size_t writeSdes(const std::vector<SdesChunk>& chunks, uint8_t* out, size_t cap) {
    if (chunks.size() > 31) return 0;
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, static_cast<uint8_t>(chunks.size()), kSdes);
    for (const auto& c : chunks) {
        if (c.cname.size() > 255) return 0;
        w.u32(c.ssrc);
        w.u8(1);
        w.u8(static_cast<uint8_t>(c.cname.size()));
        w.string(c.cname);
        // Terminating null item plus padding to a 32-bit boundary (at least one zero).
        const size_t used = 4 + 2 + c.cname.size();
        w.zeros(4 - used % 4);
    }
    return finish(w, h);
}

size_t writeBye(const Bye& bye, uint8_t* out, size_t cap) {
    if (bye.ssrcs.size() > 31) return 0;
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, static_cast<uint8_t>(bye.ssrcs.size()), kBye);
    for (uint32_t s : bye.ssrcs) w.u32(s);
    return finish(w, h);
}

size_t writeNack(const Nack& nack, uint8_t* out, size_t cap) {
    if (nack.seqs.empty()) return 0;
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, kFmtNack, kRtpfb);
    w.u32(nack.senderSsrc);
    w.u32(nack.mediaSsrc);
    uint16_t pid = nack.seqs.front();
    uint16_t blp = 0;
    for (size_t i = 1; i < nack.seqs.size(); ++i) {
        const uint16_t d = static_cast<uint16_t>(nack.seqs[i] - pid);
        if (d == 0) continue;
        if (d <= 16) {
            blp |= static_cast<uint16_t>(1u << (d - 1));
        } else {
            w.u16(pid);
            w.u16(blp);
            pid = nack.seqs[i];
            blp = 0;
        }
    }
    w.u16(pid);
    w.u16(blp);
    return finish(w, h);
}

size_t writePli(const Pli& pli, uint8_t* out, size_t cap) {
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, kFmtPli, kPsfb);
    w.u32(pli.senderSsrc);
    w.u32(pli.mediaSsrc);
    return finish(w, h);
}

size_t writeFir(const Fir& fir, uint8_t* out, size_t cap) {
    if (fir.entries.empty()) return 0;
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, kFmtFir, kPsfb);
    w.u32(fir.senderSsrc);
    w.u32(0);
    for (const auto& e : fir.entries) {
        w.u32(e.ssrc);
        w.u8(e.seqNr);
        w.zeros(3);
    }
    return finish(w, h);
}

size_t writeRemb(const Remb& remb, uint8_t* out, size_t cap) {
    if (remb.ssrcs.size() > 255) return 0;
    unsigned exp = 0;
    uint64_t mantissa = remb.bitrate;
    while (mantissa > 0x3FFFF) {
        mantissa >>= 1;
        ++exp;
    }
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, kFmtAfb, kPsfb);
    w.u32(remb.senderSsrc);
    w.u32(0);
    w.string("REMB");
    w.u8(static_cast<uint8_t>(remb.ssrcs.size()));
    w.u24(static_cast<uint32_t>((exp << 18) | mantissa));
    for (uint32_t s : remb.ssrcs) w.u32(s);
    return finish(w, h);
}

size_t writeTransportCc(const TransportCc& fb, uint8_t* out, size_t cap) {
    const size_t count = fb.packets.size();
    if (count == 0 || count > 0xFFFF) return 0;
    auto symbolOf = [](const TwccPacket& p) -> uint8_t {
        if (!p.received) return 0;
        return (p.delta >= 0 && p.delta <= 255) ? 1 : 2;
    };
    for (const auto& p : fb.packets)
        if (p.received && (p.delta < -32768 || p.delta > 32767)) return 0;
    ByteWriter w(out, cap);
    uint8_t* h = begin(w, kFmtTwcc, kRtpfb);
    w.u32(fb.senderSsrc);
    w.u32(fb.mediaSsrc);
    w.u16(fb.baseSeq);
    w.u16(static_cast<uint16_t>(count));
    w.u24(static_cast<uint32_t>(fb.referenceTime) & 0xFFFFFF);
    w.u8(fb.feedbackCount);
    // Chunks: a run-length chunk for runs of 7 or more equal symbols, else a two-bit status
    // vector of the next 7 (symbols past the count are zero and ignored by receivers).
    size_t i = 0;
    while (i < count) {
        const uint8_t sym = symbolOf(fb.packets[i]);
        size_t run = 1;
        while (i + run < count && run < 0x1FFF && symbolOf(fb.packets[i + run]) == sym) ++run;
        if (run >= 7) {
            w.u16(static_cast<uint16_t>((sym << 13) | run));
            i += run;
            continue;
        }
        uint16_t chunk = 0xC000;
        for (size_t k = 0; k < 7; ++k) {
            const uint8_t s = i + k < count ? symbolOf(fb.packets[i + k]) : 0;
            chunk |= static_cast<uint16_t>(s << (2 * (6 - k)));
        }
        w.u16(chunk);
        i += 7;
    }
    for (const auto& p : fb.packets) {
        const uint8_t s = symbolOf(p);
        if (s == 1)
            w.u8(static_cast<uint8_t>(p.delta));
        else if (s == 2)
            w.u16(static_cast<uint16_t>(static_cast<int16_t>(p.delta)));
    }
    // Pad to 32 bits with the RTCP padding convention (last byte = pad count, P bit set).
    const size_t pad = (4 - w.size() % 4) % 4;
    if (pad) {
        w.zeros(pad - 1);
        w.u8(static_cast<uint8_t>(pad));
        if (h) h[0] |= 0x20;
    }
    return finish(w, h);
}

}  // namespace rtc::rtcp
