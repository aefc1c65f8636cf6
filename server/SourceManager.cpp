#include "server/SourceManager.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "rtc/MediaEngine.hpp"

namespace server {

namespace {
int64_t nowSeconds() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

class SourceManager::Sink : public pipeline::PushSink {
public:
    Sink(SourceManager& m, Key key, std::shared_ptr<Slot> slot)
        : m_(m), key_(std::move(key)), slot_(std::move(slot)) {}
    ~Sink() override { m_.release(key_, slot_); }
    bool push(const uint8_t* data, size_t size) override {
        std::lock_guard l(slot_->m);
        return slot_->source && slot_->source->pushBytes(data, size);
    }

private:
    SourceManager& m_;
    Key key_;
    std::shared_ptr<Slot> slot_;
};

SourceManager::SourceManager(rtc::MediaEngine& media) : media_(media) {}

SourceManager::~SourceManager() {
    stopAll();
}

void SourceManager::destroy(std::vector<std::shared_ptr<Slot>> slots) {
    for (auto& s : slots) {
        std::unique_ptr<pipeline::IngestSource> src;
        {
            std::lock_guard l(s->m);
            src = std::move(s->source);
        }
        src.reset();  // joins the pipeline's threads and detaches from the lesson
    }
}

std::shared_ptr<SourceManager::Slot> SourceManager::install(const Key& key, RunningSource info,
                                                            pipeline::SourceOptions options) {
    // Take-over: the old source leaves the lesson before the new one attaches.
    std::vector<std::shared_ptr<Slot>> old;
    {
        std::lock_guard l(mutex_);
        auto it = entries_.find(key);
        if (it != entries_.end()) {
            old.push_back(it->second.slot);
            entries_.erase(it);
        }
    }
    if (!old.empty())
        spdlog::info("ingest: lesson {} source {} taken over by {}", key.first, key.second,
                     info.kind);
    destroy(std::move(old));
    auto slot = std::make_shared<Slot>();
    std::string lesson = std::to_string(key.first);
    options.label = "lesson " + lesson + " source " + key.second;
    slot->source = std::make_unique<pipeline::IngestSource>(
        options, [&](rtc::SourceInput::Listener* listener) {
            return media_.attachSource(lesson, key.second, listener);
        });
    info.since = nowSeconds();
    std::lock_guard l(mutex_);
    entries_[key] = Entry{slot, std::move(info)};
    return slot;
}

void SourceManager::startPulled(int64_t lessonId, const std::string& name, const std::string& uri,
                                bool transcode) {
    pipeline::SourceOptions o;
    o.uri = uri;
    o.transcode = transcode;
    RunningSource info;
    info.lessonId = lessonId;
    info.name = name;
    info.kind = "pull";
    info.uri = uri;
    info.transcode = transcode;
    install({lessonId, name}, std::move(info), o);
    spdlog::info("ingest: lesson {} source {} pulling {}", lessonId, name, uri);
}

std::unique_ptr<pipeline::PushSink> SourceManager::startPushed(
    int64_t lessonId, const std::string& name, const std::string& kind, const std::string& format,
    const std::string& remote, bool transcode) {
    pipeline::SourceOptions o;
    o.uri = "push:" + format;
    o.transcode = transcode;
    RunningSource info;
    info.lessonId = lessonId;
    info.name = name;
    info.kind = kind;
    info.remote = remote;
    info.transcode = transcode;
    Key key{lessonId, name};
    auto slot = install(key, std::move(info), o);
    spdlog::info("ingest: lesson {} source {} published over {} from {}", lessonId, name, kind,
                 remote);
    return std::make_unique<Sink>(*this, key, slot);
}

void SourceManager::release(const Key& key, const std::shared_ptr<Slot>& slot) {
    // A publisher we hung up on because of its codec stays listed as `failed` with the
    // reason (until it publishes again or the lesson ends): the API and /metrics must
    // tell the technician why the picture is missing.
    pipeline::SourceStatus last;
    {
        std::lock_guard l(slot->m);
        if (slot->source) last = slot->source->status();
    }
    bool keep = last.state == pipeline::SourceState::Failed;
    std::vector<std::shared_ptr<Slot>> gone;
    {
        std::lock_guard l(mutex_);
        auto it = entries_.find(key);
        if (it != entries_.end() && it->second.slot == slot) {
            gone.push_back(slot);
            if (keep)
                it->second.info.status = last;  // slot->source goes; list() shows this
            else
                entries_.erase(it);
        }
    }
    if (!gone.empty())
        spdlog::info("ingest: lesson {} source {}: publisher left{}", key.first, key.second,
                     keep ? " (refused: " + last.reason + ")" : std::string());
    destroy(std::move(gone));
}

bool SourceManager::stop(int64_t lessonId, const std::string& name) {
    std::vector<std::shared_ptr<Slot>> gone;
    {
        std::lock_guard l(mutex_);
        auto it = entries_.find({lessonId, name});
        if (it == entries_.end()) return false;
        gone.push_back(it->second.slot);
        entries_.erase(it);
    }
    destroy(std::move(gone));
    return true;
}

void SourceManager::stopLesson(int64_t lessonId) {
    std::vector<std::shared_ptr<Slot>> gone;
    {
        std::lock_guard l(mutex_);
        for (auto it = entries_.begin(); it != entries_.end();) {
            if (it->first.first == lessonId) {
                gone.push_back(it->second.slot);
                it = entries_.erase(it);
            } else {
                ++it;
            }
        }
    }
    destroy(std::move(gone));
}

void SourceManager::stopAll() {
    std::vector<std::shared_ptr<Slot>> gone;
    {
        std::lock_guard l(mutex_);
        for (auto& [k, e] : entries_) gone.push_back(e.slot);
        entries_.clear();
    }
    destroy(std::move(gone));
}

std::vector<RunningSource> SourceManager::list(int64_t lessonId) const {
    std::vector<std::pair<RunningSource, std::shared_ptr<Slot>>> copy;
    {
        std::lock_guard l(mutex_);
        for (auto& [k, e] : entries_)
            if (lessonId == 0 || k.first == lessonId) copy.emplace_back(e.info, e.slot);
    }
    std::vector<RunningSource> out;
    for (auto& [info, slot] : copy) {
        std::lock_guard l(slot->m);
        out.push_back(info);
        if (slot->source) out.back().status = slot->source->status();
    }
    return out;
}

bool SourceManager::running(int64_t lessonId, const std::string& name) const {
    std::lock_guard l(mutex_);
    return entries_.count({lessonId, name}) > 0;
}

}  // namespace server
