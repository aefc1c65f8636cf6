#pragma once
// Bounds-checked big-endian writes into a caller-owned buffer of fixed capacity. Like
// ByteReader, an overflow makes the writer !ok() (nothing past the capacity is written),
// so builders check once at the end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace rtc {

inline void store16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void store24(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 16);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v);
}
inline void store32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
inline void store64(uint8_t* p, uint64_t v) {
    store32(p, static_cast<uint32_t>(v >> 32));
    store32(p + 4, static_cast<uint32_t>(v));
}

class ByteWriter {
public:
    ByteWriter(uint8_t* data, size_t capacity) : data_(data), cap_(capacity) {}

    bool ok() const { return ok_; }
    size_t size() const { return pos_; }
    size_t remaining() const { return cap_ - pos_; }
    uint8_t* data() const { return data_; }

    void u8(uint8_t v) {
        if (uint8_t* p = reserve(1)) *p = v;
    }
    void u16(uint16_t v) {
        if (uint8_t* p = reserve(2)) store16(p, v);
    }
    void u24(uint32_t v) {
        if (uint8_t* p = reserve(3)) store24(p, v);
    }
    void u32(uint32_t v) {
        if (uint8_t* p = reserve(4)) store32(p, v);
    }
    void u64(uint64_t v) {
        if (uint8_t* p = reserve(8)) store64(p, v);
    }
    void bytes(const void* src, size_t n) {
        if (uint8_t* p = reserve(n); p && n) std::memcpy(p, src, n);
    }
    void string(std::string_view s) { bytes(s.data(), s.size()); }
    void zeros(size_t n) {
        if (uint8_t* p = reserve(n); p && n) std::memset(p, 0, n);
    }
    // Advances by n and returns where to write them (to patch a length later), or nullptr.
    uint8_t* reserve(size_t n) {
        if (!ok_ || n > cap_ - pos_) {
            ok_ = false;
            return nullptr;
        }
        uint8_t* p = data_ + pos_;
        pos_ += n;
        return p;
    }

private:
    uint8_t* data_;
    size_t cap_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace rtc
