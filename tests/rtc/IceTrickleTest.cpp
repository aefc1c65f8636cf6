// WHIP/WHEP PATCH through the real MediaEngine: a trickle fragment (the current ufrag and
// pwd plus candidates, RFC 8840) must leave the ICE credentials alone, only a new ufrag
// restarts ICE. Checks come from a real UDP STUN client (TestPeer) over loopback.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "TransportTestPeer.hpp"
#include "rtc/MediaEngine.hpp"

using namespace std::chrono_literals;
using rtctest::TestPeer;

namespace {

std::string fixture(const std::string& name) {
    std::ifstream f(std::string(CB_SOURCE_DIR) + "/tests/rtc/fixtures/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// The value of the first "a=<key>:" line of an SDP (answer or fragment).
std::string attribute(const std::string& sdp, const std::string& key) {
    auto at = sdp.find("a=" + key + ":");
    if (at == std::string::npos) return {};
    at += key.size() + 3;
    return sdp.substr(at, sdp.find_first_of("\r\n", at) - at);
}

// The chromium-sendonly fixture's credentials (client side).
const std::string kClientUfrag = "B7WL";
const std::string kClientPwd = "14IPFcJSjRqHg9imR+Qla9yb";

std::string trickleFragment(const std::string& ufrag, const std::string& pwd) {
    return "a=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd +
           "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
           "a=candidate:1 1 udp 2122260223 127.0.0.1 61764 typ host\r\n";
}

}  // namespace

TEST(IceTrickle, TrickleFragmentKeepsCredentialsAndChecksAnswered) {
    rtc::MediaEngine engine(rtctest::loopbackEngineOptions());
    auto info = engine.publish("1", "teacher", fixture("chromium-sendonly.sdp"));
    const std::string ufrag = attribute(info.answerSdp, "ice-ufrag");
    const std::string pwd = attribute(info.answerSdp, "ice-pwd");
    ASSERT_FALSE(ufrag.empty());
    TestPeer peer(rtc::SocketAddress::parse("127.0.0.1", engine.port()));
    auto first = peer.check(ufrag, pwd, kClientUfrag, false, 10s);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->cls(), rtc::StunClass::Success);

    // What whip-client sends once it has gathered: same ufrag/pwd, a candidate. 204.
    EXPECT_EQ(engine.patch(info.id, trickleFragment(kClientUfrag, kClientPwd)), "");
    // The nomination after it must still be answered with the credentials of the answer.
    auto nominated = peer.check(ufrag, pwd, kClientUfrag, true, 10s);
    ASSERT_TRUE(nominated) << "check after a trickle PATCH went unanswered";
    EXPECT_EQ(nominated->cls(), rtc::StunClass::Success);
    EXPECT_TRUE(nominated->verifyIntegrity(pwd));
}

TEST(IceTrickle, NewUfragRestartsIceWithNewLocalCredentials) {
    rtc::MediaEngine engine(rtctest::loopbackEngineOptions());
    auto info = engine.publish("1", "teacher", fixture("chromium-sendonly.sdp"));
    const std::string ufrag = attribute(info.answerSdp, "ice-ufrag");
    const std::string pwd = attribute(info.answerSdp, "ice-pwd");
    TestPeer peer(rtc::SocketAddress::parse("127.0.0.1", engine.port()));
    ASSERT_TRUE(peer.check(ufrag, pwd, kClientUfrag, true, 10s));

    const std::string answer =
        engine.patch(info.id, trickleFragment("R3st", "restartpwdrestartpwd1234"));
    const std::string newUfrag = attribute(answer, "ice-ufrag");
    const std::string newPwd = attribute(answer, "ice-pwd");
    ASSERT_FALSE(newUfrag.empty()) << answer;
    EXPECT_NE(newUfrag, ufrag);
    auto fresh = peer.check(newUfrag, newPwd, "R3st", true, 10s);
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->cls(), rtc::StunClass::Success);
    // The old credentials are gone: such a check is dropped (no session has that ufrag).
    EXPECT_FALSE(peer.check(ufrag, pwd, kClientUfrag, true, 1500ms));
    // A trickle with the new ufrag is no second restart.
    EXPECT_EQ(engine.patch(info.id, trickleFragment("R3st", "restartpwdrestartpwd1234")), "");
    EXPECT_TRUE(peer.check(newUfrag, newPwd, "R3st", true, 10s));
}
