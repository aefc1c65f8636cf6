// The per-packet floor of fan-out on this machine (issue 6, point 3): what it costs at least
// to get one 1,200-byte SRTP packet to one subscriber = SRTP protect + a UDP send. Sends go
// to loopback receivers drained by another thread; on loopback the kernel's receive work
// (softirq) runs in the sender's context, so it is counted here as it is for a server.
// docs/BENCHMARKS.md ("Per-packet floor") turns the figures into subscribers per core.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "rtc/ByteWriter.hpp"
#include "rtc/SrtpProtector.hpp"
#include "rtc/SrtpSession.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace {

constexpr size_t kPacket = 1200;
constexpr int kReceivers = 64;       // distinct destinations, like distinct subscribers
constexpr int kMaxReceivers = 2000;  // BM_FloorAtScale: one socket per subscriber, up to this

// kMaxReceivers loopback UDP sockets, drained by one thread with recvmmsg (their cost is not
// the sender's, except the kernel receive path that loopback charges to the sender). The
// small benchmarks cycle over the first kReceivers; BM_FloorAtScale over N of them.
class Receivers {
public:
    Receivers() {
        epoll_ = epoll_create1(0);
        // CB_FLOOR_SINK_NETNS + CB_FLOOR_SINK_IP: the receivers live in that network
        // namespace (the harness's load-client side), so that the sends take the same veth
        // path as the fan-out ladder's instead of loopback. Sockets keep the namespace they
        // were created in, so a helper thread enters it just to create them.
        const char* ns = std::getenv("CB_FLOOR_SINK_NETNS");
        const char* ip = std::getenv("CB_FLOOR_SINK_IP");
        if (ns && ip) {
            std::string error;
            std::thread([&] {
                int nsFd = open(ns, O_RDONLY | O_CLOEXEC);
                if (nsFd < 0 || setns(nsFd, CLONE_NEWNET) != 0)
                    error = std::string("cannot enter netns ") + ns;
                else
                    try {
                        openSockets(ip);
                    } catch (const std::exception& e) {
                        error = e.what();
                    }
                if (nsFd >= 0) close(nsFd);
            }).join();
            if (!error.empty()) throw std::runtime_error(error);
        } else {
            openSockets("127.0.0.1");
        }
        thread_ = std::thread([this] {
            pinTo("CB_FLOOR_DRAIN_CPU");
            drain();
        });
        pinTo("CB_FLOOR_SEND_CPU");  // the benchmarks run on the thread that built this
    }
    // The harness pins the sender like the server (core 0) and the drain like the load
    // client (core 1), so the floor is measured with the ladder's placement.
    static void pinTo(const char* env) {
        const char* cpu = std::getenv(env);
        if (!cpu) return;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(std::atoi(cpu), &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    void openSockets(const char* ip) {
        rlimit lim{};
        getrlimit(RLIMIT_NOFILE, &lim);
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        for (int i = 0; i < kMaxReceivers; ++i) {
            int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
            if (fd < 0) throw std::runtime_error("socket (raise ulimit -n)");
            sockaddr_in a{};
            a.sin_family = AF_INET;
            if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) throw std::runtime_error("bad sink ip");
            int buf = 4 << 20;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
            if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
                throw std::runtime_error("bind");
            socklen_t len = sizeof a;
            getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
            addrs_.push_back(a);
            fds_.push_back(fd);
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.fd = fd;
            epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
        }
    }
    ~Receivers() {
        stop_ = true;
        thread_.join();
        for (int fd : fds_) close(fd);
        close(epoll_);
    }
    const sockaddr_in& addr(int i) const { return addrs_[i % kReceivers]; }
    const sockaddr_in& addrOf(int i) const { return addrs_[i]; }

private:
    void drain() {
        static uint8_t bufs[64][2048];
        iovec iov[64];
        mmsghdr msgs[64];
        epoll_event evs[256];
        while (!stop_) {
            int n = epoll_wait(epoll_, evs, 256, 50);
            for (int i = 0; i < n; ++i) {
                for (;;) {
                    for (int k = 0; k < 64; ++k) {
                        iov[k] = {bufs[k], sizeof bufs[k]};
                        msgs[k].msg_hdr = {};
                        msgs[k].msg_hdr.msg_iov = &iov[k];
                        msgs[k].msg_hdr.msg_iovlen = 1;
                    }
                    if (recvmmsg(evs[i].data.fd, msgs, 64, MSG_DONTWAIT, nullptr) < 64) break;
                }
            }
        }
    }
    int epoll_ = -1;
    std::vector<int> fds_;
    std::vector<sockaddr_in> addrs_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

Receivers& receivers() {
    static Receivers r;
    return r;
}

std::vector<uint8_t> rtpPacket(uint16_t seq) {
    std::vector<uint8_t> p(kPacket + 64, 0x5A);
    p[0] = 0x80;
    p[1] = 96;
    rtc::store16(p.data() + 2, seq);
    rtc::store32(p.data() + 4, 123456);
    rtc::store32(p.data() + 8, 0x01020304);
    return p;
}

// Set up as rtc::UdpSocket sets up the server's: 4 MiB buffer, DF without path-MTU
// discovery (IP ID 0 instead of the kernel's hashed per-destination ID).
int udpSocket() {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int buf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    int probe = IP_PMTUDISC_PROBE;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
    return fd;
}

// One datagram of a sendmmsg batch: `iov` (already filled) to `to`.
void setMessage(mmsghdr& m, iovec& iov, const sockaddr_in& to) {
    m.msg_hdr = {};
    m.msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
    m.msg_hdr.msg_namelen = sizeof(sockaddr_in);
    m.msg_hdr.msg_iov = &iov;
    m.msg_hdr.msg_iovlen = 1;
}

// sendmmsg until all `count` went out (or the kernel refuses one).
void sendAll(int fd, mmsghdr* msgs, int count) {
    int sent = 0;
    while (sent < count) {
        int n = sendmmsg(fd, msgs + sent, static_cast<unsigned>(count - sent), 0);
        if (n <= 0) break;
        sent += n;
    }
}

// One sendto per packet, each to the next destination: the naive server.
void BM_SendtoFanout(benchmark::State& st) {
    auto& rx = receivers();
    int fd = udpSocket();
    auto pkt = rtpPacket(1);
    int i = 0;
    for (auto _ : st) {
        const sockaddr_in& a = rx.addr(i++);
        sendto(fd, pkt.data(), kPacket, 0, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
    st.SetItemsProcessed(st.iterations());
    close(fd);
}

// sendmmsg of a batch, each datagram to a different destination (fan-out of one packet to
// `batch` subscribers in one system call).
void BM_SendmmsgFanout(benchmark::State& st) {
    auto& rx = receivers();
    const int batch = static_cast<int>(st.range(0));
    int fd = udpSocket();
    auto pkt = rtpPacket(1);
    std::vector<iovec> iov(batch);
    std::vector<mmsghdr> msgs(batch);
    int next = 0;
    for (auto _ : st) {
        for (int k = 0; k < batch; ++k) {
            iov[k] = {pkt.data(), kPacket};
            setMessage(msgs[k], iov[k], rx.addr(next++));
        }
        sendAll(fd, msgs.data(), batch);
    }
    st.SetItemsProcessed(st.iterations() * batch);
    close(fd);
}

// UDP GSO: `segs` packets to ONE destination in one send (applies when a server sends several
// packets of a frame to the same subscriber; not to one packet for many subscribers).
void BM_GsoOneDestination(benchmark::State& st) {
    auto& rx = receivers();
    const int segs = static_cast<int>(st.range(0));
    int fd = udpSocket();
    std::vector<uint8_t> buf(kPacket * segs, 0x5A);
    int seg = kPacket;
    if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) < 0) {
        st.SkipWithError("setsockopt(UDP_SEGMENT) failed");
        close(fd);
        return;
    }
    int i = 0;
    for (auto _ : st) {
        const sockaddr_in& a = rx.addr(i++);
        sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    }
    st.SetItemsProcessed(st.iterations() * segs);
    close(fd);
}

rtc::SrtpProfile profileOf(const benchmark::State& st) {
    return st.range(0) ? rtc::SrtpProfile::AeadAes128Gcm : rtc::SrtpProfile::AesCm128HmacSha1_80;
}
const uint8_t kKey[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const uint8_t kSalt[14] = {21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34};

// One subscriber's copy of the packet: `size` bytes of `tmpl` with sequence `seq`, protected
// with that subscriber's keys into `out`. Returns the protected length.
template <typename Protector>
size_t protectCopy(Protector& protector, const std::vector<uint8_t>& tmpl, size_t size,
                   uint16_t seq, uint8_t* out, size_t capacity) {
    std::memcpy(out, tmpl.data(), size);
    rtc::store16(out + 2, seq);
    size_t len = size;
    protector.protectRtp(out, len, capacity);
    return len;
}

std::vector<std::unique_ptr<rtc::SrtpProtector>> makeProtectors(rtc::SrtpProfile prof, int n) {
    std::vector<std::unique_ptr<rtc::SrtpProtector>> subs;
    for (int k = 0; k < n; ++k)
        subs.push_back(
            std::make_unique<rtc::SrtpProtector>(prof, kKey, 16, kSalt, rtc::srtpSaltLength(prof)));
    return subs;
}

// What the protect-and-send benchmarks hold: the server-like socket, the packet every
// subscriber gets a copy of, and one sendmmsg batch of slots.
template <int kBatch>
struct BatchSender {
    int fd = udpSocket();
    std::vector<uint8_t> tmpl = rtpPacket(0);
    std::vector<std::vector<uint8_t>> bufs{kBatch, std::vector<uint8_t>(kPacket + 64)};
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
    ~BatchSender() { close(fd); }
};

// The floor itself: per subscriber, copy + protect (each subscriber has its own keys) into a
// batch, then one sendmmsg for the batch — what a server must at least do per packet.
template <typename Protector>
void protectAndSend(benchmark::State& st, std::vector<std::unique_ptr<Protector>>& subs) {
    auto& rx = receivers();
    constexpr int kBatch = 32;
    BatchSender<kBatch> tx;
    auto& [fd, tmpl, bufs, iov, msgs] = tx;
    uint16_t seq = 0;
    int next = 0;
    for (auto _ : st) {
        for (int k = 0; k < kBatch; ++k) {
            const size_t len =
                protectCopy(*subs[k], tmpl, kPacket, seq, bufs[k].data(), bufs[k].size());
            iov[k] = {bufs[k].data(), len};
            setMessage(msgs[k], iov[k], rx.addr(next++));
        }
        ++seq;
        sendAll(fd, msgs, kBatch);
    }
    st.SetItemsProcessed(st.iterations() * kBatch);
    st.SetLabel(st.range(0) ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80");
}

void BM_FloorOpenssl(benchmark::State& st) {
    const auto prof = profileOf(st);
    auto subs = makeProtectors(prof, 32);
    protectAndSend(st, subs);
}

void BM_FloorLibsrtp(benchmark::State& st) {
    const auto prof = profileOf(st);
    std::vector<std::unique_ptr<rtc::SrtpSession>> subs;
    for (int k = 0; k < 32; ++k)
        subs.push_back(std::make_unique<rtc::SrtpSession>(prof, kKey, 16, kSalt,
                                                          rtc::srtpSaltLength(prof),
                                                          rtc::SrtpSession::Direction::Outbound));
    protectAndSend(st, subs);
}

// The floor at the ladder's scale: one packet of `size` bytes to N subscribers, each with its
// own heap-allocated protector and its own receiving socket, in sendmmsg batches of 64 (the
// server's batch). With hundreds of subscribers neither the protectors nor the kernel's
// socket state of the receivers stay in cache, as in the server; the small rows above cycle
// over 32 protectors and 64 sockets that do. Args: suite (0 AES-CM, 1 GCM), N, size.
void BM_FloorAtScale(benchmark::State& st) {
    const auto prof = profileOf(st);
    const int subscribers = static_cast<int>(st.range(1));
    const size_t size = static_cast<size_t>(st.range(2));
    auto& rx = receivers();
    if (subscribers > kMaxReceivers) {
        st.SkipWithError("N > kMaxReceivers");
        return;
    }
    auto subs = makeProtectors(prof, subscribers);
    constexpr int kBatch = 64;
    BatchSender<kBatch> tx;
    auto& [fd, tmpl, bufs, iov, msgs] = tx;
    uint16_t seq = 0;
    for (auto _ : st) {
        for (int first = 0; first < subscribers; first += kBatch) {
            const int count = std::min(kBatch, subscribers - first);
            for (int k = 0; k < count; ++k) {
                const size_t len =
                    protectCopy(*subs[first + k], tmpl, size, seq, bufs[k].data(), bufs[k].size());
                iov[k] = {bufs[k].data(), len};
                setMessage(msgs[k], iov[k], rx.addrOf(first + k));
            }
            sendAll(fd, msgs, count);
        }
        ++seq;
    }
    st.SetItemsProcessed(st.iterations() * subscribers);
    st.SetLabel(st.range(0) ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80");
}

// The same with UDP GSO where a server has several packets for one subscriber at once (a
// keyframe's packets queued behind a fan-out): each subscriber gets k protected
// 1,200-byte packets in one message that the kernel segments (UDP_SEGMENT). Args: N, k.
void BM_FloorAtScaleGso(benchmark::State& st) {
    const int subscribers = static_cast<int>(st.range(0));
    const int k = static_cast<int>(st.range(1));
    auto& rx = receivers();
    const auto prof = rtc::SrtpProfile::AesCm128HmacSha1_80;
    auto subs = makeProtectors(prof, subscribers);
    const size_t seg = kPacket + rtc::srtpRtpOverhead(prof);
    int fd = udpSocket();
    int gso = static_cast<int>(seg);
    if (setsockopt(fd, SOL_UDP, UDP_SEGMENT, &gso, sizeof gso) < 0) {
        st.SkipWithError("setsockopt(UDP_SEGMENT) failed");
        close(fd);
        return;
    }
    const int perCall = std::max(4, 64 / k);  // ~64 slots per sendmmsg, as the server
    std::vector<uint8_t> buf(static_cast<size_t>(perCall) * k * seg + 64);
    std::vector<iovec> iov(perCall);
    std::vector<mmsghdr> msgs(perCall);
    auto tmpl = rtpPacket(0);
    uint16_t seq = 0;
    for (auto _ : st) {
        for (int first = 0; first < subscribers; first += perCall) {
            const int count = std::min(perCall, subscribers - first);
            for (int m = 0; m < count; ++m) {
                uint8_t* out = buf.data() + static_cast<size_t>(m) * k * seg;
                for (int j = 0; j < k; ++j) {
                    uint8_t* p = out + j * seg;
                    protectCopy(*subs[first + m], tmpl, kPacket, static_cast<uint16_t>(seq + j), p,
                                seg);
                }
                iov[m] = {out, k * seg};
                setMessage(msgs[m], iov[m], rx.addrOf(first + m));
            }
            sendAll(fd, msgs.data(), count);
        }
        seq = static_cast<uint16_t>(seq + k);
    }
    st.SetItemsProcessed(st.iterations() * subscribers * k);
    close(fd);
}

}  // namespace

BENCHMARK(BM_SendtoFanout);
BENCHMARK(BM_SendmmsgFanout)->Arg(8)->Arg(32);
BENCHMARK(BM_GsoOneDestination)->Arg(4)->Arg(16);
BENCHMARK(BM_FloorOpenssl)->Arg(0)->Arg(1);
BENCHMARK(BM_FloorLibsrtp)->Arg(0)->Arg(1);
BENCHMARK(BM_FloorAtScale)
    ->ArgsProduct({{0}, {250, 500, 1000, 2000}, {1200}})
    ->Args({0, 500, 160})
    ->Args({0, 1000, 160});
BENCHMARK(BM_FloorAtScaleGso)->ArgsProduct({{500, 1000}, {1, 2, 4, 8, 16}});
BENCHMARK_MAIN();
