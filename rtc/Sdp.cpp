#include "rtc/Sdp.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace rtc {
namespace {

constexpr size_t kMaxSdpSize = 128 * 1024;

[[noreturn]] void bad(const std::string& why) {
    throw OfferError(400, "bad_sdp", "malformed SDP: " + why);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> splitWs(std::string_view s) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ') ++j;
        if (j > i) out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

template <typename T>
bool toNum(std::string_view s, T& out) {
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

template <typename T>
T num(std::string_view s, const char* what) {
    T v{};
    if (!toNum(s, v)) bad(std::string("bad number in ") + what + ": '" + std::string(s) + "'");
    return v;
}

std::string lower(std::string_view s) {
    std::string o(s);
    std::transform(o.begin(), o.end(), o.begin(), [](unsigned char c) { return std::tolower(c); });
    return o;
}

// "candidate:..." value (without "a="). nullopt when malformed: remote candidates are
// informational for ICE-lite, so a strange one is skipped rather than failing the offer.
std::optional<SdpCandidate> parseCandidate(std::string_view v) {
    if (v.substr(0, 10) != "candidate:") return std::nullopt;
    auto f = splitWs(v.substr(10));
    if (f.size() < 8 || f[6] != "typ") return std::nullopt;
    SdpCandidate c;
    c.foundation = f[0];
    c.transport = lower(f[2]);
    c.address = f[4];
    c.type = f[7];
    if (!toNum(f[1], c.component) || !toNum(f[3], c.priority) || !toNum(f[5], c.port))
        return std::nullopt;
    for (size_t i = 8; i + 1 < f.size(); i += 2)
        if (f[i] == "tcptype") c.tcpType = f[i + 1];
    return c;
}

Direction parseDirection(std::string_view a, bool& isDirection) {
    isDirection = true;
    if (a == "sendrecv") return Direction::SendRecv;
    if (a == "sendonly") return Direction::SendOnly;
    if (a == "recvonly") return Direction::RecvOnly;
    if (a == "inactive") return Direction::Inactive;
    isDirection = false;
    return Direction::SendRecv;
}

SdpCodec& codecFor(MediaSection& m, uint8_t pt) {
    for (auto& c : m.codecs)
        if (c.payloadType == pt) return c;
    m.codecs.push_back(SdpCodec{});
    m.codecs.back().payloadType = pt;
    return m.codecs.back();
}

uint8_t ptNum(std::string_view s) {
    auto v = num<unsigned>(s, "payload type");
    if (v > 127) bad("payload type out of range: " + std::string(s));
    return static_cast<uint8_t>(v);
}

struct SessionLevel {
    std::string ufrag, pwd, fpAlgo, fp, setup;
    Direction direction = Direction::SendRecv;
};

// One "a=" attribute of a media section.
void mediaAttribute(MediaSection& m, std::string_view name, std::string_view value) {
    bool isDir = false;
    Direction d = parseDirection(name, isDir);
    if (isDir) {
        m.direction = d;
    } else if (name == "mid") {
        m.mid = value;
    } else if (name == "ice-ufrag") {
        m.iceUfrag = value;
    } else if (name == "ice-pwd") {
        m.icePwd = value;
    } else if (name == "fingerprint") {
        auto f = splitWs(value);
        if (f.size() != 2) bad("fingerprint");
        m.fingerprintAlgorithm = lower(f[0]);
        m.fingerprint = f[1];
    } else if (name == "setup") {
        m.setup = value;
    } else if (name == "rtcp-mux") {
        m.rtcpMux = true;
    } else if (name == "rtcp-rsize") {
        m.rtcpRsize = true;
    } else if (name == "bundle-only") {
        m.bundleOnly = true;
    } else if (name == "end-of-candidates") {
        m.endOfCandidates = true;
    } else if (name == "rtpmap") {
        auto sp = value.find(' ');
        if (sp == std::string_view::npos) bad("rtpmap");
        SdpCodec& c = codecFor(m, ptNum(value.substr(0, sp)));
        std::string_view enc = trim(value.substr(sp + 1));
        auto s1 = enc.find('/');
        if (s1 == std::string_view::npos) bad("rtpmap without clock rate");
        c.name = enc.substr(0, s1);
        std::string_view rest = enc.substr(s1 + 1);
        auto s2 = rest.find('/');
        c.clockRate = num<uint32_t>(rest.substr(0, s2), "rtpmap clock rate");
        if (s2 != std::string_view::npos)
            c.channels = num<uint32_t>(rest.substr(s2 + 1), "channels");
    } else if (name == "fmtp") {
        auto sp = value.find(' ');
        if (sp == std::string_view::npos) bad("fmtp");
        codecFor(m, ptNum(value.substr(0, sp))).fmtp = trim(value.substr(sp + 1));
    } else if (name == "rtcp-fb") {
        auto sp = value.find(' ');
        if (sp == std::string_view::npos) bad("rtcp-fb");
        std::string_view pt = value.substr(0, sp);
        std::string fb(trim(value.substr(sp + 1)));
        if (pt == "*") {
            for (auto& c : m.codecs) c.rtcpFb.push_back(fb);
        } else {
            codecFor(m, ptNum(pt)).rtcpFb.push_back(fb);
        }
    } else if (name == "extmap") {
        auto f = splitWs(value);
        if (f.size() < 2) bad("extmap");
        std::string_view id = f[0].substr(0, f[0].find('/'));
        auto v = num<unsigned>(id, "extmap id");
        if (v < 1 || v > 255) bad("extmap id out of range");
        m.extmaps.push_back({static_cast<uint8_t>(v), std::string(f[1])});
    } else if (name == "ssrc") {
        auto sp = value.find(' ');
        if (sp == std::string_view::npos) bad("ssrc");
        auto ssrc = num<uint32_t>(value.substr(0, sp), "ssrc");
        std::string_view attr = value.substr(sp + 1);
        auto it = std::find_if(m.ssrcs.begin(), m.ssrcs.end(),
                               [&](const SdpSsrc& s) { return s.ssrc == ssrc; });
        if (it == m.ssrcs.end()) it = m.ssrcs.insert(m.ssrcs.end(), SdpSsrc{ssrc, {}, {}});
        if (attr.substr(0, 6) == "cname:") it->cname = attr.substr(6);
        if (attr.substr(0, 5) == "msid:") it->msid = attr.substr(5);
    } else if (name == "ssrc-group") {
        auto f = splitWs(value);
        if (f.size() == 3 && f[0] == "FID")
            m.fidGroups.emplace_back(num<uint32_t>(f[1], "ssrc-group"),
                                     num<uint32_t>(f[2], "ssrc-group"));
    } else if (name == "msid") {
        m.msid = value;
    } else if (name == "candidate") {
        if (auto c = parseCandidate(std::string("candidate:") + std::string(value))) {
            c->mid = m.mid;
            m.candidates.push_back(std::move(*c));
        }
    }
}

}  // namespace

const char* toString(Direction d) {
    switch (d) {
        case Direction::SendOnly:
            return "sendonly";
        case Direction::RecvOnly:
            return "recvonly";
        case Direction::Inactive:
            return "inactive";
        default:
            return "sendrecv";
    }
}

std::map<std::string, std::string> SdpCodec::params() const {
    std::map<std::string, std::string> out;
    std::string_view s(fmtp);
    while (!s.empty()) {
        auto semi = s.find(';');
        std::string_view kv = trim(s.substr(0, semi));
        auto eq = kv.find('=');
        if (!kv.empty()) {
            if (eq == std::string_view::npos)
                out[lower(kv)] = "";
            else
                out[lower(trim(kv.substr(0, eq)))] = trim(kv.substr(eq + 1));
        }
        if (semi == std::string_view::npos) break;
        s.remove_prefix(semi + 1);
    }
    return out;
}

const SdpCodec* MediaSection::codec(uint8_t pt) const {
    for (const auto& c : codecs)
        if (c.payloadType == pt) return &c;
    return nullptr;
}

uint8_t MediaSection::extmapId(std::string_view uri) const {
    for (const auto& e : extmaps)
        if (e.uri == uri) return e.id;
    return 0;
}

const std::vector<std::string>* SessionDescription::bundleGroupOf(const std::string& mid) const {
    for (const auto& g : bundleGroups)
        if (std::find(g.begin(), g.end(), mid) != g.end()) return &g;
    return nullptr;
}

SessionDescription parseSdp(std::string_view text) {
    if (text.size() > kMaxSdpSize) bad("too large");
    SessionDescription sd;
    SessionLevel sl;
    MediaSection* m = nullptr;
    bool sawVersion = false;
    size_t lineNo = 0;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineNo;
        if (line.empty()) continue;
        if (line.size() < 2 || line[1] != '=' || !std::islower(static_cast<unsigned char>(line[0])))
            bad("line " + std::to_string(lineNo) + " is not <type>=<value>");
        const char type = line[0];
        std::string_view value = line.substr(2);
        if (!sawVersion) {
            if (type != 'v' || value != "0") bad("must start with v=0");
            sawVersion = true;
            continue;
        }
        if (type == 'o' && !m) {
            sd.origin = value;
        } else if (type == 'm') {
            auto f = splitWs(value);
            if (f.size() < 3) bad("m= line");
            MediaSection ms;
            ms.kind = f[0];
            ms.port = num<uint16_t>(f[1].substr(0, f[1].find('/')), "m= port");
            ms.proto = f[2];
            const bool rtp = ms.proto.find("RTP/") != std::string::npos;
            for (size_t i = 3; i < f.size(); ++i) {
                if (rtp) ptNum(f[i]);
                ms.formats.emplace_back(f[i]);
            }
            ms.iceUfrag = sl.ufrag;
            ms.icePwd = sl.pwd;
            ms.fingerprintAlgorithm = sl.fpAlgo;
            ms.fingerprint = sl.fp;
            ms.setup = sl.setup;
            ms.direction = sl.direction;
            sd.media.push_back(std::move(ms));
            m = &sd.media.back();
        } else if (type == 'a') {
            auto colon = value.find(':');
            std::string_view name = value.substr(0, colon);
            std::string_view v = colon == std::string_view::npos ? std::string_view()
                                                                 : trim(value.substr(colon + 1));
            if (m) {
                mediaAttribute(*m, name, v);
                continue;
            }
            // Session level: defaults for the media sections that follow.
            bool isDir = false;
            Direction d = parseDirection(name, isDir);
            if (isDir)
                sl.direction = d;
            else if (name == "ice-lite")
                sd.iceLite = true;
            else if (name == "ice-ufrag")
                sl.ufrag = v;
            else if (name == "ice-pwd")
                sl.pwd = v;
            else if (name == "setup")
                sl.setup = v;
            else if (name == "fingerprint") {
                auto f = splitWs(v);
                if (f.size() != 2) bad("fingerprint");
                sl.fpAlgo = lower(f[0]);
                sl.fp = f[1];
            } else if (name == "group") {
                auto f = splitWs(v);
                if (!f.empty() && f[0] == "BUNDLE")
                    sd.bundleGroups.emplace_back(f.begin() + 1, f.end());
            }
        }
    }
    if (!sawVersion) bad("empty");
    // Codecs named in rtpmap/fmtp but not in the m= line are not offered.
    for (auto& ms : sd.media) {
        std::vector<SdpCodec> ordered;
        for (const auto& fmt : ms.formats) {
            unsigned pt = 0;
            if (!toNum(std::string_view(fmt), pt) || pt > 127) continue;
            const SdpCodec* c = ms.codec(static_cast<uint8_t>(pt));
            if (c && !c->name.empty()) ordered.push_back(*c);
        }
        ms.codecs = std::move(ordered);
        for (auto& c : ms.candidates) c.mid = ms.mid;
    }
    return sd;
}

SdpFragment parseSdpFragment(std::string_view text) {
    if (text.size() > kMaxSdpSize) bad("too large");
    SdpFragment frag;
    std::string mid;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = trim(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty()) continue;
        if (line.size() < 2 || line[1] != '=') bad("fragment line is not <type>=<value>");
        if (line[0] != 'a') continue;  // m= lines only scope the candidates
        std::string_view v = line.substr(2);
        if (v.substr(0, 10) == "ice-ufrag:")
            frag.iceUfrag = trim(v.substr(10));
        else if (v.substr(0, 8) == "ice-pwd:")
            frag.icePwd = trim(v.substr(8));
        else if (v.substr(0, 4) == "mid:")
            mid = trim(v.substr(4));
        else if (v == "end-of-candidates")
            frag.endOfCandidates = true;
        else if (v.substr(0, 10) == "candidate:") {
            auto c = parseCandidate(v);
            if (!c) bad("candidate: " + std::string(v));
            c->mid = mid;
            frag.candidates.push_back(std::move(*c));
        }
    }
    if (frag.iceUfrag.empty() != frag.icePwd.empty()) bad("ice-ufrag and ice-pwd go together");
    return frag;
}

}  // namespace rtc
