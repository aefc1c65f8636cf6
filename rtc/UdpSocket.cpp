#include "rtc/UdpSocket.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "rtc/EnvSwitch.hpp"

namespace rtc {

UdpSocket::UdpSocket(const SocketAddress& bindAddress, bool reusePort) {
    fd_ = ::socket(bindAddress.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "udp socket");
    int one = 1;
    if (reusePort) setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bindAddress.isV6()) setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    // Media bursts (a keyframe to hundreds of viewers) must not overflow the kernel queue.
    int buf = 4 * 1024 * 1024;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    if (!bindAddress.isV6()) {
        // DF set, path MTU not tracked (IP_PMTUDISC_PROBE): our datagrams (media, DTLS at
        // MTU 1,200, STUN) never need fragmenting, and a DF datagram gets IP ID 0 instead of
        // the kernel's hashed per-destination ID (__ip_select_ident: ~2 % of the fan-out's
        // CPU at 500 subscribers). WebRTC keeps packets under 1,200 bytes so that no path
        // needs to fragment them.
        int probe = IP_PMTUDISC_PROBE;
        setsockopt(fd_, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof(probe));
    }
    if (::bind(fd_, bindAddress.sa(), bindAddress.len()) != 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::system_error(err, std::generic_category(), "udp bind " + bindAddress.toString());
    }
}

UdpSocket::~UdpSocket() {
    if (fd_ >= 0) ::close(fd_);
}

SocketAddress UdpSocket::localAddress() const {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return SocketAddress(reinterpret_cast<sockaddr*>(&ss), len);
}

bool UdpSocket::sendTo(const uint8_t* data, size_t len, const SocketAddress& to) {
    return ::sendto(fd_, data, len, 0, to.sa(), to.len()) == static_cast<ssize_t>(len);
}

UdpReceiver::UdpReceiver()
    : buffers_(kMaxBatch * kBufferSize),
      msgs_(kMaxBatch),
      iovs_(kMaxBatch),
      addrs_(kMaxBatch),
      from_(kMaxBatch) {}

int UdpReceiver::receive(int fd) {
    for (size_t i = 0; i < kMaxBatch; ++i) {
        iovs_[i] = {buffers_.data() + i * kBufferSize, kBufferSize};
        msgs_[i] = {};
        msgs_[i].msg_hdr.msg_iov = &iovs_[i];
        msgs_[i].msg_hdr.msg_iovlen = 1;
        msgs_[i].msg_hdr.msg_name = &addrs_[i];
        msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    }
    int n = ::recvmmsg(fd, msgs_.data(), kMaxBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return 0;
    for (int i = 0; i < n; ++i)
        from_[i] =
            SocketAddress(reinterpret_cast<sockaddr*>(&addrs_[i]), msgs_[i].msg_hdr.msg_namelen);
    return n;
}

namespace {
const bool kGsoAllowed = envSwitchOn("CB_RTC_GSO");  // 0: one message per datagram
}  // namespace

SendBatch::SendBatch(int fd)
    : buffers_(kMaxBatch * kSlotSize),
      msgs_(kMaxBatch),
      iovs_(kMaxBatch),
      to_(kMaxBatch),
      meta_(kMaxBatch),
      control_(kMaxBatch),
      fd_(fd),
      gso_(kGsoAllowed) {}

uint8_t* SendBatch::reserve() {
    if (slots_ == kMaxBatch) flush();
    return buffers_.data() + slots_ * kSlotSize;
}

void SendBatch::commit(size_t len, const SocketAddress& to) {
    const size_t slot = slots_++;
    iovs_[slot] = {buffers_.data() + slot * kSlotSize, len};
    if (gso_ && count_ > 0) {
        Message& m = meta_[count_ - 1];
        if (m.lastSize == m.segmentSize && len <= m.segmentSize && m.segments < kMaxSegments &&
            to_[count_ - 1] == to) {
            ++m.segments;
            m.lastSize = len;
            msgs_[count_ - 1].msg_hdr.msg_iovlen = m.segments;
            return;
        }
    }
    const size_t i = count_++;
    meta_[i] = {slot, 1, len, len};
    to_[i] = to;
    msgs_[i] = {};
    msgs_[i].msg_hdr.msg_iov = &iovs_[slot];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = const_cast<sockaddr*>(to_[i].sa());
    msgs_[i].msg_hdr.msg_namelen = to_[i].len();
}

void SendBatch::flush() {
    for (size_t i = 0; i < count_; ++i) {
        if (meta_[i].segments < 2) continue;
        msghdr& h = msgs_[i].msg_hdr;
        h.msg_control = control_[i].bytes;
        h.msg_controllen = sizeof control_[i].bytes;
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const auto size = static_cast<uint16_t>(meta_[i].segmentSize);
        std::memcpy(CMSG_DATA(c), &size, sizeof size);
    }
    size_t done = 0;
    while (done < count_) {
        int n = ::sendmmsg(fd_, msgs_.data() + done, static_cast<unsigned>(count_ - done), 0);
        ++syscalls_;
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            const Message& m = meta_[done];
            if (m.segments > 1 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
                // No UDP GSO here (a device without checksum offload, an old kernel).
                gso_ = false;
                sendOneByOne(done);
            } else {
                // Socket buffer full or an unreachable peer: drop this one, keep the rest.
                errors_ += m.segments;
            }
            ++done;
            continue;
        }
        for (size_t i = done; i < done + static_cast<size_t>(n); ++i) {
            sent_ += meta_[i].segments;
            if (meta_[i].segments > 1) sentInGso_ += meta_[i].segments;
        }
        done += static_cast<size_t>(n);
    }
    slots_ = 0;
    count_ = 0;
}

void SendBatch::sendOneByOne(size_t msg) {
    const Message& m = meta_[msg];
    for (size_t k = 0; k < m.segments; ++k) {
        const iovec& v = iovs_[m.firstSlot + k];
        ++syscalls_;
        if (::sendto(fd_, v.iov_base, v.iov_len, 0, to_[msg].sa(), to_[msg].len()) < 0)
            ++errors_;
        else
            ++sent_;
    }
}

}  // namespace rtc
