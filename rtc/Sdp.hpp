#pragma once
// SDP (RFC 8866) offers from WHIP/WHEP clients and the answers of an ICE-lite, DTLS-passive,
// BUNDLE-only SFU (RFC 8829 JSEP rules where they matter). parseSdp() keeps what the media
// plane uses; negotiate() chooses codecs/extensions and writes the answer. Control path:
// errors are rtc::OfferError with the HTTP status the endpoint answers.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtc/MediaEngine.hpp"

namespace rtc {

enum class Direction : uint8_t { SendRecv, SendOnly, RecvOnly, Inactive };
const char* toString(Direction d);

struct SdpCandidate {
    std::string foundation;
    uint32_t component = 1;
    std::string transport;  // "udp" / "tcp" (lower case)
    uint32_t priority = 0;
    std::string address;  // IP or mDNS name
    uint16_t port = 0;
    std::string type;     // host, srflx, prflx, relay
    std::string tcpType;  // active, passive, so (TCP only)
    std::string mid;      // from the m-section (or a=mid in a fragment)
};

struct SdpCodec {
    uint8_t payloadType = 0;
    std::string name;  // as written ("H264", "opus", "OPUS")
    uint32_t clockRate = 0;
    uint32_t channels = 1;
    std::string fmtp;                 // raw parameter string
    std::vector<std::string> rtcpFb;  // "nack", "nack pli", "ccm fir", "transport-cc" ...
    std::map<std::string, std::string> params() const;  // fmtp split at ';' and '='
};

struct SdpExtmap {
    uint8_t id = 0;
    std::string uri;
};

struct SdpSsrc {
    uint32_t ssrc = 0;
    std::string cname;
    std::string msid;
};

struct MediaSection {
    std::string kind;   // audio, video, application ...
    uint16_t port = 0;  // 0 with bundle-only is not a rejection
    std::string proto;  // UDP/TLS/RTP/SAVPF
    std::vector<std::string> formats;
    std::string mid;
    Direction direction = Direction::SendRecv;
    std::string iceUfrag, icePwd;                   // session-level values filled in
    std::string fingerprintAlgorithm, fingerprint;  // ditto
    std::string setup;                              // actpass, active, passive
    bool rtcpMux = false;
    bool rtcpRsize = false;
    bool bundleOnly = false;
    std::vector<SdpCodec> codecs;  // in m= line order
    std::vector<SdpExtmap> extmaps;
    std::vector<SdpSsrc> ssrcs;
    std::vector<std::pair<uint32_t, uint32_t>> fidGroups;  // (media, rtx)
    std::string msid;
    std::vector<SdpCandidate> candidates;
    bool endOfCandidates = false;

    const SdpCodec* codec(uint8_t pt) const;
    uint8_t extmapId(std::string_view uri) const;  // 0 when absent
};

struct SessionDescription {
    std::string origin;  // o= line
    bool iceLite = false;
    std::vector<std::vector<std::string>> bundleGroups;
    std::vector<MediaSection> media;

    const std::vector<std::string>* bundleGroupOf(const std::string& mid) const;
};

// Throws OfferError(400, "bad_sdp") when the text is not SDP (structure, numbers, size).
SessionDescription parseSdp(std::string_view text);

// application/trickle-ice-sdpfrag (RFC 8840) of a WHIP/WHEP PATCH.
struct SdpFragment {
    std::string iceUfrag, icePwd;  // new credentials = ICE restart
    std::vector<SdpCandidate> candidates;
    bool endOfCandidates = false;
};
SdpFragment parseSdpFragment(std::string_view text);  // throws OfferError(400)

// ---- Negotiation ----

struct LocalCandidate {
    std::string ip;
    uint16_t port = 0;
    bool tcp = false;       // RFC 6544 passive
    uint32_t priority = 0;  // 0: computed for a host candidate
};
uint32_t hostCandidatePriority(bool tcp, unsigned index);

struct LocalStream {  // what we send on a WHEP session (the router assigns the SSRCs)
    uint32_t ssrc = 0;
    uint32_t rtxSsrc = 0;  // video only; 0 = no RTX
    std::string trackId;
};

struct LocalParams {
    std::string iceUfrag, icePwd;
    std::string dtlsFingerprintSha256;  // "AB:CD:..."
    std::vector<LocalCandidate> candidates;
    bool iceLite = true;
    std::string setup = "passive";
    std::string cname = "classbridge";
    std::string streamId = "classbridge";
    LocalStream audio, video;
    // Answer transport-cc (rtcp-fb + header extension) only if the router sends TWCC
    // feedback; otherwise the sender's bandwidth estimate would starve.
    bool transportCc = true;
};

struct HeaderExtensionIds {  // 0 = not negotiated
    uint8_t mid = 0, absSendTime = 0, transportCc = 0, audioLevel = 0;
};

struct NegotiatedStream {
    MediaKind kind = MediaKind::Video;
    std::string mid;
    size_t mlineIndex = 0;
    std::string codec;  // "H264" / "opus"
    uint8_t payloadType = 0;
    uint8_t rtxPayloadType = 0;  // 0 = no RTX
    uint32_t clockRate = 0;
    uint32_t channels = 1;
    std::string fmtp;  // as answered
    bool nack = false, pli = false, fir = false, transportCc = false, remb = false;
    HeaderExtensionIds ext;
    uint32_t remoteSsrc = 0, remoteRtxSsrc = 0;  // the offerer's (publisher), 0 = unknown
    uint32_t localSsrc = 0, localRtxSsrc = 0;    // ours (subscriber answers)
};

struct NegotiatedSession {
    std::string answerSdp;
    Direction localDirection = Direction::RecvOnly;
    std::optional<NegotiatedStream> audio, video;
    std::string remoteIceUfrag, remoteIcePwd;
    std::string remoteFingerprintAlgorithm, remoteFingerprint;
    std::string remoteSetup;  // the offer's (actpass/active); we are DTLS server
    std::string remoteCname;
    std::vector<SdpCandidate> remoteCandidates;
    std::vector<std::string> bundleMids;
};

// want: RecvOnly for WHIP (the offer sends), SendOnly for WHEP (the offer receives).
// Throws OfferError: 400 bad_sdp, 406 unsupported_codec, 422 for transport requirements
// (rtcp_mux_required, bundle_required, dtls_fingerprint_required, ice_credentials_required,
// dtls_setup_unsupported, bad_direction, no_media).
NegotiatedSession negotiate(const SessionDescription& offer, const LocalParams& local,
                            Direction want);
inline NegotiatedSession negotiate(std::string_view offerSdp, const LocalParams& local,
                                   Direction want) {
    return negotiate(parseSdp(offerSdp), local, want);
}

// The answer fragment of an ICE restart: our (new) credentials and candidates.
std::string buildSdpFragment(const LocalParams& local, const std::string& mid);

namespace sdp_ext {
constexpr const char* kMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr const char* kAbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
constexpr const char* kTransportCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr const char* kAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
}  // namespace sdp_ext

}  // namespace rtc
