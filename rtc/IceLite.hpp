#pragma once
// ICE-lite (RFC 8445 §2.5) for one transport: the server never sends checks, it answers
// the peer's Binding requests (USERNAME local:remote, MESSAGE-INTEGRITY with the local
// password, FINGERPRINT) and takes the nominated (USE-CANDIDATE) path — the newest wins.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rtc/NetUtil.hpp"

namespace rtc {

class IceLite {
public:
    IceLite(std::string remoteUfrag, std::string remotePwd);

    const std::string& localUfrag() const { return localUfrag_; }
    const std::string& localPwd() const { return localPwd_; }
    const std::string& remoteUfrag() const { return remoteUfrag_; }
    // ICE restart: new remote and local credentials.
    void restart(std::string remoteUfrag, std::string remotePwd);

    struct CheckResult {
        bool valid = false;           // a Binding request that passed every check
        bool nominated = false;       // USE-CANDIDATE present
        size_t responseSize = 0;      // bytes written to `out` (0: send nothing)
        const char* error = nullptr;  // why it was not valid
    };
    // Handles one STUN message from `from`. Valid Binding requests get a success response
    // (XOR-MAPPED-ADDRESS from, MESSAGE-INTEGRITY, FINGERPRINT) written to `out`; requests
    // with a bad USERNAME/integrity get a 401 error response only when they carry our ufrag.
    CheckResult handle(const uint8_t* data, size_t len, const SocketAddress& from, uint8_t* out,
                       size_t outCapacity) const;

    // The local ufrag named in a Binding request's USERNAME ("local:remote"), or empty.
    // Used to route the first packet of a path to its transport.
    static std::string localUfragOf(const uint8_t* data, size_t len);
    static bool isStun(const uint8_t* data, size_t len) {
        return len >= 20 && data[0] < 2 && data[4] == 0x21 && data[5] == 0x12 && data[6] == 0xA4 &&
               data[7] == 0x42;
    }
    static std::string randomString(size_t len);  // ice-char alphabet

private:
    std::string localUfrag_;
    std::string localPwd_;
    std::string remoteUfrag_;
    std::string remotePwd_;
};

}  // namespace rtc
