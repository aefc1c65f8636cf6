// libFuzzer target: SDP parse, negotiation both ways, and trickle fragments.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rtc/Sdp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    rtc::LocalParams local;
    local.iceUfrag = "u";
    local.icePwd = "p";
    local.dtlsFingerprintSha256 = "AA";
    local.candidates = {{"127.0.0.1", 40000, false, 0}};
    local.video = {1, 2, "v"};
    local.audio = {3, 0, "a"};
    try {
        auto sd = rtc::parseSdp(text);
        for (auto want : {rtc::Direction::RecvOnly, rtc::Direction::SendOnly}) {
            try {
                auto n = rtc::negotiate(sd, local, want);
                (void)rtc::parseSdp(n.answerSdp);  // our answer must always parse
            } catch (const rtc::OfferError&) {
            }
        }
    } catch (const rtc::OfferError&) {
    }
    try {
        (void)rtc::parseSdpFragment(text);
    } catch (const rtc::OfferError&) {
    }
    return 0;
}
