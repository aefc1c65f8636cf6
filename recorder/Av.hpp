#pragma once
// RAII adapters for the few libav* objects the recorder uses, and error text.
#include <memory>
#include <string>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

namespace recorder::av {

inline std::string errorText(int err) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(err, buf, sizeof buf);
    return buf;
}

// An output format context; owns its AVIOContext (closed with avio_closep).
struct OutputDeleter {
    void operator()(AVFormatContext* ctx) const {
        if (!ctx) return;
        if (ctx->pb && !(ctx->oformat->flags & AVFMT_NOFILE)) avio_closep(&ctx->pb);
        avformat_free_context(ctx);
    }
};
using OutputContext = std::unique_ptr<AVFormatContext, OutputDeleter>;

struct PacketDeleter {
    void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using Packet = std::unique_ptr<AVPacket, PacketDeleter>;
inline Packet makePacket() {
    return Packet(av_packet_alloc());
}

struct DictDeleter {
    void operator()(AVDictionary* d) const { av_dict_free(&d); }
};

// Options for one call; what the callee did not consume is freed with it.
class Options {
public:
    ~Options() { av_dict_free(&dict_); }
    void set(const char* key, const std::string& value) {
        av_dict_set(&dict_, key, value.c_str(), 0);
    }
    AVDictionary** ptr() { return &dict_; }

private:
    AVDictionary* dict_ = nullptr;
};

}  // namespace recorder::av
