#include "server/Server.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>

#include "rtc/MediaEngine.hpp"
#include "server/ApiContext.hpp"
#include "server/Auth.hpp"
#include "server/Bootstrap.hpp"
#include "server/CatalogApi.hpp"
#include "server/LessonApi.hpp"
#include "server/LessonService.hpp"
#include "server/Metrics.hpp"
#include "server/ModuleContext.hpp"
#include "server/Modules.hpp"
#include "server/OpsApi.hpp"
#include "server/StatsApi.hpp"
#include "server/Store.hpp"
#include "signaling/HttpServer.hpp"

namespace server {

namespace fs = std::filesystem;

// The REST handlers of server/ plus the bridge from lesson events to modules.
class Api : public LessonListener {
public:
    Api(ApiContext ctx, std::vector<std::unique_ptr<Module>>& modules,
        std::function<std::string()> extraMetrics)
        : ctx_(ctx),
          catalog_(ctx_),
          lessons_(ctx_),
          stats_(ctx_),
          ops_(ctx_, std::move(extraMetrics)),
          modules_(modules) {}
    void registerRoutes(signaling::HttpServer& http) {
        ops_.registerRoutes(http);
        catalog_.registerRoutes(http);
        lessons_.registerRoutes(http);
        stats_.registerRoutes(http);
    }
    void onLessonLive(const Lesson& l) override {
        spdlog::info("lesson {} live: {}", l.id, l.title);
        for (auto& m : modules_) guarded(*m, "onLessonLive", [&] { m->onLessonLive(l); });
    }
    void onLessonEnded(const Lesson& l) override {
        spdlog::info("lesson {} ended", l.id);
        for (auto& m : modules_) guarded(*m, "onLessonEnded", [&] { m->onLessonEnded(l); });
    }

private:
    // One module's failure must not keep the others from hearing about the lesson.
    template <class F>
    static void guarded(Module& m, const char* what, F&& fn) {
        try {
            fn();
        } catch (const std::exception& e) {
            spdlog::error("module {} {}: {}", m.name(), what, e.what());
        }
    }
    ApiContext ctx_;
    CatalogApi catalog_;
    LessonApi lessons_;
    StatsApi stats_;
    OpsApi ops_;
    std::vector<std::unique_ptr<Module>>& modules_;
};

namespace {

fs::path defaultStaticDir() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    std::vector<fs::path> candidates;
    if (!ec) {
        candidates.push_back(exe.parent_path().parent_path() / "client-web");  // build/classbridge
        candidates.push_back(exe.parent_path() / "client-web");
    }
    candidates.push_back(fs::current_path(ec) / "client-web");
    for (const auto& c : candidates)
        if (fs::is_directory(c, ec)) return fs::canonical(c, ec);
    return {};
}

}  // namespace

Server::Server(Config config, bool demo) : config_(std::move(config)), demo_(demo) {}

Server::~Server() {
    stop();
}

void Server::start() {
    store_ = openStore(config_.dataDir);
    std::string key = Auth::loadOrCreateKey(config_.dataDir);
    auth_ = std::make_unique<Auth>(*store_, key);
    lessons_ = std::make_unique<LessonService>(*store_);
    metrics_ = std::make_unique<Metrics>();
    metrics_->describe("cb_http_requests_total", "counter",
                       "HTTP requests by method, route and status");
    metrics_->describe("cb_lessons_live", "gauge", "lessons live now");
    metrics_->describe("cb_lessons_scheduled", "gauge", "lessons scheduled, not yet live");
    metrics_->describe("cb_login_failures_total", "counter", "failed logins");

    if (demo_) {
        auto info = seedDemo(*store_, *lessons_, config_.adminPassword);
        demoLessonId_ = info.lessonId;
        demoAdminPassword_ = info.adminPassword;
        demoUserPassword_ = info.userPassword;
    }
    if (auto generated = ensureAdmin(*store_, config_.adminPassword)) {
        std::printf(
            "Created user \"admin\" with password: %s\n(shown only this once; change it after "
            "signing in)\n",
            generated->c_str());
        std::fflush(stdout);
    }

    rtc::EngineOptions engineOptions;
    engineOptions.port = config_.rtcPort;
    engineOptions.publicIp = config_.publicIp;
    media_ = std::make_unique<rtc::MediaEngine>(engineOptions);

    signaling::HttpOptions httpOptions;
    httpOptions.host = config_.httpHost;
    httpOptions.port = config_.httpPort;
    httpOptions.staticDir =
        (config_.staticDir.empty() ? defaultStaticDir() : config_.staticDir).string();
    httpOptions.maxBodyBytes = config_.maxBodyBytes;
    httpOptions.certFile = config_.certFile;
    httpOptions.keyFile = config_.keyFile;
    if (config_.tlsSelfSigned && config_.certFile.empty()) {
        auto dir = config_.dataDir / "tls";
        fs::create_directories(dir);
        httpOptions.certFile = (dir / "self-signed.crt").string();
        httpOptions.keyFile = (dir / "self-signed.key").string();
        if (!fs::exists(httpOptions.certFile) || !fs::exists(httpOptions.keyFile))
            signaling::writeSelfSignedCertificate(
                httpOptions.certFile, httpOptions.keyFile,
                config_.httpHost == "0.0.0.0" ? "localhost" : config_.httpHost);
    }
    http_ = std::make_unique<signaling::HttpServer>(httpOptions);
    http_->setRequestObserver(
        [m = metrics_.get()](const std::string& method, const std::string& route, int status) {
            m->add("cb_http_requests_total", "method=\"" + Metrics::escapeLabel(method) +
                                                 "\",route=\"" + Metrics::escapeLabel(route) +
                                                 "\",status=\"" + std::to_string(status) + "\"");
        });

    context_ = std::make_unique<ModuleContext>(
        ModuleContext{config_, *store_, *auth_, *lessons_, *media_, config_.dataDir, demo_});
    context_->metrics = metrics_.get();
    modules_ = makeModules(*context_);
    auto extraMetrics = [this] {
        std::string out;  // the media engine's counters come through RtcModule
        for (const auto& m : modules_) m->appendMetrics(out);
        return out;
    };
    api_ = std::make_unique<Api>(ApiContext{config_, *store_, *auth_, *lessons_, *metrics_},
                                 modules_, extraMetrics);
    lessons_->addListener(api_.get());
    api_->registerRoutes(*http_);
    for (auto& m : modules_) m->registerRoutes(*http_);
    for (auto& m : modules_) {
        spdlog::debug("starting module {}", m->name());
        m->start();
    }
    http_->start();
    started_ = true;
    // Lessons already live (after a restart, or the demo lesson) are announced to the
    // modules once, on the HTTP thread, like any later change.
    auto live = lessons_->live();
    http_->post([this, live] {
        for (const auto& l : live) api_->onLessonLive(l);
    });
    running_ = true;
    scheduler_ = std::thread([this] { schedulerLoop(); });
    spdlog::info("started: data {}, http {}:{}, rtc port {}, {} modules", config_.dataDir.string(),
                 config_.httpHost, http_->port(), config_.rtcPort, modules_.size());
}

void Server::schedulerLoop() {
    // Once a second the HTTP thread checks for lessons due to start or end, so module
    // notifications stay on that thread.
    std::unique_lock lock(schedulerMutex_);
    while (running_) {
        schedulerCv_.wait_for(lock, std::chrono::seconds(1));
        if (!running_) break;
        http_->post([this] {
            try {
                lessons_->tick(LessonService::now());
            } catch (const std::exception& e) {
                spdlog::error("scheduler: {}", e.what());
            }
        });
    }
}

void Server::stop() {
    if (!started_) return;
    started_ = false;
    {
        std::lock_guard lock(schedulerMutex_);
        running_ = false;
    }
    schedulerCv_.notify_all();
    if (scheduler_.joinable()) scheduler_.join();
    // Modules stop on the HTTP thread (where they run), in reverse order.
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    http_->post([this, done] {
        for (auto it = modules_.rbegin(); it != modules_.rend(); ++it) {
            try {
                (*it)->stop();
            } catch (const std::exception& e) {
                spdlog::error("module {} stop: {}", (*it)->name(), e.what());
            }
        }
        done->set_value();
    });
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready)
        spdlog::warn("modules did not stop within 20 s");
    http_->stop();
    lessons_->removeListener(api_.get());
    modules_.clear();
    api_.reset();
    http_.reset();
    media_.reset();
    spdlog::info("stopped");
}

uint16_t Server::httpPort() const {
    return http_ ? http_->port() : 0;
}

std::string Server::url() const {
    std::string host = config_.httpHost;
    if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return std::string(http_ && http_->tls() ? "https" : "http") + "://" + host + ":" +
           std::to_string(httpPort());
}

}  // namespace server
