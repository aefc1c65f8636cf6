#pragma once
// A view over one RTP packet in a caller-owned buffer (RFC 3550 §5.1): reads and in-place
// writes of the fixed header, CSRCs, header extensions (RFC 8285 one-byte and two-byte
// forms) and the payload. No allocation; parse() validates every length first.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

namespace rtc {

struct ExtensionElement {
    uint8_t* data = nullptr;  // nullptr when absent
    size_t size = 0;
    explicit operator bool() const { return data != nullptr; }
};

class RtpPacket {
public:
    // nullopt unless version 2 and header, CSRCs, extension and padding fit in len.
    static std::optional<RtpPacket> parse(uint8_t* data, size_t len);

    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }

    bool padding() const { return data_[0] & 0x20; }
    bool hasExtension() const { return data_[0] & 0x10; }
    uint8_t csrcCount() const { return data_[0] & 0x0F; }
    bool marker() const { return data_[1] & 0x80; }
    uint8_t payloadType() const { return data_[1] & 0x7F; }
    uint16_t sequence() const { return load16(data_ + 2); }
    uint32_t timestamp() const { return load32(data_ + 4); }
    uint32_t ssrc() const { return load32(data_ + 8); }
    uint32_t csrc(size_t i) const { return load32(data_ + 12 + 4 * i); }

    void setMarker(bool m) { data_[1] = static_cast<uint8_t>((data_[1] & 0x7F) | (m ? 0x80 : 0)); }
    void setPayloadType(uint8_t pt) {
        data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (pt & 0x7F));
    }
    void setSequence(uint16_t s) { store16(data_ + 2, s); }
    void setTimestamp(uint32_t t) { store32(data_ + 4, t); }
    void setSsrc(uint32_t s) { store32(data_ + 8, s); }

    size_t headerSize() const { return headerSize_; }
    uint8_t* payload() const { return data_ + headerSize_; }
    size_t payloadSize() const { return size_ - headerSize_ - paddingSize_; }
    size_t paddingSize() const { return paddingSize_; }

    // Header extension block (after the 4-byte profile/length word).
    uint16_t extensionProfile() const { return extProfile_; }
    bool oneByteExtensions() const { return extProfile_ == 0xBEDE; }
    bool twoByteExtensions() const { return (extProfile_ & 0xFFF0) == 0x1000; }
    // The element with this id (1..14 one-byte, 1..255 two-byte), or an empty element.
    ExtensionElement extension(uint8_t id) const;
    // Overwrites an existing element of the same size in place; false otherwise.
    bool setExtension(uint8_t id, const uint8_t* value, size_t size);
    // Changes an element's id in place (for mapping the publisher's ids to a subscriber's);
    // false if absent or the new id does not fit the form.
    bool setExtensionId(uint8_t id, uint8_t newId);

private:
    RtpPacket() = default;
    template <typename F>
    bool forEachExtension(F f) const;  // f(idByteOffset, id, valueOffset, size) -> true stops

    uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t headerSize_ = 0;
    size_t paddingSize_ = 0;
    size_t extOffset_ = 0;  // start of extension elements
    size_t extSize_ = 0;
    uint16_t extProfile_ = 0;
};

// Writes a 12-byte RTP header; returns 12, or 0 when cap is too small.
size_t writeRtpHeader(uint8_t* out, size_t cap, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
                      uint32_t ssrc);

// RFC 4588 retransmission: copies `original` into out with PT/SSRC/seq of the RTX stream and
// the original sequence number (OSN) in front of the payload. Padding is dropped. Returns
// the RTX packet size, or 0 when it does not fit.
size_t buildRtx(const RtpPacket& original, uint8_t rtxPt, uint32_t rtxSsrc, uint16_t rtxSeq,
                uint8_t* out, size_t cap);

}  // namespace rtc
