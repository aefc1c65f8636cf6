// libFuzzer target: STUN parse + integrity check + classifier on arbitrary bytes.
#include <cstddef>
#include <cstdint>

#include "rtc/PacketClassifier.hpp"
#include "rtc/StunMessage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    (void)rtc::classifyPacket(data, size);
    (void)rtc::isStun(data, size);
    if (auto m = rtc::StunMessage::parse(data, size)) {
        (void)m->verifyIntegrity("password");
        (void)m->usernameLocalPart();
        if (auto a = m->xorMappedAddress()) (void)a->toString();
        // A response to whatever parsed must itself parse.
        auto resp = rtc::buildBindingSuccess(
            m->transactionId(), m->xorMappedAddress().value_or(rtc::StunAddress{}), "pwd");
        if (!rtc::StunMessage::parse(resp.data(), resp.size())) __builtin_trap();
    }
    return 0;
}
