#pragma once
// Pieces SrtpProtector (outbound) and SrtpUnprotector (inbound) share: session keys with
// ready OpenSSL contexts, the IVs of RFC 3711 §4.1.1 / RFC 7714 §8.1, §9.1, the RTP header
// length and the inline per-SSRC table. Internal to rtc/Srtp*.cpp.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "rtc/SrtpSession.hpp"  // SrtpProfile

namespace rtc {

// RFC 3711 §4.3.1 key derivation with the AES-CM PRF (kdr = 0): label 0..5 into out[len].
// For GCM (RFC 7714 §11) the 12-byte salt is used the same way (zero padded to 14).
bool srtpDeriveKey(const uint8_t masterKey[16], const uint8_t* masterSalt, size_t saltLen,
                   uint8_t label, uint8_t* out, size_t outLen);

constexpr size_t kSrtpHmacTagLen = 10;  // HMAC-SHA1-80
constexpr size_t kSrtpGcmTagLen = 16;

// RTP header length incl. CSRCs and extension, or 0 when malformed (RFC 3550 §5.1).
size_t srtpRtpHeaderLength(const uint8_t* p, size_t len);

// RTP packet index (ROC << 16 | SEQ) of `seq` given the highest index seen so far (0 when
// none), as libsrtp guesses it (RFC 3711 §3.3.1, Appendix A): the ROC that puts seq
// closest to the highest one, i.e. ROC - 1, ROC or ROC + 1.
inline uint64_t srtpEstimateIndex(uint64_t highest, uint16_t seq) {
    if (highest <= 0x8000) return seq;
    const uint32_t roc = static_cast<uint32_t>(highest >> 16);
    const uint16_t last = static_cast<uint16_t>(highest);
    uint32_t guess = roc;
    if (last < 0x8000) {
        if (int(seq) - int(last) > 0x8000) guess = roc - 1;
    } else if (int(last) - 0x8000 > int(seq)) {
        guess = roc + 1;
    }
    return (uint64_t{guess} << 16) | seq;
}

// Session keys of one of RTP/RTCP with a ready-to-use OpenSSL cipher context.
struct SrtpKeys {
    uint8_t salt[14] = {};
    EVP_CIPHER_CTX* cipher = nullptr;
    // HMAC-SHA1 (RFC 2104) with the key's inner and outer pad blocks already hashed: a
    // packet costs a struct copy plus the SHA1 of its bytes, no allocation.
    SHA_CTX inner{}, outer{};

    // Derives the session keys of RTP (labelBase 0) or RTCP (3). The GCM context is set
    // up to decrypt when `decrypt` (CTR needs no direction). Throws std::runtime_error.
    static std::unique_ptr<SrtpKeys> derive(SrtpProfile profile, const uint8_t* key,
                                            const uint8_t* salt, size_t saltLen, uint8_t labelBase,
                                            bool decrypt);
    // Both RTP and RTCP keys from master key and salt; also throws std::invalid_argument
    // for an unsupported profile or key/salt length.
    static void deriveBoth(SrtpProfile profile, const uint8_t* key, size_t keyLen,
                           const uint8_t* salt, size_t saltLen, bool decrypt,
                           std::unique_ptr<SrtpKeys>& rtp, std::unique_ptr<SrtpKeys>& rtcp);
    SrtpKeys() = default;
    SrtpKeys(const SrtpKeys&) = delete;
    SrtpKeys& operator=(const SrtpKeys&) = delete;
    ~SrtpKeys();

    // out = HMAC-SHA1(auth key, a || b), 20 bytes.
    void hmac(const uint8_t* a, size_t aLen, const uint8_t* b, size_t bLen, uint8_t out[20]) const;
    // AES-CM en/decryption of data[len] in place, IV (RFC 3711 §4.1.1) = (salt << 16) XOR
    // (SSRC << 64) XOR (index << 16); the index is 48 bits for SRTP, 31 for SRTCP.
    bool cmCrypt(uint32_t ssrc, uint64_t index, uint8_t* data, size_t len) const;
    // GCM IV (RFC 7714 §8.1, §9.1): (00 00 || SSRC || hi || lo) XOR salt, where hi|lo is
    // ROC|SEQ for SRTP and 00 00|index for SRTCP.
    void gcmIv(uint32_t ssrc, uint32_t hi, uint16_t lo, uint8_t iv[12]) const;

private:
    void setAuthKey(const uint8_t* key, size_t len);  // len <= 64
};

// Per-SSRC state kept inline: a transport sends/receives 2-4 SSRCs (audio, video, RTX),
// so the per-packet lookup touches no other cache line. Stream needs a `uint32_t ssrc`.
template <typename Stream, size_t N>
class SrtpSsrcTable {
public:
    SrtpSsrcTable() = default;
    SrtpSsrcTable(const SrtpSsrcTable&) = delete;  // last_ points into inline_
    SrtpSsrcTable& operator=(const SrtpSsrcTable&) = delete;

    Stream* find(uint32_t ssrc) {
        if (last_ && last_->ssrc == ssrc) return last_;
        for (size_t i = 0; i < inlineCount_; ++i)
            if (inline_[i].ssrc == ssrc) return last_ = &inline_[i];
        for (auto& s : more_)
            if (s.ssrc == ssrc) return &s;  // not cached: more_ may reallocate
        return nullptr;
    }
    // A new SSRC (find() returned nullptr).
    Stream& add(uint32_t ssrc) {
        if (inlineCount_ < N) {
            inline_[inlineCount_] = Stream{};
            inline_[inlineCount_].ssrc = ssrc;
            return *(last_ = &inline_[inlineCount_++]);
        }
        more_.push_back(Stream{});
        more_.back().ssrc = ssrc;
        last_ = nullptr;
        return more_.back();
    }
    Stream& findOrAdd(uint32_t ssrc) {
        Stream* s = find(ssrc);
        return s ? *s : add(ssrc);
    }
    size_t size() const { return inlineCount_ + more_.size(); }

private:
    std::array<Stream, N> inline_{};
    size_t inlineCount_ = 0;
    std::vector<Stream> more_;  // more SSRCs than that (not seen in practice)
    Stream* last_ = nullptr;
};

}  // namespace rtc
