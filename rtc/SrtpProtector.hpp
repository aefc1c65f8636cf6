#pragma once
// The outgoing SRTP/SRTCP hot path on OpenSSL EVP (RFC 3711 AES_CM_128_HMAC_SHA1_80,
// RFC 7714 AEAD_AES_128_GCM). Why not libsrtp: Debian's libsrtp2 is built on NSS and
// protects ~5x fewer packets per second with the suite Chromium uses (docs/rtc-wire.md).
// Output is byte-identical to libsrtp's (tests/rtc/SrtpTest.cpp checks packet by packet).
// One object per outbound transport; lives on one worker thread; no allocation per packet
// (per-SSRC state is added when a new SSRC is first seen).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "rtc/HotLines.hpp"
#include "rtc/SrtpKeys.hpp"  // SrtpProfile, srtpDeriveKey, the per-SSRC table

namespace rtc {

class SrtpProtector {
public:
    // Throws std::invalid_argument (bad profile/lengths) or std::runtime_error (OpenSSL).
    SrtpProtector(SrtpProfile profile, const uint8_t* key, size_t keyLen, const uint8_t* salt,
                  size_t saltLen);
    ~SrtpProtector() = default;
    SrtpProtector(const SrtpProtector&) = delete;
    SrtpProtector& operator=(const SrtpProtector&) = delete;

    // In place: encrypts the payload and appends the tag; false when the packet is not
    // RTP/RTCP or capacity < len + overhead.
    bool protectRtp(uint8_t* buf, size_t& len, size_t capacity);
    bool protectRtcp(uint8_t* buf, size_t& len, size_t capacity);

    SrtpProfile profile() const { return profile_; }
    // What protectRtp() reads and writes: this object and the RTP keys (for prefetching).
    void hotLines(HotLines& out) const;

private:
    struct Stream {
        uint32_t ssrc = 0;
        uint64_t index = 0;  // highest RTP packet index (ROC << 16 | SEQ) sent
        bool started = false;
        uint32_t rtcpIndex = 0;  // last SRTCP index sent
    };
    bool protectRtpCm(uint8_t* buf, size_t& len, size_t hdrLen, uint32_t ssrc, uint64_t index);
    bool protectRtpGcm(uint8_t* buf, size_t& len, size_t hdrLen, uint32_t ssrc, uint64_t index);

    SrtpProfile profile_;
    std::unique_ptr<SrtpKeys> rtp_, rtcp_;
    // A subscriber's transport sends 2-3 SSRCs (audio, video, RTX): kept inline, next to
    // the rest of this object, so the per-packet lookup touches no other cache line.
    SrtpSsrcTable<Stream, 4> streams_;
};

}  // namespace rtc
