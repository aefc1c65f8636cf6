#include "rtc/PortDemux.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "rtc/IceLite.hpp"
#include "rtc/PacketClassifier.hpp"
#include "rtc/TransportHost.hpp"

namespace rtc {

namespace {
int listenTcp(const SocketAddress& addr) {
    int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "tcp socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (addr.isV6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (::bind(fd, addr.sa(), addr.len()) != 0 || ::listen(fd, 128) != 0) {
        int err = errno;
        ::close(fd);
        throw std::system_error(err, std::generic_category(), "tcp bind " + addr.toString());
    }
    return fd;
}
}  // namespace

PortDemux::PortDemux(TransportHost& host, Worker& worker,
                     const std::vector<SocketAddress>& bindAddresses)
    : host_(host), worker_(worker), scratch_(SendBatch::kSlotSize) {
    // Port 0 (tests): the first UDP socket picks the port, every other address and TCP
    // must get the same number; when one of them has it taken, start over with a new one.
    const bool ephemeral = !bindAddresses.empty() && bindAddresses.front().port() == 0;
    for (int attempt = 0;; ++attempt) {
        try {
            bindAll(bindAddresses);
            return;
        } catch (const std::system_error&) {
            for (int fd : listeners_) ::close(fd);
            listeners_.clear();
            batches_.clear();
            sockets_.clear();
            if (!ephemeral || attempt >= 20) throw;
        }
    }
}

void PortDemux::bindAll(const std::vector<SocketAddress>& bindAddresses) {
    uint16_t chosen = 0;
    for (auto a : bindAddresses) {
        if (a.port() == 0 && chosen) a = SocketAddress::parse(a.ip(), chosen);
        auto udp = std::make_unique<UdpSocket>(a);
        chosen = udp->localAddress().port();
        listeners_.push_back(listenTcp(SocketAddress::parse(a.ip(), chosen)));
        batches_.push_back(std::make_unique<SendBatch>(udp->fd()));
        sockets_.push_back(std::move(udp));
    }
}

PortDemux::~PortDemux() {
    for (int fd : listeners_) ::close(fd);
}

uint16_t PortDemux::boundPort() const {
    return sockets_.empty() ? 0 : sockets_.front()->localAddress().port();
}

void PortDemux::start() {
    for (size_t i = 0; i < sockets_.size(); ++i) {
        int idx = static_cast<int>(i);
        worker_.addFd(sockets_[i]->fd(), EPOLLIN, [this, idx](uint32_t) { onUdpReadable(idx); });
        worker_.addFd(listeners_[i], EPOLLIN, [this, idx](uint32_t) { onAccept(idx); });
    }
    worker_.addIterationHook([this] {
        for (auto& b : batches_)
            if (b->pending()) b->flush();
        flushTcp();
        collectDeadTcp();
    });
    started_ = true;
}

void PortDemux::stop() {
    if (!started_) return;
    started_ = false;
    for (size_t i = 0; i < sockets_.size(); ++i) {
        worker_.removeFd(sockets_[i]->fd());
        worker_.removeFd(listeners_[i]);
    }
    for (auto& [p, conn] : tcp_) worker_.removeFd(conn->fd());
    tcp_.clear();
    tcpOwner_.clear();
    dirtyTcp_.clear();
    deadTcp_.clear();
}

uint64_t PortDemux::batchSyscalls() const {
    uint64_t n = 0;
    for (auto& b : batches_) n += b->syscalls();
    return n;
}
uint64_t PortDemux::batchSent() const {
    uint64_t n = 0;
    for (auto& b : batches_) n += b->sent();
    return n;
}

uint64_t PortDemux::batchSentInGso() const {
    uint64_t n = 0;
    for (auto& b : batches_) n += b->sentInGso();
    return n;
}

uint64_t PortDemux::batchErrors() const {
    uint64_t n = 0;
    for (auto& b : batches_) n += b->sendErrors();
    return n;
}

// ---------------------------------------------------------------- transports

void PortDemux::addTransport(WebRtcTransport* t) {
    byUfrag_[t->localUfrag()] = t;
    host_.registerUfrag(t->localUfrag(), {worker_.index(), t});
}

void PortDemux::removeTransport(WebRtcTransport* t) {
    auto it = byUfrag_.find(t->localUfrag());
    if (it != byUfrag_.end() && it->second == t) byUfrag_.erase(it);
    host_.unregisterUfrag(t->localUfrag(), t);
}

void PortDemux::bindAddress(const SocketAddress& remote, WebRtcTransport* t) {
    byAddress_[remote] = t;
    host_.registerAddress(remote, worker_.index());
}

void PortDemux::unbindAddress(const SocketAddress& remote, WebRtcTransport* t) {
    auto it = byAddress_.find(remote);
    if (it != byAddress_.end() && it->second == t) {
        byAddress_.erase(it);
        host_.unregisterAddress(remote, worker_.index());
    }
}

void PortDemux::bindTcp(IceTcpConnection* conn, WebRtcTransport* t) {
    tcpOwner_[conn] = t;
}

void PortDemux::unbindTcp(IceTcpConnection* conn, WebRtcTransport* t) {
    auto it = tcpOwner_.find(conn);
    if (it == tcpOwner_.end() || it->second != t) return;
    tcpOwner_.erase(it);
    // A connection belongs to one session (RFC 6544): it goes when the session goes.
    auto c = tcp_.find(conn);
    if (c != tcp_.end() && !conn->closed()) {
        conn->flush();
        conn->close("session closed");
    }
}

void PortDemux::markTcpDirty(IceTcpConnection* conn) {
    if (std::find(dirtyTcp_.begin(), dirtyTcp_.end(), conn) == dirtyTcp_.end())
        dirtyTcp_.push_back(conn);
}

WebRtcTransport* PortDemux::localByUfrag(const std::string& ufrag) const {
    auto it = byUfrag_.find(ufrag);
    return it == byUfrag_.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------- UDP

void PortDemux::onUdpReadable(int udpIndex) {
    // Bounded per wake-up so that one busy socket cannot starve timers and tasks.
    for (int round = 0; round < 8; ++round) {
        int n = receiver_.receive(sockets_[udpIndex]->fd());
        for (int i = 0; i < n; ++i)
            onUdpPacket(receiver_.data(i), receiver_.size(i), receiver_.from(i), udpIndex);
        if (n < static_cast<int>(UdpReceiver::kMaxBatch)) break;
    }
}

void PortDemux::onUdpPacket(uint8_t* data, size_t len, const SocketAddress& from, int udpIndex) {
    ++counters_.udpPacketsIn;
    counters_.udpBytesIn += len;
    WebRtcTransport::Path path;
    path.udp = udpIndex;
    path.remote = from;
    unsigned owner = worker_.index();
    if (classifyPacket(data, len) == PacketKind::Stun) {
        // Checks route by ufrag even from a known address: one address may move to a
        // new session (ICE restart with a new PeerConnection behind the same NAT port).
        std::string ufrag = IceLite::localUfragOf(data, len);
        if (auto* t = localByUfrag(ufrag)) {
            t->onPacket(data, len, path);
            return;
        }
        TransportHost::Owner o;
        if (ufrag.empty() || !host_.findUfrag(ufrag, o)) {
            ++counters_.unknownDropped;
            return;
        }
        owner = o.worker;
    } else if (auto it = byAddress_.find(from); it != byAddress_.end()) {
        it->second->onPacket(data, len, path);
        return;
    } else if (!host_.findAddress(from, owner)) {
        ++counters_.unknownDropped;
        return;
    }
    if (owner == worker_.index()) {
        ++counters_.unknownDropped;
        return;
    }
    // The kernel hashed this peer to our socket but its session lives elsewhere: copy it
    // over; the owner answers from its own socket on the same address and port.
    ++counters_.handoffsOut;
    std::vector<uint8_t> copy(data, data + len);
    PortDemux* target = &host_.demux(owner);
    host_.worker(owner).post([target, copy = std::move(copy), from, udpIndex]() mutable {
        target->deliverHandoff(std::move(copy), from, udpIndex);
    });
}

void PortDemux::deliverHandoff(std::vector<uint8_t> packet, const SocketAddress& from,
                               int udpIndex) {
    ++counters_.handoffsIn;
    WebRtcTransport::Path path;
    path.udp = udpIndex;
    path.remote = from;
    WebRtcTransport* t = nullptr;
    if (classifyPacket(packet.data(), packet.size()) == PacketKind::Stun) {
        t = localByUfrag(IceLite::localUfragOf(packet.data(), packet.size()));
    } else if (auto it = byAddress_.find(from); it != byAddress_.end()) {
        t = it->second;
    }
    if (!t) {
        ++counters_.unknownDropped;  // closed meanwhile
        return;
    }
    t->onPacket(packet.data(), packet.size(), path);
}

// ---------------------------------------------------------------- TCP

void PortDemux::onAccept(int listenIndex) {
    for (;;) {
        sockaddr_storage ss{};
        socklen_t len = sizeof(ss);
        int fd = ::accept4(listeners_[listenIndex], reinterpret_cast<sockaddr*>(&ss), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ++counters_.tcpConnections;
        adoptTcp(fd, SocketAddress(reinterpret_cast<sockaddr*>(&ss), len), {});
    }
}

void PortDemux::adoptTcp(int fd, const SocketAddress& remote, std::vector<uint8_t> pending) {
    auto conn = std::make_unique<IceTcpConnection>(fd, remote, this);
    IceTcpConnection* raw = conn.get();
    tcp_[raw] = std::move(conn);
    worker_.addFd(fd, EPOLLIN, [this, raw](uint32_t ev) { onTcpEvent(raw, ev); });
    if (!pending.empty()) raw->feed(pending.data(), pending.size());
    if (handover_.conn == raw) onTcpEvent(raw, 0);  // first frame belongs elsewhere again
}

void PortDemux::onTcpEvent(IceTcpConnection* conn, uint32_t events) {
    if (tcp_.find(conn) == tcp_.end()) return;
    if (events & EPOLLOUT) {
        if (conn->flush() && !conn->wantsWrite()) worker_.modifyFd(conn->fd(), EPOLLIN);
    }
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !conn->closed()) conn->onReadable();
    if (handover_.conn == conn) {
        // First STUN named a session on another worker: move the socket there.
        unsigned owner = handover_.worker;
        std::vector<uint8_t> pending;
        pending.reserve(2 + handover_.frame.size());
        pending.push_back(static_cast<uint8_t>(handover_.frame.size() >> 8));
        pending.push_back(static_cast<uint8_t>(handover_.frame.size()));
        pending.insert(pending.end(), handover_.frame.begin(), handover_.frame.end());
        auto rest = conn->takeBuffered();
        pending.insert(pending.end(), rest.begin(), rest.end());
        handover_ = Handover{};
        worker_.removeFd(conn->fd());
        int fd = conn->releaseFd();
        SocketAddress remote = conn->remote();
        tcp_.erase(conn);
        ++counters_.handoffsOut;
        PortDemux* target = &host_.demux(owner);
        host_.worker(owner).post([target, fd, remote, pending = std::move(pending)]() mutable {
            ++target->counters_.handoffsIn;
            target->adoptTcp(fd, remote, std::move(pending));
        });
    }
}

void PortDemux::onTcpFrame(IceTcpConnection& conn, uint8_t* data, size_t len) {
    ++counters_.tcpFramesIn;
    WebRtcTransport::Path path;
    path.tcp = &conn;
    path.remote = conn.remote();
    auto it = tcpOwner_.find(&conn);
    if (it != tcpOwner_.end()) {
        it->second->onPacket(data, len, path);
        return;
    }
    // An unowned connection must start with a Binding request for one of our sessions.
    std::string ufrag = IceLite::localUfragOf(data, len);
    if (ufrag.empty()) {
        ++counters_.tcpClosedGarbage;
        conn.close("first frame is not a STUN Binding request");
        return;
    }
    if (auto* t = localByUfrag(ufrag)) {
        t->onPacket(data, len, path);
        return;
    }
    TransportHost::Owner o;
    if (!host_.findUfrag(ufrag, o) || o.worker == worker_.index()) {
        ++counters_.unknownDropped;
        conn.close("unknown ICE ufrag");
        return;
    }
    handover_.conn = &conn;
    handover_.worker = o.worker;
    handover_.frame.assign(data, data + len);
    conn.detach();
}

void PortDemux::onTcpClosed(IceTcpConnection& conn, const char* reason) {
    spdlog::debug("ice-tcp {}: closed: {}", conn.remote().toString(), reason);
    auto it = tcpOwner_.find(&conn);
    if (it != tcpOwner_.end()) {
        WebRtcTransport* t = it->second;
        tcpOwner_.erase(it);
        t->onTcpConnectionClosed(&conn);
    }
    deadTcp_.push_back(&conn);
}

void PortDemux::flushTcp() {
    for (auto* conn : dirtyTcp_) {
        if (tcp_.find(conn) == tcp_.end() || conn->closed()) continue;
        if (!conn->flush() && !conn->closed()) worker_.modifyFd(conn->fd(), EPOLLIN | EPOLLOUT);
    }
    dirtyTcp_.clear();
}

void PortDemux::collectDeadTcp() {
    for (auto* conn : deadTcp_) destroyTcp(conn);
    deadTcp_.clear();
}

void PortDemux::destroyTcp(IceTcpConnection* conn) {
    auto it = tcp_.find(conn);
    if (it == tcp_.end()) return;
    if (conn->fd() >= 0) worker_.removeFd(conn->fd());
    dirtyTcp_.erase(std::remove(dirtyTcp_.begin(), dirtyTcp_.end(), conn), dirtyTcp_.end());
    tcp_.erase(it);
}

}  // namespace rtc
