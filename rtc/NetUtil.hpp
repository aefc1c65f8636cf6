#pragma once
// Small socket-address value type and host-address discovery for ICE candidates.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rtc {

// A v4 or v6 transport address, comparable and hashable (used as a demux key).
class SocketAddress {
public:
    SocketAddress() = default;
    SocketAddress(const sockaddr* sa, socklen_t len);
    // Throws std::invalid_argument for an unparsable address.
    static SocketAddress parse(const std::string& ip, uint16_t port);

    int family() const { return storage_.ss_family; }
    bool isV6() const { return family() == AF_INET6; }
    bool valid() const { return family() == AF_INET || family() == AF_INET6; }
    bool isLoopback() const;
    bool isLinkLocal() const;
    uint16_t port() const;
    std::string ip() const;
    std::string toString() const;  // "1.2.3.4:5" or "[::1]:5"

    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t len() const;

    bool operator==(const SocketAddress& o) const;
    size_t hash() const;

private:
    sockaddr_storage storage_{};
};

struct SocketAddressHash {
    size_t operator()(const SocketAddress& a) const { return a.hash(); }
};

// One ICE host candidate line, without the "a=" prefix.
struct IceCandidate {
    std::string foundation;
    uint32_t priority = 0;
    std::string ip;
    uint16_t port = 0;
    bool tcp = false;           // tcptype passive when true
    std::string toSdp() const;  // "candidate:1 1 udp 2130706431 1.2.3.4 40000 typ host"
};

// Addresses of the local interfaces that are up (v4 and v6; no link-local v6 since those
// need a scope id the SDP cannot carry). Loopback only when includeLoopback.
std::vector<std::string> localAddresses(bool includeLoopback);

// Host candidates (UDP and TCP passive) for `ips` on `port`, v4 before v6, UDP preferred.
std::vector<IceCandidate> hostCandidates(const std::vector<std::string>& ips, uint16_t port);

// CPUs this process may run on (sched_getaffinity), at least 1.
unsigned usableCores();

}  // namespace rtc
