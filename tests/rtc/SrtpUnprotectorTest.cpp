// rtc::SrtpUnprotector against libsrtp (rtc::SrtpSession and raw libsrtp for unencrypted
// SRTCP): same plaintext, same accept/reject decisions, nothing learnt from forged input.
#include <gtest/gtest.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "SrtpTestPackets.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/SrtpSession.hpp"
#include "rtc/SrtpUnprotector.hpp"

namespace {

using rtc::SrtpProfile;
using rtc::SrtpSession;
using rtc::SrtpUnprotector;
using Result = SrtpUnprotector::Result;
using srtptest::Keys;
using srtptest::makeRtcp;
using srtptest::makeRtp;
using srtptest::randomKeys;
using Bytes = std::vector<uint8_t>;

class SrtpUnprotect : public ::testing::TestWithParam<SrtpProfile> {
protected:
    void SetUp() override {
        rng_.seed(static_cast<unsigned>(GetParam()) * 7919 + 11);
        k_ = randomKeys(rng_, GetParam());
    }
    std::unique_ptr<SrtpUnprotector> ours() {
        return std::make_unique<SrtpUnprotector>(GetParam(), k_.key.data(), 16, k_.salt.data(),
                                                 k_.salt.size());
    }
    std::unique_ptr<SrtpSession> libsrtp(SrtpSession::Direction d) {
        return std::make_unique<SrtpSession>(GetParam(), k_.key.data(), 16, k_.salt.data(),
                                             k_.salt.size(), d);
    }
    std::unique_ptr<rtc::SrtpProtector> protector() {
        return std::make_unique<rtc::SrtpProtector>(GetParam(), k_.key.data(), 16, k_.salt.data(),
                                                    k_.salt.size());
    }
    template <typename Tx>
    static Bytes protect(Tx& tx, const Bytes& plain, bool rtcp) {
        Bytes b = plain;
        b.resize(plain.size() + 32);
        size_t n = plain.size();
        EXPECT_TRUE(rtcp ? tx.protectRtcp(b.data(), n, b.size())
                         : tx.protectRtp(b.data(), n, b.size()));
        b.resize(n);
        return b;
    }
    // Unprotects a copy; returns the plaintext or nothing.
    template <typename Rx>
    static bool open(Rx& rx, const Bytes& wire, bool rtcp, Bytes* plain = nullptr) {
        Bytes b = wire;
        size_t n = b.size();
        const bool ok = rtcp ? rx.unprotectRtcp(b.data(), n) : rx.unprotectRtp(b.data(), n);
        if (ok && plain) *plain = Bytes(b.begin(), b.begin() + n);
        return ok;
    }
    // One packet through libsrtp -> ours, and ours -> ours and -> libsrtp: the same plaintext.
    struct BothWays {
        std::unique_ptr<SrtpSession> refTx, refRx;
        std::unique_ptr<rtc::SrtpProtector> tx;
        std::unique_ptr<SrtpUnprotector> fromRef, fromOurs;
    };
    BothWays bothWays() {
        return {libsrtp(SrtpSession::Direction::Outbound), libsrtp(SrtpSession::Direction::Inbound),
                protector(), ours(), ours()};
    }
    static void roundTrip(BothWays& b, const Bytes& pkt, bool rtcp) {
        Bytes out;
        ASSERT_TRUE(open(*b.fromRef, protect(*b.refTx, pkt, rtcp), rtcp, &out));
        ASSERT_EQ(out, pkt);
        const Bytes wire = protect(*b.tx, pkt, rtcp);
        ASSERT_TRUE(open(*b.fromOurs, wire, rtcp, &out));
        ASSERT_EQ(out, pkt);
        ASSERT_TRUE(open(*b.refRx, wire, rtcp, &out));
        ASSERT_EQ(out, pkt);
    }
    // Feeds wire packets (in the given order) to libsrtp and to ours: same decision and
    // the same plaintext for each. Returns how many were accepted.
    int expectSameAsLibsrtp(const std::vector<Bytes>& wire, const std::vector<Bytes>& plain,
                            const std::vector<size_t>& order, bool rtcp) {
        auto ref = libsrtp(SrtpSession::Direction::Inbound);
        auto mine = ours();
        int accepted = 0;
        for (size_t step = 0; step < order.size(); ++step) {
            const size_t i = order[step];
            Bytes a, b;
            const bool okRef = open(*ref, wire[i], rtcp, &a);
            const bool okOurs = open(*mine, wire[i], rtcp, &b);
            EXPECT_EQ(okRef, okOurs) << "step " << step << " packet " << i;
            if (okRef != okOurs) return -1;
            if (okOurs) {
                EXPECT_EQ(b, plain[i]) << "packet " << i;
                EXPECT_EQ(a, b);
                ++accepted;
            } else {
                EXPECT_EQ(mine->lastResult(), Result::Replay) << "packet " << i;
            }
        }
        return accepted;
    }

    std::mt19937 rng_;
    Keys k_;
};

// libsrtp protects -> ours opens; ours protects -> libsrtp and ours open; six SSRCs (more
// than are kept inline), header extensions and CSRCs, the 16-bit wrap (ROC 0 -> 1).
TEST_P(SrtpUnprotect, RtpBothDirectionsAgainstLibsrtp) {
    auto b = bothWays();
    const uint32_t ssrcs[] = {0x11111111, 0xDEADBEEF, 7, 0x22222222, 8, 0x33333333};
    uint16_t seq[] = {65300, 100, 65535, 65400, 5, 65500};
    for (int i = 0; i < 2000; ++i) {
        const int s = i % 6;
        const Bytes pkt = makeRtp(rng_, ssrcs[s], seq[s]++, 3000u * i, (i * 37) % 1201,
                                  i % 4 == 0 ? 2 : 0, i % 5 == 0);
        ASSERT_NO_FATAL_FAILURE(roundTrip(b, pkt, false)) << i;
    }
    EXPECT_EQ(b.fromRef->ssrcCount(), 6u);
}

TEST_P(SrtpUnprotect, RtcpBothDirectionsAgainstLibsrtp) {
    auto b = bothWays();
    for (int i = 0; i < 300; ++i)
        ASSERT_NO_FATAL_FAILURE(roundTrip(b, makeRtcp(rng_, i % 3 ? 0xCAFE : 0xF00D, i % 10), true))
            << i;
    EXPECT_EQ(b.fromOurs->ssrcCount(), 2u);
}

// SRTCP sent with E = 0 (authenticated, not encrypted; libsrtp rtcp sec_serv_auth).
TEST_P(SrtpUnprotect, UnencryptedSrtcpIsAuthenticatedAndAccepted) {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof policy);
    if (GetParam() == SrtpProfile::AeadAes128Gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    }
    policy.rtcp.sec_serv = sec_serv_auth;
    uint8_t master[30] = {};
    std::memcpy(master, k_.key.data(), 16);
    std::memcpy(master + 16, k_.salt.data(), k_.salt.size());
    policy.key = master;
    policy.ssrc.type = ssrc_any_outbound;
    policy.window_size = 1024;
    SrtpSession init(GetParam(), k_.key.data(), 16, k_.salt.data(), k_.salt.size(),
                     SrtpSession::Direction::Inbound);  // srtp_init() once
    srtp_t raw = nullptr;
    ASSERT_EQ(srtp_create(&raw, &policy), srtp_err_status_ok);
    std::unique_ptr<srtp_ctx_t_, decltype(&srtp_dealloc)> guard(raw, srtp_dealloc);
    auto mine = ours();
    for (int i = 0; i < 20; ++i) {
        const Bytes pkt = makeRtcp(rng_, 0xABCD, i % 4);
        Bytes wire = pkt;
        wire.resize(pkt.size() + 32);
        int n = static_cast<int>(pkt.size());
        ASSERT_EQ(srtp_protect_rtcp(raw, wire.data(), &n), srtp_err_status_ok);
        wire.resize(static_cast<size_t>(n));
        const size_t eAt = GetParam() == SrtpProfile::AeadAes128Gcm ? wire.size() - 4 : pkt.size();
        ASSERT_EQ(wire[eAt] & 0x80, 0) << "E flag set: not the case under test";
        ASSERT_EQ(0, std::memcmp(wire.data(), pkt.data(), pkt.size()));  // sent in clear
        Bytes bad = wire;
        bad[12] ^= 1;  // a clear body byte: still authenticated
        EXPECT_FALSE(open(*mine, bad, true));
        EXPECT_EQ(mine->lastResult(), Result::AuthFail);
        Bytes out;
        ASSERT_TRUE(open(*mine, wire, true, &out)) << i;
        EXPECT_EQ(out, pkt);
    }
}

// Delivery order of n packets: shuffled in blocks of `block`; every lateEvery-th held back
// by lateBy positions (inside the window), every oldEvery-th by oldBy (outside it); every
// dupEvery-th delivered twice.
struct Reorder {
    size_t block, lateEvery, lateBy, oldEvery, oldBy, dupEvery;
};
std::vector<size_t> deliveryOrder(size_t n, std::mt19937& rng, const Reorder& r) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    for (size_t i = 0; i + r.block <= n; i += r.block)
        std::shuffle(order.begin() + i, order.begin() + i + r.block, rng);
    std::vector<std::vector<size_t>> held(n + r.oldBy + 1);
    std::vector<size_t> out;
    for (size_t i = 0; i < held.size(); ++i) {
        for (size_t v : held[i]) out.push_back(v);
        if (i >= n) continue;
        const size_t v = order[i];
        if (i % r.lateEvery == r.lateEvery / 2) {
            held[i + r.lateBy].push_back(v);
        } else if (i % r.oldEvery == r.oldEvery / 2) {
            held[i + r.oldBy].push_back(v);
        } else {
            out.push_back(v);
            if (i % r.dupEvery == 0) out.push_back(v);
        }
    }
    return out;
}

// Reordering inside the window, duplicates, packets older than the window, the 16-bit wrap
// (late pre-wrap packets among them), a forward jump: the same decisions and plaintext as
// libsrtp's (window 1024).
TEST_P(SrtpUnprotect, RtpReplayAndReorderingMatchLibsrtp) {
    auto tx = protector();
    std::vector<Bytes> wire, plain;
    const size_t n = 6000;
    for (size_t i = 0; i < n; ++i) {
        // seq 62000 ..., wraps at i = 3536, jumps by 3000 at i = 5000.
        const uint16_t seq = static_cast<uint16_t>(62000 + i + (i >= 5000 ? 3000 : 0));
        plain.push_back(makeRtp(rng_, 0x5EED, seq, 90u * i, 20 + i % 50, 0, i % 3 == 0));
        wire.push_back(protect(*tx, plain.back(), false));
    }
    const auto order = deliveryOrder(n, rng_, Reorder{40, 89, 500, 83, 1500, 97});
    const int accepted = expectSameAsLibsrtp(wire, plain, order, false);
    // Held late: mostly in; too old: out (those held past the end arrive last, in time).
    EXPECT_GT(accepted, static_cast<int>(n - n / 83 - n / 89 - 10));
    EXPECT_LT(accepted, static_cast<int>(n - 40));
}

TEST_P(SrtpUnprotect, RtcpReplayAndReorderingMatchLibsrtp) {
    auto tx = protector();
    std::vector<Bytes> wire, plain;
    const size_t n = 800;
    for (size_t i = 0; i < n; ++i) {
        plain.push_back(makeRtcp(rng_, 0x77, i % 5));
        wire.push_back(protect(*tx, plain.back(), true));
    }
    const auto order = deliveryOrder(n, rng_, Reorder{8, 29, 100, 37, 200, 31});
    const int accepted = expectSameAsLibsrtp(wire, plain, order, true);
    EXPECT_GT(accepted, static_cast<int>(n - n / 37 - 3));
    EXPECT_LT(accepted, static_cast<int>(n - 10));
}

// The ROC across the wrap: 65534, 65535, 0, 1, then a late 65533 (lower index) — each
// decrypted as libsrtp decrypts it, the late one with ROC 0.
TEST_P(SrtpUnprotect, RolloverAndLatePreWrapPacket) {
    auto refTx = libsrtp(SrtpSession::Direction::Outbound);
    auto mine = ours();
    auto ref = libsrtp(SrtpSession::Direction::Inbound);
    std::vector<Bytes> wire, plain;
    for (uint32_t s = 65530; s < 65540; ++s) {
        plain.push_back(makeRtp(rng_, 9, static_cast<uint16_t>(s), s, 100, 0, false));
        wire.push_back(protect(*refTx, plain.back(), false));
    }
    for (size_t i : {0, 1, 2, 4, 5, 6, 7, 3, 8, 9}) {  // 65533 arrives after 0 and 1
        Bytes a, b;
        ASSERT_TRUE(open(*ref, wire[i], false, &a)) << i;
        ASSERT_TRUE(open(*mine, wire[i], false, &b)) << i;
        EXPECT_EQ(b, plain[i]) << i;
        EXPECT_EQ(a, b);
    }
    EXPECT_FALSE(open(*mine, wire[3], false));  // and only once
    EXPECT_EQ(mine->lastResult(), Result::Replay);
}

// Flipping any bit of header, payload or tag fails authentication and changes nothing: the
// genuine packets (and ones after them) are still accepted afterwards.
TEST_P(SrtpUnprotect, TamperedPacketsChangeNoState) {
    auto tx = protector();
    auto mine = ours();
    std::vector<Bytes> wire, plain;
    for (uint16_t s = 1; s <= 4; ++s) {
        plain.push_back(makeRtp(rng_, 0x1234, s, s, 150, 1, true));
        wire.push_back(protect(*tx, plain.back(), false));
    }
    ASSERT_TRUE(open(*mine, wire[0], false));
    for (size_t at :
         {size_t{1}, size_t{3}, size_t{9}, size_t{20}, size_t{100}, wire[1].size() - 1}) {
        Bytes bad = wire[1];
        bad[at] ^= 0x01;
        EXPECT_FALSE(open(*mine, bad, false)) << at;
        EXPECT_NE(mine->lastResult(), Result::Ok) << at;
    }
    // A forged jump far ahead (seq + 30000, ROC guess moves) must not move the window.
    Bytes jump = wire[2];
    rtc::store16(jump.data() + 2, 30000);
    EXPECT_FALSE(open(*mine, jump, false));
    EXPECT_EQ(mine->lastResult(), Result::AuthFail);
    for (size_t i = 1; i < 4; ++i) {
        Bytes out;
        ASSERT_TRUE(open(*mine, wire[i], false, &out)) << i;
        EXPECT_EQ(out, plain[i]);
    }
    EXPECT_FALSE(open(*mine, wire[2], false));
    EXPECT_EQ(mine->lastResult(), Result::Replay);
    // SRTCP too.
    const Bytes rtcpPlain = makeRtcp(rng_, 0x1234, 3);
    const Bytes rtcpWire = protect(*tx, rtcpPlain, true);
    for (size_t at = 0; at < rtcpWire.size(); at += 7) {
        Bytes bad = rtcpWire;
        bad[at] ^= 0x10;
        EXPECT_FALSE(open(*mine, bad, true)) << at;
    }
    Bytes out;
    ASSERT_TRUE(open(*mine, rtcpWire, true, &out));
    EXPECT_EQ(out, rtcpPlain);
    EXPECT_FALSE(open(*mine, rtcpWire, true));
    EXPECT_EQ(mine->lastResult(), Result::Replay);
    EXPECT_EQ(mine->ssrcCount(), 1u);
}

// Forged packets from random SSRCs never create per-SSRC state.
TEST_P(SrtpUnprotect, ForgedNewSsrcsAllocateNothing) {
    auto tx = protector();
    auto mine = ours();
    ASSERT_TRUE(open(*mine, protect(*tx, makeRtp(rng_, 1, 1, 1, 50, 0, false), false), false));
    ASSERT_EQ(mine->ssrcCount(), 1u);
    for (int i = 0; i < 2000; ++i) {
        Bytes rtp = makeRtp(rng_, static_cast<uint32_t>(rng_()), static_cast<uint16_t>(rng_()), 0,
                            10 + i % 300, i % 3, i % 2);
        rtp.resize(rtp.size() + rtc::srtpRtpOverhead(GetParam()), 0xEE);
        EXPECT_FALSE(open(*mine, rtp, false));
        Bytes rtcp = makeRtcp(rng_, static_cast<uint32_t>(rng_()), i % 8);
        rtcp.resize(rtcp.size() + rtc::srtpRtcpOverhead(GetParam()), static_cast<uint8_t>(i));
        EXPECT_FALSE(open(*mine, rtcp, true));
    }
    EXPECT_EQ(mine->ssrcCount(), 1u);
}

// Every truncation of a genuine packet is refused; each is in a buffer of exactly that
// size, so a read past it is an ASan error in the sanitizer run.
TEST_P(SrtpUnprotect, TruncatedInputsAreRefusedInBounds) {
    auto tx = protector();
    auto mine = ours();
    const Bytes rtp = protect(*tx, makeRtp(rng_, 5, 5, 5, 60, 3, true), false);
    const Bytes rtcp = protect(*tx, makeRtcp(rng_, 5, 2), true);
    for (bool isRtcp : {false, true}) {
        const Bytes& full = isRtcp ? rtcp : rtp;
        for (size_t l = 0; l < full.size(); ++l) {
            auto buf = std::make_unique<uint8_t[]>(l);
            std::memcpy(buf.get(), full.data(), l);
            size_t n = l;
            EXPECT_FALSE(isRtcp ? mine->unprotectRtcp(buf.get(), n)
                                : mine->unprotectRtp(buf.get(), n))
                << l;
            EXPECT_EQ(n, l);
        }
        EXPECT_TRUE(open(*mine, full, isRtcp));  // the whole one still opens
    }
    // A header extension running into the tag is malformed, not an overread.
    Bytes ext = rtp;
    rtc::store16(ext.data() + 12 + 12 + 2, 0x4000);
    EXPECT_FALSE(open(*mine, ext, false));
    EXPECT_EQ(mine->lastResult(), Result::Malformed);
}

// An authentic peer cannot grow the state without bound.
TEST_P(SrtpUnprotect, SsrcCountIsBounded) {
    auto tx = protector();
    auto mine = ours();
    const uint32_t limit = static_cast<uint32_t>(SrtpUnprotector::kMaxSsrcs);
    for (uint32_t s = 1; s <= limit + 3; ++s) {
        const bool ok =
            open(*mine, protect(*tx, makeRtp(rng_, s, 1, 1, 30, 0, false), false), false);
        EXPECT_EQ(ok, s <= limit) << s;
    }
    EXPECT_EQ(mine->lastResult(), Result::TooManySsrcs);
    EXPECT_EQ(mine->ssrcCount(), SrtpUnprotector::kMaxSsrcs);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpUnprotect,
                         ::testing::Values(SrtpProfile::AesCm128HmacSha1_80,
                                           SrtpProfile::AeadAes128Gcm),
                         [](const auto& info) {
                             return info.param == SrtpProfile::AeadAes128Gcm ? "Gcm" : "AesCm";
                         });

}  // namespace
