#include "recorder/Mp4Writer.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "recorder/H264Sps.hpp"
#include "recorder/OpusDepacketizer.hpp"

namespace recorder {
namespace {

constexpr int64_t kOpusRate = 48000;
constexpr int64_t kSilenceSamples = 960;  // kSilence20ms
// Real audio this far after the audio written so far is a gap, filled with silence.
constexpr int64_t kAudioSnapSamples = kOpusRate * 30 / 1000;
// At a fragment cut, audio lagging the video by more than this is taken to be absent
// (a video-only source, or a source that stopped): silence keeps the tracks aligned.
constexpr int64_t kAudioAbsentUs = 3'000'000;
// A keyframe starts a new fragment only once the current one is this long, so a burst of
// keyframe requests does not produce a flood of tiny fragments.
constexpr int64_t kMinKeyframeFragmentUs = 900'000;

int64_t usToSamples(int64_t us) {
    return us * kOpusRate / 1'000'000;
}
int64_t samplesToUs(int64_t s) {
    return s * 1'000'000 / kOpusRate;
}

std::vector<uint8_t> avcC(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps) {
    std::vector<uint8_t> v = {1, sps[1], sps[2], sps[3], 0xff, 0xe1};
    v.push_back(uint8_t(sps.size() >> 8));
    v.push_back(uint8_t(sps.size()));
    v.insert(v.end(), sps.begin(), sps.end());
    v.push_back(1);
    v.push_back(uint8_t(pps.size() >> 8));
    v.push_back(uint8_t(pps.size()));
    v.insert(v.end(), pps.begin(), pps.end());
    return v;
}

// RFC 7845 §5.1 identification header; MP4's dOps box is derived from it.
std::vector<uint8_t> opusHead() {
    return {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0};
}

void setExtradata(AVCodecParameters* par, const std::vector<uint8_t>& data) {
    par->extradata = static_cast<uint8_t*>(av_mallocz(data.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!par->extradata) throw std::bad_alloc();
    memcpy(par->extradata, data.data(), data.size());
    par->extradata_size = int(data.size());
}

}  // namespace

Mp4Writer::Mp4Writer(std::filesystem::path dir, int64_t maxFragmentUs)
    : dir_(std::move(dir)), maxFragmentUs_(maxFragmentUs), pkt_(av::makePacket()) {}

Mp4Writer::~Mp4Writer() {
    finish();
    if (playlist_) fclose(playlist_);
}

void Mp4Writer::open(const std::vector<uint8_t>& sps, const std::vector<uint8_t>& pps) {
    auto info = parseSps(sps.data(), sps.size());
    if (!info || pps.empty()) throw std::runtime_error("unusable SPS/PPS");
    std::filesystem::create_directories(dir_);
    std::string path = (dir_ / kMediaFile).string();
    AVFormatContext* raw = nullptr;
    int err = avformat_alloc_output_context2(&raw, nullptr, "mp4", path.c_str());
    if (err < 0 || !raw) throw std::runtime_error("mp4 muxer: " + av::errorText(err));
    av::OutputContext ctx(raw);

    AVStream* v = avformat_new_stream(ctx.get(), nullptr);
    AVStream* a = avformat_new_stream(ctx.get(), nullptr);
    if (!v || !a) throw std::bad_alloc();
    v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    v->codecpar->codec_id = AV_CODEC_ID_H264;
    v->codecpar->width = info->width;
    v->codecpar->height = info->height;
    v->time_base = {1, 90000};
    setExtradata(v->codecpar, avcC(sps, pps));
    a->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
    a->codecpar->codec_id = AV_CODEC_ID_OPUS;
    a->codecpar->sample_rate = kOpusRate;
    av_channel_layout_default(&a->codecpar->ch_layout, 2);
    a->codecpar->initial_padding = 312;
    a->codecpar->frame_size = 960;
    a->time_base = {1, int(kOpusRate)};
    setExtradata(a->codecpar, opusHead());

    err = avio_open(&ctx->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (err < 0) throw std::runtime_error("open " + path + ": " + av::errorText(err));
    av::Options opts;
    // Fragments are cut by us (frag_custom) so each one's byte range is known for the
    // playlist; empty_moov makes the file playable from its first fragment.
    opts.set("movflags", "frag_custom+empty_moov+default_base_moof+skip_trailer");
    err = avformat_write_header(ctx.get(), opts.ptr());
    if (err >= 0) avio_flush(ctx->pb);
    if (err < 0 || ctx->pb->error < 0) {
        int e = err < 0 ? err : ctx->pb->error;
        diskFull_ = e == AVERROR(ENOSPC);
        throw std::runtime_error("mp4 header: " + av::errorText(e));
    }
    fileEnd_ = uint64_t(avio_tell(ctx->pb));

    playlist_ = fopen((dir_ / kPlaylistFile).c_str(), "w");
    if (!playlist_) throw std::runtime_error("cannot create playlist in " + dir_.string());
    ctx_ = std::move(ctx);
    std::ostringstream head;
    head << "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:"
         << (maxFragmentUs_ + 999'999) / 1'000'000 + 2
         << "\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI=\""
         << kMediaFile << "\",BYTERANGE=\"" << fileEnd_ << "@0\"\n";
    appendPlaylist(head.str());
}

void Mp4Writer::appendPlaylist(const std::string& text) {
    if (!playlist_) return;
    if (fwrite(text.data(), 1, text.size(), playlist_) != text.size() || fflush(playlist_) != 0)
        fail("playlist write", AVERROR(errno));
}

bool Mp4Writer::fail(const std::string& what, int err) {
    if (!failed_) {
        failed_ = true;
        // No space on the device, over quota, or over the file size limit: all "disk full".
        diskFull_ = err == AVERROR(ENOSPC) || err == AVERROR(EDQUOT) || err == AVERROR(EFBIG);
        error_ = what + ": " + av::errorText(err);
    }
    return false;
}

bool Mp4Writer::writePacket(int streamIndex, const Held& held, int64_t durationUs) {
    AVStream* st = ctx_->streams[streamIndex];
    AVPacket* p = pkt_.get();
    av_packet_unref(p);
    p->data = const_cast<uint8_t*>(held.data.data());
    p->size = int(held.data.size());
    p->stream_index = streamIndex;
    p->pts = p->dts = av_rescale_q(held.ptsUs, AVRational{1, 1000000}, st->time_base);
    p->duration =
        std::max<int64_t>(1, av_rescale_q(durationUs, AVRational{1, 1000000}, st->time_base));
    p->flags = held.keyframe ? AV_PKT_FLAG_KEY : 0;
    int err = av_write_frame(ctx_.get(), p);
    p->data = nullptr;
    p->size = 0;
    if (err < 0) return fail("write", err);
    return true;
}

bool Mp4Writer::writeAudioSamples(int64_t startSamples, const uint8_t* data, size_t size,
                                  int64_t samples) {
    AVStream* st = ctx_->streams[1];
    AVPacket* p = pkt_.get();
    av_packet_unref(p);
    p->data = const_cast<uint8_t*>(data);
    p->size = int(size);
    p->stream_index = 1;
    p->pts = p->dts = av_rescale_q(startSamples, AVRational{1, int(kOpusRate)}, st->time_base);
    p->duration = av_rescale_q(samples, AVRational{1, int(kOpusRate)}, st->time_base);
    p->flags = AV_PKT_FLAG_KEY;
    int err = av_write_frame(ctx_.get(), p);
    p->data = nullptr;
    p->size = 0;
    if (err < 0) return fail("write audio", err);
    audioEnd_ = startSamples + samples;
    return true;
}

bool Mp4Writer::fillSilence(int64_t untilSamples) {
    while (audioEnd_ + kSilenceSamples <= untilSamples) {
        ++silencePackets_;
        if (!writeAudioSamples(audioEnd_, OpusDepacketizer::kSilence20ms, 1, kSilenceSamples))
            return false;
    }
    return true;
}

bool Mp4Writer::writeAudio(int64_t ptsUs, const uint8_t* data, size_t size) {
    if (!ctx_ || failed_ || finished_ || lastVideoUs_ < 0) return !failed_;
    int64_t samples = OpusDepacketizer::packetSamples(data, size);
    if (samples == 0) return true;
    ptsUs -= originUs_;
    if (ptsUs < 0) return true;  // before the first video frame: not part of the recording
    int64_t at = usToSamples(ptsUs);
    if (audioEnd_ == 0) {
        // The first audio packet is placed exactly (the track starts < 20 ms after the video
        // if need be): snapping it to the 20 ms grid would be an A/V offset for good.
        audioEnd_ = at % kSilenceSamples;
        if (!fillSilence(at)) return false;
        return writeAudioSamples(at, data, size, samples);
    }
    if (at < audioEnd_ - kAudioSnapSamples) {
        ++audioOverlaps_;  // overlaps what is written (silence already filled there)
        return true;
    }
    if (at > audioEnd_ + kAudioSnapSamples && !fillSilence(at)) return false;
    return writeAudioSamples(audioEnd_, data, size, samples);
}

bool Mp4Writer::flushFragment(int64_t endUs) {
    if (samplesToUs(audioEnd_) + kAudioAbsentUs < endUs &&
        !fillSilence(usToSamples(endUs - kAudioAbsentUs / 2)))
        return false;
    int err = av_write_frame(ctx_.get(), nullptr);
    if (err < 0) return fail("fragment", err);
    avio_flush(ctx_->pb);
    if (ctx_->pb->error < 0) return fail("fragment", ctx_->pb->error);
    uint64_t end = uint64_t(avio_tell(ctx_->pb));
    if (end > fileEnd_) {
        char line[160];
        snprintf(line, sizeof line, "#EXTINF:%.3f,\n#EXT-X-BYTERANGE:%llu@%llu\n%s\n",
                 double(endUs - fragmentStartUs_) / 1e6, (unsigned long long)(end - fileEnd_),
                 (unsigned long long)fileEnd_, kMediaFile);
        appendPlaylist(line);
        ++fragments_;
        listedUs_ = endUs;
        fileEnd_ = end;
    }
    fragmentStartUs_ = endUs;
    return !failed_;
}

bool Mp4Writer::writeVideo(int64_t ptsUs, bool keyframe, const std::vector<uint8_t>& data) {
    if (!ctx_ || failed_ || finished_) return !failed_;
    if (lastVideoUs_ < 0) {
        if (!keyframe) return true;  // a recording starts with a decodable frame
        originUs_ = ptsUs;           // the recording's time 0
    }
    ptsUs -= originUs_;
    if (ptsUs <= lastVideoUs_) ptsUs = lastVideoUs_ + 1000;  // keep decode order strictly rising
    if (video_.valid) {
        lastFrameUs_ = ptsUs - video_.ptsUs;
        if (!writePacket(0, video_, lastFrameUs_)) return false;
        int64_t length = ptsUs - fragmentStartUs_;
        if ((keyframe && length >= kMinKeyframeFragmentUs) || length >= maxFragmentUs_ - 50'000) {
            if (!flushFragment(ptsUs)) return false;
        }
    }
    lastVideoUs_ = ptsUs;
    video_.valid = true;
    video_.ptsUs = ptsUs;
    video_.keyframe = keyframe;
    video_.data = data;
    return true;
}

void Mp4Writer::finish() {
    if (!ctx_ || finished_) return;
    finished_ = true;
    if (!failed_ && video_.valid) {
        int64_t duration = lastFrameUs_ > 0 ? lastFrameUs_ : 33'333;
        if (writePacket(0, video_, duration)) flushFragment(video_.ptsUs + duration);
    }
    if (!failed_) {
        int err = av_write_trailer(ctx_.get());
        if (err < 0) fail("trailer", err);
    }
    appendPlaylist("#EXT-X-ENDLIST\n");
    ctx_.reset();  // closes the file
    if (playlist_) {
        fclose(playlist_);
        playlist_ = nullptr;
    }
}

}  // namespace recorder
