#pragma once
// The engine's one DTLS identity: a self-signed ECDSA P-256 certificate whose SHA-256
// fingerprint goes into every answer SDP (a=fingerprint:sha-256 ...).
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

namespace rtc {

class DtlsCertificate {
public:
    DtlsCertificate();  // generates a fresh key and certificate; throws std::runtime_error
    ~DtlsCertificate();
    DtlsCertificate(const DtlsCertificate&) = delete;
    DtlsCertificate& operator=(const DtlsCertificate&) = delete;

    X509* cert() const { return cert_; }
    EVP_PKEY* key() const { return key_; }
    // "AB:CD:..." upper-case hex of the SHA-256 digest of the DER certificate.
    const std::string& fingerprintSha256() const { return fingerprint_; }

    // Same format for any certificate and digest name ("sha-256", "sha-1", "sha-384",
    // "sha-512"); empty for an unknown algorithm.
    static std::string fingerprint(X509* cert, const std::string& algorithm);

private:
    EVP_PKEY* key_ = nullptr;
    X509* cert_ = nullptr;
    std::string fingerprint_;
};

}  // namespace rtc
