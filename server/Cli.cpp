#include "server/Cli.hpp"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "common/Error.hpp"
#include "server/Auth.hpp"
#include "server/Bootstrap.hpp"
#include "server/Config.hpp"
#include "server/Migrations.hpp"
#include "server/Server.hpp"
#include "server/Store.hpp"

namespace server {

namespace {

struct ServeFlags {
    std::string configFile;
    ConfigOverrides o;
    std::string dataDir, http, publicIp, adminPassword, logLevel;
    int rtcPort = -1, rtmpPort = -1, srtPort = -1;
};

void addServeFlags(CLI::App* cmd, ServeFlags& f) {
    cmd->add_option("--config", f.configFile, "TOML config file")->check(CLI::ExistingFile);
    cmd->add_option("--data", f.dataDir, "data directory (default ./data)");
    cmd->add_option("--http", f.http,
                    "HTTP listen address HOST:PORT (default 127.0.0.1:8080; port 0: any)");
    cmd->add_option("--rtc-port", f.rtcPort, "WebRTC media port, UDP and TCP (default 40000)")
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--rtmp-port", f.rtmpPort, "RTMP ingest port (default 1935)")
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--srt-port", f.srtPort, "SRT ingest port (default 9000)")
        ->check(CLI::Range(0, 65535));
    cmd->add_option("--public-ip", f.publicIp,
                    "extra ICE candidate address for clients behind NAT");
    cmd->add_option("--admin-password", f.adminPassword,
                    "password of the first admin (first start only)");
    cmd->add_flag("--tls-self-signed", f.o.tlsSelfSigned,
                  "serve HTTPS with a generated self-signed certificate");
    cmd->add_option("--log-level", f.logLevel, "trace|debug|info|warn|error")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
}

Config resolveConfig(ServeFlags& f) {
    Config c = f.configFile.empty() ? Config() : Config::fromFile(f.configFile);
    if (!f.dataDir.empty()) f.o.dataDir = f.dataDir;
    if (!f.http.empty()) f.o.http = f.http;
    if (!f.publicIp.empty()) f.o.publicIp = f.publicIp;
    if (!f.adminPassword.empty()) f.o.adminPassword = f.adminPassword;
    if (!f.logLevel.empty()) f.o.logLevel = f.logLevel;
    if (f.rtcPort >= 0) f.o.rtcPort = static_cast<uint16_t>(f.rtcPort);
    if (f.rtmpPort >= 0) f.o.rtmpPort = static_cast<uint16_t>(f.rtmpPort);
    if (f.srtPort >= 0) f.o.srtPort = static_cast<uint16_t>(f.srtPort);
    c.apply(f.o);
    return c;
}

void setupLogging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("classbridge");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%t] %v");
    spdlog::set_level(spdlog::level::from_str(level));
}

int serve(ServeFlags& flags, bool demo) {
    Config config = resolveConfig(flags);
    setupLogging(config.logLevel);
    // Signals are taken synchronously by this thread; every thread started from here on
    // inherits the mask, so none of them is interrupted by SIGTERM.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    Server server(config, demo);
    try {
        server.start();
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        std::fprintf(stderr, "classbridge: cannot start: %s\n", e.what());
        return 1;
    }
    std::printf("ClassBridge listening on %s\n", server.url().c_str());
    if (demo) {
        std::string u = server.url();
        std::printf(
            "\nDemo ready. Open %s/ in a browser.\n"
            "  live demo lesson: id %lld (WHEP: POST %s/whep/%lld)\n"
            "  logins (user / password):\n"
            "    admin        / %s\n"
            "    teacher      / %s   (teacher of the demo lesson)\n"
            "    staff        / %s   (resource staff)\n"
            "    classroom-a  / %s   (member classroom A)\n"
            "    classroom-b  / %s   (member classroom B)\n"
            "Stop with Ctrl-C.\n",
            u.c_str(), (long long)server.demoLessonId(), u.c_str(),
            (long long)server.demoLessonId(), server.demoAdminPassword().c_str(),
            server.demoUserPassword().c_str(), server.demoUserPassword().c_str(),
            server.demoUserPassword().c_str(), server.demoUserPassword().c_str());
    }
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("signal {}: shutting down", sig);
    server.stop();
    return 0;
}

}  // namespace

int runCli(int argc, char** argv) {
    CLI::App app{"ClassBridge: live lessons between schools (三个课堂), recording and on-demand"};
    app.require_subcommand(1);
    ServeFlags serveFlags, demoFlags;
    auto* serveCmd = app.add_subcommand("serve", "run the server");
    addServeFlags(serveCmd, serveFlags);
    auto* demoCmd =
        app.add_subcommand("demo", "run a server with demo schools, users and a live lesson");
    addServeFlags(demoCmd, demoFlags);

    std::string tokenData = "data", tokenUser, tokenRole;
    int64_t ttl = 12 * 3600;
    auto* tokenCmd = app.add_subcommand(
        "token", "print a bearer token for a user (server may be running or not)");
    tokenCmd->add_option("--data", tokenData, "data directory");
    tokenCmd->add_option("--user", tokenUser, "user name")->required();
    tokenCmd->add_option("--role", tokenRole, "expected role (must match the user's)");
    tokenCmd->add_option("--ttl", ttl, "lifetime in seconds")
        ->check(CLI::Range(int64_t(1), int64_t(366) * 86400));

    std::string migrateData = "data";
    auto* migrateCmd = app.add_subcommand("migrate", "apply database migrations and exit");
    migrateCmd->add_option("--data", migrateData, "data directory");

    CLI11_PARSE(app, argc, argv);

    try {
        if (*serveCmd) return serve(serveFlags, false);
        if (*demoCmd) return serve(demoFlags, true);
        if (*tokenCmd) {
            if (!std::filesystem::exists(std::filesystem::path(tokenData) / "classbridge.db") ||
                !std::filesystem::exists(std::filesystem::path(tokenData) / "server.key")) {
                std::fprintf(
                    stderr,
                    "classbridge token: %s is not a ClassBridge data dir (start the server once)\n",
                    tokenData.c_str());
                return 1;
            }
            auto store = openStore(tokenData);
            Auth auth(*store, Auth::loadOrCreateKey(tokenData));
            Principal p = auth.principalFor(tokenUser);
            if (!tokenRole.empty() && tokenRole != p.role) {
                std::fprintf(stderr, "classbridge token: user %s has role %s, not %s\n",
                             tokenUser.c_str(), p.role.c_str(), tokenRole.c_str());
                return 1;
            }
            std::printf("%s\n", auth.issueToken(p, std::chrono::seconds(ttl)).c_str());
            return 0;
        }
        if (*migrateCmd) {
            auto store = Store::open(std::filesystem::path(migrateData) / "classbridge.db");
            int before = schemaVersion(*store);
            int applied = migrate(*store);
            std::printf("schema version %d -> %d (%d migrations applied)\n", before,
                        schemaVersion(*store), applied);
            return 0;
        }
    } catch (const common::ApiError& e) {
        std::fprintf(stderr, "classbridge: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "classbridge: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace server
