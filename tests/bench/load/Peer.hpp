#pragma once
// One WebRTC endpoint of the load client on its own UDP socket: ICE (controlling full agent
// toward an ICE-lite server such as ClassBridge, or ice-lite toward a full agent such as
// Janus), DTLS client, SRTP. A subscriber counts what it receives; a publisher sends the replay.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "ClientSdp.hpp"
#include "DtlsClient.hpp"
#include "EventLoop.hpp"
#include "MediaFile.hpp"
#include "SrtpContext.hpp"
#include "Stats.hpp"

namespace load {

// What subscribers of one loop share (owned by the runner, used on the loop thread only).
struct ReceiveShared {
    const MediaFile* media = nullptr;
    const SendLog* log = nullptr;
    LatencyHistogram latency;
    unsigned sampleEvery = 16;  // verify SRTP auth of 1 in N packets after the first keyframe
};

struct PeerCounters {
    bool connected = false;
    bool failed = false;
    int64_t postNs = 0, connectedNs = 0, keyframeNs = 0;  // CLOCK_REALTIME
    uint64_t videoExpected = 0, videoReceived = 0, audioExpected = 0, audioReceived = 0;
    uint64_t packets = 0, bytes = 0, rtcp = 0, rtcpSent = 0;
    uint64_t verified = 0, authFailed = 0, unmatched = 0, latencySamples = 0;
};

class Peer : public FdHandler, public RtpOutput {
public:
    enum class IceRole { Controlling, Lite };
    // Binds a UDP socket on localIp (port 0).
    Peer(EventLoop& loop, const DtlsContext& dtls, ReceiveShared* shared, IceRole role,
         const std::string& localIp);
    ~Peer() override;
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    const LocalIce& localIce() const { return ice_; }
    uint16_t localPort() const { return localPort_; }
    const std::string& localIp() const { return localIp_; }

    // Loop thread. remoteAddr may be empty for IceRole::Lite (learned from the checks).
    void begin(const RemoteSdp& remote, const std::string& remoteIp, uint16_t remotePort,
               int64_t postNs);
    void onTick(int64_t nowMono);  // loop thread, every ~20 ms
    void onReadable() override;
    int64_t sendRtp(Kind kind, uint8_t* buf, size_t len) override;

    const PeerCounters& counters() const;
    bool connected() const { return counters_.connected; }
    std::string suiteName() const { return keys_.local.empty() ? "" : srtpSuiteName(keys_.suite); }
    // Called once when DTLS completes (loop thread).
    void setOnConnected(std::function<void()> fn) { onConnected_ = std::move(fn); }

private:
    void onDatagram(uint8_t* p, size_t n, const sockaddr_storage& from, int64_t rxNs);
    void onStun(const uint8_t* p, size_t n, const sockaddr_storage& from);
    void onRtp(uint8_t* p, size_t n, int64_t rxNs);
    void sendCheck();
    void startDtls();
    void flushDtls();
    void sendTo(const uint8_t* p, size_t n);
    void sendReceiverReport();

    EventLoop& loop_;
    const DtlsContext& dtlsCtx_;
    ReceiveShared* shared_;
    IceRole role_;
    UniqueFd fd_;
    std::string localIp_;
    uint16_t localPort_ = 0;
    LocalIce ice_;
    std::string remoteUfrag_, remotePwd_;
    sockaddr_storage remote_{};
    socklen_t remoteLen_ = 0;
    int videoPt_ = -1, audioPt_ = -1;
    bool iceDone_ = false;
    bool registered_ = false;
    int64_t nextCheckMono_ = 0, firstCheckInMono_ = 0;
    uint64_t tieBreaker_ = 0;
    std::unique_ptr<DtlsClient> dtls_;
    SrtpKeys keys_;
    std::unique_ptr<SrtpContext> in_, out_;
    std::function<void()> onConnected_;
    PeerCounters counters_;
    SeqCounter video_, audio_;
    unsigned sampleCounter_ = 0;
    bool offsetKnown_ = false;
    uint16_t seqOffset_ = 0;  // received seq - sent seq
    int64_t idrTimestamp_ = -1;
    // Receiver reports, as a subscribing browser sends them (~1/s).
    int64_t nextRtcpMono_ = 0;
    uint32_t rtcpSsrc_ = 0, videoSsrc_ = 0, audioSsrc_ = 0;
};

}  // namespace load
