#pragma once
// A non-blocking UDP socket (RAII) bound with SO_REUSEPORT so every worker owns one socket
// on the same port, plus a sendmmsg batch that packets are protected straight into.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtc/NetUtil.hpp"

namespace rtc {

class UdpSocket {
public:
    // Binds ip:port (port 0: ephemeral) with SO_REUSEPORT. Throws std::system_error.
    UdpSocket(const SocketAddress& bindAddress, bool reusePort = true);
    ~UdpSocket();
    UdpSocket(const UdpSocket&) = delete;
    UdpSocket& operator=(const UdpSocket&) = delete;

    int fd() const { return fd_; }
    SocketAddress localAddress() const;
    // One datagram; false (errno set) on EAGAIN or error.
    bool sendTo(const uint8_t* data, size_t len, const SocketAddress& to);

private:
    int fd_ = -1;
};

// Receives up to kMaxBatch datagrams per recvmmsg call into preallocated buffers.
class UdpReceiver {
public:
    static constexpr size_t kMaxBatch = 32;
    static constexpr size_t kBufferSize = 2048;
    UdpReceiver();
    // Returns the number of datagrams read (0 on EAGAIN).
    int receive(int fd);
    uint8_t* data(int i) { return buffers_.data() + i * kBufferSize; }
    size_t size(int i) const { return msgs_[i].msg_len; }
    const SocketAddress& from(int i) const { return from_[i]; }

private:
    std::vector<uint8_t> buffers_;
    std::vector<mmsghdr> msgs_;
    std::vector<iovec> iovs_;
    std::vector<sockaddr_storage> addrs_;
    std::vector<SocketAddress> from_;
};

// Outgoing datagrams of one socket, flushed with sendmmsg at the end of each loop
// iteration (or when full). A caller reserves a slot, writes (protects) into it, commits:
// the payload is written once, straight into the buffer the kernel reads. Consecutive
// datagrams to the same destination whose sizes allow it (all equal but the last, which may
// be shorter) become one UDP GSO message (UDP_SEGMENT): one pass through the kernel's send
// path for all of them, split into the same datagrams on the way out. Where the kernel or
// the device cannot (EIO/EINVAL on the first such send) the batch falls back to one message
// per datagram for good.
class SendBatch {
public:
    static constexpr size_t kMaxBatch = 64;
    static constexpr size_t kSlotSize = 1600;   // > MTU + SRTP tag
    static constexpr size_t kMaxSegments = 16;  // per GSO message (the kernel allows 64)
    explicit SendBatch(int fd);

    // A slot to write up to kSlotSize bytes into; flushes first when the batch is full.
    uint8_t* reserve();
    // Queues the slot last returned by reserve() for `to`.
    void commit(size_t len, const SocketAddress& to);
    void flush();
    size_t pending() const { return slots_; }

    uint64_t sent() const { return sent_; }            // datagrams
    uint64_t sentInGso() const { return sentInGso_; }  // of which inside GSO messages
    uint64_t sendErrors() const { return errors_; }    // datagrams dropped
    uint64_t syscalls() const { return syscalls_; }
    bool gsoEnabled() const { return gso_; }
    void disableGso() { gso_ = false; }  // tests; CB_RTC_GSO=0 does it for every batch

private:
    struct Message {
        size_t firstSlot;
        size_t segments;
        size_t segmentSize;  // of all but the last
        size_t lastSize;
    };
    void sendOneByOne(size_t msg);  // a GSO message the kernel refused

    std::vector<uint8_t> buffers_;
    std::vector<mmsghdr> msgs_;
    std::vector<iovec> iovs_;  // one per slot; a message's slots are consecutive
    std::vector<SocketAddress> to_;
    std::vector<Message> meta_;
    // One UDP_SEGMENT control message per mmsghdr (cmsghdr-aligned).
    union Control {
        cmsghdr align;
        uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
    };
    std::vector<Control> control_;
    size_t slots_ = 0;
    size_t count_ = 0;  // messages
    int fd_;
    bool gso_;
    uint64_t sent_ = 0;
    uint64_t sentInGso_ = 0;
    uint64_t errors_ = 0;
    uint64_t syscalls_ = 0;
};

}  // namespace rtc
