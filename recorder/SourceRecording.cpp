#include "recorder/SourceRecording.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "recorder/Rtp.hpp"

namespace recorder {

const char* stateName(RecordingState s) {
    switch (s) {
        case RecordingState::Recording:
            return "recording";
        case RecordingState::Finished:
            return "finished";
        case RecordingState::Failed:
            return "failed";
    }
    return "unknown";
}

int64_t SourceRecording::nowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void SourceRecording::writeState(const RecordingSummary& s) {
    nlohmann::json j = {{"state", stateName(s.state)},
                        {"source", s.source},
                        {"error", s.error},
                        {"started_at_ms", s.startedAtMs},
                        {"duration", s.durationSeconds},
                        {"bytes", s.bytes},
                        {"disk_full", s.diskFull}};
    std::error_code ec;
    std::filesystem::create_directories(s.dir, ec);
    auto tmp = s.dir / "state.json.tmp";
    {
        std::ofstream o(tmp, std::ios::trunc);
        o << j.dump() << "\n";
        if (!o) return;  // disk full: the recovery at start-up still finds the recording
    }
    std::filesystem::rename(tmp, s.dir / "state.json", ec);
}

SourceRecording::SourceRecording(std::string source, std::filesystem::path dir, int64_t startedAtMs,
                                 std::function<void()> needKeyframe,
                                 std::function<void(const RecordingSummary&)> onFailed,
                                 SourceRecordingOptions options,
                                 std::function<void(const RecordingSummary&)> onStarted)
    : source_(std::move(source)),
      dir_(std::move(dir)),
      startedAtMs_(startedAtMs),
      options_(options),
      needKeyframe_(std::move(needKeyframe)),
      onFailed_(std::move(onFailed)),
      onStarted_(std::move(onStarted)),
      h264_([this] {
          if (needKeyframe_) needKeyframe_();
      }),
      videoOrder_(options.videoReorderDepth),
      audioOrder_(options.audioReorderDepth) {
    published_.source = source_;
    published_.dir = dir_;
    published_.startedAtMs = startedAtMs_;
    thread_ = std::thread([this] { run(); });
}

SourceRecording::~SourceRecording() {
    stop();
}

void SourceRecording::push(rtc::MediaKind kind, const uint8_t* data, size_t size, int64_t wallUs) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!stopping_ && queue_.size() < options_.queuePackets) {
            queue_.push_back(Item{kind, wallUs, std::vector<uint8_t>(data, data + size)});
            cv_.notify_one();
            return;
        }
    }
    // The disk (or this thread) cannot keep up: drop, count, and say so once.
    ++dropped_;
    if (!dropLogged_.exchange(true))
        spdlog::warn("recorder: queue of source '{}' full, dropping packets", source_);
}

void SourceRecording::run() {
    {
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        RecordingSummary s;
        s.source = source_;
        s.dir = dir_;
        s.startedAtMs = startedAtMs_;
        writeState(s);
        if (onStarted_) onStarted_(s);
    }
    std::deque<Item> batch;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty() && stopping_) break;
            batch.swap(queue_);
        }
        for (auto& item : batch) process(item);
        batch.clear();
        std::lock_guard<std::mutex> lock(mutex_);
        published_.packetsDropped = dropped_;
        published_.packetsLost = videoOrder_.lost() + audioOrder_.lost();
        published_.framesDropped = h264_.framesDropped();
        if (writer_) {
            published_.durationSeconds = writer_->durationSeconds();
            published_.bytes = writer_->bytes();
            published_.fragments = writer_->fragments();
        }
    }
    if (!videoClock_ && !warmup_.empty()) startClocks();  // stopped within the warm-up
}

void SourceRecording::process(Item& item) {
    if (videoClock_) return dispatch(item);
    RtpView v;
    if (!RtpView::parse(item.data.data(), item.data.size(), v)) return;
    bool video = item.kind == rtc::MediaKind::Video;
    bool done = aligner_.add(video, v.timestamp, video ? 90000 : 48000, item.wallUs);
    warmup_.push_back(std::move(item));
    if (done) startClocks();
}

// Each stream is anchored at its latency floor (StartAligner), then the held packets go
// through in arrival order.
void SourceRecording::startClocks() {
    // Time 0 at the earlier floor: both streams keep their relative placement.
    int64_t zero = aligner_.firstWallUs();
    for (bool video : {true, false})
        if (aligner_.start(video).seen) zero = std::min(zero, aligner_.start(video).wallUs);
    videoClock_ = std::make_unique<ClockMapper>(90000, zero);
    audioClock_ = std::make_unique<ClockMapper>(48000, zero);
    if (const auto& s = aligner_.start(true); s.seen) videoClock_->map(s.ts, s.wallUs);
    if (const auto& s = aligner_.start(false); s.seen) audioClock_->map(s.ts, s.wallUs);
    std::deque<Item> held;
    held.swap(warmup_);
    for (auto& it : held) dispatch(it);
}

void SourceRecording::dispatch(Item& item) {
    RtpView v;
    if (!RtpView::parse(item.data.data(), item.data.size(), v)) return;
    int64_t wall = item.wallUs;
    if (item.kind == rtc::MediaKind::Video) {
        videoOrder_.push(v.ssrc, v.sequence, std::move(item.data),
                         [&](const std::vector<uint8_t>& p, bool lost) { onVideo(p, lost, wall); });
    } else {
        audioOrder_.push(v.ssrc, v.sequence, std::move(item.data),
                         [&](const std::vector<uint8_t>& p, bool lost) { onAudio(p, lost, wall); });
    }
}

void SourceRecording::onVideo(const std::vector<uint8_t>& packet, bool lost, int64_t wallUs) {
    RtpView v;
    if (!RtpView::parse(packet.data(), packet.size(), v)) return;
    units_.clear();
    h264_.push(v.payload, v.payloadSize, v.timestamp, v.marker, lost, units_);
    for (auto& au : units_) {
        int64_t pts = videoClock_->map(au.rtpTimestamp, wallUs);
        if (!writer_ && au.keyframe && !h264_.sps().empty() && !h264_.pps().empty() &&
            !failedReported_) {
            auto w = std::make_unique<Mp4Writer>(dir_, options_.maxFragmentUs);
            try {
                w->open(h264_.sps(), h264_.pps());
                writer_ = std::move(w);
            } catch (const std::exception& e) {
                RecordingSummary s = summary();
                s.state = RecordingState::Failed;
                s.error = e.what();
                s.diskFull = w->diskFull();
                failedReported_ = true;
                spdlog::error("recorder: source '{}': {}", source_, e.what());
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    published_.state = s.state;
                    published_.error = s.error;
                    published_.diskFull = s.diskFull;
                }
                writeState(s);
                if (onFailed_) onFailed_(s);
                return;
            }
        }
        if (writer_) writer_->writeVideo(pts, au.keyframe, au.data);
    }
    checkWriter();
}

void SourceRecording::onAudio(const std::vector<uint8_t>& packet, bool, int64_t wallUs) {
    RtpView v;
    if (!RtpView::parse(packet.data(), packet.size(), v)) return;
    if (!opus_.push(v.payload, v.payloadSize)) return;
    int64_t pts = audioClock_->map(v.timestamp, wallUs);
    if (writer_) writer_->writeAudio(pts, v.payload, v.payloadSize);
    checkWriter();
}

void SourceRecording::checkWriter() {
    if (!writer_ || !writer_->failed() || failedReported_) return;
    failedReported_ = true;
    writer_->finish();  // ends the playlist: what was written stays playable
    RecordingSummary s;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        published_.state = RecordingState::Failed;
        published_.error = writer_->error();
        published_.diskFull = writer_->diskFull();
        published_.durationSeconds = writer_->durationSeconds();
        published_.bytes = writer_->bytes();
        published_.fragments = writer_->fragments();
        s = published_;
    }
    spdlog::error("recorder: source '{}' failed{}: {} ({} s kept)", source_,
                  s.diskFull ? " (DISK FULL)" : "", s.error, s.durationSeconds);
    writeState(s);
    if (onFailed_) onFailed_(s);
}

RecordingSummary SourceRecording::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_) return published_;
        stopped_ = true;
        stopping_ = true;
        cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    // The thread is gone: its state is ours now.
    if (writer_) {
        writer_->finish();
        checkWriter();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (writer_) {
        published_.durationSeconds = writer_->durationSeconds();
        published_.bytes = writer_->bytes();
        published_.fragments = writer_->fragments();
    }
    published_.packetsDropped = dropped_;
    if (published_.state == RecordingState::Recording) published_.state = RecordingState::Finished;
    if (!writer_ && published_.state != RecordingState::Failed) {
        published_.state = RecordingState::Failed;
        published_.error = "no video keyframe was received";
    }
    writeState(published_);
    return published_;
}

RecordingSummary SourceRecording::summary() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return published_;
}

}  // namespace recorder
