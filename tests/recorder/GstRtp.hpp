#pragma once
// Real RTP for the recorder tests: a gst-launch-1.0 pipeline (a real encoder and a real
// RTP payloader) writes RFC 4571-framed packets to a file, read back here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace testutil {

using Packet = std::vector<uint8_t>;

inline std::filesystem::path tempDir(const std::string& tag) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / ("cb-rec-" + tag + "-XXXXXX")).string();
    char* p = mkdtemp(tmpl.data());
    if (!p) throw std::runtime_error("mkdtemp");
    return p;
}

inline std::string run(const std::string& cmd) {
    std::string out;
    FILE* f = popen((cmd + " 2>&1").c_str(), "r");
    if (!f) return "popen failed";
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    int rc = pclose(f);
    if (rc != 0) out += "\n[exit " + std::to_string(rc) + "]";
    return out;
}

// pipeline: everything up to and including the RTP payloader.
inline std::vector<Packet> gstRtp(const std::string& pipeline) {
    auto dir = tempDir("gst");
    auto file = dir / "out.rtp";
    std::string out = run("gst-launch-1.0 -q " + pipeline +
                          " ! rtpstreampay ! filesink location=" + file.string());
    std::ifstream in(file, std::ios::binary);
    std::vector<uint8_t> all((std::istreambuf_iterator<char>(in)), {});
    std::filesystem::remove_all(dir);
    std::vector<Packet> packets;
    size_t pos = 0;
    while (pos + 2 <= all.size()) {
        size_t len = size_t(all[pos] << 8 | all[pos + 1]);
        pos += 2;
        if (pos + len > all.size()) break;
        packets.emplace_back(all.begin() + long(pos), all.begin() + long(pos + len));
        pos += len;
    }
    EXPECT_FALSE(packets.empty()) << out;
    return packets;
}

// 30 fps, a keyframe every 30 frames.
inline std::vector<Packet> videoRtp(int frames, int width = 640, int height = 360) {
    return gstRtp("videotestsrc num-buffers=" + std::to_string(frames) + " ! video/x-raw,width=" +
                  std::to_string(width) + ",height=" + std::to_string(height) +
                  ",framerate=30/1 ! x264enc tune=zerolatency key-int-max=30 "
                  "speed-preset=ultrafast bitrate=800 ! rtph264pay mtu=1200 config-interval=-1 "
                  "aggregate-mode=zero-latency");
}

// 20 ms Opus packets.
inline std::vector<Packet> audioRtp(int packets) {
    return gstRtp(
        "audiotestsrc num-buffers=" + std::to_string(packets) +
        " samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay");
}

}  // namespace testutil
