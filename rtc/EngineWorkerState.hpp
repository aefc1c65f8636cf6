#pragma once
// The MediaEngine's state on one media worker (its Routers, sessions and in-process
// sources) and the link an in-process source uses to reach it. Worker thread only, except
// where marked.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "rtc/EngineMetrics.hpp"
#include "rtc/MediaEngine.hpp"
#include "rtc/Router.hpp"
#include "rtc/Session.hpp"
#include "rtc/SourceQueue.hpp"
#include "rtc/Worker.hpp"

namespace rtc {

constexpr size_t kSourceQueuePackets = 2048;  // ~2 s of 5 Mbit/s video

inline int64_t engineNowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// An in-process source as the worker sees it. Shared by the SourceInput (producer
// threads), the worker's registry and queued drain tasks: its lifetime is truly shared.
struct SourceLink : Router::SourceFeedback {
    SourceLink(std::string lesson, std::string name, SourceInput::Listener* l, unsigned w)
        : lessonId(std::move(lesson)),
          name(std::move(name)),
          listener(l),
          worker(w),
          queue(kSourceQueuePackets) {}
    void requestKeyframe() override {
        if (listener && !queue.closed()) listener->onKeyframeRequested();
    }
    void onSourceReplaced() override {
        handle = nullptr;
        router = nullptr;
    }
    const std::string lessonId, name;
    SourceInput::Listener* const listener;
    const unsigned worker;
    SourceQueue queue;
    Router* router = nullptr;          // worker only
    Router::Source* handle = nullptr;  // worker only
};

struct WorkerState {
    EngineMetrics metrics;
    DeferredFanout fanout;  // before routers: they unregister from it when destroyed
    std::unordered_map<std::string, std::unique_ptr<Router>> routers;
    std::unordered_map<std::string, std::unique_ptr<Session>> sessions;
    std::unordered_map<SourceLink*, std::shared_ptr<SourceLink>> links;
    Worker::TimerId tick = 0;

    Router& router(const std::string& lessonId) {
        auto& r = routers[lessonId];
        if (!r) {
            r = std::make_unique<Router>(lessonId, metrics);
            r->deferFanoutTo(&fanout);
        }
        return *r;
    }
    Router* findRouter(const std::string& lessonId) {
        auto it = routers.find(lessonId);
        return it == routers.end() ? nullptr : it->second.get();
    }
};

}  // namespace rtc
