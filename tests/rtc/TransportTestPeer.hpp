#pragma once
// A real ICE/DTLS/SRTP client peer for the transport tests: a UDP (or TCP, RFC 4571)
// socket, STUN Binding requests built with rtc::StunWriter, an OpenSSL DTLS client
// (rtc::DtlsTransport in client role) and libsrtp contexts from the exported keys.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <srtp2/srtp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rtc/DtlsCertificate.hpp"
#include "rtc/DtlsTransport.hpp"
#include "rtc/MediaEngine.hpp"
#include "rtc/NetUtil.hpp"
#include "rtc/StunMessage.hpp"
#include "rtc/WebRtcTransport.hpp"

namespace rtctest {

using namespace std::chrono_literals;

// Records what a server transport reports (callbacks come on its worker thread).
class RecordingListener : public rtc::WebRtcTransport::Listener {
public:
    void onTransportConnected() override {
        set([&] { connected = true; });
    }
    void onRtp(uint8_t* d, size_t n) override {
        set([&] { rtp.emplace_back(d, d + n); });
    }
    void onRtcp(uint8_t* d, size_t n) override {
        set([&] { rtcp.emplace_back(d, d + n); });
    }
    void onTransportClosed(const char* reason) override {
        set([&] { closedReason = reason; });
    }
    template <typename Pred>
    bool waitFor(Pred pred, std::chrono::milliseconds timeout = 30s) {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, timeout, [&] { return pred(); });
    }
    std::mutex mutex;
    std::condition_variable cv;
    bool connected = false;
    std::vector<std::vector<uint8_t>> rtp, rtcp;
    std::optional<std::string> closedReason;

private:
    template <typename F>
    void set(F f) {
        {
            std::lock_guard lock(mutex);
            f();
        }
        cv.notify_all();
    }
};

// An engine on an ephemeral port of 127.0.0.1 only, with two workers (so hand-offs happen).
inline rtc::EngineOptions loopbackEngineOptions() {
    rtc::EngineOptions o;
    o.port = 0;
    o.listenIps = {"127.0.0.1"};
    o.workers = 2;
    return o;
}

inline rtc::StunTransactionId randomTx() {
    rtc::StunTransactionId tx;
    for (auto& b : tx) b = static_cast<uint8_t>(std::rand());
    return tx;
}

class TestPeer : public rtc::DtlsTransport::Listener {
public:
    // tcp: connect to the server's port over TCP and frame per RFC 4571.
    TestPeer(const rtc::SocketAddress& server, bool tcp = false) : server_(server), tcp_(tcp) {
        fd_ = ::socket(server.family(), tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
        if (tcp) {
            int one = 1;
            setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            connected_ = ::connect(fd_, server.sa(), server.len()) == 0;
        } else {
            auto any = rtc::SocketAddress::parse(server.isV6() ? "::1" : "127.0.0.1", 0);
            ::bind(fd_, any.sa(), any.len());
        }
    }
    ~TestPeer() override {
        if (fd_ >= 0) ::close(fd_);
        if (srtpOut_) srtp_dealloc(srtpOut_);
        if (srtpIn_) srtp_dealloc(srtpIn_);
    }
    bool tcpConnected() const { return connected_; }
    int fd() const { return fd_; }
    rtc::SocketAddress localAddress() const {
        sockaddr_storage ss{};
        socklen_t len = sizeof(ss);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
        return rtc::SocketAddress(reinterpret_cast<sockaddr*>(&ss), len);
    }

    void sendRaw(const uint8_t* d, size_t n) {
        if (tcp_) {
            std::vector<uint8_t> f{static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
            f.insert(f.end(), d, d + n);
            (void)!::send(fd_, f.data(), f.size(), MSG_NOSIGNAL);
        } else {
            (void)!::sendto(fd_, d, n, 0, server_.sa(), server_.len());
        }
    }
    // One datagram / frame, or nullopt after the timeout (or when TCP closed).
    std::optional<std::vector<uint8_t>> receive(std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (tcp_) {
                if (auto f = takeFrame()) return f;
                if (tcpEof_) return std::nullopt;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            uint8_t buf[70000];
            ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
            if (n <= 0) {
                if (tcp_) {
                    tcpEof_ = true;
                    return std::nullopt;
                }
                continue;
            }
            if (!tcp_) return std::vector<uint8_t>(buf, buf + n);
            tcpIn_.insert(tcpIn_.end(), buf, buf + n);
        }
    }
    bool tcpEof() const { return tcpEof_; }

    // Sends a Binding request (retrying: UDP may drop under load) and returns the response.
    std::optional<rtc::StunMessage> check(const std::string& serverUfrag,
                                          const std::string& serverPwd,
                                          const std::string& clientUfrag, bool useCandidate,
                                          std::chrono::milliseconds timeout = 20s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto tx = randomTx();
            auto req = rtc::buildBindingRequest(tx, serverUfrag + ":" + clientUfrag, serverPwd,
                                                0x6e7f00ff, 0x1234567890ULL, useCandidate);
            sendRaw(req.data(), req.size());
            auto end = std::chrono::steady_clock::now() + 500ms;
            while (std::chrono::steady_clock::now() < end) {
                auto pkt = receive(100ms);
                if (!pkt) {
                    if (tcpEof_) return std::nullopt;
                    continue;
                }
                auto msg = rtc::StunMessage::parse(pkt->data(), pkt->size());
                if (msg && msg->transactionId() == tx) return msg;
            }
        }
        return std::nullopt;
    }

    // DTLS client handshake to the server; true when keys are exported.
    bool handshake(const rtc::DtlsContext& ctx, const std::string& serverFingerprint,
                   std::chrono::milliseconds timeout = 30s) {
        dtls_ = std::make_unique<rtc::DtlsTransport>(ctx, "sha-256", serverFingerprint, this);
        dtls_->startClient();
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!keys_ && !failed_ && std::chrono::steady_clock::now() < deadline) {
            long t = dtls_->timeoutMs();
            auto wait = std::chrono::milliseconds(t < 0 ? 100 : std::min<long>(t + 1, 100));
            auto pkt = receive(wait);
            if (pkt && rtc::DtlsTransport::isDtls(pkt->data(), pkt->size()))
                dtls_->onPacket(pkt->data(), pkt->size());
            else if (dtls_->timeoutMs() == 0)
                dtls_->onTimeout();
        }
        return keys_.has_value();
    }
    const std::optional<rtc::SrtpKeyMaterial>& keys() const { return keys_; }
    bool dtlsFailed() const { return failed_; }
    rtc::DtlsTransport* dtls() { return dtls_.get(); }

    // libsrtp protect/unprotect with the client's keys.
    std::vector<uint8_t> protect(std::vector<uint8_t> plain, bool rtcp = false) {
        int len = static_cast<int>(plain.size());
        plain.resize(plain.size() + SRTP_MAX_TRAILER_LEN);
        auto st = rtcp ? srtp_protect_rtcp(srtpOut_, plain.data(), &len)
                       : srtp_protect(srtpOut_, plain.data(), &len);
        if (st != srtp_err_status_ok) return {};
        plain.resize(static_cast<size_t>(len));
        return plain;
    }
    std::optional<std::vector<uint8_t>> unprotect(std::vector<uint8_t> data, bool rtcp = false) {
        int len = static_cast<int>(data.size());
        auto st = rtcp ? srtp_unprotect_rtcp(srtpIn_, data.data(), &len)
                       : srtp_unprotect(srtpIn_, data.data(), &len);
        if (st != srtp_err_status_ok) return std::nullopt;
        data.resize(static_cast<size_t>(len));
        return data;
    }

    void onDtlsSend(const uint8_t* d, size_t n) override { sendRaw(d, n); }
    void onDtlsConnected(const rtc::SrtpKeyMaterial& k) override {
        keys_ = k;
        srtp_init();
        auto make = [&](srtp_t& s, const std::vector<uint8_t>& key, bool inbound) {
            srtp_policy_t p{};
            if (k.profile == rtc::SrtpProfile::AeadAes128Gcm) {
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
                srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
            } else {
                srtp_crypto_policy_set_rtp_default(&p.rtp);
                srtp_crypto_policy_set_rtcp_default(&p.rtcp);
            }
            p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
            keyCopies_.push_back(key);
            p.key = keyCopies_.back().data();
            p.window_size = 1024;
            srtp_create(&s, &p);
        };
        keyCopies_.reserve(2);
        make(srtpOut_, k.localMasterKey(), false);
        make(srtpIn_, k.remoteMasterKey(), true);
    }
    void onDtlsFailed(const char*) override { failed_ = true; }
    void onDtlsClosed() override { closeNotify_ = true; }
    bool closeNotify() const { return closeNotify_; }

private:
    std::optional<std::vector<uint8_t>> takeFrame() {
        if (tcpIn_.size() < 2) return std::nullopt;
        size_t n = (size_t{tcpIn_[0]} << 8) | tcpIn_[1];
        if (tcpIn_.size() < 2 + n) return std::nullopt;
        std::vector<uint8_t> f(tcpIn_.begin() + 2, tcpIn_.begin() + 2 + static_cast<long>(n));
        tcpIn_.erase(tcpIn_.begin(), tcpIn_.begin() + 2 + static_cast<long>(n));
        return f;
    }

    rtc::SocketAddress server_;
    bool tcp_;
    int fd_ = -1;
    bool connected_ = false;
    bool tcpEof_ = false;
    std::vector<uint8_t> tcpIn_;
    std::unique_ptr<rtc::DtlsTransport> dtls_;
    std::optional<rtc::SrtpKeyMaterial> keys_;
    bool failed_ = false;
    bool closeNotify_ = false;
    srtp_t srtpOut_ = nullptr;
    srtp_t srtpIn_ = nullptr;
    std::vector<std::vector<uint8_t>> keyCopies_;
};

// An RTP packet: V=2, PT 96, seq, ts, ssrc, then `payload` bytes of a pattern.
inline std::vector<uint8_t> makeRtp(uint16_t seq, uint32_t ssrc, size_t payload) {
    std::vector<uint8_t> p(12 + payload);
    p[0] = 0x80;
    p[1] = 96;
    p[2] = static_cast<uint8_t>(seq >> 8);
    p[3] = static_cast<uint8_t>(seq);
    uint32_t ts = seq * 3000u;
    for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<uint8_t>(ts >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) p[8 + i] = static_cast<uint8_t>(ssrc >> (24 - 8 * i));
    for (size_t i = 0; i < payload; ++i) p[12 + i] = static_cast<uint8_t>(i * 7 + seq);
    return p;
}

}  // namespace rtctest
