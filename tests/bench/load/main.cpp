// cb-load: N WebRTC subscribers from one process against ClassBridge (WHIP/WHEP) or Janus
// (streaming plugin), for the fan-out benchmark (docs/benchmark-harness.md).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "LoadRun.hpp"
#include "MediaFile.hpp"

int main(int argc, char** argv) {
    load::LoadOptions o;
    std::string out, schedule;
    CLI::App app{"ClassBridge fan-out load client"};
    app.add_option("--server", o.server, "classbridge | janus");
    app.add_option("--base", o.base, "HTTP base URL, e.g. http://10.77.0.1:8080");
    app.add_option("--server-ip", o.serverIp, "server media address");
    app.add_option("--local-ip", o.localIp, "address to bind subscriber sockets");
    app.add_option("--media", o.mediaDir, "dir with video.rtps/audio.rtps")->required();
    app.add_option("-n,--subscribers", o.subscribers);
    app.add_option("--join-rate", o.joinRate, "subscribers per second");
    app.add_option("--join-timeout", o.joinTimeout, "seconds to wait for keyframes");
    app.add_option("--warmup", o.warmup);
    app.add_option("--duration", o.duration, "measurement window, seconds");
    app.add_option("--server-pid", o.serverPid);
    app.add_option("--suite", o.suite, "cm (AES_CM_128_HMAC_SHA1_80) | gcm (AEAD_AES_128_GCM)");
    app.add_option("--sample-every", o.sampleEvery, "verify SRTP auth of 1 in N packets");
    app.add_option("--coalesce-us", o.coalesceUs, "subscriber loop: sleep before each wait");
    app.add_option("--pacing-kbps", o.pacingKbps, "publisher video pacing rate; 0: frame bursts");
    app.add_option("--lesson", o.lesson);
    app.add_option("--publisher-token", o.publisherToken);
    app.add_option("--viewer-token", o.viewerToken);
    app.add_option("--mountpoint", o.mountpoint);
    app.add_option("--video-port", o.videoPort);
    app.add_option("--audio-port", o.audioPort);
    app.add_option("-o,--output", out, "write the JSON result here too");
    app.add_option("--dump-schedule", schedule,
                   "write the publisher's paced send schedule (offset_ns kind bytes per line, "
                   "one loop) here and exit; the floor simulation replays it");
    CLI11_PARSE(app, argc, argv);
    try {
        if (!schedule.empty()) {
            load::MediaFile media(o.mediaDir, o.pacingKbps);
            std::ofstream f(schedule);
            f << "# loop_ns " << media.loopNs() << "\n";
            for (const auto& p : media.packets())
                f << p.offsetNs << (p.kind == load::Kind::Video ? " v " : " a ") << p.data.size()
                  << "\n";
            return f ? 0 : 1;
        }
        if (o.server.empty() || o.base.empty() || o.serverIp.empty() || o.localIp.empty())
            throw std::invalid_argument(
                "--server, --base, --server-ip and --local-ip are required");
        auto r = load::runLoad(o);
        std::cout << r.dump(2) << std::endl;
        if (!out.empty()) std::ofstream(out) << r.dump(2) << "\n";
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cb-load: %s\n", e.what());
        return 1;
    }
    return 0;
}
