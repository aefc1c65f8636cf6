// In-process sources (ingest pipelines) and RTP sinks (the recorder) of a lesson: the
// handles other threads hold, and how their calls reach the lesson's worker.
#include <memory>
#include <string>

#include "rtc/MediaEngineImpl.hpp"

namespace rtc {

namespace {

class SourceInputImpl : public SourceInput {
public:
    SourceInputImpl(std::shared_ptr<SourceLink> link, Worker& worker, WorkerState& st)
        : link_(std::move(link)), worker_(worker), st_(st) {}
    ~SourceInputImpl() override {
        link_->queue.close();
        try {
            worker_.runSync([this] {
                if (link_->router && link_->handle)
                    link_->router->removeSource(link_->handle, engineNowMs());
                link_->handle = nullptr;
                link_->router = nullptr;
                st_.links.erase(link_.get());
            });
        } catch (const std::exception&) {
            // The engine is gone: nothing left to detach from.
        }
    }
    void pushRtp(MediaKind kind, const uint8_t* data, size_t size) override {
        bool wake = false;
        if (!link_->queue.push(kind, data, size, wake)) {
            st_.metrics.add(st_.metrics.sourceQueueDrops);
            return;
        }
        if (!wake) return;
        // One drain task per burst; the queue re-arms when it runs dry.
        worker_.post([link = link_] {
            const int64_t now = engineNowMs();
            link->queue.drain([&](MediaKind k, const uint8_t* d, size_t n) {
                if (link->router && link->handle)
                    link->router->onSourceRtp(link->handle, k, d, n, now);
            });
        });
    }

private:
    std::shared_ptr<SourceLink> link_;
    Worker& worker_;
    WorkerState& st_;
};

class SinkHandleImpl : public MediaEngine::SinkHandle {
public:
    SinkHandleImpl(Worker& worker, WorkerState& st, std::string lessonId, RtpSink* sink)
        : worker_(worker), st_(st), lessonId_(std::move(lessonId)), sink_(sink) {}
    ~SinkHandleImpl() override {
        try {
            worker_.runSync([this] {
                if (Router* r = st_.findRouter(lessonId_)) r->removeSink(sink_);
            });
        } catch (const std::exception&) {
        }
    }

private:
    Worker& worker_;
    WorkerState& st_;
    std::string lessonId_;
    RtpSink* sink_;
};

}  // namespace

std::unique_ptr<SourceInput> MediaEngine::Impl::attachSource(const std::string& lessonId,
                                                             const std::string& source,
                                                             SourceInput::Listener* listener) {
    const unsigned w = workerFor(lessonId);
    auto link = std::make_shared<SourceLink>(lessonId, source, listener, w);
    host->worker(w).runSync([&] {
        WorkerState& st = *states[w];
        Router& r = st.router(lessonId);
        link->router = &r;
        link->handle = r.addSource(source, link.get(), engineNowMs());
        st.links.emplace(link.get(), link);
    });
    return std::make_unique<SourceInputImpl>(link, host->worker(w), *states[w]);
}

std::unique_ptr<MediaEngine::SinkHandle> MediaEngine::Impl::addSink(const std::string& lessonId,
                                                                    RtpSink* sink) {
    const unsigned w = workerFor(lessonId);
    host->worker(w).runSync([&] { states[w]->router(lessonId).addSink(sink); });
    return std::make_unique<SinkHandleImpl>(host->worker(w), *states[w], lessonId, sink);
}

}  // namespace rtc
