#include "rtc/SrtpProtector.hpp"

#include <cstring>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"
#include "rtc/SrtpKeys.hpp"

namespace rtc {

SrtpProtector::SrtpProtector(SrtpProfile profile, const uint8_t* key, size_t keyLen,
                             const uint8_t* salt, size_t saltLen)
    : profile_(profile) {
    SrtpKeys::deriveBoth(profile, key, keyLen, salt, saltLen, false, rtp_, rtcp_);
}

void SrtpProtector::hotLines(HotLines& out) const {
    out.add(this, sizeof *this);
    out.add(rtp_.get(), sizeof *rtp_);
    out.add(rtp_->cipher);  // opaque to us: at least its first line
}

bool SrtpProtector::protectRtp(uint8_t* buf, size_t& len, size_t capacity) {
    const size_t hdr = srtpRtpHeaderLength(buf, len);
    if (hdr == 0 || capacity < len + srtpRtpOverhead(profile_)) return false;
    const uint32_t ssrc = load32(buf + 8);
    const uint16_t seq = load16(buf + 2);
    Stream& s = streams_.findOrAdd(ssrc);
    // As libsrtp's sender estimates it, so late resends of old sequence numbers keep their ROC.
    const uint64_t index = srtpEstimateIndex(s.started ? s.index : 0, seq);
    if (!s.started || index > s.index) s.index = index;
    s.started = true;
    return profile_ == SrtpProfile::AeadAes128Gcm ? protectRtpGcm(buf, len, hdr, ssrc, index)
                                                  : protectRtpCm(buf, len, hdr, ssrc, index);
}

bool SrtpProtector::protectRtpCm(uint8_t* buf, size_t& len, size_t hdr, uint32_t ssrc,
                                 uint64_t index) {
    if (!rtp_->cmCrypt(ssrc, index, buf + hdr, len - hdr)) return false;
    // Tag = HMAC-SHA1(auth key, packet || ROC) truncated to 80 bits.
    uint8_t roc[4];
    store32(roc, static_cast<uint32_t>(index >> 16));
    uint8_t mac[20];
    rtp_->hmac(buf, len, roc, 4, mac);
    std::memcpy(buf + len, mac, kSrtpHmacTagLen);
    len += kSrtpHmacTagLen;
    return true;
}

bool SrtpProtector::protectRtpGcm(uint8_t* buf, size_t& len, size_t hdr, uint32_t ssrc,
                                  uint64_t index) {
    // RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = the header.
    uint8_t iv[12];
    rtp_->gcmIv(ssrc, static_cast<uint32_t>(index >> 16), static_cast<uint16_t>(index), iv);
    EVP_CIPHER_CTX* c = rtp_->cipher;
    int n = 0;
    const int payload = static_cast<int>(len - hdr);
    if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
        EVP_EncryptUpdate(c, nullptr, &n, buf, static_cast<int>(hdr)) != 1 ||
        (payload > 0 && EVP_EncryptUpdate(c, buf + hdr, &n, buf + hdr, payload) != 1) ||
        EVP_EncryptFinal_ex(c, buf + len, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kSrtpGcmTagLen, buf + len) != 1)
        return false;
    len += kSrtpGcmTagLen;
    return true;
}

bool SrtpProtector::protectRtcp(uint8_t* buf, size_t& len, size_t capacity) {
    if (len < 8 || (buf[0] >> 6) != 2 || capacity < len + srtpRtcpOverhead(profile_)) return false;
    const uint32_t ssrc = load32(buf + 4);
    Stream& s = streams_.findOrAdd(ssrc);
    if (s.rtcpIndex >= 0x7FFFFFFF) return false;  // key exhausted (2^31 SRTCP packets)
    const uint32_t index = ++s.rtcpIndex;
    const uint32_t eIndex = 0x80000000u | index;  // E: encrypted
    const int body = static_cast<int>(len - 8);
    int n = 0;
    if (profile_ == SrtpProfile::AeadAes128Gcm) {
        // RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || index) XOR salt;
        // AAD = first 8 bytes || E|index; output = header || ciphertext || tag || E|index.
        uint8_t iv[12];
        rtcp_->gcmIv(ssrc, index >> 16, static_cast<uint16_t>(index), iv);
        uint8_t ei[4];
        store32(ei, eIndex);
        EVP_CIPHER_CTX* c = rtcp_->cipher;
        if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, iv) != 1 ||
            EVP_EncryptUpdate(c, nullptr, &n, buf, 8) != 1 ||
            EVP_EncryptUpdate(c, nullptr, &n, ei, 4) != 1 ||
            EVP_EncryptUpdate(c, buf + 8, &n, buf + 8, body) != 1 ||
            EVP_EncryptFinal_ex(c, buf + len, &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kSrtpGcmTagLen, buf + len) != 1)
            return false;
        len += kSrtpGcmTagLen;
        std::memcpy(buf + len, ei, 4);
        len += 4;
        return true;
    }
    // RFC 3711 §4.1.1 for SRTCP: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16).
    if (!rtcp_->cmCrypt(ssrc, index, buf + 8, len - 8)) return false;
    store32(buf + len, eIndex);
    len += 4;
    uint8_t mac[20];
    rtcp_->hmac(buf, len, nullptr, 0, mac);
    std::memcpy(buf + len, mac, kSrtpHmacTagLen);
    len += kSrtpHmacTagLen;
    return true;
}

}  // namespace rtc
