#include "rtc/NetUtil.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>

#include <cstring>
#include <functional>
#include <stdexcept>
#include <string_view>

namespace rtc {

SocketAddress::SocketAddress(const sockaddr* sa, socklen_t len) {
    if (sa && len <= sizeof(storage_)) std::memcpy(&storage_, sa, len);
}

SocketAddress SocketAddress::parse(const std::string& ip, uint16_t port) {
    SocketAddress a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        return a;
    }
    a = SocketAddress();
    if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        return a;
    }
    throw std::invalid_argument("not an IP address: " + ip);
}

socklen_t SocketAddress::len() const {
    return isV6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

uint16_t SocketAddress::port() const {
    if (family() == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

std::string SocketAddress::ip() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family() == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
                  sizeof(buf));
    else if (family() == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
                  sizeof(buf));
    return buf;
}

std::string SocketAddress::toString() const {
    if (isV6()) return "[" + ip() + "]:" + std::to_string(port());
    return ip() + ":" + std::to_string(port());
}

bool SocketAddress::isLoopback() const {
    if (family() == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr) >> 24) ==
               127;
    if (family() == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
    }
    return false;
}

bool SocketAddress::isLinkLocal() const {
    if (family() == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr;
        return IN6_IS_ADDR_LINKLOCAL(&a);
    }
    if (family() == AF_INET) {
        uint32_t v = ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr);
        return (v >> 16) == 0xA9FE;  // 169.254/16
    }
    return false;
}

bool SocketAddress::operator==(const SocketAddress& o) const {
    if (family() != o.family()) return false;
    if (family() == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&storage_);
        auto* b = reinterpret_cast<const sockaddr_in*>(&o.storage_);
        return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (family() == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&storage_);
        auto* b = reinterpret_cast<const sockaddr_in6*>(&o.storage_);
        return a->sin6_port == b->sin6_port &&
               std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(in6_addr)) == 0;
    }
    return true;
}

size_t SocketAddress::hash() const {
    std::string_view bytes;
    uint16_t p = port();
    if (family() == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&storage_);
        bytes = {reinterpret_cast<const char*>(&a->sin_addr), 4};
    } else if (family() == AF_INET6) {
        auto* a = reinterpret_cast<const sockaddr_in6*>(&storage_);
        bytes = {reinterpret_cast<const char*>(&a->sin6_addr), 16};
    }
    return std::hash<std::string_view>()(bytes) * 31 + p;
}

std::string IceCandidate::toSdp() const {
    std::string s = "candidate:" + foundation + " 1 " + (tcp ? "tcp " : "udp ") +
                    std::to_string(priority) + " " + ip + " " + std::to_string(port) + " typ host";
    if (tcp) s += " tcptype passive";
    return s;
}

std::vector<std::string> localAddresses(bool includeLoopback) {
    std::vector<std::string> v4, v6;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return {};
    for (ifaddrs* it = list; it; it = it->ifa_next) {
        if (!it->ifa_addr || !(it->ifa_flags & IFF_UP)) continue;
        int fam = it->ifa_addr->sa_family;
        if (fam != AF_INET && fam != AF_INET6) continue;
        SocketAddress a(it->ifa_addr, fam == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
        if (a.isLinkLocal()) continue;
        if (a.isLoopback() && !includeLoopback) continue;
        std::string ip = a.ip();
        auto& dst = fam == AF_INET ? v4 : v6;
        bool dup = false;
        for (auto& s : dst) dup = dup || s == ip;
        if (!dup) dst.push_back(ip);
    }
    freeifaddrs(list);
    v4.insert(v4.end(), v6.begin(), v6.end());
    return v4;
}

std::vector<IceCandidate> hostCandidates(const std::vector<std::string>& ips, uint16_t port) {
    // RFC 8445 §5.1.2.1: type preference 126 (host); local preference orders the
    // addresses (v4 first, as listed); component 1. TCP passive gets a lower type
    // preference so that UDP wins whenever it works (RFC 6544 §4.2).
    std::vector<IceCandidate> out;
    uint32_t localPref = 65535;
    int foundation = 1;
    for (const auto& ip : ips) {
        IceCandidate udp;
        udp.foundation = std::to_string(foundation);
        udp.priority = (126u << 24) | (localPref << 8) | 255u;
        udp.ip = ip;
        udp.port = port;
        out.push_back(udp);
        IceCandidate tcp = udp;
        tcp.foundation = std::to_string(foundation + 1);
        tcp.tcp = true;
        tcp.priority = (90u << 24) | (localPref << 8) | 255u;
        out.push_back(tcp);
        foundation += 2;
        if (localPref > 0) localPref -= 1;
    }
    return out;
}

unsigned usableCores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return static_cast<unsigned>(n);
    }
    return 1;
}

}  // namespace rtc
