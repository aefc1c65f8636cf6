// A transport frees its DTLS state (SSL) as soon as the peer proves it finished the
// handshake: its first SRTP/SRTCP packet that authenticates with the exported keys. Before
// that the SSL is kept (a peer that lost our last flight retransmits its own, and must get
// ours again); a packet that does not authenticate proves nothing.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <thread>

#include "TransportTestPeer.hpp"
#include "rtc/PortDemux.hpp"
#include "rtc/TransportHost.hpp"

using namespace std::chrono_literals;
using rtctest::RecordingListener;
using rtctest::TestPeer;

namespace {

// Two in-process endpoints that record what they send instead of sending it.
struct Side : rtc::DtlsTransport::Listener {
    std::deque<std::vector<uint8_t>> sent;
    bool connected = false;
    void onDtlsSend(const uint8_t* d, size_t n) override { sent.emplace_back(d, d + n); }
    void onDtlsConnected(const rtc::SrtpKeyMaterial&) override { connected = true; }
    void onDtlsFailed(const char*) override {}
    void onDtlsClosed() override {}
};

void deliver(Side& from, rtc::DtlsTransport& to) {
    while (!from.sent.empty()) {
        auto p = std::move(from.sent.front());
        from.sent.pop_front();
        to.onPacket(p.data(), p.size());
    }
}

TEST(DtlsEarlyRelease, LostFinalFlightIsRetransmittedUntilThePeerProvesItHasTheKeys) {
    rtc::DtlsCertificate serverCert, clientCert;
    rtc::DtlsContext serverCtx(serverCert);
    rtc::DtlsContext clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    Side s, c;
    rtc::DtlsTransport server(serverCtx, "sha-256", clientCert.fingerprintSha256(), &s);
    rtc::DtlsTransport client(clientCtx, "sha-256", serverCert.fingerprintSha256(), &c);
    server.peerHasKeys();  // before the handshake: nothing to free, nothing breaks
    EXPECT_FALSE(server.released());

    client.startClient();
    // ClientHello -> server flight -> client's last flight -> the server is connected.
    for (int i = 0; i < 10; ++i) {
        deliver(c, server);
        if (server.connected()) break;
        deliver(s, client);
    }
    ASSERT_TRUE(server.connected());
    ASSERT_FALSE(s.sent.empty());  // our ChangeCipherSpec + Finished ...
    s.sent.clear();                // ... is lost
    EXPECT_FALSE(client.connected());
    EXPECT_FALSE(server.released());
    EXPECT_GT(server.timeoutMs(), 20000);  // only the 30 s fallback is armed

    // The client's retransmission timer (1 s in OpenSSL) resends its last flight.
    for (int i = 0; i < 50 && c.sent.empty(); ++i) {
        const long t = client.timeoutMs();
        std::this_thread::sleep_for(std::chrono::milliseconds(t > 0 ? t + 5 : 20));
        client.onTimeout();
    }
    ASSERT_FALSE(c.sent.empty());
    deliver(c, server);
    ASSERT_FALSE(s.sent.empty()) << "the server must still answer with its last flight";
    deliver(s, client);
    EXPECT_TRUE(client.connected());

    server.peerHasKeys();
    EXPECT_TRUE(server.released());
    EXPECT_EQ(server.timeoutMs(), -1);
    EXPECT_TRUE(server.connected());
}

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
