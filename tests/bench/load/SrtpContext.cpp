#include "SrtpContext.hpp"

#include <mutex>
#include <stdexcept>

namespace load {

void srtpGlobalInit() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (srtp_init() != srtp_err_status_ok) throw std::runtime_error("srtp_init failed");
    });
}

SrtpContext::SrtpContext(SrtpSuite suite, const std::vector<uint8_t>& keyAndSalt, Direction dir) {
    srtpGlobalInit();
    srtp_policy_t policy{};
    if (suite == SrtpSuite::AeadAes128Gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    }
    policy.ssrc.type = dir == Direction::Inbound ? ssrc_any_inbound : ssrc_any_outbound;
    // libsrtp copies the key during srtp_create.
    policy.key = const_cast<uint8_t*>(keyAndSalt.data());
    // Sampled verification skips packets, so accept any index jump the replay window allows.
    policy.window_size = 1024;
    policy.allow_repeat_tx = 1;
    if (srtp_create(&session_, &policy) != srtp_err_status_ok)
        throw std::runtime_error("srtp_create failed");
}

SrtpContext::~SrtpContext() {
    if (session_) srtp_dealloc(session_);
}

bool SrtpContext::protect(uint8_t* buf, size_t& len) {
    int l = static_cast<int>(len);
    if (srtp_protect(session_, buf, &l) != srtp_err_status_ok) return false;
    len = static_cast<size_t>(l);
    return true;
}

bool SrtpContext::protectRtcp(uint8_t* buf, size_t& len) {
    int l = static_cast<int>(len);
    if (srtp_protect_rtcp(session_, buf, &l) != srtp_err_status_ok) return false;
    len = static_cast<size_t>(l);
    return true;
}

bool SrtpContext::unprotect(uint8_t* buf, size_t& len) {
    int l = static_cast<int>(len);
    if (srtp_unprotect(session_, buf, &l) != srtp_err_status_ok) return false;
    len = static_cast<size_t>(l);
    return true;
}

}  // namespace load
