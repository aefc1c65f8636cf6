#pragma once
// The incoming SRTP/SRTCP path on OpenSSL EVP, mirror of SrtpProtector (RFC 3711
// AES_CM_128_HMAC_SHA1_80, RFC 7714 AEAD_AES_128_GCM). Why not libsrtp: Debian's libsrtp2
// is built on NSS — slower per packet, and its inbound session holds ~27 KiB (PKCS#11 key
// objects) per transport, most of a subscriber's heap (docs/rtc-wire.md). Accepts and
// rejects what libsrtp accepts and rejects (tests/rtc/SrtpUnprotectorTest.cpp checks).
// One object per transport; lives on one worker thread; no allocation per packet.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "rtc/SrtpKeys.hpp"

namespace rtc {

// RFC 3711 §3.3.2 replay list: the last N packet indices below the highest authenticated
// one, as a ring of bits keyed by index mod N (advancing clears, never shifts).
template <size_t N, typename Index>
struct SrtpReplayWindow {
    static_assert(N % 64 == 0);
    Index top = 0;  // highest accepted index (valid when started)
    bool started = false;
    uint64_t bits[N / 64] = {};

    // A duplicate, or older than the window (libsrtp: replay_fail / replay_old).
    bool rejects(Index i) const {
        if (!started || i > top) return false;
        return top - i >= N || bit(i);
    }
    void accept(Index i) {  // only after the packet authenticated
        if (!started || i > top) {
            if (!started || i - top >= N) {
                for (auto& w : bits) w = 0;
            } else {
                for (Index j = top + 1; j != i; ++j) bits[(j % N) / 64] &= ~mask(j);
            }
            top = i;
            started = true;
        }
        bits[(i % N) / 64] |= mask(i);
    }

private:
    static uint64_t mask(Index i) { return uint64_t{1} << (i % 64); }
    bool bit(Index i) const { return bits[(i % N) / 64] & mask(i); }
};

class SrtpUnprotector {
public:
    enum class Result : uint8_t {
        Ok,
        Malformed,     // too short, not RTP/RTCP, header runs past the tag
        Replay,        // seen before, or older than the replay window
        AuthFail,      // tag mismatch (or an OpenSSL failure)
        TooManySsrcs,  // an authentic packet from one SSRC more than kMaxSsrcs
    };
    // RTP: the window libsrtp was configured with here (SrtpSession: 1024) so a busy
    // publisher's reordering is tolerated as before; SRTCP: libsrtp's fixed 128.
    static constexpr size_t kRtpWindow = 1024;
    static constexpr size_t kRtcpWindow = 128;
    // Bounds the state an authenticated but hostile peer can create (WebRTC uses 2-6).
    static constexpr size_t kMaxSsrcs = 64;

    // Throws std::invalid_argument (bad profile/lengths) or std::runtime_error (OpenSSL).
    SrtpUnprotector(SrtpProfile profile, const uint8_t* key, size_t keyLen, const uint8_t* salt,
                    size_t saltLen);
    ~SrtpUnprotector() = default;
    SrtpUnprotector(const SrtpUnprotector&) = delete;
    SrtpUnprotector& operator=(const SrtpUnprotector&) = delete;

    // In place: authenticates, replay-checks, then decrypts; len drops the tag (and the
    // SRTCP index). False drops the packet; lastResult() says why; no state changes then.
    bool unprotectRtp(uint8_t* buf, size_t& len);
    bool unprotectRtcp(uint8_t* buf, size_t& len);

    Result lastResult() const { return last_; }
    SrtpProfile profile() const { return profile_; }
    size_t ssrcCount() const { return streams_.size(); }  // SSRCs with state (tests)

private:
    struct Stream {
        uint32_t ssrc = 0;
        SrtpReplayWindow<kRtpWindow, uint64_t> rtp;    // index = ROC << 16 | SEQ
        SrtpReplayWindow<kRtcpWindow, uint32_t> rtcp;  // 31-bit SRTCP index
    };
    bool fail(Result r) { return last_ = r, false; }
    Result openRtpCm(uint8_t* buf, size_t body, size_t hdr, uint32_t ssrc, uint64_t index);
    Result openRtpGcm(uint8_t* buf, size_t body, size_t hdr, uint32_t ssrc, uint64_t index);
    Result openRtcpCm(uint8_t* buf, size_t body, uint32_t ssrc, uint32_t eIndex);
    Result openRtcpGcm(uint8_t* buf, size_t body, uint32_t ssrc, uint32_t eIndex);

    SrtpProfile profile_;
    Result last_ = Result::Ok;
    std::unique_ptr<SrtpKeys> rtp_, rtcp_;
    // A publisher sends 2-3 SSRCs (audio, video, RTX), a subscriber's RTCP 1-2.
    SrtpSsrcTable<Stream, 4> streams_;
};

}  // namespace rtc
