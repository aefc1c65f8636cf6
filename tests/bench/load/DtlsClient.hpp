#pragma once
// OpenSSL DTLS 1.2 client (active role) over memory BIOs, and the SSL_CTX with the load
// client's one self-signed ECDSA P-256 certificate that all its peers share.
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace load {

enum class SrtpSuite { AesCm128HmacSha1_80, AeadAes128Gcm };
const char* srtpSuiteName(SrtpSuite s);

// Keying material for one direction: master key followed by master salt.
struct SrtpKeys {
    SrtpSuite suite = SrtpSuite::AesCm128HmacSha1_80;
    std::vector<uint8_t> local;   // what we protect with (client write key)
    std::vector<uint8_t> remote;  // what we unprotect with (server write key)
};

class DtlsContext {
public:
    // Offers exactly `suite` in the use_srtp extension so that both servers use the same one.
    explicit DtlsContext(SrtpSuite suite);
    ~DtlsContext();
    DtlsContext(const DtlsContext&) = delete;
    DtlsContext& operator=(const DtlsContext&) = delete;

    SSL_CTX* get() const { return ctx_; }
    const std::string& fingerprint() const { return fingerprint_; }  // "sha-256 AB:CD:..."
    SrtpSuite suite() const { return suite_; }

private:
    SSL_CTX* ctx_ = nullptr;
    SrtpSuite suite_;
    std::string fingerprint_;
};

class DtlsClient {
public:
    explicit DtlsClient(const DtlsContext& ctx);
    ~DtlsClient();
    DtlsClient(const DtlsClient&) = delete;
    DtlsClient& operator=(const DtlsClient&) = delete;

    // Starts the handshake (ClientHello); outgoing records are collected by takeOutput().
    void start();
    // Feeds one received datagram. Returns false on a fatal error.
    bool feed(const uint8_t* data, size_t len);
    // Retransmits on the DTLS timer; call every few tens of ms while !done().
    void onTimer();
    // Datagrams to send (each element one datagram).
    std::vector<std::vector<uint8_t>> takeOutput();
    bool done() const { return done_; }
    bool failed() const { return failed_; }
    // After done(): the negotiated suite and keys (RFC 5764 §4.2 exporter).
    bool exportKeys(SrtpKeys& keys) const;

private:
    void step();
    SSL* ssl_ = nullptr;
    BIO* in_ = nullptr;   // owned by ssl_
    BIO* out_ = nullptr;  // owned by ssl_
    bool done_ = false;
    bool failed_ = false;
};

}  // namespace load
