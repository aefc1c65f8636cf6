#include "Peer.hpp"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "rtc/ByteReader.hpp"
#include "rtc/StunMessage.hpp"

namespace load {

namespace {
constexpr int64_t kMs = 1000000;
constexpr int64_t kCheckRetransmitNs = 100 * kMs;
constexpr int64_t kConsentNs = 5000 * kMs;  // well inside the servers' 30 s consent timeout
constexpr int64_t kLiteDtlsFallbackNs = 1500 * kMs;
// libwebrtc sends a receiving video stream's first RTCP soon after it starts and then about
// once a second; audio-only streams every 5 s. One RR with both report blocks a second.
constexpr int64_t kFirstRtcpNs = 500 * kMs;
constexpr int64_t kRtcpIntervalNs = 1000 * kMs;
constexpr unsigned kBatch = 32;
constexpr size_t kBufSize = 2048;

bool parseSockaddr(const std::string& ip, uint16_t port, sockaddr_storage& ss, socklen_t& len) {
    ss = {};
    if (ip.find(':') != std::string::npos) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        len = sizeof *a;
        return inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) == 1;
    }
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    len = sizeof *a;
    return inet_pton(AF_INET, ip.c_str(), &a->sin_addr) == 1;
}

size_t rtpHeaderLen(const uint8_t* p, size_t n) {
    if (n < 12) return 0;
    size_t len = 12 + 4 * (p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (n < len + 4) return 0;
        len += 4 + 4 * size_t{rtc::load16(p + len + 2)};
    }
    return len <= n ? len : 0;
}

// True when the H.264 RTP payload carries (part of) an IDR slice.
bool hasIdr(const uint8_t* p, size_t n) {
    if (n < 2) return false;
    uint8_t type = p[0] & 0x1f;
    if (type == 5) return true;
    if (type == 28) return (p[1] & 0x1f) == 5;  // FU-A
    if (type == 24) {                           // STAP-A
        rtc::ByteReader r(p + 1, n - 1);
        while (r.remaining() >= 3) {
            uint16_t len = r.u16();
            const uint8_t* nal = r.bytes(len);
            if (!nal || len == 0) break;
            if ((nal[0] & 0x1f) == 5) return true;
        }
    }
    return false;
}

// Receive buffers shared by all peers of a loop thread (one thread per loop).
struct RecvBatch {
    uint8_t data[kBatch][kBufSize];
    sockaddr_storage from[kBatch];
    alignas(cmsghdr) uint8_t control[kBatch][64];
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
};
thread_local RecvBatch tlsBatch;
}  // namespace

Peer::Peer(EventLoop& loop, const DtlsContext& dtls, ReceiveShared* shared, IceRole role,
           const std::string& localIp)
    : loop_(loop), dtlsCtx_(dtls), shared_(shared), role_(role), localIp_(localIp) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (!parseSockaddr(localIp, 0, ss, len)) throw std::invalid_argument("bad local ip " + localIp);
    fd_ = UniqueFd(::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd_.get() < 0) throw std::system_error(errno, std::generic_category(), "socket");
    if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0)
        throw std::system_error(errno, std::generic_category(), "bind");
    // Kernel receive timestamps: latency is not inflated by the load client's own backlog.
    int on = 1;
    setsockopt(fd_.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    int rcvbuf = 1 << 20;
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    len = sizeof ss;
    getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    localPort_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    ice_.ufrag = randomToken(8);
    ice_.pwd = randomToken(24);
    ice_.fingerprint = dtls.fingerprint();
    RAND_bytes(reinterpret_cast<uint8_t*>(&tieBreaker_), sizeof tieBreaker_);
}

Peer::~Peer() {
    if (registered_) loop_.remove(fd_.get());
}

void Peer::begin(const RemoteSdp& remote, const std::string& remoteIp, uint16_t remotePort,
                 int64_t postNs) {
    remoteUfrag_ = remote.ufrag;
    remotePwd_ = remote.pwd;
    videoPt_ = remote.videoPt();
    audioPt_ = remote.audioPt();
    counters_.postNs = postNs;
    if (!remoteIp.empty() && !parseSockaddr(remoteIp, remotePort, remote_, remoteLen_))
        throw std::invalid_argument("bad remote address " + remoteIp);
    loop_.add(fd_.get(), this);
    registered_ = true;
    if (role_ == IceRole::Controlling) sendCheck();
}

void Peer::sendTo(const uint8_t* p, size_t n) {
    if (remoteLen_ == 0) return;
    ::sendto(fd_.get(), p, n, 0, reinterpret_cast<const sockaddr*>(&remote_), remoteLen_);
}

void Peer::sendCheck() {
    rtc::StunTransactionId tx;
    RAND_bytes(tx.data(), static_cast<int>(tx.size()));
    auto req = rtc::buildBindingRequest(tx, remoteUfrag_ + ":" + ice_.ufrag, remotePwd_, 0x6e7f00ff,
                                        tieBreaker_, true);
    sendTo(req.data(), req.size());
    nextCheckMono_ = monoNs() + (iceDone_ ? kConsentNs : kCheckRetransmitNs);
}

void Peer::onTick(int64_t now) {
    if (counters_.failed) return;
    if (role_ == IceRole::Controlling && now >= nextCheckMono_) sendCheck();
    if (role_ == IceRole::Lite && !dtls_ && firstCheckInMono_ &&
        now - firstCheckInMono_ > kLiteDtlsFallbackNs)
        startDtls();
    if (dtls_ && !dtls_->done()) {
        dtls_->onTimer();
        flushDtls();
        if (dtls_->failed()) counters_.failed = true;
    }
    if (shared_ && out_ && nextRtcpMono_ && now >= nextRtcpMono_) {
        nextRtcpMono_ = now + kRtcpIntervalNs;
        sendReceiverReport();
    }
}

void Peer::sendReceiverReport() {
    // RFC 3550 RR: one report block per stream received so far (jitter and LSR left 0).
    uint8_t buf[8 + 2 * 24 + SRTP_MAX_TRAILER_LEN + 4];  // srtp_protect_rtcp may use +4
    size_t n = 8;
    auto put32 = [&](uint32_t v) {
        for (int i = 0; i < 4; ++i) buf[n++] = static_cast<uint8_t>(v >> (24 - 8 * i));
    };
    uint8_t blocks = 0;
    for (auto [ssrc, seq] : {std::pair{videoSsrc_, &video_}, std::pair{audioSsrc_, &audio_}}) {
        if (!ssrc) continue;
        ++blocks;
        put32(ssrc);
        const uint64_t lost = seq->expected() - std::min(seq->expected(), seq->received());
        put32(static_cast<uint32_t>(std::min<uint64_t>(lost, 0x7fffff)));  // fraction 0
        put32(seq->highest());
        put32(0);  // jitter
        put32(0);  // LSR
        put32(0);  // DLSR
    }
    buf[0] = static_cast<uint8_t>(0x80 | blocks);
    buf[1] = 201;
    buf[2] = 0;
    buf[3] = static_cast<uint8_t>(n / 4 - 1);
    const size_t end = n;
    n = 4;
    put32(rtcpSsrc_);
    n = end;
    if (!out_->protectRtcp(buf, n)) return;
    sendTo(buf, n);
    ++counters_.rtcpSent;
}

void Peer::startDtls() {
    if (dtls_) return;
    dtls_ = std::make_unique<DtlsClient>(dtlsCtx_);
    dtls_->start();
    flushDtls();
}

void Peer::flushDtls() {
    for (auto& d : dtls_->takeOutput()) sendTo(d.data(), d.size());
    if (dtls_->done() && !counters_.connected) {
        if (!dtls_->exportKeys(keys_)) {
            counters_.failed = true;
            return;
        }
        in_ = std::make_unique<SrtpContext>(keys_.suite, keys_.remote,
                                            SrtpContext::Direction::Inbound);
        out_ = std::make_unique<SrtpContext>(keys_.suite, keys_.local,
                                             SrtpContext::Direction::Outbound);
        counters_.connected = true;
        counters_.connectedNs = realtimeNs();
        nextRtcpMono_ = monoNs() + kFirstRtcpNs;
        RAND_bytes(reinterpret_cast<uint8_t*>(&rtcpSsrc_), sizeof rtcpSsrc_);
        if (onConnected_) onConnected_();
    }
    if (dtls_->failed()) counters_.failed = true;
}

void Peer::onReadable() {
    RecvBatch& b = tlsBatch;
    for (;;) {
        for (unsigned i = 0; i < kBatch; ++i) {
            b.iov[i] = {b.data[i], kBufSize - 64};
            b.msgs[i].msg_hdr = {};
            b.msgs[i].msg_hdr.msg_name = &b.from[i];
            b.msgs[i].msg_hdr.msg_namelen = sizeof b.from[i];
            b.msgs[i].msg_hdr.msg_iov = &b.iov[i];
            b.msgs[i].msg_hdr.msg_iovlen = 1;
            b.msgs[i].msg_hdr.msg_control = b.control[i];
            b.msgs[i].msg_hdr.msg_controllen = sizeof b.control[i];
        }
        int n = recvmmsg(fd_.get(), b.msgs, kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0) return;
        for (int i = 0; i < n; ++i) {
            int64_t rx = 0;
            for (cmsghdr* c = CMSG_FIRSTHDR(&b.msgs[i].msg_hdr); c;
                 c = CMSG_NXTHDR(&b.msgs[i].msg_hdr, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts;
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    rx = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
                }
            }
            if (!rx) rx = realtimeNs();
            onDatagram(b.data[i], b.msgs[i].msg_len, b.from[i], rx);
        }
        if (n < static_cast<int>(kBatch)) return;
    }
}

void Peer::onDatagram(uint8_t* p, size_t n, const sockaddr_storage& from, int64_t rxNs) {
    if (n == 0) return;
    uint8_t b = p[0];
    if (b < 4) {
        onStun(p, n, from);
    } else if (b >= 20 && b < 64) {
        if (dtls_) {
            dtls_->feed(p, n);
            flushDtls();
        }
    } else if (b >= 128 && b < 192) {
        onRtp(p, n, rxNs);
    }
}

void Peer::onStun(const uint8_t* p, size_t n, const sockaddr_storage& from) {
    static const bool debug = std::getenv("CB_LOAD_DEBUG") != nullptr;
    auto msg = rtc::StunMessage::parse(p, n);
    if (debug)
        std::fprintf(stderr, "stun %zu bytes parsed=%d cls=%d user=%s integrity=%d\n", n,
                     msg ? 1 : 0, msg ? static_cast<int>(msg->cls()) : -1,
                     msg && msg->username() ? msg->username()->c_str() : "-",
                     msg ? static_cast<int>(msg->verifyIntegrity(
                               msg->cls() == rtc::StunClass::Request ? ice_.pwd : remotePwd_))
                         : -1);
    if (!msg || msg->method() != rtc::kStunMethodBinding) return;
    if (msg->cls() == rtc::StunClass::Success && role_ == IceRole::Controlling) {
        if (!msg->verifyIntegrity(remotePwd_)) return;
        if (!iceDone_) {
            iceDone_ = true;
            nextCheckMono_ = monoNs() + kConsentNs;
            startDtls();
        }
    } else if (msg->cls() == rtc::StunClass::Request) {
        // Janus (full agent, controlling) checks us; ClassBridge never sends requests.
        if (msg->usernameLocalPart() != ice_.ufrag || !msg->verifyIntegrity(ice_.pwd)) return;
        remote_ = from;
        remoteLen_ = from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        auto resp = rtc::buildBindingSuccess(
            msg->transactionId(),
            rtc::StunAddress::fromSockaddr(reinterpret_cast<const sockaddr*>(&from)), ice_.pwd);
        sendTo(resp.data(), resp.size());
        if (!firstCheckInMono_) firstCheckInMono_ = monoNs();
        if (msg->useCandidate()) {
            iceDone_ = true;
            startDtls();
        }
    }
}

void Peer::onRtp(uint8_t* p, size_t n, int64_t rxNs) {
    ++counters_.packets;
    counters_.bytes += n;
    uint8_t pt = p[1] & 0x7f;
    if (pt >= 64 && pt < 96) {  // RTCP (RFC 5761)
        ++counters_.rtcp;
        return;
    }
    if (!shared_ || !in_) return;
    size_t hl = rtpHeaderLen(p, n);
    if (hl == 0) return;
    uint16_t seq = rtc::load16(p + 2);
    uint32_t ts = rtc::load32(p + 4);
    bool marker = p[1] & 0x80;
    bool video = pt == videoPt_;
    if (!video && pt != audioPt_) return;
    (video ? videoSsrc_ : audioSsrc_) = rtc::load32(p + 8);
    (video ? video_ : audio_).onPacket(seq);

    // Until the first keyframe is complete every video packet is decrypted (its payload is
    // needed); after that 1 in sampleEvery packets has its authentication verified.
    bool decrypt = (video && counters_.keyframeNs == 0) || !offsetKnown_ ||
                   (++sampleCounter_ % shared_->sampleEvery == 0);
    if (decrypt) {
        size_t len = n;
        if (!in_->unprotect(p, len)) {
            ++counters_.authFailed;
        } else {
            ++counters_.verified;
            if (video && len > hl) {
                const uint8_t* pl = p + hl;
                size_t pn = len - hl;
                if (counters_.keyframeNs == 0) {
                    if (hasIdr(pl, pn)) idrTimestamp_ = ts;
                    if (marker && idrTimestamp_ == static_cast<int64_t>(ts))
                        counters_.keyframeNs = rxNs;
                }
                if (!offsetKnown_) {
                    if (auto idx = shared_->media->videoIndexOf(payloadHash(pl, pn))) {
                        if (auto sentSeq = shared_->log->latestSeqOf(*idx)) {
                            seqOffset_ = static_cast<uint16_t>(seq - *sentSeq);
                            offsetKnown_ = true;
                        }
                    }
                }
            }
        }
    }
    if (video && offsetKnown_) {
        int64_t sent = shared_->log->videoSentNs(static_cast<uint16_t>(seq - seqOffset_));
        int64_t lat = rxNs - sent;
        if (sent == 0 || lat < 0 || lat > 10000 * kMs) {
            ++counters_.unmatched;
        } else {
            shared_->latency.add(lat);
            ++counters_.latencySamples;
        }
    }
}

int64_t Peer::sendRtp(Kind, uint8_t* buf, size_t len) {
    if (!counters_.connected || !out_) return 0;
    if (!out_->protect(buf, len)) return 0;
    int64_t t = realtimeNs();
    sendTo(buf, len);
    return t;
}

const PeerCounters& Peer::counters() const {
    auto& c = const_cast<PeerCounters&>(counters_);
    c.videoExpected = video_.expected();
    c.videoReceived = video_.received();
    c.audioExpected = audio_.expected();
    c.audioReceived = audio_.received();
    return counters_;
}

}  // namespace load
