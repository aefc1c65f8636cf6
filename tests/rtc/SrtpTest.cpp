#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "SrtpTestPackets.hpp"
#include "rtc/ByteWriter.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/SrtpSession.hpp"
#include "rtc/SrtpUnprotector.hpp"

namespace {

using rtc::SrtpProfile;
using rtc::SrtpSession;
using srtptest::hex;
using srtptest::Keys;
using srtptest::makeRtp;
using srtptest::randomKeys;

// RFC 3711 Appendix B.3: key derivation.
TEST(Srtp, Rfc3711KeyDerivation) {
    auto key = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    auto salt = hex("0EC675AD498AFEEBB6960B3AABE6");
    uint8_t enc[16], auth[20], ses[14];
    ASSERT_TRUE(rtc::srtpDeriveKey(key.data(), salt.data(), 14, 0, enc, 16));
    ASSERT_TRUE(rtc::srtpDeriveKey(key.data(), salt.data(), 14, 1, auth, 20));
    ASSERT_TRUE(rtc::srtpDeriveKey(key.data(), salt.data(), 14, 2, ses, 14));
    EXPECT_EQ(std::vector<uint8_t>(enc, enc + 16), hex("C61E7A93744F39EE10734AFE3FF7A087"));
    EXPECT_EQ(std::vector<uint8_t>(ses, ses + 14), hex("30CBBC08863D8C85D49DB34A9AE1"));
    EXPECT_EQ(std::vector<uint8_t>(auth, auth + 20),
              hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

// RFC 3711 Appendix B.2: AES-CM keystream for session key/salt, SSRC 0, index 0 — the same
// counter the PRF uses with label 0, so srtpDeriveKey produces it.
TEST(Srtp, Rfc3711AesCmKeystream) {
    auto key = hex("2B7E151628AED2A6ABF7158809CF4F3C");
    auto salt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
    uint8_t ks[48];
    ASSERT_TRUE(rtc::srtpDeriveKey(key.data(), salt.data(), 14, 0, ks, sizeof ks));
    EXPECT_EQ(std::vector<uint8_t>(ks, ks + 48),
              hex("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
                  "41E95B3BB0A2E8DD477901E4FCA894C0"));
}

class SrtpCross : public ::testing::TestWithParam<SrtpProfile> {};

// Ours vs libsrtp, packet for packet, across the 16-bit sequence wrap (ROC 0 -> 1), several
// SSRCs interleaved, sizes 0..1200; libsrtp's receiver accepts every packet we protect.
TEST_P(SrtpCross, RtpMatchesLibsrtpByteForByte) {
    const SrtpProfile profile = GetParam();
    std::mt19937 rng(1234);
    Keys k = randomKeys(rng, profile);
    rtc::SrtpProtector ours(profile, k.key.data(), 16, k.salt.data(), k.salt.size());
    SrtpSession ref(profile, k.key.data(), 16, k.salt.data(), k.salt.size(),
                    SrtpSession::Direction::Outbound);
    SrtpSession rx(profile, k.key.data(), 16, k.salt.data(), k.salt.size(),
                   SrtpSession::Direction::Inbound);
    // Six SSRCs: more than the protector keeps inline (its overflow path is checked too).
    const uint32_t ssrcs[] = {0x11111111, 0xDEADBEEF, 7, 0x22222222, 8, 0x33333333};
    uint16_t seq[] = {65300, 100, 65535, 65400, 5, 65500};
    int wraps = 0;
    for (int i = 0; i < 3000; ++i) {
        const int s = i % 6;
        const size_t payload = (i * 37) % 1201;
        auto pkt =
            makeRtp(rng, ssrcs[s], seq[s], 90000u * i, payload, i % 4 == 0 ? 2 : 0, i % 5 == 0);
        if (seq[s] == 0) ++wraps;
        ++seq[s];
        std::vector<uint8_t> a = pkt, b = pkt;
        a.resize(pkt.size() + 16);
        b.resize(pkt.size() + 16);
        size_t la = pkt.size(), lb = pkt.size();
        ASSERT_TRUE(ours.protectRtp(a.data(), la, a.size()));
        ASSERT_TRUE(ref.protectRtp(b.data(), lb, b.size()));
        ASSERT_EQ(la, lb) << "packet " << i;
        ASSERT_EQ(0, std::memcmp(a.data(), b.data(), la)) << "packet " << i;
        ASSERT_EQ(la, pkt.size() + rtc::srtpRtpOverhead(profile));
        ASSERT_TRUE(rx.unprotectRtp(a.data(), la)) << "packet " << i;
        ASSERT_EQ(la, pkt.size());
        ASSERT_EQ(0, std::memcmp(a.data(), pkt.data(), la));
    }
    EXPECT_GE(wraps, 4);  // SSRCs 0, 2, 3 and 5 wrapped (ROC 1)
}

TEST_P(SrtpCross, LateResendKeepsRolloverCounter) {
    // After the wrap, a resend of seq 65530 (ROC 0) must be protected with ROC 0 as libsrtp
    // does; then the stream continues with ROC 1.
    const SrtpProfile profile = GetParam();
    std::mt19937 rng(99);
    Keys k = randomKeys(rng, profile);
    rtc::SrtpProtector ours(profile, k.key.data(), 16, k.salt.data(), k.salt.size());
    SrtpSession ref(profile, k.key.data(), 16, k.salt.data(), k.salt.size(),
                    SrtpSession::Direction::Outbound);
    for (uint32_t s : {65530u, 65531u, 65535u, 0u, 1u, 65530u, 2u, 65534u, 3u}) {
        auto pkt = makeRtp(rng, 42, static_cast<uint16_t>(s), s, 200, 0, false);
        auto a = pkt, b = pkt;
        a.resize(300), b.resize(300);
        size_t la = pkt.size(), lb = pkt.size();
        ASSERT_TRUE(ours.protectRtp(a.data(), la, a.size()));
        ASSERT_TRUE(ref.protectRtp(b.data(), lb, b.size()));
        ASSERT_EQ(la, lb);
        EXPECT_EQ(0, std::memcmp(a.data(), b.data(), la)) << "seq " << s;
    }
}

TEST_P(SrtpCross, RtcpMatchesLibsrtp) {
    const SrtpProfile profile = GetParam();
    std::mt19937 rng(77);
    Keys k = randomKeys(rng, profile);
    rtc::SrtpProtector ours(profile, k.key.data(), 16, k.salt.data(), k.salt.size());
    SrtpSession ref(profile, k.key.data(), 16, k.salt.data(), k.salt.size(),
                    SrtpSession::Direction::Outbound);
    SrtpSession rx(profile, k.key.data(), 16, k.salt.data(), k.salt.size(),
                   SrtpSession::Direction::Inbound);
    for (int i = 0; i < 200; ++i) {
        auto pkt = srtptest::makeRtcp(rng, i % 2 ? 0xCAFE : 0xF00D, i % 10);
        auto a = pkt, b = pkt;
        a.resize(pkt.size() + 32), b.resize(pkt.size() + 32);
        size_t la = pkt.size(), lb = pkt.size();
        ASSERT_TRUE(ours.protectRtcp(a.data(), la, a.size()));
        ASSERT_TRUE(ref.protectRtcp(b.data(), lb, b.size()));
        ASSERT_EQ(la, lb);
        ASSERT_EQ(0, std::memcmp(a.data(), b.data(), la)) << "rtcp " << i;
        ASSERT_TRUE(rx.unprotectRtcp(a.data(), la));
        ASSERT_EQ(0, std::memcmp(a.data(), pkt.data(), pkt.size()));
    }
}

TEST_P(SrtpCross, TamperedOrShortPacketsAreRejected) {
    const SrtpProfile profile = GetParam();
    std::mt19937 rng(5);
    Keys k = randomKeys(rng, profile);
    rtc::SrtpProtector tx(profile, k.key.data(), 16, k.salt.data(), k.salt.size());
    SrtpSession rx(profile, k.key.data(), 16, k.salt.data(), k.salt.size(),
                   SrtpSession::Direction::Inbound);
    auto pkt = makeRtp(rng, 1, 1, 1, 100, 0, false);
    pkt.resize(200);
    size_t len = 112;
    ASSERT_TRUE(tx.protectRtp(pkt.data(), len, pkt.size()));
    for (size_t i : {0ul, 5ul, 20ul, len - 1}) {
        auto bad = pkt;
        bad[i] ^= 0x40;
        size_t l = len;
        EXPECT_FALSE(rx.unprotectRtp(bad.data(), l)) << i;
    }
    size_t l = len;
    auto copy = pkt;
    EXPECT_TRUE(rx.unprotectRtp(copy.data(), l));
    l = len;
    copy = pkt;
    EXPECT_FALSE(rx.unprotectRtp(copy.data(), l));  // replay

    // Capacity and malformed input are refused without writing past the buffer.
    auto small = makeRtp(rng, 1, 2, 1, 10, 0, false);
    size_t sl = small.size();
    EXPECT_FALSE(tx.protectRtp(small.data(), sl, small.size()));
    EXPECT_EQ(sl, small.size());
    uint8_t junk[20] = {0x40};
    size_t jl = sizeof junk;
    EXPECT_FALSE(tx.protectRtp(junk, jl, sizeof junk));
    uint8_t ext[16] = {0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE, 0x00, 0x09};
    jl = sizeof ext;
    EXPECT_FALSE(tx.protectRtp(ext, jl, sizeof ext));  // extension longer than the packet
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpCross,
                         ::testing::Values(SrtpProfile::AesCm128HmacSha1_80,
                                           SrtpProfile::AeadAes128Gcm),
                         [](const auto& info) {
                             return info.param == SrtpProfile::AeadAes128Gcm ? "Gcm" : "AesCm";
                         });

TEST(Srtp, RejectsBadKeyMaterial) {
    uint8_t key[16] = {}, salt[14] = {};
    EXPECT_THROW(rtc::SrtpProtector(SrtpProfile::AeadAes128Gcm, key, 16, salt, 14),
                 std::invalid_argument);
    EXPECT_THROW(SrtpSession(SrtpProfile::None, key, 16, salt, 14, SrtpSession::Direction::Inbound),
                 std::invalid_argument);
    EXPECT_THROW(rtc::SrtpProtector(SrtpProfile::AesCm128HmacSha1_80, key, 15, salt, 14),
                 std::invalid_argument);
    EXPECT_THROW(rtc::SrtpUnprotector(SrtpProfile::AeadAes128Gcm, key, 16, salt, 14),
                 std::invalid_argument);
    EXPECT_THROW(rtc::SrtpUnprotector(SrtpProfile::None, key, 16, salt, 14), std::invalid_argument);
}

}  // namespace
