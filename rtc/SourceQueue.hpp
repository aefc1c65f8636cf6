#pragma once
// Handoff of an in-process source's RTP (GStreamer streaming threads) to the worker that
// owns the lesson's Router: a bounded ring of preallocated slots. push() never blocks on
// the worker and drops (counted) when the ring is full; the worker drains whole batches
// with one lock per batch.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "rtc/MediaEngine.hpp"
#include "rtc/Producer.hpp"

namespace rtc {

class SourceQueue {
public:
    explicit SourceQueue(size_t capacity);

    // Any thread. False when the packet is too large or the ring is full (dropped).
    // `wake` is set when the consumer side must be scheduled (the ring was idle).
    bool push(MediaKind kind, const uint8_t* data, size_t size, bool& wake);
    // Worker: hands every queued packet to fn(kind, data, size), then re-arms the wake-up.
    template <typename F>
    size_t drain(F&& fn) {
        size_t total = 0;
        for (;;) {
            size_t head, n;
            {
                std::lock_guard lock(mutex_);
                head = head_;
                n = count_;
                if (n == 0) {
                    scheduled_ = false;
                    return total;
                }
            }
            // The slots [head, head+n) are ours until count_ shrinks: the producer only
            // writes past them.
            for (size_t i = 0; i < n; ++i) {
                const Slot& s = slots_[(head + i) % slots_.size()];
                fn(s.kind, s.data.data(), s.size);
            }
            {
                std::lock_guard lock(mutex_);
                head_ = (head_ + n) % slots_.size();
                count_ -= n;
            }
            total += n;
        }
    }
    void close();  // later pushes are dropped
    bool closed() const { return closed_.load(std::memory_order_relaxed); }
    uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
    struct Slot {
        MediaKind kind = MediaKind::Video;
        uint16_t size = 0;
        std::array<uint8_t, kMaxRtpSize> data;
    };
    std::mutex mutex_;
    std::vector<Slot> slots_;
    size_t head_ = 0;
    size_t count_ = 0;
    bool scheduled_ = false;
    std::atomic<bool> closed_{false};
    std::atomic<uint64_t> dropped_{0};
};

}  // namespace rtc
