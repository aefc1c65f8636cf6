#pragma once
// Turns a finished recording into the files the library serves, with ffmpeg child
// processes (Debian's ffmpeg, installed by setup): a separate process cannot take the
// server down with a crash or a leak, can be killed on a timeout, and its command line is
// the documentation of what is done.
//   lesson.mp4  H.264 copied, Opus -> AAC, moov in front (faststart); trimmed without
//               re-encoding (the cut snaps to the keyframe at or before trimStart)
//   index.m3u8 + init.mp4 + seg_NNNNN.m4s   HLS VOD (fMP4), from lesson.mp4, copied
//   poster.jpg, thumb_1..4.jpg
// Output is built in a staging directory and renamed into place, so a crash or a failed
// run never leaves half a resource.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace recorder {

struct PostProcessRequest {
    std::filesystem::path input;    // recording.mp4 (or any file ffmpeg reads)
    std::filesystem::path outDir;   // replaced as a whole when done
    double trimStart = 0;           // seconds
    std::optional<double> trimEnd;  // seconds from the recording's start
    int timeoutSeconds = 3600;
    // Set from another thread (server shutdown): the running ffmpeg is killed and run()
    // throws Cancelled; the job is restartable, so nothing is lost but time.
    const std::atomic<bool>* cancel = nullptr;
};

struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("post-processing cancelled") {}
};

struct PostProcessResult {
    double durationSeconds = 0;
    uint64_t bytes = 0;  // lesson.mp4
    int thumbnails = 0;
};

class PostProcessor {
public:
    // Throws std::runtime_error with ffmpeg's last error lines.
    static PostProcessResult run(const PostProcessRequest& request);
    // Duration in seconds of a media file per ffprobe; 0 when unreadable.
    static double probeDuration(const std::filesystem::path& file);
    // Runs argv (no shell) with stdout+stderr appended to logFile; returns the exit status
    // (-1: could not start, -2: timed out and killed, -3: cancelled and killed).
    static int runProcess(const std::vector<std::string>& argv,
                          const std::filesystem::path& logFile, int timeoutSeconds,
                          const std::atomic<bool>* cancel = nullptr);
};

}  // namespace recorder
