#pragma once
// Plain RTP to a Janus streaming mountpoint (one UDP port per medium), as an RTP source would.
#include <string>

#include "EventLoop.hpp"
#include "MediaFile.hpp"

namespace load {

class PlainRtpOutput : public RtpOutput {
public:
    PlainRtpOutput(const std::string& ip, uint16_t videoPort, uint16_t audioPort);
    int64_t sendRtp(Kind kind, uint8_t* buf, size_t len) override;

private:
    UniqueFd video_, audio_;
};

}  // namespace load
