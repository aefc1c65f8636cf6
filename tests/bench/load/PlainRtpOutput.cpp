#include "PlainRtpOutput.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace load {

static UniqueFd connectUdp(const std::string& ip, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1)
        throw std::invalid_argument("bad ip " + ip);
    UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0 || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
        throw std::system_error(errno, std::generic_category(), "udp connect");
    return fd;
}

PlainRtpOutput::PlainRtpOutput(const std::string& ip, uint16_t videoPort, uint16_t audioPort)
    : video_(connectUdp(ip, videoPort)), audio_(connectUdp(ip, audioPort)) {}

int64_t PlainRtpOutput::sendRtp(Kind kind, uint8_t* buf, size_t len) {
    int64_t t = realtimeNs();
    ::send((kind == Kind::Video ? video_ : audio_).get(), buf, len, 0);
    return t;
}

}  // namespace load
