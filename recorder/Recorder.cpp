#include "recorder/Recorder.hpp"

#include <chrono>

namespace recorder {

Recorder::Recorder(std::filesystem::path lessonDir, Listener& listener,
                   SourceRecordingOptions options)
    : lessonDir_(std::move(lessonDir)), listener_(listener), options_(options) {}

Recorder::~Recorder() {
    stop();
}

std::string Recorder::safeName(const std::string& source) {
    std::string out;
    for (char c : source) {
        if (out.size() >= 32) break;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        out += ok ? c : '_';
    }
    return out.empty() ? "source" : out;
}

void Recorder::onRtp(const std::string& source, rtc::MediaKind kind, const uint8_t* data,
                     size_t size) {
    int64_t now = SourceRecording::nowUs();
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    auto it = sources_.find(source);
    if (it == sources_.end()) {
        // A new source (once per source and lesson): the thread it starts creates the files.
        int64_t startedMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        auto dir = lessonDir_ / (safeName(source) + "-" + std::to_string(startedMs));
        it = sources_
                 .emplace(
                     source,
                     std::make_unique<SourceRecording>(
                         source, dir, startedMs,
                         [this, source] { listener_.onKeyframeNeeded(source); },
                         [this](const RecordingSummary& s) { listener_.onRecordingFailed(s); },
                         options_,
                         [this](const RecordingSummary& s) { listener_.onRecordingStarted(s); }))
                 .first;
    }
    it->second->push(kind, data, size, now);
}

std::vector<RecordingSummary> Recorder::stop() {
    std::map<std::string, std::unique_ptr<SourceRecording>> sources;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_) return finished_;
        stopped_ = true;
        sources.swap(sources_);
    }
    std::vector<RecordingSummary> out;
    for (auto& [name, rec] : sources) out.push_back(rec->stop());
    sources.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = out;
    return out;
}

std::vector<RecordingSummary> Recorder::summaries() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return finished_;
    std::vector<RecordingSummary> out;
    for (auto& [name, rec] : sources_) out.push_back(rec->summary());
    return out;
}

uint64_t Recorder::packetsDropped() const {
    uint64_t n = 0;
    for (const auto& s : summaries()) n += s.packetsDropped;
    return n;
}

}  // namespace recorder
