#include "rtc/DtlsTransport.hpp"

#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "rtc/DtlsCertificate.hpp"

namespace rtc {

namespace {
// Self-signed peers: the chain is not verified, the SDP fingerprint is (after handshake).
int acceptAnyCertificate(int, X509_STORE_CTX*) {
    return 1;
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
}
std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}
}  // namespace

std::vector<uint8_t> SrtpKeyMaterial::localMasterKey() const {
    std::vector<uint8_t> k = localKey;
    k.insert(k.end(), localSalt.begin(), localSalt.end());
    return k;
}
std::vector<uint8_t> SrtpKeyMaterial::remoteMasterKey() const {
    std::vector<uint8_t> k = remoteKey;
    k.insert(k.end(), remoteSalt.begin(), remoteSalt.end());
    return k;
}

DtlsContext::DtlsContext(const DtlsCertificate& cert, Role role) : role_(role) {
    ctx_ = SSL_CTX_new(role == Role::Server ? DTLS_server_method() : DTLS_client_method());
    if (!ctx_) throw std::runtime_error("SSL_CTX_new failed");
    // WebRTC DTLS is 1.2 here; Chromium offers 1.3 first and falls back.
    SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx_, DTLS1_2_VERSION);
    if (SSL_CTX_use_certificate(ctx_, cert.cert()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx_, cert.key()) != 1 || SSL_CTX_check_private_key(ctx_) != 1)
        throw std::runtime_error("DTLS: certificate/key rejected");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       acceptAnyCertificate);
    // GCM first: cheaper per packet when the peer offers it.
    if (SSL_CTX_set_tlsext_use_srtp(ctx_, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
        throw std::runtime_error("DTLS: use_srtp not supported");
    SSL_CTX_set_cipher_list(ctx_,
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA");
    SSL_CTX_set_read_ahead(ctx_, 1);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
}

DtlsContext::~DtlsContext() {
    SSL_CTX_free(ctx_);
}

DtlsTransport::DtlsTransport(const DtlsContext& ctx, std::string remoteFingerprintAlgorithm,
                             std::string remoteFingerprint, Listener* listener)
    : ctx_(ctx),
      remoteAlgorithm_(lower(std::move(remoteFingerprintAlgorithm))),
      remoteFingerprint_(upper(std::move(remoteFingerprint))),
      listener_(listener) {
    ssl_ = SSL_new(ctx.get());
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    if (!ssl_ || !in_ || !out_) throw std::runtime_error("DTLS: SSL_new failed");
    BIO_set_mem_eof_return(in_, -1);
    BIO_set_mem_eof_return(out_, -1);
    SSL_set_bio(ssl_, in_, out_);
    // Records must fit one UDP datagram on any path (also through tunnels).
    SSL_set_options(ssl_, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(ssl_, 1200);
    DTLS_set_link_mtu(ssl_, 1200);
    if (ctx.role() == DtlsContext::Role::Server)
        SSL_set_accept_state(ssl_);
    else
        SSL_set_connect_state(ssl_);
}

DtlsTransport::~DtlsTransport() {
    SSL_free(ssl_);
}

void DtlsTransport::startClient() {
    state_ = State::Connecting;
    afterHandshakeStep(SSL_do_handshake(ssl_));
}

void DtlsTransport::onPacket(const uint8_t* data, size_t len) {
    if (state_ == State::Failed || state_ == State::Closed) return;
    if (released_) {
        // Content type 21 = alert (the record header is plain): close_notify or fatal.
        if (len >= 13 && data[0] == 21) {
            state_ = State::Closed;
            listener_->onDtlsClosed();
        }
        return;
    }
    if (state_ == State::New) state_ = State::Connecting;
    // Freed after the handshake (below); OpenSSL's DTLS write path does not re-create them.
    if (state_ == State::Connected) SSL_alloc_buffers(ssl_);
    BIO_write(in_, data, static_cast<int>(len));
    if (state_ == State::Connecting) {
        afterHandshakeStep(SSL_do_handshake(ssl_));
        if (state_ != State::Connected) return;
    }
    // Connected: application data or alerts (close_notify).
    uint8_t buf[2048];
    for (;;) {
        int n = SSL_read(ssl_, buf, sizeof(buf));
        if (n > 0) {
            listener_->onDtlsData(buf, static_cast<size_t>(n));
            continue;
        }
        int err = SSL_get_error(ssl_, n);
        flushOutput();
        if (err == SSL_ERROR_ZERO_RETURN) {
            state_ = State::Closed;
            listener_->onDtlsClosed();
        } else if (err == SSL_ERROR_SSL) {
            ERR_clear_error();
        }
        break;
    }
    // Once connected DTLS carries at most a retransmitted flight or an alert, but the record
    // layer keeps its read and write buffers (~32 KiB per subscriber; SSL_MODE_RELEASE_BUFFERS
    // does not release them for DTLS): free them, they are re-allocated when needed.
    if (state_ == State::Connected) SSL_free_buffers(ssl_);
}

void DtlsTransport::afterHandshakeStep(int ret) {
    flushOutput();
    if (ret == 1) {
        // Handshake done: the peer's certificate must be the one its SDP announced.
        X509* peer = SSL_get1_peer_certificate(ssl_);
        std::string fp = peer ? DtlsCertificate::fingerprint(peer, remoteAlgorithm_) : "";
        X509_free(peer);
        if (fp.empty() || fp != remoteFingerprint_) {
            fail("remote certificate does not match the SDP fingerprint");
            return;
        }
        SrtpKeyMaterial keys;
        if (!exportKeys(keys)) {
            fail("no SRTP profile negotiated (use_srtp)");
            return;
        }
        state_ = State::Connected;
        connectedAt_ = std::chrono::steady_clock::now();
        listener_->onDtlsConnected(keys);
        return;
    }
    int err = SSL_get_error(ssl_, ret);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
    char msg[256] = "handshake failed";
    unsigned long e = ERR_peek_error();
    if (e) ERR_error_string_n(e, msg, sizeof(msg));
    ERR_clear_error();
    fail(msg);
}

bool DtlsTransport::exportKeys(SrtpKeyMaterial& out) {
    SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_);
    if (!p) return false;
    size_t keyLen = 16, saltLen;
    if (p->id == SRTP_AES128_CM_SHA1_80) {
        out.profile = SrtpProfile::AesCm128HmacSha1_80;
        saltLen = 14;
    } else if (p->id == SRTP_AEAD_AES_128_GCM) {
        out.profile = SrtpProfile::AeadAes128Gcm;
        saltLen = 12;
    } else {
        return false;
    }
    // RFC 5764 §4.2: client key, server key, client salt, server salt.
    std::vector<uint8_t> m(2 * (keyLen + saltLen));
    static const char kLabel[] = "EXTRACTOR-dtls_srtp";
    if (SSL_export_keying_material(ssl_, m.data(), m.size(), kLabel, sizeof(kLabel) - 1, nullptr, 0,
                                   0) != 1)
        return false;
    auto at = [&](size_t off, size_t n) {
        return std::vector<uint8_t>(m.begin() + off, m.begin() + off + n);
    };
    auto clientKey = at(0, keyLen), serverKey = at(keyLen, keyLen);
    auto clientSalt = at(2 * keyLen, saltLen), serverSalt = at(2 * keyLen + saltLen, saltLen);
    bool server = ctx_.role() == DtlsContext::Role::Server;
    out.localKey = server ? serverKey : clientKey;
    out.localSalt = server ? serverSalt : clientSalt;
    out.remoteKey = server ? clientKey : serverKey;
    out.remoteSalt = server ? clientSalt : serverSalt;
    return true;
}

void DtlsTransport::flushOutput() {
    // A memory BIO holds whole records back to back; DTLS sends each flight's records
    // as they were written, one datagram per BIO_read packet boundary is not kept, so
    // split on record headers (13 bytes + length) and coalesce up to the MTU.
    uint8_t buf[16384];
    for (;;) {
        int n = BIO_read(out_, buf, sizeof(buf));
        if (n <= 0) break;
        size_t pos = 0, total = static_cast<size_t>(n);
        while (pos < total) {
            size_t start = pos, size = 0;
            while (pos + 13 <= total) {
                size_t rec = 13 + ((size_t{buf[pos + 11]} << 8) | buf[pos + 12]);
                if (pos + rec > total) rec = total - pos;
                if (size > 0 && size + rec > 1200) break;
                pos += rec;
                size += rec;
            }
            if (size == 0) {  // trailing garbage shorter than a header: send as is
                size = total - pos;
                pos = total;
            }
            listener_->onDtlsSend(buf + start, size);
        }
    }
}

long DtlsTransport::timeoutMs() const {
    if (state_ == State::Connected && !released_) {
        const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - connectedAt_)
                               .count();
        return since >= releaseAfterMs_ ? 0 : releaseAfterMs_ - since;
    }
    if (state_ != State::Connecting) return -1;
    timeval tv{};
    if (DTLSv1_get_timeout(ssl_, &tv) != 1) return -1;
    return tv.tv_sec * 1000L + tv.tv_usec / 1000;
}

void DtlsTransport::onTimeout() {
    if (state_ == State::Connected && !released_) {
        if (timeoutMs() == 0) release();
        return;
    }
    if (state_ != State::Connecting) return;
    if (DTLSv1_handle_timeout(ssl_) < 0) {
        fail("handshake timed out");
        return;
    }
    flushOutput();
}

void DtlsTransport::release() {
    // The close_notify a later SSL_shutdown would send: no other record follows it (WebRTC
    // media does not use DTLS application data), so its sequence number stays right.
    SSL_alloc_buffers(ssl_);
    SSL_shutdown(ssl_);
    uint8_t buf[512];
    for (int n; (n = BIO_read(out_, buf, sizeof buf)) > 0;)
        closeNotify_.insert(closeNotify_.end(), buf, buf + n);
    SSL_free(ssl_);
    ssl_ = nullptr;
    in_ = out_ = nullptr;
    released_ = true;
}

void DtlsTransport::close() {
    if (state_ == State::Connected && released_) {
        if (!closeNotify_.empty()) listener_->onDtlsSend(closeNotify_.data(), closeNotify_.size());
    } else if (state_ == State::Connected) {
        SSL_alloc_buffers(ssl_);  // the alert needs the write buffer freed after the handshake
        SSL_shutdown(ssl_);
        flushOutput();
    }
    state_ = State::Closed;
}

void DtlsTransport::fail(const char* reason) {
    state_ = State::Failed;
    ++failures_;
    listener_->onDtlsFailed(reason);
}

}  // namespace rtc
