#include "rtc/StunMessage.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <sys/socket.h>

#include <cstring>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

namespace rtc {
namespace {

constexpr uint32_t kFingerprintXor = 0x5354554e;
constexpr size_t kHeaderSize = 20;
constexpr size_t kMaxUsername = 513;

uint16_t encodeType(uint16_t method, StunClass cls) {
    const auto c = static_cast<uint16_t>(cls);
    return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                 ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
}

bool hmacSha1(std::string_view key, const uint8_t* data, size_t len, uint8_t out[20]) {
    unsigned outLen = 0;
    return HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data, len, out, &outLen) &&
           outLen == 20;
}

struct CrcTable {
    uint32_t t[256];
    CrcTable() {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
    }
};

// XOR-MAPPED-ADDRESS value <-> address (RFC 8489 §14.2).
std::optional<StunAddress> decodeXorAddress(const uint8_t* v, size_t len,
                                            const StunTransactionId& tx) {
    if (len < 4) return std::nullopt;
    StunAddress a;
    const uint8_t family = v[1];
    a.port = static_cast<uint16_t>(load16(v + 2) ^ (kStunMagicCookie >> 16));
    uint8_t mask[16];
    store32(mask, kStunMagicCookie);
    std::memcpy(mask + 4, tx.data(), 12);
    if (family == 0x01 && len == 8) {
        a.family = 4;
        for (int i = 0; i < 4; ++i) a.ip[i] = v[4 + i] ^ mask[i];
    } else if (family == 0x02 && len == 20) {
        a.family = 6;
        for (int i = 0; i < 16; ++i) a.ip[i] = v[4 + i] ^ mask[i];
    } else {
        return std::nullopt;
    }
    return a;
}

}  // namespace

uint32_t stunCrc32(const uint8_t* data, size_t len) {
    static const CrcTable table;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; ++i) c = table.t[(c ^ data[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

StunAddress StunAddress::fromSockaddr(const sockaddr* sa) {
    StunAddress a;
    if (!sa) return a;
    if (sa->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        a.family = 4;
        std::memcpy(a.ip.data(), &in->sin_addr, 4);
        a.port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        a.family = 6;
        std::memcpy(a.ip.data(), &in6->sin6_addr, 16);
        a.port = ntohs(in6->sin6_port);
    }
    return a;
}

unsigned StunAddress::toSockaddr(sockaddr_storage& ss) const {
    std::memset(&ss, 0, sizeof ss);
    if (family == 4) {
        auto* in = reinterpret_cast<sockaddr_in*>(&ss);
        in->sin_family = AF_INET;
        std::memcpy(&in->sin_addr, ip.data(), 4);
        in->sin_port = htons(port);
        return sizeof(sockaddr_in);
    }
    if (family == 6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
        in6->sin6_family = AF_INET6;
        std::memcpy(&in6->sin6_addr, ip.data(), 16);
        in6->sin6_port = htons(port);
        return sizeof(sockaddr_in6);
    }
    return 0;
}

std::string StunAddress::toString() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == 4) {
        inet_ntop(AF_INET, ip.data(), buf, sizeof buf);
        return std::string(buf) + ":" + std::to_string(port);
    }
    if (family == 6) {
        inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(port);
    }
    return "none";
}

bool isStun(const uint8_t* data, size_t len) {
    if (len < kHeaderSize || (data[0] & 0xC0) != 0) return false;
    if (load32(data + 4) != kStunMagicCookie) return false;
    const size_t msgLen = load16(data + 2);
    return msgLen % 4 == 0 && msgLen + kHeaderSize == len;
}

std::optional<StunMessage> StunMessage::parse(const uint8_t* data, size_t len) {
    if (!isStun(data, len)) return std::nullopt;
    StunMessage m;
    const uint16_t type = load16(data);
    m.method_ =
        static_cast<uint16_t>((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
    m.cls_ = static_cast<StunClass>(((type >> 4) & 1) | ((type >> 7) & 2));
    std::memcpy(m.txId_.data(), data + 8, 12);

    ByteReader r(data + kHeaderSize, len - kHeaderSize);
    bool afterIntegrity = false;
    while (r.remaining() > 0) {
        const size_t attrOffset = kHeaderSize + r.offset();
        const uint16_t at = r.u16();
        const uint16_t alen = r.u16();
        const uint8_t* v = r.bytes(alen);
        if (!r.ok() || !r.skip((4 - alen % 4) % 4)) return std::nullopt;
        if (m.hasFingerprint_) return std::nullopt;  // FINGERPRINT must be the last attribute
        if (at == stun_attr::kFingerprint) {
            if (alen != 4) return std::nullopt;
            if ((stunCrc32(data, attrOffset) ^ kFingerprintXor) != load32(v)) return std::nullopt;
            m.hasFingerprint_ = true;
            continue;
        }
        if (afterIntegrity) continue;  // RFC 8489 §14.5: ignore all but FINGERPRINT after MI
        switch (at) {
            case stun_attr::kMessageIntegrity:
                if (alen != 20) return std::nullopt;
                m.integrityOffset_ = attrOffset;
                afterIntegrity = true;
                break;
            case stun_attr::kUsername:
                if (alen > kMaxUsername) return std::nullopt;
                m.username_ = std::string(reinterpret_cast<const char*>(v), alen);
                break;
            case stun_attr::kPriority:
                if (alen != 4) return std::nullopt;
                m.priority_ = load32(v);
                break;
            case stun_attr::kUseCandidate:
                if (alen != 0) return std::nullopt;
                m.useCandidate_ = true;
                break;
            case stun_attr::kIceControlling:
                if (alen != 8) return std::nullopt;
                m.iceControlling_ = load64(v);
                break;
            case stun_attr::kIceControlled:
                if (alen != 8) return std::nullopt;
                m.iceControlled_ = load64(v);
                break;
            case stun_attr::kXorMappedAddress:
                m.xorMapped_ = decodeXorAddress(v, alen, m.txId_);
                if (!m.xorMapped_) return std::nullopt;
                break;
            case stun_attr::kErrorCode: {
                if (alen < 4) return std::nullopt;
                const int cls = v[2] & 0x07;
                const int num = v[3];
                if (cls < 3 || cls > 6 || num > 99) return std::nullopt;
                m.errorCode_ = cls * 100 + num;
                m.errorReason_.assign(reinterpret_cast<const char*>(v + 4), alen - 4);
                break;
            }
            default:
                break;  // unknown attributes are ignored (we answer Binding only)
        }
    }
    if (m.integrityOffset_ != 0) m.raw_.assign(data, data + len);
    return m;
}

bool StunMessage::verifyIntegrity(std::string_view password) const {
    if (integrityOffset_ == 0 || raw_.size() < integrityOffset_ + 24) return false;
    // HMAC over the message up to MI, with the header length as if MI were the last attribute.
    std::vector<uint8_t> covered(raw_.begin(), raw_.begin() + integrityOffset_);
    store16(covered.data() + 2, static_cast<uint16_t>(integrityOffset_ + 24 - kHeaderSize));
    uint8_t mac[20];
    if (!hmacSha1(password, covered.data(), covered.size(), mac)) return false;
    return CRYPTO_memcmp(mac, raw_.data() + integrityOffset_ + 4, 20) == 0;
}

std::string_view StunMessage::usernameLocalPart() const {
    if (!username_) return {};
    std::string_view u(*username_);
    const auto colon = u.find(':');
    return colon == std::string_view::npos ? u : u.substr(0, colon);
}

StunWriter::StunWriter(uint16_t method, StunClass cls, const StunTransactionId& txId) {
    buf_.resize(kHeaderSize);
    store16(buf_.data(), encodeType(method, cls));
    store32(buf_.data() + 4, kStunMagicCookie);
    std::memcpy(buf_.data() + 8, txId.data(), 12);
}

StunWriter& StunWriter::addAttribute(uint16_t type, const void* data, size_t len) {
    const size_t off = buf_.size();
    const size_t padded = (len + 3) & ~size_t{3};
    buf_.resize(off + 4 + padded, 0);
    store16(buf_.data() + off, type);
    store16(buf_.data() + off + 2, static_cast<uint16_t>(len));
    if (len) std::memcpy(buf_.data() + off + 4, data, len);
    store16(buf_.data() + 2, static_cast<uint16_t>(buf_.size() - kHeaderSize));
    return *this;
}

StunWriter& StunWriter::addUsername(std::string_view u) {
    return addAttribute(stun_attr::kUsername, u.data(), u.size());
}

StunWriter& StunWriter::addXorMappedAddress(const StunAddress& a) {
    uint8_t v[20] = {};
    uint8_t mask[16];
    store32(mask, kStunMagicCookie);
    std::memcpy(mask + 4, buf_.data() + 8, 12);
    v[1] = a.family == 6 ? 0x02 : 0x01;
    store16(v + 2, static_cast<uint16_t>(a.port ^ (kStunMagicCookie >> 16)));
    const size_t n = a.family == 6 ? 16 : 4;
    for (size_t i = 0; i < n; ++i) v[4 + i] = a.ip[i] ^ mask[i];
    return addAttribute(stun_attr::kXorMappedAddress, v, 4 + n);
}

StunWriter& StunWriter::addPriority(uint32_t p) {
    uint8_t v[4];
    store32(v, p);
    return addAttribute(stun_attr::kPriority, v, 4);
}

StunWriter& StunWriter::addUseCandidate() {
    return addAttribute(stun_attr::kUseCandidate, nullptr, 0);
}

StunWriter& StunWriter::addIceControlling(uint64_t t) {
    uint8_t v[8];
    store64(v, t);
    return addAttribute(stun_attr::kIceControlling, v, 8);
}

StunWriter& StunWriter::addIceControlled(uint64_t t) {
    uint8_t v[8];
    store64(v, t);
    return addAttribute(stun_attr::kIceControlled, v, 8);
}

StunWriter& StunWriter::addErrorCode(int code, std::string_view reason) {
    std::vector<uint8_t> v(4 + reason.size(), 0);
    v[2] = static_cast<uint8_t>(code / 100);
    v[3] = static_cast<uint8_t>(code % 100);
    std::memcpy(v.data() + 4, reason.data(), reason.size());
    return addAttribute(stun_attr::kErrorCode, v.data(), v.size());
}

StunWriter& StunWriter::addSoftware(std::string_view s) {
    return addAttribute(stun_attr::kSoftware, s.data(), s.size());
}

std::vector<uint8_t> StunWriter::finish(std::string_view integrityKey, bool fingerprint) {
    if (!integrityKey.empty()) {
        const size_t off = buf_.size();
        store16(buf_.data() + 2, static_cast<uint16_t>(off + 24 - kHeaderSize));
        uint8_t mac[20] = {};
        hmacSha1(integrityKey, buf_.data(), off, mac);
        addAttribute(stun_attr::kMessageIntegrity, mac, 20);
    }
    if (fingerprint) {
        const size_t off = buf_.size();
        store16(buf_.data() + 2, static_cast<uint16_t>(off + 8 - kHeaderSize));
        uint8_t v[4];
        store32(v, stunCrc32(buf_.data(), off) ^ kFingerprintXor);
        addAttribute(stun_attr::kFingerprint, v, 4);
    }
    return std::move(buf_);
}

std::vector<uint8_t> buildBindingSuccess(const StunTransactionId& txId, const StunAddress& mapped,
                                         std::string_view localPassword) {
    return StunWriter(kStunMethodBinding, StunClass::Success, txId)
        .addXorMappedAddress(mapped)
        .finish(localPassword);
}

std::vector<uint8_t> buildBindingError(const StunTransactionId& txId, int code,
                                       std::string_view reason) {
    return StunWriter(kStunMethodBinding, StunClass::Error, txId)
        .addErrorCode(code, reason)
        .finish({});
}

std::vector<uint8_t> buildBindingRequest(const StunTransactionId& txId, std::string_view username,
                                         std::string_view remotePassword, uint32_t priority,
                                         uint64_t tieBreaker, bool useCandidate) {
    StunWriter w(kStunMethodBinding, StunClass::Request, txId);
    w.addUsername(username).addPriority(priority).addIceControlling(tieBreaker);
    if (useCandidate) w.addUseCandidate();
    return w.finish(remotePassword);
}

}  // namespace rtc
