#include "rtc/IceTcpConnection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rtc/ByteReader.hpp"

namespace rtc {

IceTcpConnection::IceTcpConnection(int fd, SocketAddress remote, Listener* listener)
    : fd_(fd), remote_(remote), listener_(listener), in_(kInputCapacity), out_(kOutputCapacity) {}

IceTcpConnection::~IceTcpConnection() {
    if (fd_ >= 0) ::close(fd_);
}

int IceTcpConnection::releaseFd() {
    int fd = fd_;
    fd_ = -1;
    closed_ = true;
    return fd;
}

bool IceTcpConnection::plausibleFrame(const uint8_t* data, size_t len) {
    if (len == 0) return false;
    uint8_t b = data[0];
    if (b <= 3) return len >= 20;               // STUN
    if (b >= 20 && b <= 63) return len >= 13;   // DTLS
    if (b >= 128 && b <= 191) return len >= 8;  // RTP / RTCP
    return false;
}

bool IceTcpConnection::onReadable() {
    while (!closed_) {
        if (inSize_ == in_.size()) {  // cannot happen with kInputCapacity, but be safe
            close("input buffer full");
            return false;
        }
        ssize_t n = ::recv(fd_, in_.data() + inSize_, in_.size() - inSize_, MSG_DONTWAIT);
        if (n > 0) {
            inSize_ += static_cast<size_t>(n);
            if (!consume()) return false;
            continue;
        }
        if (n == 0) {
            close("peer closed");
            return false;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        close(std::strerror(errno));
        return false;
    }
    return false;
}

bool IceTcpConnection::feed(const uint8_t* data, size_t len) {
    while (len > 0 && !closed_) {
        size_t n = std::min(len, in_.size() - inSize_);
        std::memcpy(in_.data() + inSize_, data, n);
        inSize_ += n;
        data += n;
        len -= n;
        if (!consume()) return false;
    }
    return !closed_;
}

bool IceTcpConnection::consume() {
    size_t pos = 0;
    while (!closed_ && inSize_ - pos >= 2) {
        size_t frame = load16(in_.data() + pos);
        // Check the first byte as soon as it is here: garbage closes before buffering more.
        if (frame == 0 || (inSize_ - pos >= 3 && !plausibleFrame(in_.data() + pos + 2, frame))) {
            close("not an RFC 4571 STUN/DTLS/RTP stream");
            return false;
        }
        if (inSize_ - pos < 2 + frame) break;
        listener_->onTcpFrame(*this, in_.data() + pos + 2, frame);
        pos += 2 + frame;
    }
    if (pos > 0) {
        std::memmove(in_.data(), in_.data() + pos, inSize_ - pos);
        inSize_ -= pos;
    }
    return !closed_;
}

std::vector<uint8_t> IceTcpConnection::takeBuffered() {
    std::vector<uint8_t> v(in_.begin(), in_.begin() + static_cast<long>(inSize_));
    inSize_ = 0;
    return v;
}

bool IceTcpConnection::send(const uint8_t* data, size_t len) {
    if (closed_ || len > kMaxFrame) return false;
    if (outPos_ > 0 && outSize_ + 2 + len > out_.size()) {
        std::memmove(out_.data(), out_.data() + outPos_, outSize_ - outPos_);
        outSize_ -= outPos_;
        outPos_ = 0;
    }
    if (outSize_ + 2 + len > out_.size()) return false;  // slow peer: drop, never grow
    out_[outSize_] = static_cast<uint8_t>(len >> 8);
    out_[outSize_ + 1] = static_cast<uint8_t>(len);
    std::memcpy(out_.data() + outSize_ + 2, data, len);
    outSize_ += 2 + len;
    return true;
}

bool IceTcpConnection::flush() {
    while (!closed_ && outPos_ < outSize_) {
        ssize_t n =
            ::send(fd_, out_.data() + outPos_, outSize_ - outPos_, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            outPos_ += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
        close(n < 0 ? std::strerror(errno) : "send failed");
        return false;
    }
    if (outPos_ == outSize_) outPos_ = outSize_ = 0;
    return !closed_;
}

void IceTcpConnection::close(const char* reason) {
    if (closed_) return;
    closed_ = true;
    listener_->onTcpClosed(*this, reason);
}

}  // namespace rtc
