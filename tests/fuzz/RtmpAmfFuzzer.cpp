// AMF0 decoding of arbitrary bytes; what decodes must re-encode and decode the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "pipeline/Amf0.hpp"
#include "pipeline/RtmpChunkStream.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto values = pipeline::decodeAmf0(data, size);
        std::string again;
        for (auto& v : values) pipeline::encodeAmf0(v, again);
        auto back =
            pipeline::decodeAmf0(reinterpret_cast<const uint8_t*>(again.data()), again.size());
        if (back.size() != values.size()) std::abort();
    } catch (const pipeline::Amf0Error&) {
    }
    try {
        pipeline::RtmpChunkReader r;
        r.feed(data, size);
        pipeline::RtmpMessage m;
        while (r.next(m)) {
        }
    } catch (const pipeline::RtmpError&) {
    }
    return 0;
}
