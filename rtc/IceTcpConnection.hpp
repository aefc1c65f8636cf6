#pragma once
// One passive ICE-TCP connection (RFC 6544) with RFC 4571 framing: each packet is
// preceded by a 2-byte big-endian length. Input and output buffers are bounded; a frame
// that cannot be STUN/DTLS/RTP, or an overflowing buffer, closes this connection only.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtc/NetUtil.hpp"

namespace rtc {

class IceTcpConnection {
public:
    class Listener {
    public:
        virtual ~Listener() = default;
        // One complete frame (mutable: SRTP unprotects in place).
        virtual void onTcpFrame(IceTcpConnection& conn, uint8_t* data, size_t len) = 0;
        virtual void onTcpClosed(IceTcpConnection& conn, const char* reason) = 0;
    };
    static constexpr size_t kMaxFrame = 65535;
    static constexpr size_t kInputCapacity = 2 + kMaxFrame;
    static constexpr size_t kOutputCapacity = 256 * 1024;

    IceTcpConnection(int fd, SocketAddress remote, Listener* listener);
    ~IceTcpConnection();  // closes the fd
    IceTcpConnection(const IceTcpConnection&) = delete;
    IceTcpConnection& operator=(const IceTcpConnection&) = delete;

    int fd() const { return fd_; }
    const SocketAddress& remote() const { return remote_; }
    bool closed() const { return closed_; }
    // Gives up the fd (handover to another worker); the object must then be destroyed.
    int releaseFd();
    // From inside onTcpFrame: stop delivering frames (no onTcpClosed); the bytes after
    // the current frame stay available through takeBuffered().
    void detach() { closed_ = detached_ = true; }
    bool detached() const { return detached_; }
    std::vector<uint8_t> takeBuffered();

    // Reads what the socket has; calls onTcpFrame per frame. Returns false once closed.
    bool onReadable();
    // Feeds bytes as if read (bytes read by another worker before the handover; tests).
    bool feed(const uint8_t* data, size_t len);
    // Queues one framed packet; false (and nothing queued) when the output buffer is full.
    bool send(const uint8_t* data, size_t len);
    // Writes queued output; returns true when everything was written.
    bool flush();
    bool wantsWrite() const { return outSize_ > outPos_; }
    void close(const char* reason);

    // A frame that is none of STUN, DTLS, RTP/RTCP (RFC 7983 first-byte ranges).
    static bool plausibleFrame(const uint8_t* data, size_t len);

private:
    bool consume();

    int fd_;
    SocketAddress remote_;
    Listener* listener_;
    std::vector<uint8_t> in_;
    size_t inSize_ = 0;
    std::vector<uint8_t> out_;
    size_t outPos_ = 0;
    size_t outSize_ = 0;
    bool closed_ = false;
    bool detached_ = false;
};

}  // namespace rtc
