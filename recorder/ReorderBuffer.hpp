#pragma once
// Puts a stream's RTP packets back in sequence order. A gap is waited for (a NACK may
// still fill it) until `depth` later packets are held; then it is declared lost and the
// next packet is released with lostBefore = true. A new SSRC (a restarted encoder or a
// reconnected publisher, whose sequence numbers start anywhere) starts the order afresh:
// judged by sequence alone, a restart landing just behind the old numbers would have its
// packets dropped as late until its numbers caught up.
#include <cstdint>
#include <map>
#include <vector>

namespace recorder {

class ReorderBuffer {
public:
    explicit ReorderBuffer(size_t depth) : depth_(depth) {}

    // emit(const std::vector<uint8_t>& packet, bool lostBefore) for each releasable packet.
    template <typename Emit>
    void push(uint32_t ssrc, uint16_t sequence, std::vector<uint8_t> packet, Emit&& emit) {
        if (started_ && ssrc != ssrc_) {
            flush(emit);
            started_ = false;
            lostPending_ = true;  // what follows does not continue what came before
        }
        if (!started_) {
            started_ = true;
            ssrc_ = ssrc;
            next_ = sequence;
        }
        int16_t diff = int16_t(uint16_t(sequence - uint16_t(next_)));
        int64_t ext = next_ + diff;
        if (diff < -1000 || diff > 3000) {  // the sender restarted its sequence: start over
            flush(emit);
            next_ = ext = sequence;
            lostPending_ = true;
        }
        if (ext < next_) {
            ++late_;  // already released or declared lost
            return;
        }
        if (!held_.emplace(ext, std::move(packet)).second) {
            ++duplicates_;
            return;
        }
        drain(emit);
        while (held_.size() > depth_) {
            lost_ += uint64_t(held_.begin()->first - next_);
            next_ = held_.begin()->first;
            lostPending_ = true;
            drain(emit);
        }
    }

    // Releases everything held (end of stream), gaps marked as losses.
    template <typename Emit>
    void flush(Emit&& emit) {
        while (!held_.empty()) {
            if (held_.begin()->first != next_) {
                lost_ += uint64_t(held_.begin()->first - next_);
                next_ = held_.begin()->first;
                lostPending_ = true;
            }
            drain(emit);
        }
    }

    uint64_t lost() const { return lost_; }
    uint64_t late() const { return late_; }
    uint64_t duplicates() const { return duplicates_; }

private:
    template <typename Emit>
    void drain(Emit&& emit) {
        while (!held_.empty() && held_.begin()->first == next_) {
            auto node = held_.extract(held_.begin());
            ++next_;
            bool lost = lostPending_;
            lostPending_ = false;
            emit(node.mapped(), lost);
        }
    }

    size_t depth_;
    bool started_ = false;
    bool lostPending_ = false;
    uint32_t ssrc_ = 0;
    int64_t next_ = 0;
    std::map<int64_t, std::vector<uint8_t>> held_;
    uint64_t lost_ = 0, late_ = 0, duplicates_ = 0;
};

}  // namespace recorder
