#pragma once
// The little SDP the load client needs: a WHEP (recvonly) or WHIP (sendonly) offer of Opus +
// H.264, an ice-lite recvonly answer to Janus's streaming offer, and the fields it reads back.
#include <cstdint>
#include <string>
#include <vector>

namespace load {

struct LocalIce {
    std::string ufrag;
    std::string pwd;
    std::string fingerprint;  // "sha-256 AB:..."
};

struct RemoteMedia {
    std::string kind;  // "audio" / "video"
    std::string mid;
    int port = 0;     // 0: rejected
    int h264Pt = -1;  // first H.264 packetization-mode=1 payload type
    int opusPt = -1;
    std::string setup;  // per-media a=setup, if any
};

struct RemoteSdp {
    std::string ufrag, pwd, fingerprint, setup;
    struct Candidate {
        std::string ip;
        uint16_t port = 0;
    };
    std::vector<Candidate> udpCandidates;
    std::vector<RemoteMedia> media;
    int videoPt() const;
    int audioPt() const;
};

// Throws std::runtime_error when the SDP lacks ICE credentials.
RemoteSdp parseSdp(const std::string& sdp);

struct OfferSsrcs {
    uint32_t audio = 0, video = 0;  // both 0: recvonly offer
};
// Audio then video, BUNDLE, rtcp-mux, setup actpass (the server answers passive).
std::string buildOffer(const LocalIce& ice, const OfferSsrcs& ssrcs);

// Answer to an offer (Janus): we are ice-lite (the server is the controlling agent and checks
// our one host candidate), DTLS active, recvonly, the offer's H.264 / Opus payload types.
std::string buildLiteAnswer(const RemoteSdp& offer, const LocalIce& ice, const std::string& ip,
                            uint16_t port);

std::string randomToken(size_t len);

}  // namespace load
