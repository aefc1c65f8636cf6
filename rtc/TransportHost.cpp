#include "rtc/TransportHost.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <system_error>

#include "rtc/PortDemux.hpp"

namespace rtc {

namespace {
bool isWildcard(const std::string& ip) {
    return ip == "0.0.0.0" || ip == "::";
}

// The addresses to bind, port left 0. A wildcard stands for every local address of its
// family (loopback included, link-local not: it is never announced): one socket per
// address, so that every reply — STUN, DTLS, SRTP — leaves from the address the peer sent
// to. A wildcard socket lets the kernel pick the source by route, and on a multi-homed host
// a check sent to 192.0.2.2 was answered from 10.88.N.1, which ICE agents drop (libnice:
// "mismatch of source address"). Addresses that cannot be bound (tentative IPv6) are
// skipped. Computed once: every worker must get the same list (socket indexes are shared).
std::vector<std::string> listenAddresses(const EngineOptions& o) {
    std::vector<std::string> in = o.listenIps;
    if (in.empty()) in = {"0.0.0.0", "::"};
    std::vector<std::string> out;
    auto add = [&](const std::string& ip) {
        if (std::find(out.begin(), out.end(), ip) != out.end()) return;
        try {
            UdpSocket probe(SocketAddress::parse(ip, 0), false);
            out.push_back(ip);
        } catch (const std::exception& e) {
            if (!o.listenIps.empty() && !isWildcard(ip)) throw;  // asked for explicitly
            spdlog::warn("rtc: not listening on {}: {}", ip, e.what());
        }
    };
    const auto local = localAddresses(true);
    for (const auto& ip : in) {
        if (!isWildcard(ip)) {
            add(ip);
            continue;
        }
        const bool v6 = ip == "::";
        for (const auto& a : local)
            if ((a.find(':') != std::string::npos) == v6) add(a);
    }
    if (out.empty()) out.push_back("0.0.0.0");  // no usable interface: the old way
    return out;
}
}  // namespace

TransportHost::TransportHost(const EngineOptions& options)
    : consentTimeout_(options.consentTimeout),
      certificate_(std::make_unique<DtlsCertificate>()),
      dtlsContext_(std::make_unique<DtlsContext>(*certificate_)) {
    unsigned n = options.workers ? options.workers : usableCores();
    if (const char* env = std::getenv("CB_RTC_WORKERS"); env && std::atoi(env) > 0)
        n = static_cast<unsigned>(std::atoi(env));

    // The first worker's sockets fix the port (matters when 0 = ephemeral was asked);
    // the others join it with SO_REUSEPORT.
    std::vector<std::string> listenIps;
    for (int attempt = 0;; ++attempt) {
        // An address can vanish between listing and binding (a test's veth going away):
        // list again and bind every worker anew (nothing runs on them yet).
        listenIps = listenAddresses(options);
        port_ = options.port;
        try {
            for (unsigned i = 0; i < n; ++i) {
                workers_.push_back(std::make_unique<Worker>(i));
                std::vector<SocketAddress> addrs;
                for (const auto& ip : listenIps) addrs.push_back(SocketAddress::parse(ip, port_));
                demuxes_.push_back(std::make_unique<PortDemux>(*this, *workers_.back(), addrs));
                if (port_ == 0) port_ = demuxes_.back()->boundPort();
            }
            break;
        } catch (const std::system_error& e) {
            demuxes_.clear();
            workers_.clear();
            if (e.code().value() != EADDRNOTAVAIL || attempt >= 3) throw;
        }
    }

    // Host candidates: the configured ones, else the bound addresses; loopback only
    // when nothing else exists or it was asked for explicitly.
    std::vector<std::string> ips = options.announcedIps;
    if (ips.empty()) {
        bool wildcard = options.listenIps.empty();
        for (const auto& ip : options.listenIps) wildcard = wildcard || isWildcard(ip);
        for (const auto& ip : listenIps)
            if (!wildcard || !SocketAddress::parse(ip, 0).isLoopback()) ips.push_back(ip);
        if (ips.empty()) ips = listenIps;
    }
    if (!options.publicIp.empty()) ips.push_back(options.publicIp);
    candidates_ = hostCandidates(ips, port_);

    for (unsigned i = 0; i < n; ++i) {
        PortDemux* d = demuxes_[i].get();
        workers_[i]->post([d] { d->start(); });
        workers_[i]->start();
    }
    spdlog::info("rtc: {} worker(s) on port {} (udp+tcp), {} candidate(s)", n, port_,
                 candidates_.size());
}

TransportHost::~TransportHost() {
    for (size_t i = 0; i < workers_.size(); ++i) {
        PortDemux* d = demuxes_[i].get();
        try {
            workers_[i]->runSync([d] { d->stop(); });
        } catch (const std::exception&) {
        }
        workers_[i]->stop();
    }
    demuxes_.clear();
    workers_.clear();
}

std::unique_ptr<WebRtcTransport> TransportHost::createTransport(
    unsigned workerIndex, const RemoteIceDtls& remote, WebRtcTransport::Listener* listener) {
    return std::make_unique<WebRtcTransport>(*demuxes_.at(workerIndex), remote, listener,
                                             consentTimeout_);
}

void TransportHost::registerUfrag(const std::string& ufrag, Owner owner) {
    std::unique_lock lock(registryMutex_);
    ufrags_[ufrag] = owner;
}

void TransportHost::unregisterUfrag(const std::string& ufrag, WebRtcTransport* transport) {
    std::unique_lock lock(registryMutex_);
    auto it = ufrags_.find(ufrag);
    if (it != ufrags_.end() && it->second.transport == transport) ufrags_.erase(it);
}

bool TransportHost::findUfrag(const std::string& ufrag, Owner& out) const {
    std::shared_lock lock(registryMutex_);
    auto it = ufrags_.find(ufrag);
    if (it == ufrags_.end()) return false;
    out = it->second;
    return true;
}

void TransportHost::registerAddress(const SocketAddress& remote, unsigned worker) {
    std::unique_lock lock(registryMutex_);
    addresses_[remote] = worker;
}

void TransportHost::unregisterAddress(const SocketAddress& remote, unsigned worker) {
    std::unique_lock lock(registryMutex_);
    auto it = addresses_.find(remote);
    if (it != addresses_.end() && it->second == worker) addresses_.erase(it);
}

bool TransportHost::findAddress(const SocketAddress& remote, unsigned& worker) const {
    std::shared_lock lock(registryMutex_);
    auto it = addresses_.find(remote);
    if (it == addresses_.end()) return false;
    worker = it->second;
    return true;
}

std::string TransportHost::metricsText() const {
    // Counters are written by their worker and read here without a lock: a torn read of
    // a 64-bit counter cannot happen on the 64-bit targets we build for, and a slightly
    // stale value is fine for metrics.
    std::ostringstream o;
    auto series = [&](const char* name, const char* type, const char* help, auto get) {
        o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
        for (size_t i = 0; i < demuxes_.size(); ++i)
            o << name << "{worker=\"" << i << "\"} " << get(i) << '\n';
    };
    auto d = [&](size_t i) -> const PortDemux& { return *demuxes_[i]; };
    auto t = [&](size_t i) -> const TransportCounters& { return demuxes_[i]->transportTotals(); };
    series("cb_rtc_worker_busy_seconds_total", "counter", "Worker loop time spent working.",
           [&](size_t i) { return workers_[i]->busyNs() / 1e9; });
    series("cb_rtc_worker_idle_seconds_total", "counter", "Worker loop time spent waiting.",
           [&](size_t i) { return workers_[i]->idleNs() / 1e9; });
    series("cb_rtc_transports", "gauge", "Open WebRTC transports.",
           [&](size_t i) { return d(i).transportCount(); });
    series("cb_rtc_udp_packets_received_total", "counter", "UDP datagrams read.",
           [&](size_t i) { return d(i).counters().udpPacketsIn; });
    series("cb_rtc_udp_bytes_received_total", "counter", "UDP bytes read.",
           [&](size_t i) { return d(i).counters().udpBytesIn; });
    series("cb_rtc_udp_sendmmsg_calls_total", "counter", "sendmmsg system calls.",
           [&](size_t i) { return d(i).batchSyscalls(); });
    series("cb_rtc_udp_datagrams_sent_total", "counter", "Datagrams sent by sendmmsg.",
           [&](size_t i) { return d(i).batchSent(); });
    series("cb_rtc_udp_datagrams_sent_gso_total", "counter",
           "Of those, datagrams sent inside UDP GSO messages (several to one destination).",
           [&](size_t i) { return d(i).batchSentInGso(); });
    series("cb_rtc_handoffs_total", "counter",
           "Packets received by this worker for a session of another worker (copied).",
           [&](size_t i) { return d(i).counters().handoffsOut; });
    series("cb_rtc_unknown_packets_total", "counter", "Packets for no known session.",
           [&](size_t i) { return d(i).counters().unknownDropped; });
    series("cb_rtc_tcp_connections_total", "counter", "ICE-TCP connections accepted.",
           [&](size_t i) { return d(i).counters().tcpConnections; });
    series("cb_rtc_tcp_garbage_closed_total", "counter", "ICE-TCP connections closed for garbage.",
           [&](size_t i) { return d(i).counters().tcpClosedGarbage; });
    series("cb_rtc_packets_in_total", "counter", "SRTP/SRTCP packets decrypted.",
           [&](size_t i) { return t(i).packetsIn; });
    series("cb_rtc_bytes_in_total", "counter", "SRTP/SRTCP bytes received.",
           [&](size_t i) { return t(i).bytesIn; });
    series("cb_rtc_packets_out_total", "counter", "SRTP/SRTCP packets sent.",
           [&](size_t i) { return t(i).packetsOut; });
    series("cb_rtc_bytes_out_total", "counter", "SRTP/SRTCP bytes sent.",
           [&](size_t i) { return t(i).bytesOut; });
    series("cb_rtc_srtp_errors_total", "counter", "SRTP protect/unprotect failures.",
           [&](size_t i) { return t(i).srtpErrors; });
    series("cb_rtc_send_errors_total", "counter", "Packets not sent (not connected, full).",
           [&](size_t i) { return t(i).sendErrors + d(i).batchErrors(); });
    series("cb_rtc_dtls_failures_total", "counter", "DTLS handshakes failed.",
           [&](size_t i) { return t(i).dtlsFailures; });
    return o.str();
}

}  // namespace rtc
