#pragma once
// RTCP (RFC 3550, RFC 4585, RFC 5104) and the WebRTC feedback in use (REMB,
// transport-wide CC): walking compound packets, parsing each packet type into a plain
// struct, and writing them. Parsers take one packet (a Header from forEach()) and return
// nullopt when its lengths or counts do not add up; writers return the bytes written, or 0
// when `cap` is too small.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rtc::rtcp {

constexpr uint8_t kSr = 200, kRr = 201, kSdes = 202, kBye = 203, kApp = 204, kRtpfb = 205,
                  kPsfb = 206, kXr = 207;
constexpr uint8_t kFmtNack = 1, kFmtTwcc = 15;             // RTPFB
constexpr uint8_t kFmtPli = 1, kFmtFir = 4, kFmtAfb = 15;  // PSFB (AFB = REMB)

struct Header {
    uint8_t count = 0;  // RC, SC or FMT
    uint8_t type = 0;
    bool padding = false;
    const uint8_t* data = nullptr;  // the whole packet, header included
    size_t size = 0;                // bytes, (length + 1) * 4
};

// Calls f(const Header&) for each packet of a compound; false when malformed (then f may
// have seen the valid prefix). A compound must be made of whole packets exactly.
template <typename F>
bool forEach(const uint8_t* data, size_t len, F f);
bool isValidCompound(const uint8_t* data, size_t len);

struct ReportBlock {
    uint32_t ssrc = 0;
    uint8_t fractionLost = 0;
    int32_t cumulativeLost = 0;  // 24-bit signed
    uint32_t highestSeq = 0;     // extended
    uint32_t jitter = 0;
    uint32_t lastSr = 0;
    uint32_t delaySinceLastSr = 0;  // 1/65536 s
    bool operator==(const ReportBlock&) const = default;
};

struct SenderReport {
    uint32_t ssrc = 0;
    uint64_t ntp = 0;
    uint32_t rtpTimestamp = 0, packetCount = 0, octetCount = 0;
    std::vector<ReportBlock> reports;
};

struct ReceiverReport {
    uint32_t ssrc = 0;
    std::vector<ReportBlock> reports;
};

struct SdesChunk {
    uint32_t ssrc = 0;
    std::string cname;
};

struct Bye {
    std::vector<uint32_t> ssrcs;
};

struct Nack {
    uint32_t senderSsrc = 0, mediaSsrc = 0;
    std::vector<uint16_t> seqs;  // expanded from PID+BLP
};

struct Pli {
    uint32_t senderSsrc = 0, mediaSsrc = 0;
};

struct FirEntry {
    uint32_t ssrc = 0;
    uint8_t seqNr = 0;
};
struct Fir {
    uint32_t senderSsrc = 0;
    std::vector<FirEntry> entries;
};

struct Remb {
    uint32_t senderSsrc = 0;
    uint64_t bitrate = 0;  // bit/s (mantissa << exp, 18-bit mantissa)
    std::vector<uint32_t> ssrcs;
};

// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-01).
struct TwccPacket {
    bool received = false;
    int32_t delta = 0;  // receive delta in 250 µs ticks to the previous received packet
                        // (first: to referenceTime); 0..255 small, else 16-bit signed
};
struct TransportCc {
    uint32_t senderSsrc = 0, mediaSsrc = 0;
    uint16_t baseSeq = 0;
    int32_t referenceTime = 0;  // 24-bit signed, 64 ms units
    uint8_t feedbackCount = 0;
    std::vector<TwccPacket> packets;  // packets[i] is transport seq baseSeq + i
};

std::optional<SenderReport> parseSr(const Header& h);
std::optional<ReceiverReport> parseRr(const Header& h);
std::optional<std::vector<SdesChunk>> parseSdes(const Header& h);
std::optional<Bye> parseBye(const Header& h);
std::optional<Nack> parseNack(const Header& h);
std::optional<Pli> parsePli(const Header& h);
std::optional<Fir> parseFir(const Header& h);
std::optional<Remb> parseRemb(const Header& h);  // nullopt also for other AFB messages
std::optional<TransportCc> parseTransportCc(const Header& h);

size_t writeSr(const SenderReport& sr, uint8_t* out, size_t cap);
size_t writeRr(const ReceiverReport& rr, uint8_t* out, size_t cap);
size_t writeSdes(const std::vector<SdesChunk>& chunks, uint8_t* out, size_t cap);
size_t writeBye(const Bye& bye, uint8_t* out, size_t cap);
// Groups seqs (in send order; wrap-aware) into PID+BLP items.
size_t writeNack(const Nack& nack, uint8_t* out, size_t cap);
size_t writePli(const Pli& pli, uint8_t* out, size_t cap);
size_t writeFir(const Fir& fir, uint8_t* out, size_t cap);
size_t writeRemb(const Remb& remb, uint8_t* out, size_t cap);
// Fails (0) when a received packet's delta does not fit 16 bits signed.
size_t writeTransportCc(const TransportCc& fb, uint8_t* out, size_t cap);

// ---- implementation of the template ----
inline uint16_t load16_(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

template <typename F>
bool forEach(const uint8_t* data, size_t len, F f) {
    if (!data || len < 4) return false;
    size_t off = 0;
    while (off < len) {
        if (len - off < 4) return false;
        const uint8_t* p = data + off;
        if ((p[0] >> 6) != 2) return false;
        const size_t size = (size_t(load16_(p + 2)) + 1) * 4;
        if (size > len - off) return false;
        Header h;
        h.count = p[0] & 0x1F;
        h.type = p[1];
        h.padding = p[0] & 0x20;
        h.data = p;
        h.size = size;
        if (h.padding && (p[size - 1] == 0 || p[size - 1] > size - 4)) return false;
        f(h);
        off += size;
    }
    return true;
}

}  // namespace rtc::rtcp
