#pragma once
// RAII over one libsrtp2 session (one direction of one transport). No longer on the
// server's packet path (SrtpProtector sends, SrtpUnprotector receives): kept as the
// reference both are checked against (tests/rtc/Srtp*Test.cpp) and for the benchmarks.
// Not thread-safe: one session lives on one thread.
#include <cstddef>
#include <cstdint>

#include "rtc/DtlsTransport.hpp"  // SrtpProfile

struct srtp_ctx_t_;

namespace rtc {

// Bytes SRTP adds to an RTP / RTCP packet (tag; RTCP also the 4-byte E|index word).
size_t srtpRtpOverhead(SrtpProfile p);
size_t srtpRtcpOverhead(SrtpProfile p);
// Master key 16 bytes; master salt 14 (AES-CM) or 12 (GCM).
size_t srtpSaltLength(SrtpProfile p);

class SrtpSession {
public:
    enum class Direction : uint8_t { Inbound, Outbound };

    // Throws std::invalid_argument (bad profile/lengths) or std::runtime_error (libsrtp).
    SrtpSession(SrtpProfile profile, const uint8_t* key, size_t keyLen, const uint8_t* salt,
                size_t saltLen, Direction direction);
    ~SrtpSession();
    SrtpSession(const SrtpSession&) = delete;
    SrtpSession& operator=(const SrtpSession&) = delete;

    // In place; len is updated. protect* fail when capacity < len + overhead.
    bool protectRtp(uint8_t* buf, size_t& len, size_t capacity);
    bool protectRtcp(uint8_t* buf, size_t& len, size_t capacity);
    // Authenticates (and replay-checks) then decrypts in place; false drops the packet.
    bool unprotectRtp(uint8_t* buf, size_t& len);
    bool unprotectRtcp(uint8_t* buf, size_t& len);

    SrtpProfile profile() const { return profile_; }
    int lastError() const { return lastError_; }  // srtp_err_status_t of the last failure

private:
    srtp_ctx_t_* ctx_ = nullptr;
    SrtpProfile profile_;
    Direction direction_;
    int lastError_ = 0;
};

}  // namespace rtc
