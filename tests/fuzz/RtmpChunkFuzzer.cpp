// Feeds arbitrary bytes to a whole RTMP server session (handshake, chunk stream, AMF0
// commands, FLV re-wrapping), split at a data-dependent point to exercise reassembly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/RtmpSession.hpp"

namespace {
struct Accept : pipeline::RtmpSession::Listener {
    std::string onPublish(const pipeline::RtmpPublish& p) override {
        return p.token == "no" ? "refused" : "";
    }
    bool onFlv(const uint8_t*, size_t) override { return true; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Accept listener;
    pipeline::RtmpSession s(listener);
    // Lead with a valid C0+C1+C2 when asked, so the fuzzer reaches the chunk layer.
    if (size > 0 && data[0] & 1) {
        std::string hs(1 + 2 * 1536, '\0');
        hs[0] = 3;
        s.feed(reinterpret_cast<const uint8_t*>(hs.data()), hs.size());
        ++data, --size;
    }
    size_t split = size ? data[0] % (size + 1) : 0;
    if (s.feed(data, split)) s.feed(data + split, size - split);
    return 0;
}
