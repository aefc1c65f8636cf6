// MediaEngine::Impl: sessions by id, lessons spread over the TransportHost's workers (each
// lesson's Router, sessions and in-process sources live on one worker), and the calls
// from other threads posted to that worker.
#include "rtc/MediaEngineImpl.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace rtc {

namespace {

constexpr std::chrono::milliseconds kTickInterval{20};

// Wall clock as a 64-bit NTP timestamp (RFC 3550 SR).
uint64_t ntpNow() {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    const uint64_t secs = static_cast<uint64_t>(ns / 1'000'000'000) + 2208988800ull;
    const uint64_t frac = (static_cast<uint64_t>(ns % 1'000'000'000) << 32) / 1'000'000'000;
    return (secs << 32) | frac;
}

std::string randomId() {
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("RAND_bytes failed");
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (unsigned char c : b) {
        s += hex[c >> 4];
        s += hex[c & 15];
    }
    return s;
}

uint32_t randomSsrc() {
    uint32_t v = 0;
    while (v == 0) RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
    return v;
}

EngineOptions withEnvironment(EngineOptions o) {
    // Tests shorten consent expiry to see a killed peer freed quickly.
    if (const char* v = std::getenv("CB_RTC_CONSENT_TIMEOUT_MS")) {
        const long ms = std::strtol(v, nullptr, 10);
        if (ms > 0) o.consentTimeout = std::chrono::milliseconds(ms);
    }
    return o;
}

}  // namespace

MediaEngine::Impl::Impl(EngineOptions o) : options(withEnvironment(std::move(o))) {
    host = std::make_unique<TransportHost>(options);
    const unsigned n = host->workerCount();
    lessonsPerWorker.assign(n, 0);
    for (unsigned i = 0; i < n; ++i) {
        states.push_back(std::make_unique<WorkerState>());
        WorkerState* st = states.back().get();
        host->worker(i).runSync([this, i, st] {
            // Before the send batches' flush, which the transports registered earlier.
            host->worker(i).addIterationHook([st] { st->fanout.flush(); }, true);
            st->tick = host->worker(i).addTimer(kTickInterval, true, [st] {
                const int64_t now = engineNowMs();
                const uint64_t ntp = ntpNow();
                for (auto& [id, r] : st->routers) r->onTick(now, ntp);
            });
        });
    }
    spdlog::info("rtc: media engine on port {} with {} worker(s), consent timeout {} ms",
                 host->port(), n, options.consentTimeout.count());
}

MediaEngine::Impl::~Impl() {
    for (unsigned i = 0; i < states.size(); ++i) {
        WorkerState* st = states[i].get();
        try {
            host->worker(i).runSync([this, i, st] {
                host->worker(i).cancelTimer(st->tick);
                for (auto& [id, s] : st->sessions) s->close();
                st->sessions.clear();
                for (auto& [p, link] : st->links) {
                    link->queue.close();
                    link->handle = nullptr;
                    link->router = nullptr;
                }
                st->links.clear();
                st->routers.clear();
            });
        } catch (const std::exception& e) {
            spdlog::warn("rtc: worker {} shutdown: {}", i, e.what());
        }
    }
    host.reset();
}

unsigned MediaEngine::Impl::workerFor(const std::string& lessonId) {
    std::lock_guard lock(mutex);
    auto it = lessonWorker.find(lessonId);
    if (it != lessonWorker.end()) return it->second;
    // Least loaded by number of lessons: a lesson's viewers all cost on its worker.
    const unsigned w =
        static_cast<unsigned>(std::min_element(lessonsPerWorker.begin(), lessonsPerWorker.end()) -
                              lessonsPerWorker.begin());
    ++lessonsPerWorker[w];
    lessonWorker.emplace(lessonId, w);
    return w;
}

bool MediaEngine::Impl::findWorker(const std::string& lessonId, unsigned& w) const {
    std::lock_guard lock(mutex);
    auto it = lessonWorker.find(lessonId);
    if (it == lessonWorker.end()) return false;
    w = it->second;
    return true;
}

LocalParams MediaEngine::Impl::localParams(WebRtcTransport& t) const {
    LocalParams p;
    p.iceUfrag = t.localUfrag();
    p.icePwd = t.localPwd();
    p.dtlsFingerprintSha256 = host->fingerprint();
    for (const IceCandidate& c : host->candidates())
        p.candidates.push_back(LocalCandidate{c.ip, c.port, c.tcp, c.priority});
    // Transport-cc only where we send its feedback (publishers; see open()).
    p.transportCc = false;
    return p;
}

SessionInfo MediaEngine::Impl::open(const std::string& lessonId, const std::string& source,
                                    const std::string& offerSdp, bool publish) {
    const SessionDescription offer = parseSdp(offerSdp);
    if (offer.media.empty()) throw OfferError(422, "no_media", "the offer has no media section");
    const MediaSection& first = offer.media.front();
    RemoteIceDtls remote;
    remote.iceUfrag = first.iceUfrag;
    remote.icePwd = first.icePwd;
    remote.fingerprintAlgorithm =
        first.fingerprintAlgorithm.empty() ? "sha-256" : first.fingerprintAlgorithm;
    remote.fingerprint = first.fingerprint;
    if (remote.iceUfrag.empty() || remote.icePwd.empty())
        throw OfferError(422, "ice_credentials_required", "the offer has no ICE ufrag/pwd");
    if (remote.fingerprint.empty())
        throw OfferError(422, "dtls_fingerprint_required", "the offer has no DTLS fingerprint");

    const unsigned w = workerFor(lessonId);
    SessionInfo info;
    info.id = randomId();
    const uint64_t consumerId = nextConsumerId++;
    host->worker(w).runSync([&] {
        WorkerState& st = *states[w];
        Router& router = st.router(lessonId);
        std::unique_ptr<Session> session;
        if (publish)
            session = std::make_unique<PublisherSession>(info.id, lessonId, source, router, *this,
                                                         st.metrics);
        else
            session = std::make_unique<SubscriberSession>(info.id, lessonId, consumerId, router,
                                                          *this, st.metrics);
        session->setTransport(host->createTransport(w, remote, session.get()));
        LocalParams local = localParams(session->transport());
        // Publishers get transport-cc feedback (TwccRecorder) for their send-side estimate.
        // Subscribers do not: nothing here adapts the rate per subscriber, so their
        // feedback would be ignored and our packets would need the extension for nothing.
        local.transportCc = publish;
        if (!publish) {
            local.audio = LocalStream{randomSsrc(), 0, "audio-" + info.id.substr(0, 8)};
            local.video = LocalStream{randomSsrc(), randomSsrc(), "video-" + info.id.substr(0, 8)};
            local.streamId = "lesson-" + lessonId;
        }
        // Throws OfferError: the session (and its transport) are destroyed on the way out.
        NegotiatedSession negotiated =
            negotiate(offer, local, publish ? Direction::RecvOnly : Direction::SendOnly);
        session->configure(negotiated);
        info.answerSdp = std::move(negotiated.answerSdp);
        st.sessions.emplace(info.id, std::move(session));
    });
    std::lock_guard lock(mutex);
    sessions.emplace(info.id, SessionEntry{w, lessonId, publish});
    return info;
}

std::string MediaEngine::Impl::patch(const std::string& sessionId, const std::string& text) {
    SessionEntry entry;
    {
        std::lock_guard lock(mutex);
        auto it = sessions.find(sessionId);
        if (it == sessions.end()) throw std::out_of_range("unknown session");
        entry = it->second;
    }
    const SdpFragment frag = parseSdpFragment(text);
    if (frag.iceUfrag.empty() || frag.icePwd.empty()) return {};  // trickle: ICE-lite ignores
    std::string answer;
    bool found = false;
    host->worker(entry.worker).runSync([&] {
        auto& st = *states[entry.worker];
        auto it = st.sessions.find(sessionId);
        if (it == st.sessions.end()) return;
        found = true;
        WebRtcTransport& t = it->second->transport();
        // Trickle fragments repeat the current ufrag (RFC 8840 §4.4, WHIP §4.3.1); only a
        // new one is a restart. Restarting on a trickle PATCH replaced our credentials under
        // the peer's running checks (whip-client's nomination went unanswered).
        if (frag.iceUfrag == t.remoteUfrag()) return;
        t.restartIce(frag.iceUfrag, frag.icePwd);
        answer = buildSdpFragment(localParams(t), it->second->bundleMid());
    });
    if (!found) throw std::out_of_range("unknown session");
    return answer;
}

void MediaEngine::Impl::onSessionFailed(Session& session, const char* reason) {
    spdlog::info("rtc: session {} of lesson {} ends: {}", session.id(), session.lessonId(), reason);
    unsigned w;
    {
        std::lock_guard lock(mutex);
        auto it = sessions.find(session.id());
        if (it == sessions.end()) return;
        w = it->second.worker;
    }
    // Not from inside the transport's callback: destroy on the next loop turn.
    host->worker(w).post([this, w, id = session.id()] { destroySession(w, id, true); });
}

void MediaEngine::Impl::destroySession(unsigned w, const std::string& id, bool timedOut) {
    WorkerState& st = *states[w];
    auto it = st.sessions.find(id);
    if (it == st.sessions.end()) return;
    it->second->close();
    st.sessions.erase(it);
    st.metrics.add(timedOut ? st.metrics.sessionsClosedByTimeout : st.metrics.sessionsClosed);
    std::lock_guard lock(mutex);
    sessions.erase(id);
}

bool MediaEngine::Impl::close(const std::string& sessionId) {
    unsigned w;
    {
        std::lock_guard lock(mutex);
        auto it = sessions.find(sessionId);
        if (it == sessions.end()) return false;
        w = it->second.worker;
    }
    host->worker(w).runSync([&] { destroySession(w, sessionId, false); });
    return true;
}

void MediaEngine::Impl::closeLesson(const std::string& lessonId) {
    unsigned w;
    if (!findWorker(lessonId, w)) return;
    host->worker(w).runSync([&] {
        WorkerState& st = *states[w];
        std::vector<std::string> ids;
        for (auto& [id, s] : st.sessions)
            if (s->lessonId() == lessonId) ids.push_back(id);
        for (auto& id : ids) destroySession(w, id, false);
        for (auto it = st.links.begin(); it != st.links.end();) {
            if (it->second->lessonId == lessonId) {
                it->second->queue.close();
                it->second->handle = nullptr;
                it->second->router = nullptr;
                it = st.links.erase(it);
            } else {
                ++it;
            }
        }
        st.routers.erase(lessonId);
    });
    std::lock_guard lock(mutex);
    if (lessonWorker.erase(lessonId)) --lessonsPerWorker[w];
}

std::string MediaEngine::Impl::metricsText() const {
    std::vector<const EngineMetrics*> all;
    for (auto& st : states) all.push_back(&st->metrics);
    std::string out = formatMetrics(all);
    size_t pubs = 0, subs = 0, lessons = 0;
    {
        std::lock_guard lock(mutex);
        for (auto& [id, e] : sessions) (e.publisher ? pubs : subs)++;
        lessons = lessonWorker.size();
    }
    out += "# HELP cb_rtc_sessions Open WebRTC sessions\n# TYPE cb_rtc_sessions gauge\n";
    out += "cb_rtc_sessions{kind=\"whip\"} " + std::to_string(pubs) + "\n";
    out += "cb_rtc_sessions{kind=\"whep\"} " + std::to_string(subs) + "\n";
    out += "# HELP cb_rtc_lessons Lessons with media state\n# TYPE cb_rtc_lessons gauge\n";
    out += "cb_rtc_lessons " + std::to_string(lessons) + "\n";
    out += host->metricsText();
    out += workerStallsText();
    return out;
}

std::string MediaEngine::Impl::workerStallsText() const {
    // Histogram of single pieces of loop work (a timer callback, a posted task, one fd's
    // events, the end-of-iteration flush): what media arriving meanwhile waits behind.
    std::string out =
        "# HELP cb_rtc_worker_work_seconds Duration of one piece of media-worker loop work\n"
        "# TYPE cb_rtc_worker_work_seconds histogram\n";
    std::string maxima =
        "# HELP cb_rtc_worker_work_max_seconds Longest piece of loop work since start\n"
        "# TYPE cb_rtc_worker_work_max_seconds gauge\n";
    for (unsigned w = 0; w < host->workerCount(); ++w) {
        for (unsigned k = 0; k < Worker::kWorkKinds; ++k) {
            const auto kind = static_cast<Worker::WorkKind>(k);
            const Worker::WorkStats& s = host->worker(w).workStats(kind);
            const std::string labels =
                fmt::format("worker=\"{}\",kind=\"{}\"", w, Worker::workKindName(kind));
            uint64_t cumulative = 0;
            for (size_t b = 0; b <= Worker::kStallBoundsNs.size(); ++b) {
                cumulative += s.buckets[b].load(std::memory_order_relaxed);
                const std::string le = b < Worker::kStallBoundsNs.size()
                                           ? fmt::format("{}", Worker::kStallBoundsNs[b] / 1e9)
                                           : std::string("+Inf");
                out += fmt::format("cb_rtc_worker_work_seconds_bucket{{{},le=\"{}\"}} {}\n", labels,
                                   le, cumulative);
            }
            out += fmt::format("cb_rtc_worker_work_seconds_sum{{{}}} {}\n", labels,
                               s.sumNs.load(std::memory_order_relaxed) / 1e9);
            out += fmt::format("cb_rtc_worker_work_seconds_count{{{}}} {}\n", labels, cumulative);
            maxima += fmt::format("cb_rtc_worker_work_max_seconds{{{}}} {}\n", labels,
                                  s.maxNs.load(std::memory_order_relaxed) / 1e9);
        }
    }
    return out + maxima;
}

}  // namespace rtc
