#pragma once
// The running ingest sources of all live lessons, keyed by (lesson, name). Used from the
// HTTP thread (API, lesson lifecycle) and from the RTMP/SRT listener threads (pushed
// sources), so it is thread-safe. A source that starts under a name already running
// takes it over: the old pipeline is torn down before the new one attaches.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/IngestSource.hpp"
#include "pipeline/PublishHandler.hpp"

namespace rtc {
class MediaEngine;
}

namespace server {

struct RunningSource {
    int64_t lessonId = 0;
    std::string name, kind, uri, remote;  // kind: pull | rtmp | srt
    bool transcode = false;
    int64_t since = 0;  // epoch seconds
    pipeline::SourceStatus status;
};

class SourceManager {
public:
    explicit SourceManager(rtc::MediaEngine& media);
    ~SourceManager();
    SourceManager(const SourceManager&) = delete;
    SourceManager& operator=(const SourceManager&) = delete;

    // Pulled source (uri validated by the caller). Throws std::exception on failure.
    void startPulled(int64_t lessonId, const std::string& name, const std::string& uri,
                     bool transcode);
    // Pushed source: format "flv" or "mpegts". The sink's destruction ends the source.
    std::unique_ptr<pipeline::PushSink> startPushed(int64_t lessonId, const std::string& name,
                                                    const std::string& kind,
                                                    const std::string& format,
                                                    const std::string& remote,
                                                    bool transcode = false);
    bool stop(int64_t lessonId, const std::string& name);
    void stopLesson(int64_t lessonId);
    void stopAll();
    std::vector<RunningSource> list(int64_t lessonId) const;  // lessonId 0: all
    bool running(int64_t lessonId, const std::string& name) const;

private:
    struct Slot {
        std::mutex m;
        std::unique_ptr<pipeline::IngestSource> source;
    };
    struct Entry {
        std::shared_ptr<Slot> slot;
        RunningSource info;
    };
    using Key = std::pair<int64_t, std::string>;
    class Sink;
    std::shared_ptr<Slot> install(const Key& key, RunningSource info,
                                  pipeline::SourceOptions options);
    void release(const Key& key, const std::shared_ptr<Slot>& slot);  // a pushed publisher left
    static void destroy(std::vector<std::shared_ptr<Slot>> slots);

    rtc::MediaEngine& media_;
    mutable std::mutex mutex_;
    std::map<Key, Entry> entries_;
};

}  // namespace server
