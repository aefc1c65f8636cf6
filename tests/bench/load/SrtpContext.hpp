#pragma once
// RAII adapter over one libsrtp2 session (one direction), keyed from the DTLS exporter.
#include <srtp2/srtp.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "DtlsClient.hpp"

namespace load {

// libsrtp's library-wide init, once per process.
void srtpGlobalInit();

class SrtpContext {
public:
    enum class Direction { Inbound, Outbound };
    SrtpContext(SrtpSuite suite, const std::vector<uint8_t>& keyAndSalt, Direction dir);
    ~SrtpContext();
    SrtpContext(const SrtpContext&) = delete;
    SrtpContext& operator=(const SrtpContext&) = delete;

    // In place; buf must have SRTP_MAX_TRAILER_LEN spare bytes after len. False on error.
    bool protect(uint8_t* buf, size_t& len);
    bool protectRtcp(uint8_t* buf, size_t& len);  // same contract, SRTCP
    // In place; false when authentication (or replay check) fails.
    bool unprotect(uint8_t* buf, size_t& len);

private:
    srtp_t session_ = nullptr;
};

}  // namespace load
