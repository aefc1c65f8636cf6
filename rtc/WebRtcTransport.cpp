#include "rtc/WebRtcTransport.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "rtc/IceTcpConnection.hpp"
#include "rtc/PacketClassifier.hpp"
#include "rtc/PortDemux.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/SrtpUnprotector.hpp"
#include "rtc/TransportHost.hpp"

namespace rtc {

namespace {
constexpr size_t kMaxPlain = SendBatch::kSlotSize - 32;  // room for any SRTP tag
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
    size_t n = len;
    if (!(rtcp ? srtpIn_->unprotectRtcp(data, n) : srtpIn_->unprotectRtp(data, n))) {
        ++counters_.srtpErrors;
        return;
    }
    lastConsent_ = std::chrono::steady_clock::now();  // authenticated media is consent too
    // It also proves the peer finished DTLS: its SSL (~40 KiB) need not wait for the
    // fallback timer. Once per transport (a subscriber's first RTCP, a publisher's first RTP).
    if (dtls_->peerHasKeys()) armDtlsTimer();
    ++counters_.packetsIn;
    counters_.bytesIn += len;
    auto& totals = port_.transportTotals();
    ++totals.packetsIn;
    totals.bytesIn += len;
    if (rtcp)
        listener_->onRtcp(data, n);
    else
        listener_->onRtp(data, n);
}

bool WebRtcTransport::sendRtp(const uint8_t* data, size_t len) {
    return sendProtected(data, len, false);
}
bool WebRtcTransport::sendRtcp(const uint8_t* data, size_t len) {
    return sendProtected(data, len, true);
}

void WebRtcTransport::hotLines(HotLines& out) const {
    // The members sendProtected() reads, not the whole (large) object.
    out.add(this, sizeof(void*) * 3);  // vtable, port_, listener_
    out.add(&srtpOut_, sizeof srtpOut_);
    out.add(&state_, sizeof state_);
    out.add(&selected_, sizeof selected_);
    out.add(&counters_, sizeof counters_);
    if (srtpOut_) srtpOut_->hotLines(out);
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
    size_t n = len;
    size_t capacity = selected_.tcp ? port_.scratchSize() : SendBatch::kSlotSize;
    if (!(rtcp ? srtpOut_->protectRtcp(buf, n, capacity)
               : srtpOut_->protectRtp(buf, n, capacity))) {
        ++counters_.srtpErrors;
        ++totals.srtpErrors;
        return false;
    }
    if (selected_.tcp) {
        if (!selected_.tcp->send(buf, n)) {
            ++counters_.sendErrors;
            ++totals.sendErrors;
            return false;
        }
        port_.markTcpDirty(selected_.tcp);
    } else {
        port_.batch(selected_.udp).commit(n, selected_.remote);
    }
    ++counters_.packetsOut;
    counters_.bytesOut += n;
    ++totals.packetsOut;
    totals.bytesOut += n;
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
    try {
        srtpIn_ = std::make_unique<SrtpUnprotector>(keys.profile, keys.remoteKey.data(),
                                                    keys.remoteKey.size(), keys.remoteSalt.data(),
                                                    keys.remoteSalt.size());
        srtpOut_ = std::make_unique<SrtpProtector>(keys.profile, keys.localKey.data(),
                                                   keys.localKey.size(), keys.localSalt.data(),
                                                   keys.localSalt.size());
    } catch (const std::exception& e) {
        srtpIn_.reset();
        srtpOut_.reset();
        std::string why = std::string("SRTP context creation failed: ") + e.what();
        onDtlsFailed(why.c_str());
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
