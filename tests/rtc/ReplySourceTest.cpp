// A STUN check sent to one of the host's addresses is answered from that address, on a
// server listening on the wildcard default (as `classbridge serve` does). A client bound to
// loopback sends to the host's non-loopback address: a wildcard socket would answer from
// 127.0.0.1 (the kernel's route choice), which ICE agents drop as a source mismatch.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "rtc/StunMessage.hpp"
#include "rtc/TransportHost.hpp"
#include "rtc/WebRtcTransport.hpp"

using namespace std::chrono_literals;

namespace {

class NullListener : public rtc::WebRtcTransport::Listener {
public:
    void onTransportConnected() override {}
    void onRtp(uint8_t*, size_t) override {}
    void onRtcp(uint8_t*, size_t) override {}
    void onTransportClosed(const char*) override {}
};

// The first non-loopback, non-link-local local address of a family, or "".
std::string hostAddress(bool v6) {
    for (const auto& ip : rtc::localAddresses(false))
        if ((ip.find(':') != std::string::npos) == v6) return ip;
    return {};
}

struct Reply {
    rtc::SocketAddress from;
    std::optional<rtc::StunMessage> msg;
};

// Sends a Binding request from a socket bound to `clientIp` to `server` (retrying, UDP)
// and returns the first answer with the address it came from.
std::optional<Reply> check(const std::string& clientIp, const rtc::SocketAddress& server,
                           const std::string& username, const std::string& pwd) {
    auto local = rtc::SocketAddress::parse(clientIp, 0);
    int fd = ::socket(local.family(), SOCK_DGRAM, 0);
    if (fd < 0 || ::bind(fd, local.sa(), local.len()) != 0) return std::nullopt;
    std::optional<Reply> out;
    for (int attempt = 0; attempt < 40 && !out; ++attempt) {
        rtc::StunTransactionId tx{};
        for (auto& b : tx) b = static_cast<uint8_t>(std::rand());
        auto req = rtc::buildBindingRequest(tx, username, pwd, 0x6e7f00ff, 0x1234567890ULL, true);
        (void)!::sendto(fd, req.data(), req.size(), 0, server.sa(), server.len());
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 500) <= 0) continue;
        uint8_t buf[1500];
        sockaddr_storage ss{};
        socklen_t sl = sizeof(ss);
        ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&ss), &sl);
        if (n <= 0) continue;
        auto msg = rtc::StunMessage::parse(buf, static_cast<size_t>(n));
        if (!msg || msg->transactionId() != tx) continue;
        out = Reply{rtc::SocketAddress(reinterpret_cast<sockaddr*>(&ss), sl), std::move(msg)};
    }
    ::close(fd);
    return out;
}

void expectAnsweredFromDestination(bool v6) {
    const std::string target = hostAddress(v6);
    if (target.empty()) GTEST_SKIP() << "host has no non-loopback " << (v6 ? "IPv6" : "IPv4");
    rtc::EngineOptions o;
    o.port = 0;
    o.workers = 2;  // default listen addresses: the wildcard
    rtc::TransportHost host(o);
    NullListener listener;
    rtc::RemoteIceDtls remote;
    remote.iceUfrag = "cli1";
    remote.icePwd = "client-password-0123456789";
    remote.fingerprint = host.fingerprint();
    // One session per worker: whichever socket the kernel picks, one of them owns it.
    std::unique_ptr<rtc::WebRtcTransport> t[2];
    for (unsigned w = 0; w < 2; ++w)
        host.worker(w).runSync([&] { t[w] = host.createTransport(w, remote, &listener); });
    const auto server = rtc::SocketAddress::parse(target, host.port());
    for (unsigned w = 0; w < 2; ++w) {
        auto r =
            check(v6 ? "::1" : "127.0.0.1", server, t[w]->localUfrag() + ":cli1", t[w]->localPwd());
        ASSERT_TRUE(r) << "no answer from " << server.toString();
        EXPECT_EQ(r->msg->cls(), rtc::StunClass::Success);
        EXPECT_EQ(r->from.toString(), server.toString())
            << "a check sent to " << server.toString() << " was answered from another address";
    }
    for (unsigned w = 0; w < 2; ++w) host.worker(w).runSync([&] { t[w].reset(); });
}

}  // namespace

TEST(ReplySource, CheckToHostAddressIsAnsweredFromItOverIpv4) {
    expectAnsweredFromDestination(false);
}

TEST(ReplySource, CheckToHostAddressIsAnsweredFromItOverIpv6) {
    expectAnsweredFromDestination(true);
}
