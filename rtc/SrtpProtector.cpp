// SHA1_Init/Update/Final are deprecated in OpenSSL 3 but are the same SHA-NI/AVX2 code
// as EVP without its per-call cost: HMAC through EVP_MAC re-copies (and allocates) digest
// contexts on every packet, ~15 % of a protect (docs/BENCHMARKS.md).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "rtc/SrtpProtector.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>
#include <stdexcept>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

namespace rtc {
namespace {

constexpr size_t kHmacTagLen = 10;
constexpr size_t kGcmTagLen = 16;

// RTP header length incl. CSRCs and extension, or 0 when malformed (RFC 3550 §5.1).
size_t rtpHeaderLength(const uint8_t* p, size_t len) {
    if (len < 12 || (p[0] >> 6) != 2) return 0;
    size_t h = 12 + 4 * size_t(p[0] & 0x0F);
    if (p[0] & 0x10) {
        if (len < h + 4) return 0;
        h += 4 + 4 * size_t(load16(p + h + 2));
    }
    return h <= len ? h : 0;
}

}  // namespace

// Session keys of one of RTP/RTCP with ready-to-use OpenSSL contexts.
struct SrtpProtector::Keys {
    uint8_t salt[14] = {};
    EVP_CIPHER_CTX* cipher = nullptr;
    // HMAC-SHA1 (RFC 2104) with the key's inner and outer pad blocks already hashed: a
    // packet costs a struct copy plus the SHA1 of its bytes, no allocation.
    SHA_CTX inner{}, outer{};

    ~Keys() {
        EVP_CIPHER_CTX_free(cipher);
        OPENSSL_cleanse(&inner, sizeof inner);
        OPENSSL_cleanse(&outer, sizeof outer);
    }
    void setAuthKey(const uint8_t* key, size_t len) {  // len <= 64
        uint8_t pad[64];
        for (int pass = 0; pass < 2; ++pass) {
            const uint8_t x = pass == 0 ? 0x36 : 0x5c;
            for (size_t i = 0; i < 64; ++i)
                pad[i] = static_cast<uint8_t>((i < len ? key[i] : 0) ^ x);
            SHA_CTX& c = pass == 0 ? inner : outer;
            SHA1_Init(&c);
            SHA1_Update(&c, pad, 64);
        }
        OPENSSL_cleanse(pad, sizeof pad);
    }
    // out = HMAC-SHA1(auth key, a || b), 20 bytes.
    void hmac(const uint8_t* a, size_t aLen, const uint8_t* b, size_t bLen, uint8_t out[20]) const {
        SHA_CTX c = inner;
        SHA1_Update(&c, a, aLen);
        if (bLen) SHA1_Update(&c, b, bLen);
        uint8_t digest[SHA_DIGEST_LENGTH];
        SHA1_Final(digest, &c);
        c = outer;
        SHA1_Update(&c, digest, sizeof digest);
        SHA1_Final(out, &c);
    }
};

bool srtpDeriveKey(const uint8_t masterKey[16], const uint8_t* masterSalt, size_t saltLen,
                   uint8_t label, uint8_t* out, size_t outLen) {
    // x = key_id XOR master_salt, key_id = label || r (r = 0): label lands in byte 7.
    uint8_t iv[16] = {};
    std::memcpy(iv, masterSalt, saltLen < 14 ? saltLen : 14);
    iv[7] ^= label;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return false;
    uint8_t zeros[64] = {};
    int n = 0;
    const bool ok = outLen <= sizeof zeros &&
                    EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, masterKey, iv) == 1 &&
                    EVP_EncryptUpdate(ctx, out, &n, zeros, static_cast<int>(outLen)) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

SrtpProtector::SrtpProtector(SrtpProfile profile, const uint8_t* key, size_t keyLen,
                             const uint8_t* salt, size_t saltLen)
    : profile_(profile) {
    if (profile == SrtpProfile::None || keyLen != 16 || saltLen != srtpSaltLength(profile))
        throw std::invalid_argument("SRTP: unsupported profile or key/salt length");
    const bool gcm = profile == SrtpProfile::AeadAes128Gcm;
    auto make = [&](uint8_t labelBase) {
        auto k = std::make_unique<Keys>();
        uint8_t encKey[16], authKey[20];
        bool ok = srtpDeriveKey(key, salt, saltLen, labelBase, encKey, 16) &&
                  srtpDeriveKey(key, salt, saltLen, labelBase + 2, k->salt, saltLen);
        k->cipher = EVP_CIPHER_CTX_new();
        ok = ok && k->cipher &&
             EVP_EncryptInit_ex(k->cipher, gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(), nullptr,
                                encKey, nullptr) == 1;
        if (ok && !gcm) {
            ok = srtpDeriveKey(key, salt, saltLen, labelBase + 1, authKey, 20);
            if (ok) k->setAuthKey(authKey, 20);
        }
        std::memset(encKey, 0, sizeof encKey);
        std::memset(authKey, 0, sizeof authKey);
        if (!ok) throw std::runtime_error("SRTP: OpenSSL key setup failed");
        return k;
    };
    rtp_ = make(0);
    rtcp_ = make(3);
}

SrtpProtector::~SrtpProtector() = default;

void SrtpProtector::hotLines(HotLines& out) const {
    out.add(this, sizeof *this);
    out.add(rtp_.get(), sizeof *rtp_);
    out.add(rtp_->cipher);  // opaque to us: at least its first line
}

SrtpProtector::Stream& SrtpProtector::stream(uint32_t ssrc) {
    if (last_ && last_->ssrc == ssrc) return *last_;
    for (size_t i = 0; i < inlineCount_; ++i)
        if (inline_[i].ssrc == ssrc) return *(last_ = &inline_[i]);
    if (inlineCount_ < kInlineStreams) {
        inline_[inlineCount_] = Stream{ssrc};
        return *(last_ = &inline_[inlineCount_++]);
    }
    for (auto& s : more_)
        if (s.ssrc == ssrc) return s;  // not cached: more_ may reallocate
    more_.push_back(Stream{ssrc});
    last_ = nullptr;
    return more_.back();
}

bool SrtpProtector::protectRtp(uint8_t* buf, size_t& len, size_t capacity) {
    const size_t hdr = rtpHeaderLength(buf, len);
    if (hdr == 0 || capacity < len + srtpRtpOverhead(profile_)) return false;
    const uint32_t ssrc = load32(buf + 8);
    const uint16_t seq = load16(buf + 2);
    Stream& s = stream(ssrc);
    // Packet index estimate as libsrtp's sender does it (RFC 3711 §3.3.1, Appendix A), so
    // that late resends of old sequence numbers keep their ROC.
    uint64_t index;
    if (!s.started || s.index <= 0x8000) {
        index = seq;
    } else {
        const uint32_t roc = static_cast<uint32_t>(s.index >> 16);
        const uint16_t last = static_cast<uint16_t>(s.index);
        uint32_t guess = roc;
        if (last < 0x8000) {
            if (int(seq) - int(last) > 0x8000) guess = roc - 1;
        } else if (int(last) - 0x8000 > int(seq)) {
            guess = roc + 1;
        }
        index = (uint64_t{guess} << 16) | seq;
    }
    if (!s.started || index > s.index) s.index = index;
    s.started = true;
    return profile_ == SrtpProfile::AeadAes128Gcm ? protectRtpGcm(buf, len, hdr, ssrc, index)
                                                  : protectRtpCm(buf, len, hdr, ssrc, index);
}

bool SrtpProtector::protectRtpCm(uint8_t* buf, size_t& len, size_t hdr, uint32_t ssrc,
                                 uint64_t index) {
    // IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16).
    uint8_t iv[16] = {};
    std::memcpy(iv, rtp_->salt, 14);
    for (int i = 0; i < 4; ++i) iv[4 + i] ^= uint8_t(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i) iv[8 + i] ^= uint8_t(index >> (40 - 8 * i));
    int n = 0;
    const int payload = static_cast<int>(len - hdr);
    if (EVP_EncryptInit_ex(rtp_->cipher, nullptr, nullptr, nullptr, iv) != 1 ||
        (payload > 0 && EVP_EncryptUpdate(rtp_->cipher, buf + hdr, &n, buf + hdr, payload) != 1))
        return false;
    // Tag = HMAC-SHA1(auth key, packet || ROC) truncated to 80 bits.
    uint8_t roc[4];
    store32(roc, static_cast<uint32_t>(index >> 16));
    uint8_t mac[20];
    rtp_->hmac(buf, len, roc, 4, mac);
    std::memcpy(buf + len, mac, kHmacTagLen);
    len += kHmacTagLen;
    return true;
}

bool SrtpProtector::protectRtpGcm(uint8_t* buf, size_t& len, size_t hdr, uint32_t ssrc,
                                  uint64_t index) {
    // RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = the header.
    uint8_t iv[12] = {};
    store32(iv + 2, ssrc);
    store32(iv + 6, static_cast<uint32_t>(index >> 16));
    store16(iv + 10, static_cast<uint16_t>(index));
    for (int i = 0; i < 12; ++i) iv[i] ^= rtp_->salt[i];
    EVP_CIPHER_CTX* c = rtp_->cipher;
    int n = 0;
    const int payload = static_cast<int>(len - hdr);
    if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_EncryptUpdate(c, nullptr, &n, buf, static_cast<int>(hdr)) != 1 ||
        (payload > 0 && EVP_EncryptUpdate(c, buf + hdr, &n, buf + hdr, payload) != 1) ||
        EVP_EncryptFinal_ex(c, buf + len, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kGcmTagLen, buf + len) != 1)
        return false;
    len += kGcmTagLen;
    return true;
}

bool SrtpProtector::protectRtcp(uint8_t* buf, size_t& len, size_t capacity) {
    if (len < 8 || (buf[0] >> 6) != 2 || capacity < len + srtpRtcpOverhead(profile_)) return false;
    const uint32_t ssrc = load32(buf + 4);
    Stream& s = stream(ssrc);
    if (s.rtcpIndex >= 0x7FFFFFFF) return false;  // key exhausted (2^31 SRTCP packets)
    const uint32_t index = ++s.rtcpIndex;
    const uint32_t eIndex = 0x80000000u | index;  // E: encrypted
    const int body = static_cast<int>(len - 8);
    int n = 0;
    if (profile_ == SrtpProfile::AeadAes128Gcm) {
        // RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || index) XOR salt;
        // AAD = first 8 bytes || E|index; output = header || ciphertext || tag || E|index.
        uint8_t iv[12] = {};
        store32(iv + 2, ssrc);
        store32(iv + 8, index);
        for (int i = 0; i < 12; ++i) iv[i] ^= rtcp_->salt[i];
        uint8_t ei[4];
        store32(ei, eIndex);
        EVP_CIPHER_CTX* c = rtcp_->cipher;
        if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
            EVP_EncryptUpdate(c, nullptr, &n, buf, 8) != 1 ||
            EVP_EncryptUpdate(c, nullptr, &n, ei, 4) != 1 ||
            EVP_EncryptUpdate(c, buf + 8, &n, buf + 8, body) != 1 ||
            EVP_EncryptFinal_ex(c, buf + len, &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kGcmTagLen, buf + len) != 1)
            return false;
        len += kGcmTagLen;
        std::memcpy(buf + len, ei, 4);
        len += 4;
        return true;
    }
    // RFC 3711 §4.1.1 for SRTCP: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16).
    uint8_t iv[16] = {};
    std::memcpy(iv, rtcp_->salt, 14);
    for (int i = 0; i < 4; ++i) iv[4 + i] ^= uint8_t(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) iv[10 + i] ^= uint8_t(index >> (24 - 8 * i));
    if (EVP_EncryptInit_ex(rtcp_->cipher, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_EncryptUpdate(rtcp_->cipher, buf + 8, &n, buf + 8, body) != 1)
        return false;
    store32(buf + len, eIndex);
    len += 4;
    uint8_t mac[20];
    rtcp_->hmac(buf, len, nullptr, 0, mac);
    std::memcpy(buf + len, mac, kHmacTagLen);
    len += kHmacTagLen;
    return true;
}

}  // namespace rtc
