#include "recorder/PostProcessor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace recorder {
namespace fs = std::filesystem;

int PostProcessor::runProcess(const std::vector<std::string>& argv, const fs::path& logFile,
                              int timeoutSeconds, const std::atomic<bool>* cancel) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) return -1;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
    for (;;) {
        int status = 0;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (r < 0) return -1;
        bool cancelled = cancel && cancel->load(std::memory_order_relaxed);
        if (cancelled || std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return cancelled ? -3 : -2;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

double PostProcessor::probeDuration(const fs::path& file) {
    auto out = fs::temp_directory_path() /
               ("cb-probe-" + std::to_string(getpid()) + "-" +
                std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + ".txt");
    int rc = runProcess({"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                         "default=noprint_wrappers=1:nokey=1", file.string()},
                        out, 120);
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::error_code ec;
    fs::remove(out, ec);
    if (rc != 0) return 0;
    return std::atof(text.c_str());
}

namespace {

std::string tail(const fs::path& log) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (text.size() > 600) text = text.substr(text.size() - 600);
    return text;
}

std::string seconds(double s) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.3f", s);
    return buf;
}

}  // namespace

PostProcessResult PostProcessor::run(const PostProcessRequest& req) {
    if (!fs::exists(req.input)) throw std::runtime_error("no input " + req.input.string());
    fs::path stage = req.outDir;
    stage += ".work";
    std::error_code ec;
    fs::remove_all(stage, ec);
    fs::create_directories(stage);
    fs::path log = stage / "ffmpeg.log";
    auto ffmpeg = [&](std::vector<std::string> args, const char* what) {
        args.insert(args.begin(), {"ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"});
        int rc = runProcess(args, log, req.timeoutSeconds, req.cancel);
        if (rc == -3) throw Cancelled();
        if (rc != 0)
            throw std::runtime_error(std::string(what) + " failed (" + std::to_string(rc) +
                                     "): " + tail(log));
    };

    // 1. lesson.mp4: input seeking with stream copy cuts at the keyframe before trimStart.
    std::vector<std::string> cut;
    if (req.trimStart > 0) cut = {"-ss", seconds(req.trimStart)};
    cut.insert(cut.end(), {"-i", req.input.string()});
    if (req.trimEnd && *req.trimEnd > req.trimStart)
        cut.insert(cut.end(), {"-t", seconds(*req.trimEnd - req.trimStart)});
    cut.insert(cut.end(), {"-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-c:a", "aac", "-b:a",
                           "96k", "-movflags", "+faststart", (stage / "lesson.mp4").string()});
    ffmpeg(cut, "lesson.mp4");

    // 2. HLS VOD rendition, segments copied from lesson.mp4.
    ffmpeg({"-i", (stage / "lesson.mp4").string(), "-map", "0", "-c", "copy", "-f", "hls",
            "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
            "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename",
            (stage / "seg_%05d.m4s").string(), (stage / "index.m3u8").string()},
           "hls");

    PostProcessResult result;
    result.durationSeconds = probeDuration(stage / "lesson.mp4");
    result.bytes = fs::file_size(stage / "lesson.mp4");

    // 3. Poster (at 10 %) and four thumbnails spread over the lesson.
    double d = std::max(result.durationSeconds, 1.0);
    ffmpeg({"-ss", seconds(d * 0.1), "-i", (stage / "lesson.mp4").string(), "-frames:v", "1", "-vf",
            "scale=640:-2", "-q:v", "4", (stage / "poster.jpg").string()},
           "poster");
    // Each thumbnail seeks (input -ss) instead of decoding the whole lesson through a
    // fps filter: four short decodes rather than 45 minutes of video.
    for (int i = 1; i <= 4; ++i)
        ffmpeg({"-ss", seconds(d * i / 5.0), "-i", (stage / "lesson.mp4").string(), "-frames:v",
                "1", "-vf", "scale=320:-2", "-q:v", "5",
                (stage / ("thumb_" + std::to_string(i) + ".jpg")).string()},
               "thumbnail");
    for (int i = 1; i <= 4; ++i)
        if (fs::exists(stage / ("thumb_" + std::to_string(i) + ".jpg"))) result.thumbnails = i;

    fs::remove(log, ec);
    fs::remove_all(req.outDir, ec);
    fs::rename(stage, req.outDir);
    return result;
}

}  // namespace recorder
