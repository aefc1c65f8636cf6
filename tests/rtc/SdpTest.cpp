#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <regex>
#include <sstream>

#include "rtc/Sdp.hpp"

namespace {

using rtc::Direction;
using rtc::OfferError;

std::string fixture(const std::string& name) {
    std::ifstream f(std::string(CB_SOURCE_DIR) + "/tests/rtc/fixtures/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    EXPECT_FALSE(ss.str().empty()) << name;
    return ss.str();
}

rtc::LocalParams local() {
    rtc::LocalParams p;
    p.iceUfrag = "srvU";
    p.icePwd = "serverpasswordserverpassword";
    p.dtlsFingerprintSha256 =
        "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
        "77:88:99";
    p.candidates = {{"127.0.0.1", 40000, false, 0}, {"127.0.0.1", 40000, true, 0}};
    p.video = {1111, 2222, "v0"};
    p.audio = {3333, 0, "a0"};
    return p;
}

// Removes every line matching re.
std::string without(std::string sdp, const std::string& re) {
    return std::regex_replace(sdp, std::regex(re + "[^\n]*\n"), "");
}

int statusOf(const std::string& sdp, Direction want, std::string* code = nullptr) {
    try {
        rtc::negotiate(sdp, local(), want);
    } catch (const OfferError& e) {
        if (code) *code = e.code();
        EXPECT_FALSE(std::string(e.what()).empty());
        return e.status();
    }
    return 0;
}

bool contains(const std::string& s, const std::string& sub) {
    return s.find(sub) != std::string::npos;
}

// Expects each of lines ("a=...", without CRLF) as a whole line of sdp.
void expectLines(const std::string& sdp, std::initializer_list<const char*> lines) {
    for (const char* l : lines) EXPECT_TRUE(contains(sdp, std::string(l) + "\r\n")) << l;
}

TEST(Sdp, ChromiumWhipOffer) {
    auto n = rtc::negotiate(fixture("chromium-sendonly.sdp"), local(), Direction::RecvOnly);
    ASSERT_TRUE(n.video && n.audio);
    EXPECT_EQ(n.video->payloadType, 108);  // 42e01f pm=1 preferred over 42001f (102)
    EXPECT_EQ(n.video->rtxPayloadType, 109);
    EXPECT_EQ(n.video->clockRate, 90000u);
    EXPECT_TRUE(n.video->nack && n.video->pli && n.video->fir && n.video->transportCc);
    EXPECT_EQ(n.video->remoteSsrc, 3711118262u);
    EXPECT_EQ(n.video->remoteRtxSsrc, 4119073021u);
    EXPECT_EQ(n.video->ext.mid, 4);
    EXPECT_EQ(n.video->ext.absSendTime, 2);
    EXPECT_EQ(n.video->ext.transportCc, 3);
    EXPECT_EQ(n.audio->payloadType, 111);
    EXPECT_EQ(n.audio->clockRate, 48000u);
    EXPECT_EQ(n.audio->remoteSsrc, 78601893u);
    EXPECT_EQ(n.audio->ext.audioLevel, 1);
    EXPECT_EQ(n.audio->mid, "0");
    EXPECT_EQ(n.video->mid, "1");
    EXPECT_EQ(n.remoteIceUfrag, "B7WL");
    EXPECT_EQ(n.remoteIcePwd, "14IPFcJSjRqHg9imR+Qla9yb");
    EXPECT_EQ(n.remoteFingerprintAlgorithm, "sha-256");
    EXPECT_EQ(n.remoteFingerprint.substr(0, 8), "69:DD:BC");
    EXPECT_EQ(n.remoteSetup, "actpass");
    EXPECT_EQ(n.remoteCname, "7DMd6vLqUbtK5Djh");
    EXPECT_EQ(n.remoteCandidates.size(), 8u);
    EXPECT_EQ(n.bundleMids, (std::vector<std::string>{"0", "1"}));

    const std::string& a = n.answerSdp;
    EXPECT_TRUE(contains(a, "a=ice-lite\r\n"));
    EXPECT_TRUE(contains(a, "a=group:BUNDLE 0 1\r\n"));
    EXPECT_TRUE(contains(a, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
    EXPECT_TRUE(contains(a, "m=video 9 UDP/TLS/RTP/SAVPF 108 109\r\n"));
    EXPECT_TRUE(contains(
        a, "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"));
    EXPECT_TRUE(contains(a, "a=fmtp:109 apt=108\r\n"));
    EXPECT_TRUE(contains(a, "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
    EXPECT_TRUE(contains(a, "a=rtcp-fb:108 nack pli\r\n"));
    EXPECT_TRUE(contains(a, "a=setup:passive\r\n"));
    EXPECT_TRUE(contains(a, "a=recvonly\r\n"));
    EXPECT_FALSE(contains(a, "a=sendonly"));
    EXPECT_FALSE(contains(a, "VP8"));
    EXPECT_FALSE(contains(a, "toffset"));  // only the extensions we use are answered
    EXPECT_TRUE(contains(a, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"));
    EXPECT_TRUE(contains(a, "typ host tcptype passive\r\n"));
    EXPECT_TRUE(contains(a, "a=candidate:10 1 udp 2130706431 127.0.0.1 40000 typ host\r\n"));

    // The answer is itself valid SDP with the same choices.
    auto re = rtc::parseSdp(a);
    ASSERT_EQ(re.media.size(), 2u);
    EXPECT_EQ(re.media[1].codecs.size(), 2u);
    EXPECT_EQ(re.media[0].direction, Direction::RecvOnly);
    EXPECT_TRUE(re.iceLite);
}

TEST(Sdp, ChromiumWhepOffer) {
    auto n = rtc::negotiate(fixture("chromium-recvonly.sdp"), local(), Direction::SendOnly);
    ASSERT_TRUE(n.video && n.audio);
    EXPECT_EQ(n.video->mid, "0");
    EXPECT_EQ(n.audio->mid, "1");
    EXPECT_EQ(n.video->localSsrc, 1111u);
    EXPECT_EQ(n.video->localRtxSsrc, 2222u);
    EXPECT_EQ(n.audio->localSsrc, 3333u);
    EXPECT_EQ(n.video->remoteSsrc, 0u);
    EXPECT_NE(n.video->rtxPayloadType, 0);
    const std::string& a = n.answerSdp;
    EXPECT_TRUE(contains(a, "a=sendonly\r\n"));
    EXPECT_TRUE(contains(a, "a=ssrc-group:FID 1111 2222\r\n"));
    EXPECT_TRUE(contains(a, "a=ssrc:1111 cname:classbridge\r\n"));
    EXPECT_TRUE(contains(a, "a=ssrc:2222 msid:classbridge v0\r\n"));
    EXPECT_TRUE(contains(a, "a=ssrc:3333 msid:classbridge a0\r\n"));
    EXPECT_TRUE(contains(a, "a=msid:classbridge v0\r\n"));
    EXPECT_TRUE(contains(a, "a=group:BUNDLE 0 1\r\n"));
    auto re = rtc::parseSdp(a);
    EXPECT_EQ(re.media[0].fidGroups.size(), 1u);
}

TEST(Sdp, GStreamerWebrtcbinOffer) {
    auto n =
        rtc::negotiate(fixture("gstreamer-webrtcbin-sendrecv.sdp"), local(), Direction::RecvOnly);
    ASSERT_TRUE(n.video && n.audio);  // m=audio 0 with a=bundle-only is accepted
    EXPECT_EQ(n.video->payloadType, 96);
    EXPECT_EQ(n.video->rtxPayloadType, 0);
    EXPECT_EQ(n.video->remoteSsrc, 995130306u);
    EXPECT_EQ(n.audio->payloadType, 111);
    EXPECT_EQ(n.audio->remoteSsrc, 27247607u);
    EXPECT_EQ(n.video->ext.mid, 0);
    EXPECT_EQ(n.remoteIceUfrag, "niceKw4qGZ3NQSvGLgPDSxpciJWGMmHk");
    EXPECT_TRUE(contains(n.answerSdp, "a=group:BUNDLE video0 audio1\r\n"));
    EXPECT_TRUE(contains(n.answerSdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
}

// Firefox fixtures are real offers from Debian's firefox-esr 153.8.0esr (headless, fake
// devices), captured once on 2026-11-30; firefox-esr is not a build/test dependency (see
// fixtures/README.md). Debian's Firefox has no OpenH264 plugin, so its video offers carry only
// VP8/VP9/AV1: the server must refuse them with 406 (FirefoxVideoOffersAreRefused) while its
// audio-only offers negotiate.
TEST(Sdp, FirefoxAudioOnlyWhipOffer) {
    auto n = rtc::negotiate(fixture("firefox153-audio-sendonly.sdp"), local(), Direction::RecvOnly);
    ASSERT_TRUE(n.audio);
    EXPECT_FALSE(n.video);
    EXPECT_EQ(n.audio->mid, "0");
    EXPECT_EQ(n.audio->payloadType, 109);
    EXPECT_EQ(n.audio->clockRate, 48000u);
    EXPECT_EQ(n.audio->remoteSsrc, 3254793943u);
    EXPECT_EQ(n.audio->ext.mid, 3);
    EXPECT_EQ(n.audio->ext.audioLevel, 1);
    EXPECT_EQ(n.audio->ext.transportCc, 7);
    EXPECT_TRUE(n.audio->transportCc);
    EXPECT_EQ(n.remoteIceUfrag, "1a89bb09");
    EXPECT_EQ(n.remoteFingerprint.substr(0, 5), "4D:12");  // from the session level
    EXPECT_EQ(n.remoteSetup, "actpass");
    EXPECT_EQ(n.remoteCname, "{e1f9e8ee-3070-4f87-b094-5c874e1e42fa}");
    const std::string& a = n.answerSdp;
    expectLines(a, {"m=audio 9 UDP/TLS/RTP/SAVPF 109", "a=rtpmap:109 opus/48000/2", "a=recvonly",
                    "a=group:BUNDLE 0", "a=rtcp-fb:109 transport-cc"});
    EXPECT_FALSE(contains(a, "m=video"));
    auto re = rtc::parseSdp(a);
    ASSERT_EQ(re.media.size(), 1u);
    EXPECT_EQ(re.media[0].codecs.size(), 1u);
}

TEST(Sdp, FirefoxAudioOnlyWhepOffer) {
    auto n = rtc::negotiate(fixture("firefox153-audio-recvonly.sdp"), local(), Direction::SendOnly);
    ASSERT_TRUE(n.audio);
    EXPECT_FALSE(n.video);
    EXPECT_EQ(n.audio->payloadType, 109);
    EXPECT_EQ(n.audio->localSsrc, 3333u);
    EXPECT_EQ(n.audio->remoteSsrc, 0u);
    expectLines(n.answerSdp, {"a=sendonly", "a=ssrc:3333 msid:classbridge a0"});
    EXPECT_FALSE(contains(n.answerSdp, "m=video"));
}

TEST(Sdp, FirefoxVideoOffersAreRefused) {
    // WHIP (camera + microphone) and WHEP (recvonly video + audio) offers alike: no H.264, so a
    // clear 406 instead of an audio-only half session.
    for (const char* name : {"firefox153-sendonly.sdp", "firefox153-recvonly.sdp"}) {
        const Direction want = std::string(name).find("recvonly") != std::string::npos
                                   ? Direction::SendOnly
                                   : Direction::RecvOnly;
        try {
            rtc::negotiate(fixture(name), local(), want);
            ADD_FAILURE() << name << " negotiated";
        } catch (const OfferError& e) {
            EXPECT_EQ(e.status(), 406) << name;
            EXPECT_EQ(e.code(), "unsupported_codec") << name;
            EXPECT_TRUE(contains(e.what(), "H.264 with packetization-mode=1")) << e.what();
        }
    }
}

TEST(Sdp, MainProfileOnlyAndTransportCcOff) {
    std::string sdp = fixture("chromium-sendonly.sdp");
    // Keep only H.264 main (116) in the video m= line.
    sdp = std::regex_replace(sdp, std::regex("m=video 9 UDP/TLS/RTP/SAVPF [0-9 ]+"),
                             "m=video 9 UDP/TLS/RTP/SAVPF 116 117 96 97");
    auto p = local();
    p.transportCc = false;
    auto n = rtc::negotiate(rtc::parseSdp(sdp), p, Direction::RecvOnly);
    EXPECT_EQ(n.video->payloadType, 116);
    EXPECT_EQ(n.video->rtxPayloadType, 117);
    EXPECT_FALSE(n.video->transportCc);
    EXPECT_EQ(n.video->ext.transportCc, 0);
    EXPECT_FALSE(contains(n.answerSdp, "transport-cc"));
}

TEST(Sdp, DataChannelRejectedButKept) {
    std::string sdp = fixture("chromium-sendonly.sdp");
    sdp = std::regex_replace(sdp, std::regex("a=group:BUNDLE 0 1"), "a=group:BUNDLE 0 1 2");
    sdp +=
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:B7WL\r\na=ice-pwd:14IPFcJSjRqHg9imR+Qla9yb\r\na=mid:2\r\n"
        "a=sctp-port:5000\r\n";
    auto n = rtc::negotiate(sdp, local(), Direction::RecvOnly);
    EXPECT_TRUE(contains(n.answerSdp, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    EXPECT_TRUE(contains(n.answerSdp, "a=mid:2\r\n"));
    EXPECT_TRUE(contains(n.answerSdp, "a=group:BUNDLE 0 1\r\n"));
    EXPECT_EQ(rtc::parseSdp(n.answerSdp).media.size(), 3u);
}

TEST(Sdp, UnsatisfiableOffersGetClearErrors) {
    const std::string chrome = fixture("chromium-sendonly.sdp");
    struct Case {
        const char* what;
        std::string sdp;
        Direction want;
        int status;
        const char* code;
    };
    const Case cases[] = {
        {"no rtcp-mux", without(chrome, "a=rtcp-mux\r"), Direction::RecvOnly, 422,
         "rtcp_mux_required"},
        {"no BUNDLE", without(chrome, "a=group:BUNDLE"), Direction::RecvOnly, 422,
         "bundle_required"},
        {"no fingerprint", without(chrome, "a=fingerprint"), Direction::RecvOnly, 422,
         "dtls_fingerprint_required"},
        {"no ICE credentials", without(chrome, "a=ice-pwd"), Direction::RecvOnly, 422,
         "ice_credentials_required"},
        {"VP8 only", without(chrome, "a=rtpmap:(102|108|116) "), Direction::RecvOnly, 406,
         "unsupported_codec"},
        {"no Opus", without(chrome, "a=rtpmap:111 "), Direction::RecvOnly, 406,
         "unsupported_codec"},
        {"recvonly offer to WHIP", fixture("chromium-recvonly.sdp"), Direction::RecvOnly, 422,
         "bad_direction"},
        {"sendonly offer to WHEP", chrome, Direction::SendOnly, 422, "bad_direction"},
        {"DTLS passive", std::regex_replace(chrome, std::regex("setup:actpass"), "setup:passive"),
         Direction::RecvOnly, 422, "dtls_setup_unsupported"},
        {"no mid", without(chrome, "a=mid:"), Direction::RecvOnly, 400, "bad_sdp"},
        {"only a data channel",
         "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP "
         "webrtc-datachannel\r\na=mid:0\r\n",
         Direction::RecvOnly, 422, "no_media"},
        {"not SDP", "hello world", Direction::RecvOnly, 400, "bad_sdp"},
        {"empty", "", Direction::RecvOnly, 400, "bad_sdp"},
        {"version 1", "v=1\r\n", Direction::RecvOnly, 400, "bad_sdp"},
        {"bad port", "v=0\r\nm=video x UDP/TLS/RTP/SAVPF 96\r\n", Direction::RecvOnly, 400,
         "bad_sdp"},
        {"bad PT", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 300\r\n", Direction::RecvOnly, 400,
         "bad_sdp"},
        {"bad rtpmap", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 H264\r\n",
         Direction::RecvOnly, 400, "bad_sdp"},
        {"bad extmap", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=extmap:0 urn:x\r\n",
         Direction::RecvOnly, 400, "bad_sdp"},
    };
    for (const auto& c : cases) {
        std::string code;
        EXPECT_EQ(statusOf(c.sdp, c.want, &code), c.status) << c.what;
        EXPECT_EQ(code, c.code) << c.what;
    }
}

TEST(Sdp, TrickleFragment) {
    auto f = rtc::parseSdpFragment(
        "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\n"
        "a=mid:0\r\na=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 "
        "ufrag EsAw network-id 1\r\na=candidate:3471623853 1 tcp 1518280447 192.0.2.1 9 typ host "
        "tcptype active\r\na=end-of-candidates\r\n");
    EXPECT_EQ(f.iceUfrag, "EsAw");
    EXPECT_EQ(f.icePwd, "P2uYro0UCOQ4zxjKXaWCBui1");
    ASSERT_EQ(f.candidates.size(), 2u);
    EXPECT_EQ(f.candidates[0].address, "192.0.2.1");
    EXPECT_EQ(f.candidates[0].port, 61764);
    EXPECT_EQ(f.candidates[0].mid, "0");
    EXPECT_EQ(f.candidates[1].transport, "tcp");
    EXPECT_EQ(f.candidates[1].tcpType, "active");
    EXPECT_TRUE(f.endOfCandidates);

    EXPECT_THROW(rtc::parseSdpFragment("a=candidate:1 1 udp notanumber 1.2.3.4 5 typ host\r\n"),
                 OfferError);
    EXPECT_THROW(rtc::parseSdpFragment("a=ice-ufrag:only\r\n"), OfferError);
    EXPECT_THROW(rtc::parseSdpFragment("garbage\r\n"), OfferError);

    auto ans = rtc::buildSdpFragment(local(), "0");
    auto back = rtc::parseSdpFragment(ans);
    EXPECT_EQ(back.iceUfrag, "srvU");
    EXPECT_EQ(back.candidates.size(), 2u);
    EXPECT_TRUE(back.endOfCandidates);
}

TEST(Sdp, CandidatePriorities) {
    EXPECT_GT(rtc::hostCandidatePriority(false, 0), rtc::hostCandidatePriority(false, 1));
    EXPECT_GT(rtc::hostCandidatePriority(false, 5), rtc::hostCandidatePriority(true, 0));
}

}  // namespace
