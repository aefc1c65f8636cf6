#include "MediaFile.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "rtc/ByteReader.hpp"
#include "rtc/ByteWriter.hpp"

namespace load {

uint64_t payloadHash(const uint8_t* p, size_t n) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
    return h ^ n;
}

// RTP header length (fixed part, CSRCs, extension), or 0 when malformed.
static size_t rtpHeaderLen(const uint8_t* p, size_t n) {
    if (n < 12) return 0;
    size_t len = 12 + 4 * (p[0] & 0x0f);
    if (p[0] & 0x10) {
        if (n < len + 4) return 0;
        len += 4 + 4 * size_t{rtc::load16(p + len + 2)};
    }
    return len <= n ? len : 0;
}

static std::vector<std::vector<uint8_t>> readFramed(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path + " (run tests/bench/harness/media.sh)");
    std::vector<uint8_t> all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<std::vector<uint8_t>> out;
    rtc::ByteReader r(all.data(), all.size());
    while (r.remaining() >= 2) {
        uint16_t len = r.u16();
        const uint8_t* p = r.bytes(len);
        if (!p || rtpHeaderLen(p, len) == 0) throw std::runtime_error("bad RTP in " + path);
        out.emplace_back(p, p + len);
    }
    return out;
}

MediaFile::MediaFile(const std::string& dir, double pacingKbps) {
    auto video = readFramed(dir + "/video.rtps");
    auto audio = readFramed(dir + "/audio.rtps");
    if (video.empty() || audio.empty()) throw std::runtime_error("empty media in " + dir);
    auto add = [&](std::vector<std::vector<uint8_t>>& pkts, Kind kind, uint32_t clock) {
        uint32_t ts0 = rtc::load32(pkts.front().data() + 4);
        uint32_t idx = 0;
        for (auto& p : pkts) {
            // Access unit delimiters (NAL 9, added by h264parse) are dropped: WebRTC senders do
            // not send them, and they would add 30 tiny packets/s to the per-packet load.
            size_t hl = rtpHeaderLen(p.data(), p.size());
            if (kind == Kind::Video && hl < p.size() && (p[hl] & 0x1f) == 9) continue;
            uint32_t ts = rtc::load32(p.data() + 4) - ts0;
            int64_t off = static_cast<int64_t>(ts) * 1000000000 / clock;
            bytes_ += p.size();
            packets_.push_back({kind, off, idx++, std::move(p)});
        }
        return idx;
    };
    videoCount_ = add(video, Kind::Video, 90000);
    int64_t lastFrame = packets_.back().offsetNs;
    // Pace video like a WebRTC sender's pacer (libwebrtc: 2.5 x the target bitrate) instead
    // of bursting a whole frame at once: a 50-packet IDR then spreads over ~130 ms, as it
    // does from a browser, rather than arriving in a microsecond-wide burst.
    if (pacingKbps > 0) {
        int64_t free = 0;
        for (auto& p : packets_) {
            p.offsetNs = std::max(p.offsetNs, free);
            free = p.offsetNs + static_cast<int64_t>(p.data.size() * 8 * 1e6 / pacingKbps);
        }
    }
    audioCount_ = add(audio, Kind::Audio, 48000);
    std::stable_sort(
        packets_.begin(), packets_.end(),
        [](const MediaPacket& a, const MediaPacket& b) { return a.offsetNs < b.offsetNs; });
    for (const auto& p : packets_) {
        if (p.kind == Kind::Video) {
            size_t h = rtpHeaderLen(p.data.data(), p.data.size());
            uint64_t hash = payloadHash(p.data.data() + h, p.data.size() - h);
            auto [it, fresh] = videoHash_.emplace(hash, p.index);
            if (!fresh) it->second = -1;
        }
    }
    loopNs_ = lastFrame + 1000000000 / 30;  // one frame interval after the last frame
    videoTsLoop_ = static_cast<uint32_t>(loopNs_ * 90 / 1000000);
    audioTsLoop_ = static_cast<uint32_t>(loopNs_ * 48 / 1000000);
}

std::optional<uint32_t> MediaFile::videoIndexOf(uint64_t hash) const {
    auto it = videoHash_.find(hash);
    if (it == videoHash_.end() || it->second < 0) return std::nullopt;
    return static_cast<uint32_t>(it->second);
}

double MediaFile::bitrateKbps() const {
    return bytes_ * 8.0 / (loopNs_ / 1e9) / 1000.0;
}

SendLog::SendLog(const MediaFile& media) : media_(media), sent_(new std::atomic<int64_t>[65536]) {
    for (size_t i = 0; i < 65536; ++i) sent_[i].store(0, std::memory_order_relaxed);
}

void SendLog::recordVideo(uint64_t globalIndex, int64_t realNs) {
    sent_[globalIndex & 0xffff].store(realNs, std::memory_order_release);
    videoSent_.store(globalIndex + 1, std::memory_order_release);
}

std::optional<uint16_t> SendLog::latestSeqOf(uint32_t index) const {
    uint64_t count = videoSent_.load(std::memory_order_acquire);
    uint64_t per = media_.perLoop(Kind::Video);
    if (count == 0 || count - 1 < index) return std::nullopt;
    uint64_t g = count - 1 - ((count - 1 - index) % per);
    return static_cast<uint16_t>(g & 0xffff);
}

RtpReplayer::RtpReplayer(EventLoop& loop, const MediaFile& media, SendLog& log, RtpOutput& out,
                         OutputIds ids)
    : loop_(loop), media_(media), log_(log), out_(out), ids_(ids), timer_(loop, [this] {
          onTimer();
      }) {}

void RtpReplayer::start() {
    startNs_ = monoNs();
    onTimer();
}

void RtpReplayer::onTimer() {
    const auto& pkts = media_.packets();
    uint8_t buf[1500 + 64];
    for (;;) {
        if (next_ == pkts.size()) {
            next_ = 0;
            ++iteration_;
        }
        const MediaPacket& p = pkts[next_];
        int64_t due = startNs_ + static_cast<int64_t>(iteration_) * media_.loopNs() + p.offsetNs;
        int64_t now = monoNs();
        if (due > now) {
            timer_.armAt(due);
            return;
        }
        if (now - due > maxLagNs_) maxLagNs_ = now - due;
        // Rewrite to continuous numbering across loops: seq = global index mod 2^16.
        uint64_t global = iteration_ * media_.perLoop(p.kind) + p.index;
        size_t len = std::min(p.data.size(), size_t{1500});
        std::memcpy(buf, p.data.data(), len);
        bool video = p.kind == Kind::Video;
        buf[1] = static_cast<uint8_t>((buf[1] & 0x80) | (video ? ids_.videoPt : ids_.audioPt));
        rtc::store16(buf + 2, static_cast<uint16_t>(global & 0xffff));
        uint32_t ts =
            rtc::load32(buf + 4) + static_cast<uint32_t>(iteration_ * media_.tsPerLoop(p.kind));
        rtc::store32(buf + 4, ts);
        rtc::store32(buf + 8, video ? ids_.videoSsrc : ids_.audioSsrc);
        int64_t at = out_.sendRtp(p.kind, buf, len);
        if (video && at) log_.recordVideo(global, at);
        ++sent_;
        ++next_;
    }
}

}  // namespace load
