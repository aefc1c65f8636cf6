#include "rtc/RtpPacket.hpp"

#include <cstring>

namespace rtc {

std::optional<RtpPacket> RtpPacket::parse(uint8_t* data, size_t len) {
    if (!data || len < 12 || (data[0] >> 6) != 2) return std::nullopt;
    RtpPacket p;
    p.data_ = data;
    p.size_ = len;
    size_t h = 12 + 4 * size_t(data[0] & 0x0F);
    if (h > len) return std::nullopt;
    if (data[0] & 0x10) {
        if (h + 4 > len) return std::nullopt;
        p.extProfile_ = load16(data + h);
        p.extSize_ = 4 * size_t(load16(data + h + 2));
        p.extOffset_ = h + 4;
        h += 4 + p.extSize_;
        if (h > len) return std::nullopt;
    }
    p.headerSize_ = h;
    if (data[0] & 0x20) {
        const size_t pad = data[len - 1];
        if (pad == 0 || pad > len - h) return std::nullopt;
        p.paddingSize_ = pad;
    }
    return p;
}

template <typename F>
bool RtpPacket::forEachExtension(F f) const {
    const bool one = oneByteExtensions(), two = twoByteExtensions();
    if (!one && !two) return false;
    const uint8_t* e = data_ + extOffset_;
    size_t i = 0;
    while (i < extSize_) {
        if (e[i] == 0) {  // padding between elements
            ++i;
            continue;
        }
        size_t id, len, hdr;
        if (one) {
            id = e[i] >> 4;
            len = size_t(e[i] & 0x0F) + 1;
            hdr = 1;
            if (id == 15) return false;  // reserved: stop parsing (RFC 8285 §4.2)
        } else {
            if (i + 2 > extSize_) return false;
            id = e[i];
            len = e[i + 1];
            hdr = 2;
        }
        if (i + hdr + len > extSize_) return false;
        if (f(i, static_cast<uint8_t>(id), i + hdr, len)) return true;
        i += hdr + len;
    }
    return false;
}

ExtensionElement RtpPacket::extension(uint8_t id) const {
    ExtensionElement out;
    forEachExtension([&](size_t, uint8_t eid, size_t off, size_t len) {
        if (eid != id) return false;
        out.data = data_ + extOffset_ + off;
        out.size = len;
        return true;
    });
    return out;
}

bool RtpPacket::setExtension(uint8_t id, const uint8_t* value, size_t size) {
    ExtensionElement e = extension(id);
    if (!e || e.size != size) return false;
    std::memcpy(e.data, value, size);
    return true;
}

bool RtpPacket::setExtensionId(uint8_t id, uint8_t newId) {
    if (newId == 0 || (oneByteExtensions() && newId > 14)) return false;
    return forEachExtension([&](size_t at, uint8_t eid, size_t, size_t) {
        if (eid != id) return false;
        uint8_t* b = data_ + extOffset_ + at;
        if (oneByteExtensions())
            *b = static_cast<uint8_t>((newId << 4) | (*b & 0x0F));
        else
            *b = newId;
        return true;
    });
}

size_t writeRtpHeader(uint8_t* out, size_t cap, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
                      uint32_t ssrc) {
    ByteWriter w(out, cap);
    w.u8(0x80);
    w.u8(static_cast<uint8_t>((marker ? 0x80 : 0) | (pt & 0x7F)));
    w.u16(seq);
    w.u32(ts);
    w.u32(ssrc);
    return w.ok() ? w.size() : 0;
}

size_t buildRtx(const RtpPacket& original, uint8_t rtxPt, uint32_t rtxSsrc, uint16_t rtxSeq,
                uint8_t* out, size_t cap) {
    const size_t hdr = original.headerSize();
    const size_t payload = original.payloadSize();
    const size_t total = hdr + 2 + payload;
    if (total > cap) return 0;
    std::memmove(out, original.data(), hdr);
    out[0] &= static_cast<uint8_t>(~0x20);  // padding removed
    std::memmove(out + hdr + 2, original.payload(), payload);
    store16(out + hdr, original.sequence());
    out[1] = static_cast<uint8_t>((out[1] & 0x80) | (rtxPt & 0x7F));
    store16(out + 2, rtxSeq);
    store32(out + 8, rtxSsrc);
    return total;
}

}  // namespace rtc
