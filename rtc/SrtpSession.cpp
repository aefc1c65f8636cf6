#include "rtc/SrtpSession.hpp"

#include <srtp2/srtp.h>

#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

namespace rtc {

size_t srtpRtpOverhead(SrtpProfile p) {
    return p == SrtpProfile::AeadAes128Gcm ? 16 : 10;
}
size_t srtpRtcpOverhead(SrtpProfile p) {
    return 4 + srtpRtpOverhead(p);
}
size_t srtpSaltLength(SrtpProfile p) {
    return p == SrtpProfile::AeadAes128Gcm ? 12 : 14;
}

namespace {
void initLibsrtpOnce() {
    static std::once_flag once;
    // A second srtp_init() fails: another libsrtp user in the process (a test's peer) may
    // have run it first. The status is not checked here; srtp_create() fails without it.
    std::call_once(once, [] { (void)srtp_init(); });
}
}  // namespace

SrtpSession::SrtpSession(SrtpProfile profile, const uint8_t* key, size_t keyLen,
                         const uint8_t* salt, size_t saltLen, Direction direction)
    : profile_(profile), direction_(direction) {
    if (profile == SrtpProfile::None || keyLen != 16 || saltLen != srtpSaltLength(profile))
        throw std::invalid_argument("SRTP: unsupported profile or key/salt length");
    initLibsrtpOnce();
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof policy);
    if (profile == SrtpProfile::AeadAes128Gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    }
    unsigned char master[32] = {};
    std::memcpy(master, key, keyLen);
    std::memcpy(master + keyLen, salt, saltLen);
    policy.key = master;
    policy.ssrc.type = direction == Direction::Inbound ? ssrc_any_inbound : ssrc_any_outbound;
    // Inbound: tolerate reordering of a busy publisher; outbound: NACK answered without RTX
    // resends a packet with its old sequence number.
    policy.window_size = 1024;
    policy.allow_repeat_tx = direction == Direction::Outbound ? 1 : 0;
    policy.next = nullptr;
    srtp_t ctx = nullptr;
    const srtp_err_status_t st = srtp_create(&ctx, &policy);
    std::memset(master, 0, sizeof master);
    if (st != srtp_err_status_ok)
        throw std::runtime_error("srtp_create failed: " + std::to_string(static_cast<int>(st)));
    ctx_ = ctx;
}

SrtpSession::~SrtpSession() {
    if (ctx_) srtp_dealloc(ctx_);
}

bool SrtpSession::protectRtp(uint8_t* buf, size_t& len, size_t capacity) {
    if (len < 12 || capacity < len + srtpRtpOverhead(profile_)) return false;
    int n = static_cast<int>(len);
    const auto st = srtp_protect(ctx_, buf, &n);
    if (st != srtp_err_status_ok) return lastError_ = st, false;
    len = static_cast<size_t>(n);
    return true;
}

bool SrtpSession::protectRtcp(uint8_t* buf, size_t& len, size_t capacity) {
    if (len < 8 || capacity < len + srtpRtcpOverhead(profile_)) return false;
    int n = static_cast<int>(len);
    const auto st = srtp_protect_rtcp(ctx_, buf, &n);
    if (st != srtp_err_status_ok) return lastError_ = st, false;
    len = static_cast<size_t>(n);
    return true;
}

bool SrtpSession::unprotectRtp(uint8_t* buf, size_t& len) {
    if (len < 12 + srtpRtpOverhead(profile_)) return false;
    int n = static_cast<int>(len);
    const auto st = srtp_unprotect(ctx_, buf, &n);
    if (st != srtp_err_status_ok) return lastError_ = st, false;
    len = static_cast<size_t>(n);
    return true;
}

bool SrtpSession::unprotectRtcp(uint8_t* buf, size_t& len) {
    if (len < 8 + srtpRtcpOverhead(profile_)) return false;
    int n = static_cast<int>(len);
    const auto st = srtp_unprotect_rtcp(ctx_, buf, &n);
    if (st != srtp_err_status_ok) return lastError_ = st, false;
    len = static_cast<size_t>(n);
    return true;
}

}  // namespace rtc
