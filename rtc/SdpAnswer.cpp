// negotiate(): codec/extension choice and the answer text (see Sdp.hpp).
#include <algorithm>
#include <cctype>
#include <sstream>

#include "rtc/Sdp.hpp"

namespace rtc {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// Higher is better; -1 = unusable. Constrained baseline first (every decoder has it), then
// baseline, then main (RFC 6184 profile-level-id: profile_idc, profile-iop, level_idc).
int h264Rank(const SdpCodec& c) {
    if (!iequals(c.name, "H264") || c.clockRate != 90000) return -1;
    auto p = c.params();
    if (p["packetization-mode"] != "1") return -1;
    std::string pli = p.count("profile-level-id") ? p["profile-level-id"] : "42001f";
    if (pli.size() != 6) return -1;
    unsigned v = 0;
    try {
        v = static_cast<unsigned>(std::stoul(pli, nullptr, 16));
    } catch (...) {
        return -1;
    }
    const unsigned idc = v >> 16, iop = (v >> 8) & 0xFF;
    if (idc == 0x42) return (iop & 0x40) ? 3 : 2;
    if (idc == 0x4d) return 1;
    return -1;
}

const SdpCodec* chooseVideo(const MediaSection& m) {
    const SdpCodec* best = nullptr;
    int bestRank = -1;
    for (const auto& c : m.codecs) {
        int r = h264Rank(c);
        if (r > bestRank) best = &c, bestRank = r;
    }
    return best;
}

const SdpCodec* chooseAudio(const MediaSection& m) {
    for (const auto& c : m.codecs)
        if (iequals(c.name, "opus") && c.clockRate == 48000 && c.channels == 2) return &c;
    return nullptr;
}

const SdpCodec* rtxFor(const MediaSection& m, uint8_t pt) {
    for (const auto& c : m.codecs)
        if (iequals(c.name, "rtx") && c.params()["apt"] == std::to_string(pt)) return &c;
    return nullptr;
}

bool hasFb(const SdpCodec& c, std::string_view fb) {
    return std::find(c.rtcpFb.begin(), c.rtcpFb.end(), fb) != c.rtcpFb.end();
}

[[noreturn]] void fail(int status, const char* code, const std::string& msg) {
    throw OfferError(status, code, msg);
}

struct Accepted {
    size_t index;
    NegotiatedStream stream;
    std::vector<std::string> fb;
    std::vector<SdpExtmap> ext;
};

void writeCandidates(std::ostringstream& o, const LocalParams& local) {
    unsigned i = 0;
    for (const auto& c : local.candidates) {
        const uint32_t prio = c.priority ? c.priority : hostCandidatePriority(c.tcp, i);
        o << "a=candidate:" << (c.tcp ? 2 : 1) << i << " 1 " << (c.tcp ? "tcp " : "udp ") << prio
          << ' ' << c.ip << ' ' << c.port << " typ host" << (c.tcp ? " tcptype passive" : "")
          << "\r\n";
        ++i;
    }
    o << "a=end-of-candidates\r\n";
}

}  // namespace

uint32_t hostCandidatePriority(bool tcp, unsigned index) {
    // RFC 8445 §5.1.2.1: type preference 126 (host); UDP before TCP (RFC 6544 §4.2),
    // earlier addresses before later ones.
    const uint32_t localPref = (tcp ? 0x7FFF : 0xFFFF) - std::min(index, 0x7FFFu);
    return (126u << 24) | (localPref << 8) | (256 - 1);
}

NegotiatedSession negotiate(const SessionDescription& offer, const LocalParams& local,
                            Direction want) {
    NegotiatedSession out;
    out.localDirection = want;
    std::vector<Accepted> accepted;
    std::vector<bool> acceptedFlags(offer.media.size(), false);

    for (size_t i = 0; i < offer.media.size(); ++i) {
        const MediaSection& m = offer.media[i];
        const bool av = m.kind == "audio" || m.kind == "video";
        const bool srtp = m.proto.find("RTP/SAVP") != std::string::npos;
        if (!av || !srtp || (m.port == 0 && !m.bundleOnly)) continue;
        const MediaKind kind = m.kind == "audio" ? MediaKind::Audio : MediaKind::Video;
        if ((kind == MediaKind::Audio && out.audio) || (kind == MediaKind::Video && out.video))
            continue;  // one audio and one video stream per session; extra ones are rejected
        if (m.direction == Direction::Inactive) continue;
        const bool offerSends =
            m.direction == Direction::SendOnly || m.direction == Direction::SendRecv;
        const bool offerRecvs =
            m.direction == Direction::RecvOnly || m.direction == Direction::SendRecv;
        if (want == Direction::RecvOnly && !offerSends)
            fail(422, "bad_direction",
                 "WHIP offers must send media; m=" + m.kind + " is " + toString(m.direction));
        if (want == Direction::SendOnly && !offerRecvs)
            fail(422, "bad_direction",
                 "WHEP offers must receive media; m=" + m.kind + " is " + toString(m.direction));
        if (m.mid.empty()) fail(400, "bad_sdp", "m=" + m.kind + " has no a=mid");
        if (!m.rtcpMux) fail(422, "rtcp_mux_required", "m=" + m.kind + " lacks a=rtcp-mux");
        if (m.iceUfrag.empty() || m.icePwd.empty())
            fail(422, "ice_credentials_required", "m=" + m.kind + " lacks a=ice-ufrag/a=ice-pwd");
        if (m.fingerprint.empty())
            fail(422, "dtls_fingerprint_required", "m=" + m.kind + " lacks a=fingerprint");
        if (m.setup == "passive")
            fail(422, "dtls_setup_unsupported",
                 "the server is DTLS passive; offer actpass or active");

        Accepted a;
        a.index = i;
        NegotiatedStream& s = a.stream;
        s.kind = kind;
        s.mid = m.mid;
        s.mlineIndex = i;
        const SdpCodec* c = kind == MediaKind::Video ? chooseVideo(m) : chooseAudio(m);
        if (!c) {
            if (kind == MediaKind::Video)
                fail(406, "unsupported_codec",
                     "the video offer has no H.264 with packetization-mode=1 in constrained "
                     "baseline (42e01f), baseline (42001f) or main (4d001f) profile");
            fail(406, "unsupported_codec", "the audio offer has no opus/48000/2");
        }
        s.codec = kind == MediaKind::Video ? "H264" : "opus";
        s.payloadType = c->payloadType;
        s.clockRate = c->clockRate;
        s.channels = c->channels;
        s.fmtp = kind == MediaKind::Video ? c->fmtp : "minptime=10;useinbandfec=1";
        if (kind == MediaKind::Video) {
            if (const SdpCodec* rtx = rtxFor(m, c->payloadType))
                s.rtxPayloadType = rtx->payloadType;
        }
        static const char* kVideoFb[] = {"nack", "nack pli", "ccm fir", "goog-remb",
                                         "transport-cc"};
        static const char* kAudioFb[] = {"transport-cc"};
        auto keepFb = [&](const char* fb) {
            if (std::string_view(fb) == "transport-cc" && !local.transportCc) return;
            if (hasFb(*c, fb)) a.fb.emplace_back(fb);
        };
        if (kind == MediaKind::Video)
            for (auto fb : kVideoFb) keepFb(fb);
        else
            for (auto fb : kAudioFb) keepFb(fb);
        s.nack = hasFb(*c, "nack");
        s.pli = hasFb(*c, "nack pli");
        s.fir = hasFb(*c, "ccm fir");
        s.remb = hasFb(*c, "goog-remb");
        s.transportCc = local.transportCc && hasFb(*c, "transport-cc");

        auto keepExt = [&](const char* uri, uint8_t& slot) {
            if (uint8_t id = m.extmapId(uri)) {
                slot = id;
                a.ext.push_back({id, uri});
            }
        };
        keepExt(sdp_ext::kMid, s.ext.mid);
        keepExt(sdp_ext::kAbsSendTime, s.ext.absSendTime);
        if (local.transportCc) keepExt(sdp_ext::kTransportCc, s.ext.transportCc);
        if (kind == MediaKind::Audio) keepExt(sdp_ext::kAudioLevel, s.ext.audioLevel);

        if (want == Direction::RecvOnly) {
            // The publisher's SSRCs: the FID group names (media, rtx); else the first a=ssrc.
            if (!m.fidGroups.empty()) {
                s.remoteSsrc = m.fidGroups.front().first;
                s.remoteRtxSsrc = m.fidGroups.front().second;
            } else if (!m.ssrcs.empty()) {
                s.remoteSsrc = m.ssrcs.front().ssrc;
            }
            if (!m.ssrcs.empty() && out.remoteCname.empty())
                out.remoteCname = m.ssrcs.front().cname;
        } else {
            const LocalStream& ls = kind == MediaKind::Video ? local.video : local.audio;
            s.localSsrc = ls.ssrc;
            s.localRtxSsrc = s.rtxPayloadType ? ls.rtxSsrc : 0;
        }
        if (out.remoteIceUfrag.empty()) {
            out.remoteIceUfrag = m.iceUfrag;
            out.remoteIcePwd = m.icePwd;
            out.remoteFingerprintAlgorithm = m.fingerprintAlgorithm;
            out.remoteFingerprint = m.fingerprint;
            out.remoteSetup = m.setup.empty() ? "actpass" : m.setup;
        }
        out.remoteCandidates.insert(out.remoteCandidates.end(), m.candidates.begin(),
                                    m.candidates.end());
        (kind == MediaKind::Video ? out.video : out.audio) = s;
        acceptedFlags[i] = true;
        accepted.push_back(std::move(a));
    }
    if (accepted.empty()) fail(422, "no_media", "the offer has no usable audio or video section");

    const auto* group = offer.bundleGroupOf(accepted.front().stream.mid);
    for (const auto& a : accepted) {
        if (!group || offer.bundleGroupOf(a.stream.mid) != group)
            fail(422, "bundle_required", "all media must be in one a=group:BUNDLE");
        out.bundleMids.push_back(a.stream.mid);
    }

    std::ostringstream o;
    o << "v=0\r\no=- " << std::hash<std::string>{}(local.iceUfrag) % 1000000000000ull
      << " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    if (local.iceLite) o << "a=ice-lite\r\n";
    o << "a=group:BUNDLE";
    for (const auto& mid : out.bundleMids) o << ' ' << mid;
    o << "\r\na=msid-semantic: WMS" << (want == Direction::SendOnly ? " " + local.streamId : "")
      << "\r\n";
    size_t next = 0;
    for (size_t i = 0; i < offer.media.size(); ++i) {
        const MediaSection& m = offer.media[i];
        if (!acceptedFlags[i]) {
            o << "m=" << m.kind << " 0 " << m.proto;
            for (const auto& f : m.formats) o << ' ' << f;
            if (m.formats.empty()) o << " 0";
            o << "\r\nc=IN IP4 0.0.0.0\r\n";
            if (!m.mid.empty()) o << "a=mid:" << m.mid << "\r\n";
            continue;
        }
        const Accepted& a = accepted[next++];
        const NegotiatedStream& s = a.stream;
        o << "m=" << m.kind << " 9 " << m.proto << ' ' << int(s.payloadType);
        if (s.rtxPayloadType) o << ' ' << int(s.rtxPayloadType);
        o << "\r\nc=IN IP4 0.0.0.0\r\n";
        o << "a=ice-ufrag:" << local.iceUfrag << "\r\na=ice-pwd:" << local.icePwd << "\r\n";
        o << "a=fingerprint:sha-256 " << local.dtlsFingerprintSha256 << "\r\n";
        o << "a=setup:" << local.setup << "\r\na=mid:" << s.mid << "\r\n";
        for (const auto& e : a.ext) o << "a=extmap:" << int(e.id) << ' ' << e.uri << "\r\n";
        o << "a=" << toString(want) << "\r\na=rtcp-mux\r\n";
        if (m.rtcpRsize) o << "a=rtcp-rsize\r\n";
        o << "a=rtpmap:" << int(s.payloadType) << ' '
          << (s.kind == MediaKind::Video ? "H264" : "opus") << '/' << s.clockRate
          << (s.kind == MediaKind::Audio ? "/2" : "") << "\r\n";
        for (const auto& fb : a.fb) o << "a=rtcp-fb:" << int(s.payloadType) << ' ' << fb << "\r\n";
        if (!s.fmtp.empty()) o << "a=fmtp:" << int(s.payloadType) << ' ' << s.fmtp << "\r\n";
        if (s.rtxPayloadType) {
            o << "a=rtpmap:" << int(s.rtxPayloadType) << " rtx/90000\r\n";
            o << "a=fmtp:" << int(s.rtxPayloadType) << " apt=" << int(s.payloadType) << "\r\n";
        }
        if (want == Direction::SendOnly && s.localSsrc) {
            const LocalStream& ls = s.kind == MediaKind::Video ? local.video : local.audio;
            const std::string track =
                ls.trackId.empty() ? (s.kind == MediaKind::Video ? "video" : "audio") : ls.trackId;
            const std::string msid = local.streamId + ' ' + track;
            o << "a=msid:" << msid << "\r\n";
            if (s.localRtxSsrc)
                o << "a=ssrc-group:FID " << s.localSsrc << ' ' << s.localRtxSsrc << "\r\n";
            for (uint32_t ssrc : {s.localSsrc, s.localRtxSsrc}) {
                if (!ssrc) continue;
                o << "a=ssrc:" << ssrc << " cname:" << local.cname << "\r\n";
                o << "a=ssrc:" << ssrc << " msid:" << msid << "\r\n";
            }
        }
        writeCandidates(o, local);
    }
    out.answerSdp = o.str();
    return out;
}

std::string buildSdpFragment(const LocalParams& local, const std::string& mid) {
    std::ostringstream o;
    o << "a=ice-ufrag:" << local.iceUfrag << "\r\na=ice-pwd:" << local.icePwd << "\r\n";
    if (!mid.empty()) o << "a=mid:" << mid << "\r\n";
    writeCandidates(o, local);
    return o.str();
}

}  // namespace rtc
