#pragma once
// STUN (RFC 8489) as ICE-lite needs it (RFC 8445 §7): parse Binding requests, check
// USERNAME / MESSAGE-INTEGRITY / FINGERPRINT, and build Binding responses and errors.
// Also builds requests, so that test and load clients reuse it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sockaddr;
struct sockaddr_storage;

namespace rtc {

constexpr uint32_t kStunMagicCookie = 0x2112A442;
constexpr uint16_t kStunMethodBinding = 0x001;

enum class StunClass : uint8_t { Request = 0, Indication = 1, Success = 2, Error = 3 };

namespace stun_attr {
constexpr uint16_t kMappedAddress = 0x0001;
constexpr uint16_t kUsername = 0x0006;
constexpr uint16_t kMessageIntegrity = 0x0008;
constexpr uint16_t kErrorCode = 0x0009;
constexpr uint16_t kUnknownAttributes = 0x000A;
constexpr uint16_t kXorMappedAddress = 0x0020;
constexpr uint16_t kPriority = 0x0024;
constexpr uint16_t kUseCandidate = 0x0025;
constexpr uint16_t kSoftware = 0x8022;
constexpr uint16_t kFingerprint = 0x8028;
constexpr uint16_t kIceControlled = 0x8029;
constexpr uint16_t kIceControlling = 0x802A;
}  // namespace stun_attr

using StunTransactionId = std::array<uint8_t, 12>;

// An IPv4 or IPv6 transport address, independent of the socket API.
struct StunAddress {
    uint8_t family = 0;            // 4 or 6; 0 = none
    std::array<uint8_t, 16> ip{};  // IPv4 in the first 4 bytes
    uint16_t port = 0;

    static StunAddress fromSockaddr(const sockaddr* sa);
    // Fills ss and returns its length (0 when family is 0).
    unsigned toSockaddr(sockaddr_storage& ss) const;
    std::string toString() const;  // "1.2.3.4:5" / "[::1]:5"
    bool operator==(const StunAddress&) const = default;
};

// True when data looks like a STUN message (RFC 7983 first byte, magic cookie, length).
bool isStun(const uint8_t* data, size_t len);

class StunMessage {
public:
    // Parses and validates structure: header, explicit length, attribute walk with padding,
    // FINGERPRINT (if present: must be last and correct). Returns nullopt when malformed.
    static std::optional<StunMessage> parse(const uint8_t* data, size_t len);

    uint16_t method() const { return method_; }
    StunClass cls() const { return cls_; }
    const StunTransactionId& transactionId() const { return txId_; }

    const std::optional<std::string>& username() const { return username_; }
    std::optional<uint32_t> priority() const { return priority_; }
    bool useCandidate() const { return useCandidate_; }
    std::optional<uint64_t> iceControlling() const { return iceControlling_; }
    std::optional<uint64_t> iceControlled() const { return iceControlled_; }
    std::optional<StunAddress> xorMappedAddress() const { return xorMapped_; }
    // ERROR-CODE as class*100+number (e.g. 401) and reason.
    std::optional<int> errorCode() const { return errorCode_; }
    const std::string& errorReason() const { return errorReason_; }
    bool hasMessageIntegrity() const { return integrityOffset_ != 0; }
    bool hasFingerprint() const { return hasFingerprint_; }
    // Short-term credential check (RFC 8489 §9.1): HMAC-SHA1 keyed with the password.
    bool verifyIntegrity(std::string_view password) const;
    // The local part of USERNAME "local:remote" of a request sent to us (empty if none).
    std::string_view usernameLocalPart() const;

private:
    StunMessage() = default;
    std::vector<uint8_t> raw_;  // kept for the integrity check (control-path rate only)
    uint16_t method_ = 0;
    StunClass cls_ = StunClass::Request;
    StunTransactionId txId_{};
    std::optional<std::string> username_;
    std::optional<uint32_t> priority_;
    bool useCandidate_ = false;
    std::optional<uint64_t> iceControlling_;
    std::optional<uint64_t> iceControlled_;
    std::optional<StunAddress> xorMapped_;
    std::optional<int> errorCode_;
    std::string errorReason_;
    size_t integrityOffset_ = 0;  // offset of the MESSAGE-INTEGRITY attribute header
    bool hasFingerprint_ = false;
};

// Builds one message: attributes in call order, then MESSAGE-INTEGRITY and FINGERPRINT.
class StunWriter {
public:
    StunWriter(uint16_t method, StunClass cls, const StunTransactionId& txId);

    StunWriter& addAttribute(uint16_t type, const void* data, size_t len);
    StunWriter& addUsername(std::string_view username);
    StunWriter& addXorMappedAddress(const StunAddress& addr);
    StunWriter& addPriority(uint32_t priority);
    StunWriter& addUseCandidate();
    StunWriter& addIceControlling(uint64_t tieBreaker);
    StunWriter& addIceControlled(uint64_t tieBreaker);
    StunWriter& addErrorCode(int code, std::string_view reason);
    StunWriter& addSoftware(std::string_view software);

    // integrityKey empty: no MESSAGE-INTEGRITY.
    std::vector<uint8_t> finish(std::string_view integrityKey, bool fingerprint = true);

private:
    std::vector<uint8_t> buf_;
};

// The answer of ICE-lite to a valid Binding request: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY
// keyed with our (local) ICE password, FINGERPRINT.
std::vector<uint8_t> buildBindingSuccess(const StunTransactionId& txId, const StunAddress& mapped,
                                         std::string_view localPassword);
// 400 (Bad Request) or 401 (Unauthorized) Binding error; not integrity-protected since the
// request's credentials were not accepted (RFC 8489 §9.1.3).
std::vector<uint8_t> buildBindingError(const StunTransactionId& txId, int code,
                                       std::string_view reason);
// A Binding request as a controlling ICE agent sends it (used by test/load clients).
std::vector<uint8_t> buildBindingRequest(const StunTransactionId& txId, std::string_view username,
                                         std::string_view remotePassword, uint32_t priority,
                                         uint64_t tieBreaker, bool useCandidate);

uint32_t stunCrc32(const uint8_t* data, size_t len);

}  // namespace rtc
