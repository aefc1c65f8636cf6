#include "rtc/SrtpUnprotector.hpp"

#include <openssl/crypto.h>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

namespace rtc {

SrtpUnprotector::SrtpUnprotector(SrtpProfile profile, const uint8_t* key, size_t keyLen,
                                 const uint8_t* salt, size_t saltLen)
    : profile_(profile) {
    SrtpKeys::deriveBoth(profile, key, keyLen, salt, saltLen, true, rtp_, rtcp_);
}

bool SrtpUnprotector::unprotectRtp(uint8_t* buf, size_t& len) {
    const size_t tag = srtpRtpOverhead(profile_);
    // The header (with CSRCs and extension) must end before the tag.
    const size_t hdr = len > tag ? srtpRtpHeaderLength(buf, len - tag) : 0;
    if (hdr == 0) return fail(Result::Malformed);
    const uint32_t ssrc = load32(buf + 8);
    Stream* s = streams_.find(ssrc);
    // A new SSRC starts at ROC 0, as with libsrtp; its state exists once a packet is authentic.
    const uint64_t index = srtpEstimateIndex(s && s->rtp.started ? s->rtp.top : 0, load16(buf + 2));
    if (s && s->rtp.rejects(index)) return fail(Result::Replay);
    if (!s && streams_.size() >= kMaxSsrcs) return fail(Result::TooManySsrcs);
    const size_t body = len - tag;
    const Result r = profile_ == SrtpProfile::AeadAes128Gcm
                         ? openRtpGcm(buf, body, hdr, ssrc, index)
                         : openRtpCm(buf, body, hdr, ssrc, index);
    if (r != Result::Ok) return fail(r);
    (s ? *s : streams_.add(ssrc)).rtp.accept(index);  // a new SSRC once authentic
    len = body;
    last_ = Result::Ok;
    return true;
}

SrtpUnprotector::Result SrtpUnprotector::openRtpCm(uint8_t* buf, size_t body, size_t hdr,
                                                   uint32_t ssrc, uint64_t index) {
    // Tag = HMAC-SHA1(auth key, packet || ROC) truncated to 80 bits; checked first.
    uint8_t roc[4];
    store32(roc, static_cast<uint32_t>(index >> 16));
    uint8_t mac[20];
    rtp_->hmac(buf, body, roc, 4, mac);
    if (CRYPTO_memcmp(mac, buf + body, kSrtpHmacTagLen) != 0) return Result::AuthFail;
    return rtp_->cmCrypt(ssrc, index, buf + hdr, body - hdr) ? Result::Ok : Result::AuthFail;
}

SrtpUnprotector::Result SrtpUnprotector::openRtpGcm(uint8_t* buf, size_t body, size_t hdr,
                                                    uint32_t ssrc, uint64_t index) {
    // RFC 7714 §8.1: AAD = the header. The tag covers the ciphertext, checked by
    // DecryptFinal; on a mismatch the (already decrypted) payload is dropped with the packet.
    uint8_t iv[12];
    rtp_->gcmIv(ssrc, static_cast<uint32_t>(index >> 16), static_cast<uint16_t>(index), iv);
    EVP_CIPHER_CTX* c = rtp_->cipher;
    int n = 0;
    const int payload = static_cast<int>(body - hdr);
    uint8_t none[16];
    if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_DecryptUpdate(c, nullptr, &n, buf, static_cast<int>(hdr)) != 1 ||
        (payload > 0 && EVP_DecryptUpdate(c, buf + hdr, &n, buf + hdr, payload) != 1) ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kSrtpGcmTagLen, buf + body) != 1 ||
        EVP_DecryptFinal_ex(c, none, &n) != 1)
        return Result::AuthFail;
    return Result::Ok;
}

bool SrtpUnprotector::unprotectRtcp(uint8_t* buf, size_t& len) {
    const size_t tag = srtpRtpOverhead(profile_);
    const bool gcm = profile_ == SrtpProfile::AeadAes128Gcm;
    // Header (8) + E|index (4) + tag at least; CM: ... || E|index || tag, GCM: ... || tag ||
    // E|index.
    if (len < 8 + 4 + tag || (buf[0] >> 6) != 2) return fail(Result::Malformed);
    const size_t body = len - 4 - tag;  // the RTCP packet
    const uint32_t eIndex = load32(gcm ? buf + len - 4 : buf + body);
    const uint32_t index = eIndex & 0x7FFFFFFF;
    const uint32_t ssrc = load32(buf + 4);
    Stream* s = streams_.find(ssrc);
    if (s && s->rtcp.rejects(index)) return fail(Result::Replay);
    if (!s && streams_.size() >= kMaxSsrcs) return fail(Result::TooManySsrcs);
    const Result r =
        gcm ? openRtcpGcm(buf, body, ssrc, eIndex) : openRtcpCm(buf, body, ssrc, eIndex);
    if (r != Result::Ok) return fail(r);
    (s ? *s : streams_.add(ssrc)).rtcp.accept(index);
    len = body;
    last_ = Result::Ok;
    return true;
}

SrtpUnprotector::Result SrtpUnprotector::openRtcpCm(uint8_t* buf, size_t body, uint32_t ssrc,
                                                    uint32_t eIndex) {
    // Tag = HMAC-SHA1(auth key, packet || E|index), whether encrypted or not.
    uint8_t mac[20];
    rtcp_->hmac(buf, body + 4, nullptr, 0, mac);
    if (CRYPTO_memcmp(mac, buf + body + 4, kSrtpHmacTagLen) != 0) return Result::AuthFail;
    if (!(eIndex & 0x80000000u)) return Result::Ok;  // E = 0: sent unencrypted
    return rtcp_->cmCrypt(ssrc, eIndex & 0x7FFFFFFF, buf + 8, body - 8) ? Result::Ok
                                                                        : Result::AuthFail;
}

SrtpUnprotector::Result SrtpUnprotector::openRtcpGcm(uint8_t* buf, size_t body, uint32_t ssrc,
                                                     uint32_t eIndex) {
    // RFC 7714 §9.1: AAD = first 8 bytes || E|index, the rest is ciphertext; §9.2 (E = 0):
    // AAD = the whole packet || E|index and no ciphertext.
    const bool encrypted = eIndex & 0x80000000u;
    const uint32_t index = eIndex & 0x7FFFFFFF;
    uint8_t iv[12];
    rtcp_->gcmIv(ssrc, index >> 16, static_cast<uint16_t>(index), iv);
    uint8_t ei[4];
    store32(ei, eIndex);
    EVP_CIPHER_CTX* c = rtcp_->cipher;
    int n = 0;
    const size_t aad = encrypted ? 8 : body;
    const int payload = static_cast<int>(body - aad);
    uint8_t none[16];
    if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_DecryptUpdate(c, nullptr, &n, buf, static_cast<int>(aad)) != 1 ||
        EVP_DecryptUpdate(c, nullptr, &n, ei, 4) != 1 ||
        (payload > 0 && EVP_DecryptUpdate(c, buf + 8, &n, buf + 8, payload) != 1) ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kSrtpGcmTagLen, buf + body) != 1 ||
        EVP_DecryptFinal_ex(c, none, &n) != 1)
        return Result::AuthFail;
    return Result::Ok;
}

}  // namespace rtc
