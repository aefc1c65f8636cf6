#include "rtc/SourceQueue.hpp"

#include <cstring>

namespace rtc {

SourceQueue::SourceQueue(size_t capacity) : slots_(capacity < 8 ? 8 : capacity) {}

bool SourceQueue::push(MediaKind kind, const uint8_t* data, size_t size, bool& wake) {
    wake = false;
    if (closed() || size == 0 || size > kMaxRtpSize) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    std::lock_guard lock(mutex_);
    if (count_ == slots_.size()) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    Slot& s = slots_[(head_ + count_) % slots_.size()];
    s.kind = kind;
    s.size = static_cast<uint16_t>(size);
    std::memcpy(s.data.data(), data, size);
    ++count_;
    if (!scheduled_) {
        scheduled_ = true;
        wake = true;
    }
    return true;
}

void SourceQueue::close() {
    closed_.store(true, std::memory_order_relaxed);
}

}  // namespace rtc
