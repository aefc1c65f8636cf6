#pragma once
// One WHIP/WHEP session's network side: ICE-lite + DTLS + SRTP over the shared port.
// Lives on one worker (created there by TransportHost::createTransport, destroyed there);
// every method must be called on that worker's thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rtc/DtlsTransport.hpp"
#include "rtc/HotLines.hpp"
#include "rtc/IceLite.hpp"
#include "rtc/NetUtil.hpp"
#include "rtc/Worker.hpp"

namespace rtc {

class PortDemux;
class IceTcpConnection;
class SrtpUnprotector;
class SrtpProtector;

struct TransportCounters {
    uint64_t packetsIn = 0, bytesIn = 0;    // SRTP/SRTCP after unprotect
    uint64_t packetsOut = 0, bytesOut = 0;  // SRTP/SRTCP handed to the socket
    uint64_t srtpErrors = 0;                // unprotect/protect failures
    uint64_t sendErrors = 0;                // not connected, buffer full, socket error
    uint64_t dtlsFailures = 0;
    uint64_t stunRequests = 0, stunInvalid = 0;
    uint64_t pathSwitches = 0;
};

// The remote side as negotiated in SDP.
struct RemoteIceDtls {
    std::string iceUfrag;
    std::string icePwd;
    std::string fingerprintAlgorithm = "sha-256";
    std::string fingerprint;  // "AB:CD:..."
};

class WebRtcTransport : public DtlsTransport::Listener {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        virtual void onTransportConnected() = 0;
        // Decrypted packets; the buffer may be modified in place and is valid for the call.
        virtual void onRtp(uint8_t* data, size_t len) = 0;
        virtual void onRtcp(uint8_t* data, size_t len) = 0;
        // ICE consent lost, DTLS failure or close_notify. The owner should destroy the
        // transport soon (not from inside this callback).
        virtual void onTransportClosed(const char* reason) = 0;
    };

    // Use TransportHost::createTransport.
    WebRtcTransport(PortDemux& port, const RemoteIceDtls& remote, Listener* listener,
                    std::chrono::milliseconds consentTimeout);
    ~WebRtcTransport();
    WebRtcTransport(const WebRtcTransport&) = delete;
    WebRtcTransport& operator=(const WebRtcTransport&) = delete;

    const std::string& localUfrag() const { return ice_.localUfrag(); }
    const std::string& localPwd() const { return ice_.localPwd(); }
    const std::string& remoteUfrag() const { return ice_.remoteUfrag(); }
    // The host's candidates (same for every transport: one port).
    const std::vector<IceCandidate>& candidates() const;
    // "sha-256" fingerprint of the engine certificate, "AB:CD:..".
    const std::string& localFingerprint() const;
    Worker& worker() const;

    // Protects into the worker's send batch (no allocation) and queues it for sendmmsg.
    // False when not connected or on error (counted).
    bool sendRtp(const uint8_t* data, size_t len);
    bool sendRtcp(const uint8_t* data, size_t len);
    // What sendRtp() touches (this object, the SRTP protector), for the Router to prefetch.
    void hotLines(HotLines& out) const;
    // Silent close (no onTransportClosed): sends close_notify, unregisters.
    void close();
    // ICE restart (WHIP/WHEP PATCH): new remote credentials, new local ones.
    void restartIce(const std::string& remoteUfrag, const std::string& remotePwd);

    bool connected() const { return state_ == State::Connected; }
    bool closed() const { return state_ == State::Closed; }
    SrtpProfile srtpProfile() const { return profile_; }
    // The DTLS state (SSL) was freed after the handshake (see DtlsTransport::peerHasKeys).
    bool dtlsReleased() const { return dtls_ && dtls_->released(); }
    const TransportCounters& counters() const { return counters_; }
    // Selected path's remote address ("" before ICE completes), "udp"/"tcp".
    std::string selectedRemote() const;
    bool selectedIsTcp() const { return selected_.tcp != nullptr; }

    // ---- called by PortDemux on the worker thread ----
    struct Path {
        int udp = -1;                     // UDP: index of the worker socket (PortDemux)
        IceTcpConnection* tcp = nullptr;  // TCP: the connection
        SocketAddress remote;
        bool valid() const { return udp >= 0 || tcp != nullptr; }
    };
    void onPacket(uint8_t* data, size_t len, const Path& path);
    // A TCP connection of ours went away.
    void onTcpConnectionClosed(IceTcpConnection* conn);

private:
    enum class State { New, Connecting, Connected, Closed };
    void onStun(uint8_t* data, size_t len, const Path& path);
    void onDtls(const uint8_t* data, size_t len, const Path& path);
    void onSrtp(uint8_t* data, size_t len, const Path& path);
    bool sendProtected(const uint8_t* data, size_t len, bool rtcp);
    void sendRaw(const uint8_t* data, size_t len, const Path& path);
    void armDtlsTimer();
    void checkConsent();
    void closeWith(const char* reason);
    void selectPath(const Path& path);

    // DtlsTransport::Listener
    void onDtlsSend(const uint8_t* data, size_t len) override;
    void onDtlsConnected(const SrtpKeyMaterial& keys) override;
    void onDtlsFailed(const char* reason) override;
    void onDtlsClosed() override;

    PortDemux& port_;
    Listener* listener_;
    IceLite ice_;
    std::unique_ptr<DtlsTransport> dtls_;
    std::unique_ptr<SrtpUnprotector> srtpIn_;  // OpenSSL EVP: verify + replay-check + decrypt
    std::unique_ptr<SrtpProtector> srtpOut_;   // OpenSSL EVP: the per-viewer hot path
    SrtpProfile profile_ = SrtpProfile::None;
    State state_ = State::New;
    Path selected_;
    Path lastDtlsPath_;
    std::vector<SocketAddress> udpPaths_;      // validated UDP remotes (demux entries)
    std::vector<IceTcpConnection*> tcpPaths_;  // validated TCP connections
    std::chrono::milliseconds consentTimeout_;
    std::chrono::steady_clock::time_point lastConsent_;
    Worker::TimerId consentTimer_ = 0;
    Worker::TimerId dtlsTimer_ = 0;
    TransportCounters counters_;
};

}  // namespace rtc
