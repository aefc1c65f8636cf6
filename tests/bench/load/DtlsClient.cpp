#include "DtlsClient.hpp"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/srtp.h>
#include <openssl/x509.h>

#include <cstdio>
#include <stdexcept>

namespace load {

const char* srtpSuiteName(SrtpSuite s) {
    return s == SrtpSuite::AeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

namespace {
struct EvpPkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};

// The peer's certificate is self-signed like every WebRTC endpoint's; the load client does not
// check it against the SDP fingerprint (it measures servers, it does not protect anyone).
int acceptAny(int, X509_STORE_CTX*) {
    return 1;
}
}  // namespace

DtlsContext::DtlsContext(SrtpSuite suite) : suite_(suite) {
    std::unique_ptr<EVP_PKEY, EvpPkeyFree> key(EVP_EC_gen("P-256"));
    if (!key) throw std::runtime_error("EC key generation failed");
    std::unique_ptr<X509, X509Free> cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("cb-load"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        throw std::runtime_error("X509_sign failed");

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdLen = 0;
    X509_digest(cert.get(), EVP_sha256(), md, &mdLen);
    fingerprint_ = "sha-256 ";
    for (unsigned i = 0; i < mdLen; ++i) {
        char hex[4];
        std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", md[i]);
        fingerprint_ += hex;
    }

    ctx_ = SSL_CTX_new(DTLS_client_method());
    if (!ctx_) throw std::runtime_error("SSL_CTX_new failed");
    // DTLS 1.2: what both servers speak; the SRTP keys come from its exporter.
    SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx_, DTLS1_2_VERSION);
    SSL_CTX_use_certificate(ctx_, cert.get());
    SSL_CTX_use_PrivateKey(ctx_, key.get());
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAny);
    SSL_CTX_set_read_ahead(ctx_, 1);
    const char* profile =
        suite == SrtpSuite::AeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";
    if (SSL_CTX_set_tlsext_use_srtp(ctx_, profile) != 0)  // 0 is success here
        throw std::runtime_error("SSL_CTX_set_tlsext_use_srtp failed");
}

DtlsContext::~DtlsContext() {
    SSL_CTX_free(ctx_);
}

DtlsClient::DtlsClient(const DtlsContext& ctx) {
    ssl_ = SSL_new(ctx.get());
    if (!ssl_) throw std::runtime_error("SSL_new failed");
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    BIO_set_mem_eof_return(out_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
    SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl_, 1200);
    DTLS_set_link_mtu(ssl_, 1200);
}

DtlsClient::~DtlsClient() {
    SSL_free(ssl_);
}

void DtlsClient::start() {
    step();
}

void DtlsClient::step() {
    if (done_ || failed_) return;
    int rc = SSL_do_handshake(ssl_);
    if (rc == 1) {
        done_ = true;
        return;
    }
    int err = SSL_get_error(ssl_, rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        failed_ = true;
        ERR_clear_error();
    }
}

bool DtlsClient::feed(const uint8_t* data, size_t len) {
    BIO_write(in_, data, static_cast<int>(len));
    if (!done_) {
        step();
    } else {
        // Post-handshake records (alerts, retransmitted Finished): read and drop.
        uint8_t buf[2048];
        while (SSL_read(ssl_, buf, sizeof buf) > 0) {
        }
        ERR_clear_error();
    }
    return !failed_;
}

void DtlsClient::onTimer() {
    if (done_ || failed_) return;
    if (DTLSv1_handle_timeout(ssl_) < 0) failed_ = true;
}

std::vector<std::vector<uint8_t>> DtlsClient::takeOutput() {
    std::vector<std::vector<uint8_t>> out;
    // A memory BIO keeps record boundaries per BIO_write; DTLS writes one datagram each.
    while (BIO_ctrl_pending(out_) > 0) {
        std::vector<uint8_t> d(BIO_ctrl_pending(out_));
        int n = BIO_read(out_, d.data(), static_cast<int>(d.size()));
        if (n <= 0) break;
        d.resize(n);
        out.push_back(std::move(d));
    }
    return out;
}

bool DtlsClient::exportKeys(SrtpKeys& keys) const {
    SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_);
    if (!p) return false;
    size_t keyLen = 16, saltLen;
    if (p->id == SRTP_AES128_CM_SHA1_80) {
        keys.suite = SrtpSuite::AesCm128HmacSha1_80;
        saltLen = 14;
    } else if (p->id == SRTP_AEAD_AES_128_GCM) {
        keys.suite = SrtpSuite::AeadAes128Gcm;
        saltLen = 12;
    } else {
        return false;
    }
    std::vector<uint8_t> m(2 * (keyLen + saltLen));
    static const char kLabel[] = "EXTRACTOR-dtls_srtp";
    if (SSL_export_keying_material(ssl_, m.data(), m.size(), kLabel, sizeof kLabel - 1, nullptr, 0,
                                   0) != 1)
        return false;
    // RFC 5764 §4.2: client key | server key | client salt | server salt.
    const uint8_t* ck = m.data();
    const uint8_t* sk = ck + keyLen;
    const uint8_t* cs = sk + keyLen;
    const uint8_t* ss = cs + saltLen;
    keys.local.assign(ck, ck + keyLen);
    keys.local.insert(keys.local.end(), cs, cs + saltLen);
    keys.remote.assign(sk, sk + keyLen);
    keys.remote.insert(keys.remote.end(), ss, ss + saltLen);
    return true;
}

}  // namespace load
