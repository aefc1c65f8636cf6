#include "ClientSdp.hpp"

#include <openssl/rand.h>

#include <sstream>
#include <stdexcept>

namespace load {

std::string randomToken(size_t len) {
    static const char kAlphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
    std::string s(len, 'a');
    std::vector<uint8_t> r(len);
    RAND_bytes(r.data(), static_cast<int>(len));
    for (size_t i = 0; i < len; ++i) s[i] = kAlphabet[r[i] % 64];
    return s;
}

int RemoteSdp::videoPt() const {
    for (const auto& m : media)
        if (m.kind == "video" && m.h264Pt >= 0) return m.h264Pt;
    return -1;
}
int RemoteSdp::audioPt() const {
    for (const auto& m : media)
        if (m.kind == "audio" && m.opusPt >= 0) return m.opusPt;
    return -1;
}

static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

RemoteSdp parseSdp(const std::string& sdp) {
    RemoteSdp r;
    std::istringstream in(sdp);
    std::string line;
    RemoteMedia* cur = nullptr;
    std::vector<std::pair<int, std::string>> h264Pts;  // of the current media: pt, fmtp
    auto finishMedia = [&] {
        if (!cur) return;
        for (auto& [pt, fmtp] : h264Pts) {
            if (fmtp.find("packetization-mode=1") != std::string::npos) {
                cur->h264Pt = pt;
                break;
            }
        }
        h264Pts.clear();
    };
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("m=", 0) == 0) {
            finishMedia();
            r.media.emplace_back();
            cur = &r.media.back();
            std::istringstream ml(line.substr(2));
            ml >> cur->kind >> cur->port;
        } else if (line.rfind("a=ice-ufrag:", 0) == 0) {
            r.ufrag = line.substr(12);
        } else if (line.rfind("a=ice-pwd:", 0) == 0) {
            r.pwd = line.substr(10);
        } else if (line.rfind("a=fingerprint:", 0) == 0) {
            r.fingerprint = line.substr(14);
        } else if (line.rfind("a=setup:", 0) == 0) {
            (cur ? cur->setup : r.setup) = line.substr(8);
            if (r.setup.empty()) r.setup = line.substr(8);
        } else if (line.rfind("a=mid:", 0) == 0 && cur) {
            cur->mid = line.substr(6);
        } else if (line.rfind("a=candidate:", 0) == 0) {
            // foundation component transport priority ip port typ type
            std::istringstream cl(line.substr(12));
            std::string foundation, component, transport, priority, ip, port;
            cl >> foundation >> component >> transport >> priority >> ip >> port;
            if (lower(transport) == "udp" && component == "1")
                r.udpCandidates.push_back({ip, static_cast<uint16_t>(std::stoi(port))});
        } else if (line.rfind("a=rtpmap:", 0) == 0 && cur) {
            int pt = std::stoi(line.substr(9));
            std::string enc = lower(line.substr(line.find(' ') + 1));
            if (enc.rfind("h264/", 0) == 0) h264Pts.emplace_back(pt, "");
            if (enc.rfind("opus/", 0) == 0 && cur->opusPt < 0) cur->opusPt = pt;
        } else if (line.rfind("a=fmtp:", 0) == 0 && cur) {
            int pt = std::stoi(line.substr(7));
            for (auto& [p, f] : h264Pts)
                if (p == pt) f = line;
        }
    }
    finishMedia();
    if (r.ufrag.empty() || r.pwd.empty()) throw std::runtime_error("SDP without ICE credentials");
    return r;
}

static void iceLines(std::ostringstream& o, const LocalIce& ice, const char* setup) {
    o << "a=ice-ufrag:" << ice.ufrag << "\r\n"
      << "a=ice-pwd:" << ice.pwd << "\r\n"
      << "a=fingerprint:" << ice.fingerprint << "\r\n"
      << "a=setup:" << setup << "\r\n";
}

std::string buildOffer(const LocalIce& ice, const OfferSsrcs& ssrcs) {
    const bool send = ssrcs.video != 0;
    const char* dir = send ? "sendonly" : "recvonly";
    std::ostringstream o;
    o << "v=0\r\no=- " << 4611731400430051336ULL
      << " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
      << "a=msid-semantic: WMS cbload\r\n";
    o << "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n";
    iceLines(o, ice, "actpass");
    o << "a=mid:0\r\na=" << dir << "\r\na=rtcp-mux\r\n"
      << "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n";
    if (send)
        o << "a=msid:cbload audio0\r\na=ssrc:" << ssrcs.audio << " cname:cbload\r\n"
          << "a=ssrc:" << ssrcs.audio << " msid:cbload audio0\r\n";
    o << "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n";
    iceLines(o, ice, "actpass");
    o << "a=mid:1\r\na=" << dir << "\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
      << "a=rtpmap:96 H264/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
      << "a=rtcp-fb:96 ccm fir\r\n"
      << "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
    if (send)
        o << "a=msid:cbload video0\r\na=ssrc:" << ssrcs.video << " cname:cbload\r\n"
          << "a=ssrc:" << ssrcs.video << " msid:cbload video0\r\n";
    return o.str();
}

std::string buildLiteAnswer(const RemoteSdp& offer, const LocalIce& ice, const std::string& ip,
                            uint16_t port) {
    std::ostringstream o;
    o << "v=0\r\no=- 4611731400430051337 2 IN IP4 " << ip << "\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n";
    std::string bundle;
    for (const auto& m : offer.media)
        if (m.port != 0 &&
            ((m.kind == "video" && m.h264Pt >= 0) || (m.kind == "audio" && m.opusPt >= 0)))
            bundle += " " + m.mid;
    o << "a=group:BUNDLE" << bundle << "\r\n";
    bool first = true;
    for (const auto& m : offer.media) {
        int pt = m.kind == "video" ? m.h264Pt : m.kind == "audio" ? m.opusPt : -1;
        if (m.port == 0 || pt < 0) {
            o << "m=" << m.kind << " 0 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:" << m.mid
              << "\r\na=inactive\r\n";
            continue;
        }
        o << "m=" << m.kind << " " << port << " UDP/TLS/RTP/SAVPF " << pt << "\r\nc=IN IP4 " << ip
          << "\r\n";
        iceLines(o, ice, "active");
        o << "a=mid:" << m.mid << "\r\na=recvonly\r\na=rtcp-mux\r\n";
        if (m.kind == "video")
            o << "a=rtpmap:" << pt << " H264/90000\r\na=fmtp:" << pt
              << " level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";
        else
            o << "a=rtpmap:" << pt << " opus/48000/2\r\n";
        if (first) {
            o << "a=candidate:1 1 udp 2130706431 " << ip << " " << port << " typ host\r\n"
              << "a=end-of-candidates\r\n";
            first = false;
        }
    }
    return o.str();
}

}  // namespace load
