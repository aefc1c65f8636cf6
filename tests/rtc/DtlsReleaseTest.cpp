// DtlsTransport frees its SSL some time after the handshake (memory per subscriber) and still
// ends the session properly: the close_notify it prepared is accepted by a real OpenSSL peer,
// and the peer's close_notify still closes it.
#include <gtest/gtest.h>

#include <deque>
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

// Delivers what each side sent to the other until both are quiet.
void pump(Side& a, DtlsTransport& ta, Side& b, DtlsTransport& tb) {
    for (int i = 0; i < 100 && (!a.sent.empty() || !b.sent.empty()); ++i) {
        while (!a.sent.empty()) {
            auto p = std::move(a.sent.front());
            a.sent.pop_front();
            tb.onPacket(p.data(), p.size());
        }
        while (!b.sent.empty()) {
            auto p = std::move(b.sent.front());
            b.sent.pop_front();
            ta.onPacket(p.data(), p.size());
        }
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

}  // namespace
