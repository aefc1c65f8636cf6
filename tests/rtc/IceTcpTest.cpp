// ICE-TCP (RFC 6544 passive, RFC 4571 framing) against real TCP sockets: a STUN request
// split across writes is reassembled; garbage closes that connection only.
#include <gtest/gtest.h>

#include <thread>

#include "TransportTestPeer.hpp"
#include "rtc/TransportHost.hpp"

using namespace std::chrono_literals;

namespace {

rtc::EngineOptions options() {
    return rtctest::loopbackEngineOptions();
}

struct TcpSession {
    TcpSession(rtc::TransportHost& host, unsigned w) : host(host), w(w) {
        rtc::RemoteIceDtls r;
        r.iceUfrag = "tcpc";
        r.icePwd = "tcp-client-password-01234";
        r.fingerprint = "00";
        host.worker(w).runSync([&] { t = host.createTransport(w, r, &listener); });
    }
    ~TcpSession() {
        host.worker(w).runSync([&] { t.reset(); });
    }
    rtc::TransportHost& host;
    unsigned w;
    rtctest::RecordingListener listener;
    std::unique_ptr<rtc::WebRtcTransport> t;
};

TEST(IceTcp, SplitFrameIsReassembledAndAnswered) {
    rtc::TransportHost host(options());
    for (unsigned w = 0; w < 2; ++w) {
        TcpSession s(host, w);
        rtctest::TestPeer peer(rtc::SocketAddress::parse("127.0.0.1", host.port()), true);
        ASSERT_TRUE(peer.tcpConnected());
        auto tx = rtctest::randomTx();
        auto req =
            rtc::buildBindingRequest(tx, s.t->localUfrag() + ":tcpc", s.t->localPwd(), 1, 2, true);
        std::vector<uint8_t> framed{static_cast<uint8_t>(req.size() >> 8),
                                    static_cast<uint8_t>(req.size())};
        framed.insert(framed.end(), req.begin(), req.end());
        // Length prefix split, then the body in two pieces with pauses between.
        size_t cuts[] = {1, 9, framed.size()};
        size_t pos = 0;
        for (size_t cut : cuts) {
            ASSERT_EQ(::send(peer.fd(), framed.data() + pos, cut - pos, MSG_NOSIGNAL),
                      static_cast<ssize_t>(cut - pos));
            pos = cut;
            std::this_thread::sleep_for(50ms);
        }
        auto resp = peer.receive(20s);
        ASSERT_TRUE(resp);
        auto msg = rtc::StunMessage::parse(resp->data(), resp->size());
        ASSERT_TRUE(msg);
        EXPECT_EQ(msg->transactionId(), tx);
        EXPECT_EQ(msg->cls(), rtc::StunClass::Success);
        EXPECT_TRUE(msg->verifyIntegrity(s.t->localPwd()));
        // Two checks in one write (two frames in one segment) are both answered.
        auto tx2 = rtctest::randomTx(), tx3 = rtctest::randomTx();
        auto r2 = rtc::buildBindingRequest(tx2, s.t->localUfrag() + ":tcpc", s.t->localPwd(), 1, 2,
                                           false);
        auto r3 = rtc::buildBindingRequest(tx3, s.t->localUfrag() + ":tcpc", s.t->localPwd(), 1, 2,
                                           false);
        std::vector<uint8_t> both;
        for (auto* r : {&r2, &r3}) {
            both.push_back(static_cast<uint8_t>(r->size() >> 8));
            both.push_back(static_cast<uint8_t>(r->size()));
            both.insert(both.end(), r->begin(), r->end());
        }
        ASSERT_EQ(::send(peer.fd(), both.data(), both.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(both.size()));
        auto a2 = peer.receive(20s), a3 = peer.receive(20s);
        ASSERT_TRUE(a2 && a3);
        EXPECT_EQ(rtc::StunMessage::parse(a2->data(), a2->size())->transactionId(), tx2);
        EXPECT_EQ(rtc::StunMessage::parse(a3->data(), a3->size())->transactionId(), tx3);
        bool tcpSelected = false;
        host.worker(w).runSync([&] { tcpSelected = s.t->selectedIsTcp(); });
        EXPECT_TRUE(tcpSelected);
    }
}

TEST(IceTcp, GarbageClosesOnlyThatConnection) {
    rtc::TransportHost host(options());
    TcpSession s(host, 0);
    auto server = rtc::SocketAddress::parse("127.0.0.1", host.port());
    rtctest::TestPeer good(server, true);
    ASSERT_TRUE(good.check(s.t->localUfrag(), s.t->localPwd(), "tcpc", true));

    rtctest::TestPeer garbage(server, true);
    const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ::send(garbage.fd(), junk, sizeof(junk) - 1, MSG_NOSIGNAL);
    EXPECT_FALSE(garbage.receive(20s));
    EXPECT_TRUE(garbage.tcpEof()) << "garbage connection was not closed";

    // A well-framed first frame that is not STUN also closes.
    rtctest::TestPeer notStun(server, true);
    auto rtp = rtctest::makeRtp(1, 1, 20);
    notStun.sendRaw(rtp.data(), rtp.size());
    EXPECT_FALSE(notStun.receive(20s));
    EXPECT_TRUE(notStun.tcpEof());

    // The good connection still works.
    ASSERT_TRUE(good.check(s.t->localUfrag(), s.t->localPwd(), "tcpc", true));
    EXPECT_NE(host.metricsText().find("cb_rtc_tcp_garbage_closed_total"), std::string::npos);
}

}  // namespace
