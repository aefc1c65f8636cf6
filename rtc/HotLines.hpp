#pragma once
// The cache lines a subscriber's send path touches, collected once when it joins a Router
// and prefetched a few subscribers ahead in the fan-out loop (rtc-router.md).
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace rtc {

// Cache lines to prefetch (addresses only; a stale one is harmless).
struct HotLines {
    static constexpr size_t kMax = 20;
    const void* line[kMax] = {};
    size_t count = 0;
    void add(const void* p, size_t bytes = 1) {
        const auto end = reinterpret_cast<uintptr_t>(p) + bytes;
        for (auto a = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; a < end && count < kMax;
             a += 64) {
            const void* l = reinterpret_cast<const void*>(a);
            if (std::find(line, line + count, l) == line + count) line[count++] = l;
        }
    }
    void prefetch() const {
        for (size_t i = 0; i < count; ++i) __builtin_prefetch(line[i]);
    }
};

}  // namespace rtc
