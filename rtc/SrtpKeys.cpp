// SHA1_Init/Update/Final are deprecated in OpenSSL 3 but are the same SHA-NI/AVX2 code
// as EVP without its per-call cost: HMAC through EVP_MAC re-copies (and allocates) digest
// contexts on every packet, ~15 % of a protect (docs/BENCHMARKS.md).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "rtc/SrtpKeys.hpp"

#include <cstring>
#include <stdexcept>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

namespace rtc {

size_t srtpRtpHeaderLength(const uint8_t* p, size_t len) {
    if (len < 12 || (p[0] >> 6) != 2) return 0;
    size_t h = 12 + 4 * size_t(p[0] & 0x0F);
    if (p[0] & 0x10) {
        if (len < h + 4) return 0;
        h += 4 + 4 * size_t(load16(p + h + 2));
    }
    return h <= len ? h : 0;
}

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

std::unique_ptr<SrtpKeys> SrtpKeys::derive(SrtpProfile profile, const uint8_t* key,
                                           const uint8_t* salt, size_t saltLen, uint8_t labelBase,
                                           bool decrypt) {
    const bool gcm = profile == SrtpProfile::AeadAes128Gcm;
    auto k = std::make_unique<SrtpKeys>();
    uint8_t encKey[16], authKey[20];
    bool ok = srtpDeriveKey(key, salt, saltLen, labelBase, encKey, 16) &&
              srtpDeriveKey(key, salt, saltLen, labelBase + 2, k->salt, saltLen);
    k->cipher = EVP_CIPHER_CTX_new();
    ok =
        ok && k->cipher &&
        (gcm && decrypt ? EVP_DecryptInit_ex(k->cipher, EVP_aes_128_gcm(), nullptr, encKey, nullptr)
                        : EVP_EncryptInit_ex(k->cipher, gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(),
                                             nullptr, encKey, nullptr)) == 1;
    if (ok && !gcm) {
        ok = srtpDeriveKey(key, salt, saltLen, labelBase + 1, authKey, 20);
        if (ok) k->setAuthKey(authKey, 20);
    }
    OPENSSL_cleanse(encKey, sizeof encKey);
    OPENSSL_cleanse(authKey, sizeof authKey);
    if (!ok) throw std::runtime_error("SRTP: OpenSSL key setup failed");
    return k;
}

void SrtpKeys::deriveBoth(SrtpProfile profile, const uint8_t* key, size_t keyLen,
                          const uint8_t* salt, size_t saltLen, bool decrypt,
                          std::unique_ptr<SrtpKeys>& rtp, std::unique_ptr<SrtpKeys>& rtcp) {
    if (profile == SrtpProfile::None || keyLen != 16 || saltLen != srtpSaltLength(profile))
        throw std::invalid_argument("SRTP: unsupported profile or key/salt length");
    rtp = derive(profile, key, salt, saltLen, 0, decrypt);
    rtcp = derive(profile, key, salt, saltLen, 3, decrypt);
}

SrtpKeys::~SrtpKeys() {
    EVP_CIPHER_CTX_free(cipher);
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
    OPENSSL_cleanse(salt, sizeof salt);
}

void SrtpKeys::setAuthKey(const uint8_t* key, size_t len) {
    uint8_t pad[64];
    for (int pass = 0; pass < 2; ++pass) {
        const uint8_t x = pass == 0 ? 0x36 : 0x5c;
        for (size_t i = 0; i < 64; ++i) pad[i] = static_cast<uint8_t>((i < len ? key[i] : 0) ^ x);
        SHA_CTX& c = pass == 0 ? inner : outer;
        SHA1_Init(&c);
        SHA1_Update(&c, pad, 64);
    }
    OPENSSL_cleanse(pad, sizeof pad);
}

void SrtpKeys::hmac(const uint8_t* a, size_t aLen, const uint8_t* b, size_t bLen,
                    uint8_t out[20]) const {
    SHA_CTX c = inner;
    SHA1_Update(&c, a, aLen);
    if (bLen) SHA1_Update(&c, b, bLen);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1_Final(digest, &c);
    c = outer;
    SHA1_Update(&c, digest, sizeof digest);
    SHA1_Final(out, &c);
}

bool SrtpKeys::cmCrypt(uint32_t ssrc, uint64_t index, uint8_t* data, size_t len) const {
    uint8_t iv[16];
    std::memcpy(iv, salt, 14);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; ++i) iv[4 + i] ^= uint8_t(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; ++i) iv[8 + i] ^= uint8_t(index >> (40 - 8 * i));
    int n = 0;
    return EVP_EncryptInit_ex(cipher, nullptr, nullptr, nullptr, iv) == 1 &&
           (len == 0 || EVP_EncryptUpdate(cipher, data, &n, data, static_cast<int>(len)) == 1);
}

void SrtpKeys::gcmIv(uint32_t ssrc, uint32_t hi, uint16_t lo, uint8_t iv[12]) const {
    iv[0] = iv[1] = 0;
    store32(iv + 2, ssrc);
    store32(iv + 6, hi);
    store16(iv + 10, lo);
    for (int i = 0; i < 12; ++i) iv[i] ^= salt[i];
}

}  // namespace rtc
