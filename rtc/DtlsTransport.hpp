#pragma once
// DTLS 1.2 server (passive role) over OpenSSL memory BIOs: records in from the ICE path,
// records out through the Listener, retransmission timer driven by the owner. On success
// verifies the peer certificate against the SDP fingerprint and exports SRTP keys
// (RFC 5764 "EXTRACTOR-dtls_srtp").
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rtc {

class DtlsCertificate;

enum class SrtpProfile : uint8_t { None, AesCm128HmacSha1_80, AeadAes128Gcm };

// Keys as seen from this side: `local*` protects what we send, `remote*` unprotects
// what we receive. Key 16 bytes; salt 14 (AES-CM) or 12 (GCM).
struct SrtpKeyMaterial {
    SrtpProfile profile = SrtpProfile::None;
    std::vector<uint8_t> localKey, localSalt, remoteKey, remoteSalt;
    // libsrtp's layout: key followed by salt.
    std::vector<uint8_t> localMasterKey() const;
    std::vector<uint8_t> remoteMasterKey() const;
};

// One SSL_CTX per engine (certificate, DTLS 1.2 cap, use_srtp profiles). Role client is
// for tests and the load tool only.
class DtlsContext {
public:
    enum class Role { Server, Client };
    DtlsContext(const DtlsCertificate& cert, Role role = Role::Server);
    ~DtlsContext();
    DtlsContext(const DtlsContext&) = delete;
    DtlsContext& operator=(const DtlsContext&) = delete;
    SSL_CTX* get() const { return ctx_; }
    Role role() const { return role_; }

private:
    SSL_CTX* ctx_ = nullptr;
    Role role_;
};

class DtlsTransport {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void onDtlsSend(const uint8_t* data, size_t len) = 0;
        virtual void onDtlsConnected(const SrtpKeyMaterial& keys) = 0;
        virtual void onDtlsFailed(const char* reason) = 0;
        virtual void onDtlsClosed() = 0;  // close_notify from the peer
        // Application data (DataChannel SCTP) — unused by the media plane for now.
        virtual void onDtlsData(const uint8_t*, size_t) {}
    };

    // remoteFingerprint: "sha-256" + "AB:CD:.." from the remote SDP.
    DtlsTransport(const DtlsContext& ctx, std::string remoteFingerprintAlgorithm,
                  std::string remoteFingerprint, Listener* listener);
    ~DtlsTransport();
    DtlsTransport(const DtlsTransport&) = delete;
    DtlsTransport& operator=(const DtlsTransport&) = delete;

    // Client role only: sends the ClientHello.
    void startClient();
    // One DTLS datagram (content type 20..63) from the peer.
    void onPacket(const uint8_t* data, size_t len);
    // Time until the handshake retransmission timer fires, or (once connected) until the
    // SSL is released; -1 when none is armed.
    long timeoutMs() const;
    // Call when that timer fired (DTLSv1_handle_timeout, or the release).
    void onTimeout();
    // Sends close_notify.
    void close();

    // Once connected, the SSL (~40 KiB per subscriber even with its record buffers freed:
    // session, certificates, handshake buffer) is needed only to retransmit our last flight
    // to a peer that did not get our Finished. It is freed as soon as the peer proves it got
    // it (peerHasKeys()), or this long after the handshake if it never does; close_notify
    // is prepared before and sent by close(). After that a DTLS alert from the peer counts as
    // its close_notify (alerts are encrypted; after the handshake they all end the session).
    static constexpr long kReleaseAfterMs = 30000;
    void setReleaseAfterMs(long ms) { releaseAfterMs_ = ms; }  // tests
    bool released() const { return released_; }
    // The peer sent an SRTP/SRTCP packet that authenticated with the exported keys: it
    // finished the handshake, so it got our Finished and will not retransmit its last
    // flight. Frees the SSL now; true when it did (false unless connected and not yet
    // released).
    bool peerHasKeys() {
        if (state_ != State::Connected || released_) return false;
        release();
        return true;
    }

    bool connected() const { return state_ == State::Connected; }
    bool failed() const { return state_ == State::Failed; }
    uint64_t failures() const { return failures_; }

    static bool isDtls(const uint8_t* data, size_t len) {
        return len >= 13 && data[0] >= 20 && data[0] <= 63;
    }

private:
    enum class State { New, Connecting, Connected, Failed, Closed };
    void flushOutput();
    void afterHandshakeStep(int ret);
    void fail(const char* reason);
    bool exportKeys(SrtpKeyMaterial& out);
    void release();

    const DtlsContext& ctx_;
    SSL* ssl_ = nullptr;
    BIO* in_ = nullptr;   // owned by ssl_
    BIO* out_ = nullptr;  // owned by ssl_
    std::string remoteAlgorithm_;
    std::string remoteFingerprint_;
    Listener* listener_;
    State state_ = State::New;
    uint64_t failures_ = 0;
    long releaseAfterMs_ = kReleaseAfterMs;
    std::chrono::steady_clock::time_point connectedAt_;
    bool released_ = false;
    std::vector<uint8_t> closeNotify_;  // prepared close_notify record(s), once released
};

}  // namespace rtc
