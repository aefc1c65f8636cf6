#include "rtc/IceLite.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "rtc/StunMessage.hpp"

namespace rtc {

IceLite::IceLite(std::string remoteUfrag, std::string remotePwd)
    : localUfrag_(randomString(8)),
      localPwd_(randomString(24)),
      remoteUfrag_(std::move(remoteUfrag)),
      remotePwd_(std::move(remotePwd)) {}

void IceLite::restart(std::string remoteUfrag, std::string remotePwd) {
    localUfrag_ = randomString(8);
    localPwd_ = randomString(24);
    remoteUfrag_ = std::move(remoteUfrag);
    remotePwd_ = std::move(remotePwd);
}

std::string IceLite::randomString(size_t len) {
    // ice-char = ALPHA / DIGIT / "+" / "/"; we avoid + and / so ufrags are URL-safe.
    static const char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string s(len, 'a');
    std::vector<uint8_t> rnd(len);
    RAND_bytes(rnd.data(), static_cast<int>(len));
    for (size_t i = 0; i < len; ++i) s[i] = kAlphabet[rnd[i] % 62];
    return s;
}

std::string IceLite::localUfragOf(const uint8_t* data, size_t len) {
    if (!isStun(data, len)) return {};
    auto msg = StunMessage::parse(data, len);
    if (!msg || msg->method() != kStunMethodBinding || msg->cls() != StunClass::Request) return {};
    return std::string(msg->usernameLocalPart());
}

IceLite::CheckResult IceLite::handle(const uint8_t* data, size_t len, const SocketAddress& from,
                                     uint8_t* out, size_t outCapacity) const {
    CheckResult r;
    auto msg = StunMessage::parse(data, len);
    if (!msg) {
        r.error = "malformed STUN";
        return r;
    }
    if (msg->method() != kStunMethodBinding) {
        r.error = "not a Binding";
        return r;
    }
    if (msg->cls() == StunClass::Indication) {
        // Keepalive (RFC 8445 §11): no answer, no consent.
        r.error = "indication";
        return r;
    }
    if (msg->cls() != StunClass::Request) {
        r.error = "not a request";  // ICE-lite sends no requests, so expects no responses
        return r;
    }
    auto reply = [&](const std::vector<uint8_t>& bytes) {
        if (bytes.size() <= outCapacity) {
            std::memcpy(out, bytes.data(), bytes.size());
            r.responseSize = bytes.size();
        }
    };
    const auto& user = msg->username();
    if (!user || !msg->hasMessageIntegrity() || !msg->hasFingerprint()) {
        reply(buildBindingError(msg->transactionId(), 400, "Bad Request"));
        r.error = "missing USERNAME, MESSAGE-INTEGRITY or FINGERPRINT";
        return r;
    }
    std::string_view u(*user);
    auto colon = u.find(':');
    std::string_view local = u.substr(0, colon);
    std::string_view remote =
        colon == std::string_view::npos ? std::string_view() : u.substr(colon + 1);
    if (local != localUfrag_ || (!remoteUfrag_.empty() && remote != remoteUfrag_)) {
        reply(buildBindingError(msg->transactionId(), 401, "Unauthorized"));
        r.error = "USERNAME does not match";
        return r;
    }
    if (!msg->verifyIntegrity(localPwd_)) {
        reply(buildBindingError(msg->transactionId(), 401, "Unauthorized"));
        r.error = "MESSAGE-INTEGRITY does not match";
        return r;
    }
    // A lite agent is always controlled; a peer claiming controlled too is in error,
    // but browsers never do that, so it is simply answered.
    StunAddress mapped = StunAddress::fromSockaddr(from.sa());
    reply(buildBindingSuccess(msg->transactionId(), mapped, localPwd_));
    r.valid = true;
    r.nominated = msg->useCandidate();
    return r;
}

}  // namespace rtc
