#pragma once
// Receive-side accounting of the load client: per-stream sequence tracking (loss), and one
// latency histogram shared by all subscribers of a loop (single-threaded, no locks).
#include <algorithm>
#include <cstdint>
#include <vector>

namespace load {

// Counts packets of one RTP stream and the span of extended sequence numbers seen, so that
// expected - received is the loss (duplicates, which we never cause, would hide loss).
class SeqCounter {
public:
    void onPacket(uint16_t seq) {
        if (received_ == 0) {
            maxExt_ = firstExt_ = (int64_t{1} << 32) + seq;
        } else {
            int16_t delta = static_cast<int16_t>(seq - static_cast<uint16_t>(maxExt_));
            int64_t ext = maxExt_ + delta;
            if (ext > maxExt_) maxExt_ = ext;
        }
        ++received_;
    }
    uint64_t received() const { return received_; }
    // Extended highest sequence number received (RTCP report block), 0 before any packet.
    uint32_t highest() const {
        return received_ ? static_cast<uint32_t>(maxExt_ - (int64_t{1} << 32)) : 0;
    }
    uint64_t expected() const {
        return received_ ? static_cast<uint64_t>(maxExt_ - firstExt_ + 1) : 0;
    }

private:
    int64_t firstExt_ = 0, maxExt_ = 0;
    uint64_t received_ = 0;
};

// 10 µs bins up to 1 s; larger values land in the last bin.
class LatencyHistogram {
public:
    static constexpr int64_t kBinNs = 10000;
    LatencyHistogram() : bins_(100001, 0) {}
    void add(int64_t ns) {
        size_t b = static_cast<size_t>(std::clamp<int64_t>(ns / kBinNs, 0, 100000));
        ++bins_[b];
        ++count_;
        if (ns > max_) max_ = ns;
    }
    void reset() {
        std::fill(bins_.begin(), bins_.end(), 0);
        count_ = 0;
        max_ = 0;
    }
    uint64_t count() const { return count_; }
    int64_t maxNs() const { return max_; }
    // Upper edge of the bin holding quantile q, in ns.
    int64_t quantileNs(double q) const {
        if (count_ == 0) return 0;
        uint64_t want = static_cast<uint64_t>(q * static_cast<double>(count_));
        if (want >= count_) want = count_ - 1;
        uint64_t acc = 0;
        for (size_t i = 0; i < bins_.size(); ++i) {
            acc += bins_[i];
            if (acc > want) return static_cast<int64_t>(i + 1) * kBinNs;
        }
        return max_;
    }

private:
    std::vector<uint64_t> bins_;
    uint64_t count_ = 0;
    int64_t max_ = 0;
};

}  // namespace load
