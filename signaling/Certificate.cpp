// writeSelfSignedCertificate: an EC P-256 key and a one-year self-signed X.509 certificate
// for trials (`classbridge serve --tls-self-signed`), with SANs so browsers accept it
// once trusted.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "signaling/HttpServer.hpp"

namespace signaling {

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct ExtFree {
    void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct FileClose {
    void operator()(FILE* f) const { fclose(f); }
};

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("self-signed certificate: ") + what + " failed");
}

void addExtension(X509* cert, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

bool looksLikeIp(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

void writeSelfSignedCertificate(const std::string& certFile, const std::string& keyFile,
                                const std::string& commonName) {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    std::unique_ptr<X509, X509Free> cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
    unsigned char serial[16];
    FILE* urandom = fopen("/dev/urandom", "rb");
    check(urandom != nullptr && fread(serial, 1, sizeof serial, urandom) == sizeof serial,
          "reading /dev/urandom");
    fclose(urandom);
    serial[0] &= 0x7f;  // positive
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
          "serial");
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
    check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    const std::string cn = commonName.empty() ? "localhost" : commonName;
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("ClassBridge"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    check(X509_set_issuer_name(cert.get(), name) == 1, "X509_set_issuer_name");
    std::string san = (looksLikeIp(cn) ? "IP:" : "DNS:") + cn;
    if (cn != "127.0.0.1") san += ",IP:127.0.0.1";
    if (cn != "localhost") san += ",DNS:localhost";
    addExtension(cert.get(), NID_subject_alt_name, san);
    addExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert.get(), NID_key_usage, "critical,digitalSignature");
    addExtension(cert.get(), NID_ext_key_usage, "serverAuth");
    check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

    {
        // The key is created 0600 from the start, never world-readable.
        int fd = ::open(keyFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        check(fd >= 0, ("opening " + keyFile).c_str());
        fchmod(fd, 0600);
        std::unique_ptr<FILE, FileClose> f(fdopen(fd, "wb"));
        if (!f) ::close(fd);
        check(f != nullptr, ("opening " + keyFile).c_str());
        check(PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
              "writing the key");
    }
    std::unique_ptr<FILE, FileClose> f(fopen(certFile.c_str(), "wb"));
    check(f != nullptr, ("opening " + certFile).c_str());
    check(PEM_write_X509(f.get(), cert.get()) == 1, "writing the certificate");
}

}  // namespace signaling
