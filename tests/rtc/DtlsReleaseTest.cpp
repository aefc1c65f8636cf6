// DtlsTransport frees its SSL some time after the handshake (memory per subscriber) and still
// ends the session properly: the close_notify it prepared is accepted by a real OpenSSL peer,
// and the peer's close_notify still closes it.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <thread>
#include <vector>

#include "rtc/DtlsCertificate.hpp"
#include "rtc/DtlsTransport.hpp"

namespace {

using rtc::DtlsTransport;

struct Side : DtlsTransport::Listener {
    std::deque<std::vector<uint8_t>> sent;
    bool connected = false, closed = false, failed = false;
    void onDtlsSend(const uint8_t* data, size_t len) override {
        sent.emplace_back(data, data + len);
    }
    void onDtlsConnected(const rtc::SrtpKeyMaterial&) override { connected = true; }
    void onDtlsFailed(const char*) override { failed = true; }
    void onDtlsClosed() override { closed = true; }
};

// Hands what `from` sent to `to`.
void deliver(Side& from, DtlsTransport& to) {
    while (!from.sent.empty()) {
        auto p = std::move(from.sent.front());
        from.sent.pop_front();
        to.onPacket(p.data(), p.size());
    }
}

// Delivers what each side sent to the other until both are quiet.
void pump(Side& a, DtlsTransport& ta, Side& b, DtlsTransport& tb) {
    for (int i = 0; i < 100 && (!a.sent.empty() || !b.sent.empty()); ++i) {
        deliver(a, tb);
        deliver(b, ta);
    }
}

struct Pair {
    rtc::DtlsCertificate serverCert, clientCert;
    rtc::DtlsContext serverCtx{serverCert}, clientCtx{clientCert, rtc::DtlsContext::Role::Client};
    Side s, c;
    DtlsTransport server{serverCtx, "sha-256", clientCert.fingerprintSha256(), &s};
    DtlsTransport client{clientCtx, "sha-256", serverCert.fingerprintSha256(), &c};
    Pair() {
        server.setReleaseAfterMs(0);
        client.startClient();
        pump(c, client, s, server);
    }
};

TEST(DtlsRelease, ServerFreesItsSslAfterTheHandshakeAndItsCloseNotifyIsValid) {
    Pair p;
    ASSERT_TRUE(p.server.connected());
    ASSERT_TRUE(p.client.connected());
    EXPECT_FALSE(p.server.released());
    EXPECT_EQ(p.server.timeoutMs(), 0);  // release due (delay 0 here, 30 s in service)
    p.server.onTimeout();
    EXPECT_TRUE(p.server.released());
    EXPECT_EQ(p.server.timeoutMs(), -1);
    EXPECT_TRUE(p.server.connected());

    p.server.close();
    ASSERT_FALSE(p.s.sent.empty());  // the prepared close_notify
    EXPECT_FALSE(p.c.closed);
    pump(p.s, p.server, p.c, p.client);
    EXPECT_TRUE(p.c.closed);  // OpenSSL accepted it: authentic, right epoch and sequence
}

TEST(DtlsRelease, PeerCloseNotifyStillClosesAReleasedTransport) {
    Pair p;
    p.server.onTimeout();
    ASSERT_TRUE(p.server.released());
    p.client.close();
    pump(p.c, p.client, p.s, p.server);
    EXPECT_TRUE(p.s.closed);
    EXPECT_FALSE(p.server.connected());
}

TEST(DtlsRelease, NotReleasedBeforeTheDelay) {
    Pair p;
    p.server.setReleaseAfterMs(DtlsTransport::kReleaseAfterMs);
    EXPECT_GT(p.server.timeoutMs(), 20000);
    p.server.onTimeout();  // early (e.g. a stale timer): nothing happens
    EXPECT_FALSE(p.server.released());
    // Not released: close_notify comes from the live SSL.
    p.server.close();
    pump(p.s, p.server, p.c, p.client);
    EXPECT_TRUE(p.c.closed);
}

// Until the peer proves it has the keys, the SSL stays: a peer that lost our last flight
// retransmits its own and must get ours again (the early release, peerHasKeys()).
TEST(DtlsEarlyRelease, LostFinalFlightIsRetransmittedUntilThePeerProvesItHasTheKeys) {
    rtc::DtlsCertificate serverCert, clientCert;
    rtc::DtlsContext serverCtx(serverCert);
    rtc::DtlsContext clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    Side s, c;
    DtlsTransport server(serverCtx, "sha-256", clientCert.fingerprintSha256(), &s);
    DtlsTransport client(clientCtx, "sha-256", serverCert.fingerprintSha256(), &c);
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

}  // namespace
