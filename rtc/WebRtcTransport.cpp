#include "rtc/WebRtcTransport.hpp"

#include <spdlog/spdlog.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "rtc/IceTcpConnection.hpp"
#include "rtc/PacketClassifier.hpp"
#include "rtc/PortDemux.hpp"
#include "rtc/TransportHost.hpp"

namespace rtc {

// libsrtp context for one direction of one transport (RAII). The inbound side verifies
// and decrypts in place; the outbound side protects in place in the send slot.
class TransportSrtp {
public:
    TransportSrtp(SrtpProfile profile, const std::vector<uint8_t>& masterKey, bool inbound) {
        static std::once_flag once;
        std::call_once(once, [] { srtp_init(); });
        srtp_policy_t policy{};
        if (profile == SrtpProfile::AeadAes128Gcm) {
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
        } else {
            srtp_crypto_policy_set_rtp_default(&policy.rtp);
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
        }
        policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
        key_ = masterKey;
        policy.key = key_.data();
        policy.window_size = 1024;
        policy.allow_repeat_tx = 1;  // NACK answers resend a packet already sent
        if (srtp_create(&srtp_, &policy) != srtp_err_status_ok) srtp_ = nullptr;
    }
    ~TransportSrtp() {
        if (srtp_) srtp_dealloc(srtp_);
    }
    TransportSrtp(const TransportSrtp&) = delete;
    TransportSrtp& operator=(const TransportSrtp&) = delete;
    bool ok() const { return srtp_ != nullptr; }
    // In place; len in/out. The buffer must have SRTP_MAX_TRAILER_LEN spare bytes.
    bool protect(uint8_t* buf, int& len, bool rtcp) {
        return (rtcp ? srtp_protect_rtcp(srtp_, buf, &len) : srtp_protect(srtp_, buf, &len)) ==
               srtp_err_status_ok;
    }
    bool unprotect(uint8_t* buf, int& len, bool rtcp) {
        return (rtcp ? srtp_unprotect_rtcp(srtp_, buf, &len) : srtp_unprotect(srtp_, buf, &len)) ==
               srtp_err_status_ok;
    }

private:
    srtp_t srtp_ = nullptr;
    std::vector<uint8_t> key_;
};

namespace {
constexpr size_t kMaxPlain = SendBatch::kSlotSize - SRTP_MAX_TRAILER_LEN;
}

WebRtcTransport::WebRtcTransport(PortDemux& port, const RemoteIceDtls& remote, Listener* listener,
                                 std::chrono::milliseconds consentTimeout)
    : port_(port),
      listener_(listener),
      ice_(remote.iceUfrag, remote.icePwd),
      consentTimeout_(consentTimeout),
      lastConsent_(std::chrono::steady_clock::now()) {
    dtls_ = std::make_unique<DtlsTransport>(port.host().dtlsContext(), remote.fingerprintAlgorithm,
                                            remote.fingerprint, this);
    port_.addTransport(this);
    // Checked often enough that a dead peer is dropped within ~1 s of the timeout.
    auto period = std::clamp(consentTimeout / 4, std::chrono::milliseconds(50),
                             std::chrono::milliseconds(1000));
    consentTimer_ = port_.worker().addTimer(period, true, [this] { checkConsent(); });
}

WebRtcTransport::~WebRtcTransport() {
    close();
}

const std::vector<IceCandidate>& WebRtcTransport::candidates() const {
    return port_.host().candidates();
}
const std::string& WebRtcTransport::localFingerprint() const {
    return port_.host().fingerprint();
}
Worker& WebRtcTransport::worker() const {
    return port_.worker();
}

std::string WebRtcTransport::selectedRemote() const {
    if (!selected_.valid()) return {};
    return selected_.remote.toString();
}

void WebRtcTransport::onPacket(uint8_t* data, size_t len, const Path& path) {
    if (state_ == State::Closed) return;
    switch (classifyPacket(data, len)) {
        case PacketKind::Stun:
            onStun(data, len, path);
            break;
        case PacketKind::Dtls:
            onDtls(data, len, path);
            break;
        case PacketKind::Rtp:
        case PacketKind::Rtcp:
            onSrtp(data, len, path);
            break;
        default:
            break;
    }
}

void WebRtcTransport::onStun(uint8_t* data, size_t len, const Path& path) {
    ++counters_.stunRequests;
    uint8_t response[512];
    auto r = ice_.handle(data, len, path.remote, response, sizeof(response));
    if (r.responseSize) sendRaw(response, r.responseSize, path);
    if (!r.valid) {
        ++counters_.stunInvalid;
        return;
    }
    lastConsent_ = std::chrono::steady_clock::now();
    if (state_ == State::New) state_ = State::Connecting;
    if (path.tcp) {
        if (std::find(tcpPaths_.begin(), tcpPaths_.end(), path.tcp) == tcpPaths_.end()) {
            tcpPaths_.push_back(path.tcp);
            port_.bindTcp(path.tcp, this);
        }
    } else if (std::find(udpPaths_.begin(), udpPaths_.end(), path.remote) == udpPaths_.end()) {
        udpPaths_.push_back(path.remote);
        port_.bindAddress(path.remote, this);
    }
    // Lite agent: the first valid check gives a path at once; a nomination (or a newer
    // one after a network change) switches to it.
    if (!selected_.valid() || r.nominated) selectPath(path);
}

void WebRtcTransport::selectPath(const Path& path) {
    bool same =
        selected_.tcp == path.tcp && selected_.udp == path.udp && selected_.remote == path.remote;
    if (same) return;
    if (selected_.valid()) ++counters_.pathSwitches;
    selected_ = path;
    spdlog::debug("transport {}: selected path {} ({})", ice_.localUfrag(), path.remote.toString(),
                  path.tcp ? "tcp" : "udp");
}

void WebRtcTransport::onDtls(const uint8_t* data, size_t len, const Path& path) {
    lastDtlsPath_ = path;
    dtls_->onPacket(data, len);
    armDtlsTimer();
}

void WebRtcTransport::armDtlsTimer() {
    if (dtlsTimer_) {
        port_.worker().cancelTimer(dtlsTimer_);
        dtlsTimer_ = 0;
    }
    long ms = dtls_->timeoutMs();
    if (ms < 0 || state_ == State::Closed) return;
    dtlsTimer_ = port_.worker().addTimer(std::chrono::milliseconds(ms), false, [this] {
        dtlsTimer_ = 0;
        dtls_->onTimeout();
        armDtlsTimer();
    });
}

void WebRtcTransport::onSrtp(uint8_t* data, size_t len, const Path&) {
    if (!srtpIn_) return;  // before DTLS completes: nothing to decrypt with
    bool rtcp = classifyPacket(data, len) == PacketKind::Rtcp;
    int n = static_cast<int>(len);
    if (!srtpIn_->unprotect(data, n, rtcp)) {
        ++counters_.srtpErrors;
        return;
    }
    lastConsent_ = std::chrono::steady_clock::now();  // authenticated media is consent too
    ++counters_.packetsIn;
    counters_.bytesIn += len;
    auto& totals = port_.transportTotals();
    ++totals.packetsIn;
    totals.bytesIn += len;
    if (rtcp)
        listener_->onRtcp(data, static_cast<size_t>(n));
    else
        listener_->onRtp(data, static_cast<size_t>(n));
}

bool WebRtcTransport::sendRtp(const uint8_t* data, size_t len) {
    return sendProtected(data, len, false);
}
bool WebRtcTransport::sendRtcp(const uint8_t* data, size_t len) {
    return sendProtected(data, len, true);
}

bool WebRtcTransport::sendProtected(const uint8_t* data, size_t len, bool rtcp) {
    auto& totals = port_.transportTotals();
    if (state_ != State::Connected || !srtpOut_ || !selected_.valid() || len > kMaxPlain ||
        len < (rtcp ? 8u : 12u)) {
        ++counters_.sendErrors;
        ++totals.sendErrors;
        return false;
    }
    // UDP: protect straight into the sendmmsg slot; TCP: into the worker scratch, then
    // framed into the connection's bounded output buffer.
    uint8_t* buf = selected_.tcp ? port_.scratch() : port_.batch(selected_.udp).reserve();
    std::memcpy(buf, data, len);
    int n = static_cast<int>(len);
    if (!srtpOut_->protect(buf, n, rtcp)) {
        ++counters_.srtpErrors;
        ++totals.srtpErrors;
        return false;
    }
    if (selected_.tcp) {
        if (!selected_.tcp->send(buf, static_cast<size_t>(n))) {
            ++counters_.sendErrors;
            ++totals.sendErrors;
            return false;
        }
        port_.markTcpDirty(selected_.tcp);
    } else {
        port_.batch(selected_.udp).commit(static_cast<size_t>(n), selected_.remote);
    }
    ++counters_.packetsOut;
    counters_.bytesOut += static_cast<size_t>(n);
    ++totals.packetsOut;
    totals.bytesOut += static_cast<size_t>(n);
    return true;
}

void WebRtcTransport::sendRaw(const uint8_t* data, size_t len, const Path& path) {
    if (path.tcp) {
        if (path.tcp->send(data, len)) port_.markTcpDirty(path.tcp);
        return;
    }
    if (path.udp < 0 || len > SendBatch::kSlotSize) return;
    auto& batch = port_.batch(path.udp);
    std::memcpy(batch.reserve(), data, len);
    batch.commit(len, path.remote);
}

void WebRtcTransport::onDtlsSend(const uint8_t* data, size_t len) {
    sendRaw(data, len, selected_.valid() ? selected_ : lastDtlsPath_);
}

void WebRtcTransport::onDtlsConnected(const SrtpKeyMaterial& keys) {
    srtpIn_ = std::make_unique<TransportSrtp>(keys.profile, keys.remoteMasterKey(), true);
    srtpOut_ = std::make_unique<TransportSrtp>(keys.profile, keys.localMasterKey(), false);
    if (!srtpIn_->ok() || !srtpOut_->ok()) {
        srtpIn_.reset();
        srtpOut_.reset();
        onDtlsFailed("SRTP context creation failed");
        return;
    }
    profile_ = keys.profile;
    state_ = State::Connected;
    spdlog::debug("transport {}: connected ({})", ice_.localUfrag(),
                  keys.profile == SrtpProfile::AeadAes128Gcm ? "AEAD_AES_128_GCM"
                                                             : "AES_CM_128_HMAC_SHA1_80");
    listener_->onTransportConnected();
}

void WebRtcTransport::onDtlsFailed(const char* reason) {
    ++counters_.dtlsFailures;
    ++port_.transportTotals().dtlsFailures;
    spdlog::warn("transport {}: DTLS failed: {}", ice_.localUfrag(), reason);
    std::string why = std::string("dtls: ") + reason;
    closeWith(why.c_str());
}

void WebRtcTransport::onDtlsClosed() {
    closeWith("dtls close_notify");
}

void WebRtcTransport::checkConsent() {
    if (state_ == State::Closed) return;
    if (std::chrono::steady_clock::now() - lastConsent_ > consentTimeout_)
        closeWith(state_ == State::Connected ? "ICE consent expired" : "ICE/DTLS never completed");
}

void WebRtcTransport::onTcpConnectionClosed(IceTcpConnection* conn) {
    tcpPaths_.erase(std::remove(tcpPaths_.begin(), tcpPaths_.end(), conn), tcpPaths_.end());
    if (selected_.tcp == conn) selected_ = Path{};
    if (lastDtlsPath_.tcp == conn) lastDtlsPath_ = Path{};
    // No other path: consent expiry closes the transport unless the peer comes back.
}

void WebRtcTransport::restartIce(const std::string& remoteUfrag, const std::string& remotePwd) {
    if (state_ == State::Closed) return;
    port_.removeTransport(this);
    ice_.restart(remoteUfrag, remotePwd);
    port_.addTransport(this);
}

void WebRtcTransport::closeWith(const char* reason) {
    if (state_ == State::Closed) return;
    close();
    listener_->onTransportClosed(reason);
}

void WebRtcTransport::close() {
    if (state_ == State::Closed) return;
    if (dtls_) dtls_->close();  // close_notify goes out through onDtlsSend
    state_ = State::Closed;
    auto& w = port_.worker();
    if (consentTimer_) w.cancelTimer(consentTimer_);
    if (dtlsTimer_) w.cancelTimer(dtlsTimer_);
    consentTimer_ = dtlsTimer_ = 0;
    for (auto& a : udpPaths_) port_.unbindAddress(a, this);
    for (auto* c : tcpPaths_) port_.unbindTcp(c, this);
    udpPaths_.clear();
    tcpPaths_.clear();
    selected_ = Path{};
    lastDtlsPath_ = Path{};
    port_.removeTransport(this);
}

}  // namespace rtc
