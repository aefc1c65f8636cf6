#pragma once
// Retransmission store of one published stream: a fixed ring of slots indexed by sequence
// number (seq mod N), each holding a shared packet buffer (e.g. std::shared_ptr<const
// Packet>) and its arrival time. store()/find() never allocate: slots are preallocated and
// a stored value is move-assigned over the old one. Answers NACKs with packets no older
// than maxAgeMs (older ones would arrive too late to be played anyway).
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace rtc {

template <typename T>
class RtxBuffer {
public:
    // slots is rounded up to a power of two (cheap modulo); 0 means 1.
    RtxBuffer(size_t slots, int64_t maxAgeMs) : maxAgeMs_(maxAgeMs) {
        size_t n = 1;
        while (n < slots && n < 65536) n <<= 1;
        slots_.resize(n);
        mask_ = n - 1;
    }

    void store(uint16_t seq, int64_t nowMs, T packet) {
        Slot& s = slots_[seq & mask_];
        s.used = true;
        s.seq = seq;
        s.arrivalMs = nowMs;
        s.value = std::move(packet);
        ++stored_;
    }

    // The packet with this sequence number, or nullptr when never stored, overwritten by a
    // later packet, or older than maxAgeMs.
    const T* find(uint16_t seq, int64_t nowMs) const {
        const Slot& s = slots_[seq & mask_];
        if (!s.used || s.seq != seq || nowMs - s.arrivalMs > maxAgeMs_) return nullptr;
        return &s.value;
    }

    void clear() {
        for (auto& s : slots_) s = Slot{};
    }

    size_t capacity() const { return slots_.size(); }
    uint64_t stored() const { return stored_; }

private:
    struct Slot {
        bool used = false;
        uint16_t seq = 0;
        int64_t arrivalMs = 0;
        T value{};
    };
    std::vector<Slot> slots_;
    size_t mask_ = 0;
    int64_t maxAgeMs_;
    uint64_t stored_ = 0;
};

}  // namespace rtc
