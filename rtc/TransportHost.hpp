#pragma once
// The network side of the media engine: N workers, each with its own SO_REUSEPORT UDP
// socket(s) and TCP listener(s) on the one --rtc-port, the DTLS identity, and the
// registry that routes a path's first STUN packet (by local ufrag) and any packet that
// the kernel hashed to the wrong worker (by remote address) to the transport's worker.
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtc/DtlsCertificate.hpp"
#include "rtc/DtlsTransport.hpp"
#include "rtc/MediaEngine.hpp"
#include "rtc/NetUtil.hpp"
#include "rtc/WebRtcTransport.hpp"
#include "rtc/Worker.hpp"

namespace rtc {

class PortDemux;

class TransportHost {
public:
    // Starts options.workers workers (0: usableCores(); env CB_RTC_WORKERS overrides) and
    // binds UDP+TCP on options.port on every listen address (port 0: one ephemeral port
    // chosen by the first socket). Throws std::system_error when the port is taken.
    explicit TransportHost(const EngineOptions& options);
    ~TransportHost();  // stops the workers; transports must be destroyed before
    TransportHost(const TransportHost&) = delete;
    TransportHost& operator=(const TransportHost&) = delete;

    unsigned workerCount() const { return static_cast<unsigned>(workers_.size()); }
    Worker& worker(unsigned i) { return *workers_.at(i); }
    uint16_t port() const { return port_; }
    const std::vector<IceCandidate>& candidates() const { return candidates_; }
    const DtlsCertificate& certificate() const { return *certificate_; }
    const std::string& fingerprint() const { return certificate_->fingerprintSha256(); }
    const DtlsContext& dtlsContext() const { return *dtlsContext_; }
    std::chrono::milliseconds consentTimeout() const { return consentTimeout_; }

    // On worker `workerIndex`'s thread only. The transport is registered for routing
    // until closed or destroyed (also on that thread).
    std::unique_ptr<WebRtcTransport> createTransport(unsigned workerIndex,
                                                     const RemoteIceDtls& remote,
                                                     WebRtcTransport::Listener* listener);

    // cb_rtc_* Prometheus lines: per-worker loop load, packets/bytes, handoffs, errors.
    std::string metricsText() const;

    // ---- registry, used by PortDemux/WebRtcTransport (any worker thread) ----
    struct Owner {
        unsigned worker = 0;
        WebRtcTransport* transport = nullptr;
    };
    void registerUfrag(const std::string& ufrag, Owner owner);
    void unregisterUfrag(const std::string& ufrag, WebRtcTransport* transport);
    bool findUfrag(const std::string& ufrag, Owner& out) const;
    void registerAddress(const SocketAddress& remote, unsigned worker);
    void unregisterAddress(const SocketAddress& remote, unsigned worker);
    bool findAddress(const SocketAddress& remote, unsigned& worker) const;
    PortDemux& demux(unsigned i) { return *demuxes_.at(i); }

private:
    std::chrono::milliseconds consentTimeout_;
    uint16_t port_ = 0;
    std::unique_ptr<DtlsCertificate> certificate_;
    std::unique_ptr<DtlsContext> dtlsContext_;
    std::vector<IceCandidate> candidates_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::unique_ptr<PortDemux>> demuxes_;

    mutable std::shared_mutex registryMutex_;
    std::unordered_map<std::string, Owner> ufrags_;
    std::unordered_map<SocketAddress, unsigned, SocketAddressHash> addresses_;
};

}  // namespace rtc
