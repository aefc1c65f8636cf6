// A transport frees its DTLS state (SSL) as soon as the peer proves it finished the
// handshake: its first SRTP/SRTCP packet that authenticates with the exported keys; a packet
// that does not authenticate proves nothing. (That the SSL is kept until then, for a peer
// that lost our last flight: DtlsReleaseTest.cpp.)
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "TransportTestPeer.hpp"
#include "rtc/PortDemux.hpp"
#include "rtc/TransportHost.hpp"

using namespace std::chrono_literals;
using rtctest::RecordingListener;
using rtctest::TestPeer;

namespace {

// Over real UDP with the transport stack: a forged SRTCP keeps the SSL, the peer's first
// authenticated SRTCP (a receiver report, as a subscribing browser sends) frees it; the
// session then still ends with a close_notify the peer accepts.
TEST(DtlsEarlyRelease, FirstAuthenticatedSrtcpFreesTheSsl) {
    rtc::EngineOptions o;
    o.port = 0;
    o.listenIps = {"127.0.0.1"};
    o.workers = 1;
    rtc::TransportHost host(o);
    rtc::DtlsCertificate clientCert;
    rtc::DtlsContext clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    rtc::RemoteIceDtls remote;
    remote.iceUfrag = "cli1";
    remote.icePwd = "client-password-0123456789";
    remote.fingerprint = clientCert.fingerprintSha256();
    RecordingListener listener;
    std::unique_ptr<rtc::WebRtcTransport> transport;
    host.worker(0).runSync([&] { transport = host.createTransport(0, remote, &listener); });
    auto released = [&] {
        bool r = false;
        host.worker(0).runSync([&] { r = transport->dtlsReleased(); });
        return r;
    };

    TestPeer peer(rtc::SocketAddress::parse("127.0.0.1", host.port()));
    auto resp = peer.check(transport->localUfrag(), transport->localPwd(), "cli1", true);
    ASSERT_TRUE(resp);
    ASSERT_TRUE(peer.handshake(clientCtx, host.fingerprint()));
    ASSERT_TRUE(listener.waitFor([&] { return listener.connected; }));
    EXPECT_FALSE(released());

    // RR (PT 201) from SSRC 0x01020304 with no report blocks.
    const std::vector<uint8_t> rr = {0x80, 201, 0, 1, 1, 2, 3, 4};
    auto forged = peer.protect(rr, true);
    ASSERT_FALSE(forged.empty());
    forged[forged.size() - 1] ^= 0x5a;  // wrong authentication tag
    peer.sendRaw(forged.data(), forged.size());
    // The worker handles datagrams in order: once a later check is answered, the forged
    // packet has been processed.
    ASSERT_TRUE(peer.check(transport->localUfrag(), transport->localPwd(), "cli1", false));
    EXPECT_FALSE(released());
    uint64_t errors = 0;
    host.worker(0).runSync([&] { errors = transport->counters().srtpErrors; });
    EXPECT_GE(errors, 1u);

    auto good = peer.protect(rr, true);
    peer.sendRaw(good.data(), good.size());
    ASSERT_TRUE(listener.waitFor([&] { return !listener.rtcp.empty(); }));
    EXPECT_TRUE(released());

    // close_notify was prepared before the SSL went away and the client accepts it.
    host.worker(0).runSync([&] { transport->close(); });
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!peer.closeNotify() && std::chrono::steady_clock::now() < deadline) {
        auto pkt = peer.receive(200ms);
        if (pkt && rtc::DtlsTransport::isDtls(pkt->data(), pkt->size()))
            peer.dtls()->onPacket(pkt->data(), pkt->size());
    }
    EXPECT_TRUE(peer.closeNotify());
    host.worker(0).runSync([&] { transport.reset(); });
}

}  // namespace
