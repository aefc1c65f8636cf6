// The transport stack over real sockets on loopback: two workers sharing one UDP/TCP port,
// STUN checks answered with integrity by whichever worker owns the session, ICE-TCP
// framing, a DTLS 1.2 handshake with an OpenSSL client, SRTP both ways, consent expiry.
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

rtc::EngineOptions loopbackOptions(std::chrono::milliseconds consent = 30s) {
    rtc::EngineOptions o;
    o.port = 0;
    o.listenIps = {"127.0.0.1"};
    o.workers = 2;
    o.consentTimeout = consent;
    return o;
}

// A server transport on a given worker with its listener; destroyed on that worker.
struct Session {
    Session(rtc::TransportHost& host, unsigned worker, const rtc::RemoteIceDtls& remote)
        : host(host), worker(worker) {
        host.worker(worker).runSync(
            [&] { transport = host.createTransport(worker, remote, &listener); });
        ufrag = transport->localUfrag();
        pwd = transport->localPwd();
    }
    ~Session() {
        host.worker(worker).runSync([&] { transport.reset(); });
    }
    template <typename F>
    auto onWorker(F f) {
        decltype(f()) r{};
        host.worker(worker).runSync([&] { r = f(); });
        return r;
    }
    rtc::TransportHost& host;
    unsigned worker;
    RecordingListener listener;
    std::unique_ptr<rtc::WebRtcTransport> transport;
    std::string ufrag, pwd;
};

rtc::RemoteIceDtls remoteFor(const std::string& fingerprint) {
    rtc::RemoteIceDtls r;
    r.iceUfrag = "cli1";
    r.icePwd = "client-password-0123456789";
    r.fingerprint = fingerprint;
    return r;
}

rtc::SocketAddress serverAddress(const rtc::TransportHost& host) {
    return rtc::SocketAddress::parse("127.0.0.1", host.port());
}

uint64_t sumHandoffs(rtc::TransportHost& host) {
    uint64_t n = 0;
    for (unsigned i = 0; i < host.workerCount(); ++i) {
        host.worker(i).runSync([&] { n += host.demux(i).counters().handoffsOut; });
    }
    return n;
}

TEST(TransportHost, CandidatesAndFingerprint) {
    rtc::TransportHost host(loopbackOptions());
    ASSERT_NE(host.port(), 0);
    ASSERT_EQ(host.candidates().size(), 2u);  // udp + tcp passive for 127.0.0.1
    EXPECT_EQ(host.candidates()[0].toSdp(), "candidate:1 1 udp 2130706431 127.0.0.1 " +
                                                std::to_string(host.port()) + " typ host");
    EXPECT_NE(host.candidates()[1].toSdp().find("tcp"), std::string::npos);
    EXPECT_NE(host.candidates()[1].toSdp().find("tcptype passive"), std::string::npos);
    EXPECT_LT(host.candidates()[1].priority, host.candidates()[0].priority);
    EXPECT_EQ(host.fingerprint().size(), 32u * 3 - 1);  // sha-256 as AB:CD:..
    EXPECT_NE(host.metricsText().find("cb_rtc_worker_busy_seconds_total{worker=\"1\"}"),
              std::string::npos);
}

TEST(TransportHost, PublicIpBecomesACandidate) {
    auto o = loopbackOptions();
    o.publicIp = "203.0.113.7";
    rtc::TransportHost host(o);
    bool found = false;
    for (auto& c : host.candidates()) found = found || c.ip == "203.0.113.7";
    EXPECT_TRUE(found);
}

// Many client sockets, sessions on both workers: whichever worker the kernel hashes a
// client to, the owning worker answers, with a valid integrity and the mapped address.
TEST(TransportHost, StunAnsweredByOwningWorkerAcrossTwoWorkersOnOnePort) {
    rtc::TransportHost host(loopbackOptions());
    rtc::DtlsCertificate clientCert;
    Session s0(host, 0, remoteFor(clientCert.fingerprintSha256()));
    Session s1(host, 1, remoteFor(clientCert.fingerprintSha256()));
    int answered = 0;
    for (int i = 0; i < 24; ++i) {
        Session& s = (i % 2) ? s1 : s0;
        TestPeer peer(serverAddress(host));
        auto resp = peer.check(s.ufrag, s.pwd, "cli1", true);
        ASSERT_TRUE(resp) << "no answer for client " << i;
        EXPECT_EQ(resp->cls(), rtc::StunClass::Success);
        EXPECT_TRUE(resp->verifyIntegrity(s.pwd));
        EXPECT_TRUE(resp->hasFingerprint());
        ASSERT_TRUE(resp->xorMappedAddress());
        auto local = peer.localAddress();
        EXPECT_EQ(resp->xorMappedAddress()->toString(), local.toString());
        ++answered;
        // The validated path is now that session's: later packets route by address.
        EXPECT_EQ(s.onWorker([&] { return s.transport->selectedRemote(); }), local.toString());
    }
    EXPECT_EQ(answered, 24);
    // 24 clients hashed over 2 sockets: some land on the other worker (p(no) = 2^-24).
    EXPECT_GT(sumHandoffs(host), 0u);
}

TEST(TransportHost, BadCredentialsGet401AndNoPath) {
    rtc::TransportHost host(loopbackOptions());
    rtc::DtlsCertificate clientCert;
    Session s(host, 0, remoteFor(clientCert.fingerprintSha256()));
    TestPeer peer(serverAddress(host));
    auto resp = peer.check(s.ufrag, "wrong-password-wrong-password", "cli1", true, 10s);
    ASSERT_TRUE(resp);
    EXPECT_EQ(resp->cls(), rtc::StunClass::Error);
    EXPECT_EQ(resp->errorCode(), 401);
    // Wrong remote ufrag in USERNAME: also refused.
    auto resp2 = peer.check(s.ufrag, s.pwd, "someone-else", true, 10s);
    ASSERT_TRUE(resp2);
    EXPECT_EQ(resp2->errorCode(), 401);
    EXPECT_EQ(s.onWorker([&] { return s.transport->selectedRemote(); }), "");
    EXPECT_EQ(s.onWorker([&] { return s.transport->counters().stunInvalid; }), 2u);
}

TEST(TransportHost, UnknownUfragIsIgnored) {
    rtc::TransportHost host(loopbackOptions());
    TestPeer peer(serverAddress(host));
    EXPECT_FALSE(peer.check("nosuchufrag", "pwd-pwd-pwd-pwd-pwd-pwd", "cli1", true, 1500ms));
}

// Full stack: STUN, DTLS 1.2 handshake against an OpenSSL client, SRTP both directions.
void connectAndExchange(bool tcp, rtc::SrtpProfile profile) {
    rtc::TransportHost host(loopbackOptions());
    rtc::DtlsCertificate clientCert;
    rtc::DtlsContext clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    // The client offers only the profile under test (Chromium offers AES_CM only).
    ASSERT_EQ(
        SSL_CTX_set_tlsext_use_srtp(clientCtx.get(), profile == rtc::SrtpProfile::AeadAes128Gcm
                                                         ? "SRTP_AEAD_AES_128_GCM"
                                                         : "SRTP_AES128_CM_SHA1_80"),
        0);
    for (unsigned w = 0; w < 2; ++w) {
        Session s(host, w, remoteFor(clientCert.fingerprintSha256()));
        TestPeer peer(serverAddress(host), tcp);
        auto resp = peer.check(s.ufrag, s.pwd, "cli1", true);
        ASSERT_TRUE(resp);
        ASSERT_EQ(resp->cls(), rtc::StunClass::Success);
        ASSERT_TRUE(peer.handshake(clientCtx, host.fingerprint()));
        ASSERT_TRUE(s.listener.waitFor([&] { return s.listener.connected; }));
        EXPECT_EQ(peer.keys()->profile, profile);
        EXPECT_EQ(s.onWorker([&] { return s.transport->srtpProfile(); }), peer.keys()->profile);
        EXPECT_EQ(s.onWorker([&] { return s.transport->selectedIsTcp(); }), tcp);

        // Client -> server: decrypted bytes equal what was sent.
        std::vector<std::vector<uint8_t>> sent;
        for (uint16_t seq = 1; seq <= 20; ++seq) {
            sent.push_back(rtctest::makeRtp(seq, 0x11223344, 200 + seq));
            auto srtp = peer.protect(sent.back());
            ASSERT_FALSE(srtp.empty());
            peer.sendRaw(srtp.data(), srtp.size());
        }
        ASSERT_TRUE(s.listener.waitFor([&] { return s.listener.rtp.size() >= (tcp ? 20u : 15u); }))
            << "got " << s.listener.rtp.size();
        {
            std::lock_guard lock(s.listener.mutex);
            for (auto& got : s.listener.rtp) {
                uint16_t seq = static_cast<uint16_t>((got[2] << 8) | got[3]);
                ASSERT_GE(seq, 1);
                ASSERT_LE(seq, 20);
                EXPECT_EQ(got, sent[seq - 1]);
            }
        }
        // Tampered SRTP is rejected and counted.
        auto bad = peer.protect(rtctest::makeRtp(100, 0x11223344, 100));
        bad[20] ^= 0xFF;
        peer.sendRaw(bad.data(), bad.size());
        std::this_thread::sleep_for(200ms);

        // Server -> client: sendRtp protects into the send batch; the client decrypts.
        auto plain = rtctest::makeRtp(500, 0x55667788, 1000);
        std::vector<uint8_t> rtcpPlain = {0x80, 201, 0, 1, 0x55, 0x66, 0x77, 0x88};  // RR
        int received = 0, receivedRtcp = 0;
        auto deadline = std::chrono::steady_clock::now() + 20s;
        while ((received == 0 || receivedRtcp == 0) &&
               std::chrono::steady_clock::now() < deadline) {
            bool ok = false;
            s.host.worker(w).runSync([&] {
                ok = s.transport->sendRtp(plain.data(), plain.size()) &&
                     s.transport->sendRtcp(rtcpPlain.data(), rtcpPlain.size());
            });
            ASSERT_TRUE(ok);
            while (auto pkt = peer.receive(200ms)) {
                if (rtc::DtlsTransport::isDtls(pkt->data(), pkt->size())) {
                    // A retransmitted handshake flight may still arrive: DTLS handles it.
                    peer.dtls()->onPacket(pkt->data(), pkt->size());
                    continue;
                }
                bool isRtcp = (*pkt)[1] >= 192 && (*pkt)[1] <= 223;
                auto dec = peer.unprotect(*pkt, isRtcp);
                ASSERT_TRUE(dec) << "client could not unprotect " << pkt->size() << " bytes, first "
                                 << int((*pkt)[0]) << "/" << int((*pkt)[1]) << " worker " << w;
                if (isRtcp) {
                    EXPECT_EQ(*dec, rtcpPlain);
                    ++receivedRtcp;
                } else {
                    EXPECT_EQ(*dec, plain);
                    ++received;
                }
                plain = rtctest::makeRtp(static_cast<uint16_t>(501 + received), 0x55667788, 1000);
            }
        }
        EXPECT_GT(received, 0);
        EXPECT_GT(receivedRtcp, 0);
        auto c = s.onWorker([&] { return s.transport->counters(); });
        EXPECT_GE(c.packetsIn, 15u);
        EXPECT_GE(c.srtpErrors, 1u);
        EXPECT_GE(c.packetsOut, 2u);
    }
}

TEST(TransportHost, DtlsAndSrtpAesCmOverUdp) {
    connectAndExchange(false, rtc::SrtpProfile::AesCm128HmacSha1_80);
}
TEST(TransportHost, DtlsAndSrtpGcmOverUdp) {
    connectAndExchange(false, rtc::SrtpProfile::AeadAes128Gcm);
}
TEST(TransportHost, DtlsAndSrtpAesCmOverIceTcp) {
    connectAndExchange(true, rtc::SrtpProfile::AesCm128HmacSha1_80);
}

// Both ends of one handshake export the same keys, mirrored (RFC 5764 §4.2).
TEST(DtlsTransport, ExportedKeysMatchOnBothSides) {
    rtc::DtlsCertificate serverCert, clientCert;
    rtc::DtlsContext serverCtx(serverCert), clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    struct Side : rtc::DtlsTransport::Listener {
        std::vector<std::vector<uint8_t>> out;
        std::optional<rtc::SrtpKeyMaterial> keys;
        void onDtlsSend(const uint8_t* d, size_t n) override { out.emplace_back(d, d + n); }
        void onDtlsConnected(const rtc::SrtpKeyMaterial& k) override { keys = k; }
        void onDtlsFailed(const char*) override {}
        void onDtlsClosed() override {}
    } s, c;
    rtc::DtlsTransport server(serverCtx, "sha-256", clientCert.fingerprintSha256(), &s);
    rtc::DtlsTransport client(clientCtx, "SHA-256", serverCert.fingerprintSha256(), &c);
    client.startClient();
    for (int round = 0; round < 20 && !(s.keys && c.keys); ++round) {
        auto toServer = std::move(c.out);
        c.out.clear();
        for (auto& d : toServer) server.onPacket(d.data(), d.size());
        auto toClient = std::move(s.out);
        s.out.clear();
        for (auto& d : toClient) client.onPacket(d.data(), d.size());
    }
    ASSERT_TRUE(s.keys && c.keys);
    EXPECT_EQ(s.keys->profile, c.keys->profile);
    EXPECT_EQ(s.keys->localKey, c.keys->remoteKey);
    EXPECT_EQ(s.keys->localSalt, c.keys->remoteSalt);
    EXPECT_EQ(s.keys->remoteKey, c.keys->localKey);
    EXPECT_EQ(s.keys->remoteSalt, c.keys->localSalt);
    EXPECT_NE(s.keys->localKey, s.keys->remoteKey);
    EXPECT_EQ(s.keys->localKey.size(), 16u);
    EXPECT_TRUE(server.connected() && client.connected());
    // close_notify reaches the other side.
    client.close();
    for (auto& d : c.out) server.onPacket(d.data(), d.size());
    EXPECT_FALSE(server.connected());
}

TEST(TransportHost, WrongPeerFingerprintFailsDtlsAndClosesTransport) {
    rtc::TransportHost host(loopbackOptions());
    rtc::DtlsCertificate clientCert, otherCert;
    rtc::DtlsContext clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    Session s(host, 0, remoteFor(otherCert.fingerprintSha256()));
    TestPeer peer(serverAddress(host));
    ASSERT_TRUE(peer.check(s.ufrag, s.pwd, "cli1", true));
    peer.handshake(clientCtx, host.fingerprint(), 5s);
    ASSERT_TRUE(s.listener.waitFor([&] { return s.listener.closedReason.has_value(); }));
    EXPECT_NE(s.listener.closedReason->find("dtls"), std::string::npos) << *s.listener.closedReason;
    EXPECT_FALSE(s.listener.connected);
    EXPECT_EQ(s.onWorker([&] { return s.transport->counters().dtlsFailures; }), 1u);
}

TEST(TransportHost, ClientRejectsServerWithWrongFingerprint) {
    rtc::TransportHost host(loopbackOptions());
    rtc::DtlsCertificate clientCert, otherCert;
    rtc::DtlsContext clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    Session s(host, 1, remoteFor(clientCert.fingerprintSha256()));
    TestPeer peer(serverAddress(host));
    ASSERT_TRUE(peer.check(s.ufrag, s.pwd, "cli1", true));
    EXPECT_FALSE(peer.handshake(clientCtx, otherCert.fingerprintSha256(), 10s));
    EXPECT_TRUE(peer.dtlsFailed());
}

TEST(TransportHost, ConsentTimeoutClosesSilentPeer) {
    rtc::TransportHost host(loopbackOptions(4s));
    rtc::DtlsCertificate clientCert;
    rtc::DtlsContext clientCtx(clientCert, rtc::DtlsContext::Role::Client);
    Session s(host, 0, remoteFor(clientCert.fingerprintSha256()));
    TestPeer peer(serverAddress(host));
    ASSERT_TRUE(peer.check(s.ufrag, s.pwd, "cli1", true));
    ASSERT_TRUE(peer.handshake(clientCtx, host.fingerprint()));
    ASSERT_TRUE(s.listener.waitFor([&] { return s.listener.connected; }));
    // A last check refreshes consent; from then on the peer is silent and must be
    // dropped no earlier than the timeout after it.
    auto lastCheck = std::chrono::steady_clock::now();
    ASSERT_TRUE(peer.check(s.ufrag, s.pwd, "cli1", false));
    ASSERT_TRUE(s.listener.waitFor([&] { return s.listener.closedReason.has_value(); }, 40s));
    EXPECT_EQ(*s.listener.closedReason, "ICE consent expired");
    EXPECT_GE(std::chrono::steady_clock::now() - lastCheck, 4s);
    EXPECT_TRUE(s.onWorker([&] { return s.transport->closed(); }));
    // Closed means unrouted: a new check from the same peer is not answered.
    EXPECT_FALSE(peer.check(s.ufrag, s.pwd, "cli1", true, 1500ms));
}

TEST(TransportHost, ConsentKeptWhileChecksContinue) {
    rtc::TransportHost host(loopbackOptions(3s));
    rtc::DtlsCertificate clientCert;
    Session s(host, 1, remoteFor(clientCert.fingerprintSha256()));
    TestPeer peer(serverAddress(host));
    // Longer than the timeout, checks well within it (margins for a loaded machine).
    auto end = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < end) {
        ASSERT_TRUE(peer.check(s.ufrag, s.pwd, "cli1", true));
        std::this_thread::sleep_for(250ms);
    }
    std::lock_guard lock(s.listener.mutex);
    EXPECT_FALSE(s.listener.closedReason.has_value());
}

}  // namespace
