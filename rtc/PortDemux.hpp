#pragma once
// One worker's share of the port: its UDP sockets (one per listen address, all bound
// with SO_REUSEPORT), TCP listeners, accepted ICE-TCP connections, send batches and the
// demux tables from remote address to transport. Worker thread only (except the
// constructor, which binds the sockets before the loop runs).
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtc/IceTcpConnection.hpp"
#include "rtc/NetUtil.hpp"
#include "rtc/UdpSocket.hpp"
#include "rtc/WebRtcTransport.hpp"
#include "rtc/Worker.hpp"

namespace rtc {

class TransportHost;

struct DemuxCounters {
    uint64_t udpPacketsIn = 0, udpBytesIn = 0;
    uint64_t tcpFramesIn = 0;
    uint64_t handoffsOut = 0;  // packets copied to the owning worker
    uint64_t handoffsIn = 0;
    uint64_t unknownDropped = 0;  // no transport for that address/ufrag
    uint64_t tcpConnections = 0, tcpClosedGarbage = 0;
};

class PortDemux : public IceTcpConnection::Listener {
public:
    // Binds one UDP socket and one TCP listener per address in `bindAddresses` (all with
    // the same port, SO_REUSEPORT). Each is a specific address (TransportHost expands
    // wildcards), so replies leave from the address the peer sent to.
    PortDemux(TransportHost& host, Worker& worker, const std::vector<SocketAddress>& bindAddresses);
    ~PortDemux() override;
    PortDemux(const PortDemux&) = delete;
    PortDemux& operator=(const PortDemux&) = delete;

    void start();  // on the worker thread: registers the fds with epoll
    void stop();   // on the worker thread

    TransportHost& host() { return host_; }
    Worker& worker() { return worker_; }
    uint16_t boundPort() const;
    SendBatch& batch(int udpIndex) { return *batches_[udpIndex]; }
    // Worker-local scratch for TCP sends (protect, then frame into the connection buffer).
    uint8_t* scratch() { return scratch_.data(); }
    size_t scratchSize() const { return scratch_.size(); }
    const DemuxCounters& counters() const { return counters_; }
    size_t transportCount() const { return byUfrag_.size(); }
    // Sums of the transports' counters, closed ones included (for /metrics).
    const TransportCounters& transportTotals() const { return totals_; }
    TransportCounters& transportTotals() { return totals_; }
    uint64_t batchSyscalls() const;
    uint64_t batchSent() const;
    uint64_t batchSentInGso() const;
    uint64_t batchErrors() const;

    // ---- WebRtcTransport ----
    void addTransport(WebRtcTransport* t);
    void removeTransport(WebRtcTransport* t);
    void bindAddress(const SocketAddress& remote, WebRtcTransport* t);  // validated UDP path
    void unbindAddress(const SocketAddress& remote, WebRtcTransport* t);
    void bindTcp(IceTcpConnection* conn, WebRtcTransport* t);
    void unbindTcp(IceTcpConnection* conn, WebRtcTransport* t);
    // Output was queued on conn: written at the end of the loop iteration.
    void markTcpDirty(IceTcpConnection* conn);

    // ---- other workers (posted to this worker) ----
    void deliverHandoff(std::vector<uint8_t> packet, const SocketAddress& from, int udpIndex);
    void adoptTcp(int fd, const SocketAddress& remote, std::vector<uint8_t> pending);

private:
    void bindAll(const std::vector<SocketAddress>& bindAddresses);
    void onUdpReadable(int udpIndex);
    void onUdpPacket(uint8_t* data, size_t len, const SocketAddress& from, int udpIndex);
    void onAccept(int listenIndex);
    void onTcpEvent(IceTcpConnection* conn, uint32_t events);
    void onTcpFrame(IceTcpConnection& conn, uint8_t* data, size_t len) override;
    void onTcpClosed(IceTcpConnection& conn, const char* reason) override;
    void destroyTcp(IceTcpConnection* conn);
    void flushTcp();
    void collectDeadTcp();
    WebRtcTransport* localByUfrag(const std::string& ufrag) const;

    TransportHost& host_;
    Worker& worker_;
    std::vector<std::unique_ptr<UdpSocket>> sockets_;
    std::vector<std::unique_ptr<SendBatch>> batches_;
    std::vector<int> listeners_;
    UdpReceiver receiver_;
    std::vector<uint8_t> scratch_;
    std::unordered_map<std::string, WebRtcTransport*> byUfrag_;
    std::unordered_map<SocketAddress, WebRtcTransport*, SocketAddressHash> byAddress_;
    std::unordered_map<IceTcpConnection*, std::unique_ptr<IceTcpConnection>> tcp_;
    std::unordered_map<IceTcpConnection*, WebRtcTransport*> tcpOwner_;
    std::vector<IceTcpConnection*> deadTcp_;
    std::vector<IceTcpConnection*> dirtyTcp_;
    struct Handover {
        IceTcpConnection* conn = nullptr;
        unsigned worker = 0;
        std::vector<uint8_t> frame;
    };
    Handover handover_;
    DemuxCounters counters_;
    TransportCounters totals_;
    bool started_ = false;
};

}  // namespace rtc
