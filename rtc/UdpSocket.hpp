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
// the payload is written once, straight into the buffer the kernel reads.
class SendBatch {
public:
    static constexpr size_t kMaxBatch = 64;
    static constexpr size_t kSlotSize = 1600;  // > MTU + SRTP tag
    explicit SendBatch(int fd);

    // A slot to write up to kSlotSize bytes into; flushes first when the batch is full.
    uint8_t* reserve();
    // Queues the slot last returned by reserve() for `to`.
    void commit(size_t len, const SocketAddress& to);
    void flush();
    size_t pending() const { return count_; }

    uint64_t sent() const { return sent_; }
    uint64_t sendErrors() const { return errors_; }
    uint64_t syscalls() const { return syscalls_; }

private:
    std::vector<uint8_t> buffers_;
    std::vector<mmsghdr> msgs_;
    std::vector<iovec> iovs_;
    std::vector<SocketAddress> to_;
    size_t count_ = 0;
    int fd_;
    uint64_t sent_ = 0;
    uint64_t errors_ = 0;
    uint64_t syscalls_ = 0;
};

}  // namespace rtc
