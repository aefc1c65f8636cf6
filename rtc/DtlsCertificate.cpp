#include "rtc/DtlsCertificate.hpp"

#include <openssl/bn.h>
#include <openssl/rand.h>

#include <cstdio>
#include <stdexcept>

namespace rtc {

DtlsCertificate::DtlsCertificate() {
    key_ = EVP_EC_gen("P-256");
    cert_ = X509_new();
    if (!key_ || !cert_) throw std::runtime_error("DTLS certificate: key generation failed");
    X509_set_version(cert_, 2);
    uint64_t serial = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial));
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert_), serial >> 1);
    // Backdated a day: peers with a slightly wrong clock must not reject it.
    X509_gmtime_adj(X509_getm_notBefore(cert_), -86400L);
    X509_gmtime_adj(X509_getm_notAfter(cert_), 365L * 86400L);
    X509_set_pubkey(cert_, key_);
    X509_NAME* name = X509_get_subject_name(cert_);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("classbridge"), -1, -1, 0);
    X509_set_issuer_name(cert_, name);
    if (X509_sign(cert_, key_, EVP_sha256()) == 0) {
        X509_free(cert_);
        EVP_PKEY_free(key_);
        throw std::runtime_error("DTLS certificate: signing failed");
    }
    fingerprint_ = fingerprint(cert_, "sha-256");
}

DtlsCertificate::~DtlsCertificate() {
    X509_free(cert_);
    EVP_PKEY_free(key_);
}

std::string DtlsCertificate::fingerprint(X509* cert, const std::string& algorithm) {
    const EVP_MD* md = nullptr;
    if (algorithm == "sha-256")
        md = EVP_sha256();
    else if (algorithm == "sha-1")
        md = EVP_sha1();
    else if (algorithm == "sha-384")
        md = EVP_sha384();
    else if (algorithm == "sha-512")
        md = EVP_sha512();
    if (!md || !cert) return {};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_digest(cert, md, digest, &len) != 1) return {};
    std::string out;
    out.reserve(len * 3);
    char hex[4];
    for (unsigned i = 0; i < len; ++i) {
        std::snprintf(hex, sizeof(hex), i ? ":%02X" : "%02X", digest[i]);
        out += hex;
    }
    return out;
}

}  // namespace rtc
