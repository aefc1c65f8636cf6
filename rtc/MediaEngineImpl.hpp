#pragma once
// MediaEngine's implementation: sessions by id and lessons spread over the TransportHost's
// workers. Internal to rtc/ (MediaEngineImpl.cpp: sessions; EngineSources.cpp: in-process
// sources and sinks).
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "rtc/EngineWorkerState.hpp"
#include "rtc/MediaEngine.hpp"
#include "rtc/Sdp.hpp"
#include "rtc/Session.hpp"
#include "rtc/TransportHost.hpp"

namespace rtc {

class MediaEngine::Impl : public Session::Owner {
public:
    explicit Impl(EngineOptions o);
    ~Impl() override;

    struct SessionEntry {
        unsigned worker;
        std::string lessonId;
        bool publisher;
    };

    SessionInfo open(const std::string& lessonId, const std::string& source,
                     const std::string& offerSdp, bool publish);
    std::string patch(const std::string& sessionId, const std::string& fragment);
    bool close(const std::string& sessionId);
    void closeLesson(const std::string& lessonId);
    std::unique_ptr<SourceInput> attachSource(const std::string& lessonId,
                                              const std::string& source,
                                              SourceInput::Listener* listener);
    std::unique_ptr<SinkHandle> addSink(const std::string& lessonId, RtpSink* sink);
    std::string metricsText() const;
    std::string workerStallsText() const;

    unsigned workerFor(const std::string& lessonId);
    bool findWorker(const std::string& lessonId, unsigned& w) const;
    // Runs fn(state) on the lesson's worker (creating the assignment when asked).
    template <typename F>
    void onLessonWorker(const std::string& lessonId, bool create, F&& fn) {
        unsigned w;
        if (create)
            w = workerFor(lessonId);
        else if (!findWorker(lessonId, w))
            return;
        host->worker(w).runSync([&] { fn(*states[w]); });
    }

    void onSessionFailed(Session& session, const char* reason) override;
    void destroySession(unsigned w, const std::string& id, bool timedOut);
    LocalParams localParams(WebRtcTransport& t) const;

    EngineOptions options;
    std::unique_ptr<TransportHost> host;
    std::vector<std::unique_ptr<WorkerState>> states;
    mutable std::mutex mutex;  // the maps below
    std::unordered_map<std::string, unsigned> lessonWorker;
    std::vector<unsigned> lessonsPerWorker;
    std::unordered_map<std::string, SessionEntry> sessions;
    std::atomic<uint64_t> nextConsumerId{1};
};

}  // namespace rtc
