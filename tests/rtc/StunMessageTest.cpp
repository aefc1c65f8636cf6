#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "rtc/PacketClassifier.hpp"
#include "rtc/StunMessage.hpp"

namespace {

using rtc::StunAddress;
using rtc::StunClass;
using rtc::StunMessage;

std::vector<uint8_t> hex(const char* s) {
    std::vector<uint8_t> out;
    int hi = -1;
    for (; *s; ++s) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else
            continue;
        if (hi < 0)
            hi = v;
        else
            out.push_back(static_cast<uint8_t>(hi << 4 | v)), hi = -1;
    }
    return out;
}

// RFC 5769 §2.1 sample request (short-term credentials).
const std::vector<uint8_t> kRfc5769Request =
    hex("00010058 2112a442 b7e7a701 bc34d686 fa87dfae 80220010 5354554e 20746573 7420636c"
        "69656e74 00240004 6e0001ff 80290008 932ff9b1 51263b36 00060009 6576746a 3a683676"
        "59202020 00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2 80280004 e57a3bcf");
// RFC 5769 §2.2 sample IPv4 response.
const std::vector<uint8_t> kRfc5769Response4 =
    hex("0101003c 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220"
        "00200008 0001a147 e112a643 00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7"
        "80280004 c07d4c96");
// RFC 5769 §2.3 sample IPv6 response.
const std::vector<uint8_t> kRfc5769Response6 =
    hex("01010048 2112a442 b7e7a701 bc34d686 fa87dfae 8022000b 74657374 20766563 746f7220"
        "00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9 00080014 a382954e 4be67bf1"
        "1784c97c 8292c275 bfe3ed41 80280004 c8fb0b4c");
const char* kRfc5769Password = "VOkJxbRl1RmTxUk/WvJxBt";

TEST(StunMessage, ParsesRfc5769Request) {
    auto m = StunMessage::parse(kRfc5769Request.data(), kRfc5769Request.size());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->method(), rtc::kStunMethodBinding);
    EXPECT_EQ(m->cls(), StunClass::Request);
    EXPECT_EQ(*m->username(), "evtj:h6vY");
    EXPECT_EQ(m->usernameLocalPart(), "evtj");
    EXPECT_EQ(*m->priority(), 0x6e0001ffu);
    EXPECT_EQ(*m->iceControlled(), 0x932ff9b151263b36ull);
    EXPECT_FALSE(m->iceControlling());
    EXPECT_FALSE(m->useCandidate());
    EXPECT_TRUE(m->hasFingerprint());
    EXPECT_TRUE(m->verifyIntegrity(kRfc5769Password));
    EXPECT_FALSE(m->verifyIntegrity("wrong-password"));
}

TEST(StunMessage, ParsesRfc5769Responses) {
    auto m4 = StunMessage::parse(kRfc5769Response4.data(), kRfc5769Response4.size());
    ASSERT_TRUE(m4);
    EXPECT_EQ(m4->cls(), StunClass::Success);
    EXPECT_TRUE(m4->verifyIntegrity(kRfc5769Password));
    ASSERT_TRUE(m4->xorMappedAddress());
    EXPECT_EQ(m4->xorMappedAddress()->toString(), "192.0.2.1:32853");

    auto m6 = StunMessage::parse(kRfc5769Response6.data(), kRfc5769Response6.size());
    ASSERT_TRUE(m6);
    EXPECT_TRUE(m6->verifyIntegrity(kRfc5769Password));
    ASSERT_TRUE(m6->xorMappedAddress());
    EXPECT_EQ(m6->xorMappedAddress()->toString(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

TEST(StunMessage, RejectsCorruption) {
    // Flipping any single byte must make parse fail, the integrity check fail, or (when it
    // hits the FINGERPRINT type, turning it into an ignored attribute) drop the fingerprint.
    for (size_t i = 0; i < kRfc5769Request.size(); ++i) {
        auto bad = kRfc5769Request;
        bad[i] ^= 0x01;
        auto m = StunMessage::parse(bad.data(), bad.size());
        EXPECT_TRUE(!m || !m->verifyIntegrity(kRfc5769Password) || !m->hasFingerprint())
            << "byte " << i;
    }
}

TEST(StunMessage, RejectsMalformed) {
    auto v = kRfc5769Request;
    // Truncated, length mismatch, bad cookie, attribute overrunning the message.
    EXPECT_FALSE(StunMessage::parse(v.data(), v.size() - 4));
    EXPECT_FALSE(StunMessage::parse(v.data(), 19));
    auto badCookie = v;
    badCookie[4] = 0;
    EXPECT_FALSE(StunMessage::parse(badCookie.data(), badCookie.size()));
    // Header says 8 bytes of attributes; the attribute says 0x10 bytes of value.
    auto overrun = hex("00010008 2112a442 000000000000000000000000 80220010 00000000");
    EXPECT_FALSE(StunMessage::parse(overrun.data(), overrun.size()));
    // Attribute after FINGERPRINT.
    auto afterFp = rtc::StunWriter(1, StunClass::Request, {}).finish({}, true);
    afterFp.insert(afterFp.end(), {0x00, 0x25, 0x00, 0x00});
    afterFp[3] += 4;
    EXPECT_FALSE(StunMessage::parse(afterFp.data(), afterFp.size()));
    // Wrong-sized fixed attributes.
    auto badPrio = hex("00010008 2112a442 000000000000000000000000 00240002 00010000");
    EXPECT_FALSE(StunMessage::parse(badPrio.data(), badPrio.size()));
    // Length not a multiple of 4.
    auto odd = hex("00010002 2112a442 000000000000000000000000 0000");
    EXPECT_FALSE(StunMessage::parse(odd.data(), odd.size()));
}

TEST(StunMessage, BindingSuccessRoundTripV4AndV6) {
    rtc::StunTransactionId tx{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(50000);
    inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(65535);
    inet_pton(AF_INET6, "fe80::1:2", &in6.sin6_addr);
    for (const sockaddr* sa :
         {reinterpret_cast<const sockaddr*>(&in), reinterpret_cast<const sockaddr*>(&in6)}) {
        auto addr = StunAddress::fromSockaddr(sa);
        auto bytes = rtc::buildBindingSuccess(tx, addr, "localpwd");
        EXPECT_TRUE(rtc::isStun(bytes.data(), bytes.size()));
        EXPECT_EQ(rtc::classifyPacket(bytes.data(), bytes.size()), rtc::PacketKind::Stun);
        auto m = StunMessage::parse(bytes.data(), bytes.size());
        ASSERT_TRUE(m);
        EXPECT_EQ(m->cls(), StunClass::Success);
        EXPECT_EQ(m->transactionId(), tx);
        EXPECT_TRUE(m->hasFingerprint());
        EXPECT_TRUE(m->verifyIntegrity("localpwd"));
        EXPECT_FALSE(m->verifyIntegrity("localpwe"));
        ASSERT_TRUE(m->xorMappedAddress());
        EXPECT_EQ(*m->xorMappedAddress(), addr);
        sockaddr_storage ss;
        EXPECT_GT(addr.toSockaddr(ss), 0u);
        EXPECT_EQ(StunAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&ss)), addr);
    }
}

TEST(StunMessage, RequestAndErrorRoundTrip) {
    rtc::StunTransactionId tx{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
    auto req = rtc::buildBindingRequest(tx, "server:client", "serverpwd", 12345, 0xABCDEFull, true);
    auto m = StunMessage::parse(req.data(), req.size());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->cls(), StunClass::Request);
    EXPECT_EQ(m->usernameLocalPart(), "server");
    EXPECT_TRUE(m->useCandidate());
    EXPECT_EQ(*m->iceControlling(), 0xABCDEFull);
    EXPECT_EQ(*m->priority(), 12345u);
    EXPECT_TRUE(m->verifyIntegrity("serverpwd"));

    for (int code : {400, 401, 487}) {
        auto err = rtc::buildBindingError(tx, code, "Unauthorized");
        auto e = StunMessage::parse(err.data(), err.size());
        ASSERT_TRUE(e);
        EXPECT_EQ(e->cls(), StunClass::Error);
        EXPECT_EQ(*e->errorCode(), code);
        EXPECT_EQ(e->errorReason(), "Unauthorized");
        EXPECT_FALSE(e->hasMessageIntegrity());
    }
}

TEST(PacketClassifier, Rfc7983Ranges) {
    struct Case {
        std::vector<uint8_t> bytes;
        rtc::PacketKind kind;
    };
    std::vector<uint8_t> rtp(12, 0), rtcp(8, 0), dtls(13, 0), stun(20, 0);
    rtp[0] = 0x80, rtp[1] = 96;
    rtcp[0] = 0x80, rtcp[1] = 200;
    dtls[0] = 22;
    std::vector<uint8_t> rtpMarker = rtp;
    rtpMarker[1] = 0x80 | 111;
    const Case cases[] = {
        {rtp, rtc::PacketKind::Rtp},
        {rtpMarker, rtc::PacketKind::Rtp},
        {rtcp, rtc::PacketKind::Rtcp},
        {dtls, rtc::PacketKind::Dtls},
        {stun, rtc::PacketKind::Stun},
        {{0x80, 96}, rtc::PacketKind::Unknown},
        {{0x40, 0, 0, 0}, rtc::PacketKind::Unknown},
        {{}, rtc::PacketKind::Unknown},
    };
    for (const auto& c : cases)
        EXPECT_EQ(rtc::classifyPacket(c.bytes.data(), c.bytes.size()), c.kind)
            << rtc::toString(c.kind);
}

}  // namespace
