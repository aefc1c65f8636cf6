#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "rtc/UdpSocket.hpp"

namespace rtc {
namespace {

SocketAddress any(const char* ip) {
    return SocketAddress::parse(ip, 0);
}

// IPv4 media sockets send with DF and no path-MTU tracking: IP ID 0 instead of the kernel's
// hashed per-destination ID, and no fragmentation of our sub-1,200-byte datagrams.
TEST(UdpSocket, Ipv4SocketsSetDontFragmentWithoutPmtuDiscovery) {
    UdpSocket s(any("127.0.0.1"), false);
    int mode = -1;
    socklen_t len = sizeof mode;
    ASSERT_EQ(getsockopt(s.fd(), IPPROTO_IP, IP_MTU_DISCOVER, &mode, &len), 0);
    EXPECT_EQ(mode, IP_PMTUDISC_PROBE);

    // A full-size media datagram still goes out and arrives whole.
    UdpSocket rx(any("127.0.0.1"), false);
    const SocketAddress to = rx.localAddress();
    std::vector<uint8_t> pkt(1200 + 16, 0x5A);
    ASSERT_EQ(sendto(s.fd(), pkt.data(), pkt.size(), 0, to.sa(), to.len()),
              static_cast<ssize_t>(pkt.size()));
    std::vector<uint8_t> got(2048);
    ssize_t n = -1;
    for (int i = 0; i < 200 && n < 0; ++i) {
        n = recv(rx.fd(), got.data(), got.size(), MSG_DONTWAIT);
        if (n < 0) usleep(5000);
    }
    EXPECT_EQ(n, static_cast<ssize_t>(pkt.size()));
}

}  // namespace
}  // namespace rtc
