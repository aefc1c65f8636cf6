#pragma once
// Owns everything, in order: config, store, auth, lessons, media engine, HTTP server,
// modules. Modules are started in order and stopped in reverse.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/Config.hpp"

namespace rtc {
class MediaEngine;
}
namespace signaling {
class HttpServer;
}

namespace server {

class Store;
class Auth;
class LessonService;
class Metrics;
class Module;
class Api;
struct ModuleContext;

class Server {
public:
    Server(Config config, bool demo);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void start();  // throws std::runtime_error (bind failure, bad data dir ...)
    void stop();   // idempotent
    uint16_t httpPort() const;
    std::string url() const;

    Store& store() { return *store_; }
    Auth& auth() { return *auth_; }
    LessonService& lessons() { return *lessons_; }
    // `classbridge demo`: what to print.
    int64_t demoLessonId() const { return demoLessonId_; }
    const std::string& demoAdminPassword() const { return demoAdminPassword_; }
    const std::string& demoUserPassword() const { return demoUserPassword_; }

private:
    void schedulerLoop();
    std::mutex schedulerMutex_;
    std::condition_variable schedulerCv_;
    Config config_;
    bool demo_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<Auth> auth_;
    std::unique_ptr<LessonService> lessons_;
    std::unique_ptr<Metrics> metrics_;
    std::unique_ptr<rtc::MediaEngine> media_;
    std::unique_ptr<signaling::HttpServer> http_;
    std::unique_ptr<ModuleContext> context_;
    std::vector<std::unique_ptr<Module>> modules_;
    std::unique_ptr<Api> api_;
    std::atomic<bool> running_{false};
    std::thread scheduler_;
    bool started_ = false;
    int64_t demoLessonId_ = 0;
    std::string demoAdminPassword_, demoUserPassword_;
};

}  // namespace server
