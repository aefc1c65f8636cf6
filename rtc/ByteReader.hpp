#pragma once
// Bounds-checked big-endian (network order) reads over a byte span. Overruns do not throw:
// the reader becomes !ok() and returns zeros, so a parser checks ok() once at the end
// instead of after every field (the packet path must not use exceptions).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace rtc {

inline uint16_t load16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load24(const uint8_t* p) {
    return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | uint32_t{p[2]};
}
inline uint32_t load32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t load64(const uint8_t* p) {
    return (uint64_t{load32(p)} << 32) | load32(p + 4);
}

class ByteReader {
public:
    ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

    bool ok() const { return ok_; }
    size_t offset() const { return pos_; }
    size_t remaining() const { return size_ - pos_; }
    const uint8_t* current() const { return data_ + pos_; }

    uint8_t u8() { return need(1) ? data_[pos_++] : 0; }
    uint16_t u16() { return take<uint16_t>(2, load16); }
    uint32_t u24() { return take<uint32_t>(3, load24); }
    uint32_t u32() { return take<uint32_t>(4, load32); }
    uint64_t u64() { return take<uint64_t>(8, load64); }

    // Returns a pointer to n bytes and advances, or nullptr (and !ok()) when too short.
    const uint8_t* bytes(size_t n) {
        if (!need(n)) return nullptr;
        const uint8_t* p = data_ + pos_;
        pos_ += n;
        return p;
    }
    std::string_view string(size_t n) {
        const uint8_t* p = bytes(n);
        return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view();
    }
    bool skip(size_t n) { return bytes(n) != nullptr || n == 0; }

private:
    bool need(size_t n) {
        if (!ok_ || n > size_ - pos_) {
            ok_ = false;
            return false;
        }
        return true;
    }
    template <typename T, typename F>
    T take(size_t n, F load) {
        if (!need(n)) return 0;
        T v = load(data_ + pos_);
        pos_ += n;
        return v;
    }

    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace rtc
