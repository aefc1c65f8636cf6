// Host candidates for every configured address, IPv4 and IPv6, and a STUN check answered
// over IPv6 on the shared port (real sockets on loopback).
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "TransportTestPeer.hpp"
#include "rtc/TransportHost.hpp"

using namespace std::chrono_literals;

namespace {

bool canBindV6Loopback() {
    const int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    auto a = rtc::SocketAddress::parse("::1", 0);
    const bool ok = ::bind(fd, a.sa(), a.len()) == 0;
    ::close(fd);
    return ok;
}

// A global (not loopback, not link-local) IPv6 address of this host, if any.
bool hasGlobalV6() {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return false;
    bool found = false;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6) continue;
        const auto* a = &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr;
        if (!IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_LINKLOCAL(a)) found = true;
    }
    freeifaddrs(list);
    return found;
}

}  // namespace

TEST(HostCandidates, ConfiguredIpv4AndIpv6AddressesEachGetUdpAndTcpCandidates) {
    if (!canBindV6Loopback()) GTEST_SKIP() << "no IPv6 loopback on this host";
    rtc::EngineOptions o;
    o.port = 0;
    o.listenIps = {"127.0.0.1", "::1"};
    o.workers = 1;
    o.publicIp = "198.51.100.9";
    rtc::TransportHost host(o);
    int v4Udp = 0, v4Tcp = 0, v6Udp = 0, v6Tcp = 0, pub = 0;
    for (const auto& c : host.candidates()) {
        EXPECT_EQ(c.port, host.port());
        if (c.ip == "127.0.0.1") ++(c.tcp ? v4Tcp : v4Udp);
        if (c.ip == "::1") ++(c.tcp ? v6Tcp : v6Udp);
        if (c.ip == "198.51.100.9") ++pub;
        if (c.ip == "::1") EXPECT_NE(c.toSdp().find(" ::1 "), std::string::npos) << c.toSdp();
    }
    EXPECT_EQ(v4Udp, 1);
    EXPECT_EQ(v4Tcp, 1);
    EXPECT_EQ(v6Udp, 1);
    EXPECT_EQ(v6Tcp, 1);
    EXPECT_EQ(pub, 2) << "--public-ip: UDP and TCP";

    // A check over IPv6 is answered with the IPv6 mapped address and integrity.
    rtc::DtlsCertificate clientCert;
    rtctest::RecordingListener listener;
    std::unique_ptr<rtc::WebRtcTransport> t;
    rtc::RemoteIceDtls remote;
    remote.iceUfrag = "cli1";
    remote.icePwd = "client-password-0123456789";
    remote.fingerprint = clientCert.fingerprintSha256();
    host.worker(0).runSync([&] { t = host.createTransport(0, remote, &listener); });
    const std::string ufrag = t->localUfrag(), pwd = t->localPwd();
    {
        rtctest::TestPeer peer(rtc::SocketAddress::parse("::1", host.port()));
        auto resp = peer.check(ufrag, pwd, "cli1", true);
        ASSERT_TRUE(resp);
        EXPECT_EQ(resp->cls(), rtc::StunClass::Success);
        EXPECT_TRUE(resp->verifyIntegrity(pwd));
        ASSERT_TRUE(resp->xorMappedAddress());
        EXPECT_EQ(resp->xorMappedAddress()->family, 6);
        EXPECT_EQ(resp->xorMappedAddress()->toString(), peer.localAddress().toString());
    }
    host.worker(0).runSync([&] { t.reset(); });
}

TEST(HostCandidates, WildcardListenAnnouncesGlobalIpv6Addresses) {
    if (!hasGlobalV6()) GTEST_SKIP() << "this host has no global IPv6 address";
    rtc::EngineOptions o;
    o.port = 0;  // listenIps empty: 0.0.0.0 and ::
    o.workers = 1;
    rtc::TransportHost host(o);
    bool v6 = false, loopback = false;
    for (const auto& c : host.candidates()) {
        const bool isV6 = c.ip.find(':') != std::string::npos;
        v6 = v6 || isV6;
        loopback = loopback || c.ip == "::1" || c.ip.rfind("127.", 0) == 0;
        EXPECT_NE(c.ip.rfind("fe80", 0), 0u) << "link-local is not announced";
    }
    EXPECT_TRUE(v6);
    EXPECT_FALSE(loopback) << "loopback only when nothing else exists or configured";
}
