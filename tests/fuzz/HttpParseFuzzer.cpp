// libFuzzer target for signaling/HttpParse: query strings, Range headers, static paths,
// MIME lookup and route matching on arbitrary bytes. Checks invariants, not just crashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "signaling/HttpParse.hpp"

using namespace signaling;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    (void)percentDecode(in, true);
    (void)parseQuery(in);
    (void)mimeTypeFor(in);

    uint64_t fileSize = size > 0 ? data[0] * 1000ull : 0;
    ByteRange r = parseRange(in, fileSize);
    if (r.kind == ByteRange::Kind::Partial && !(r.first <= r.last && r.last < fileSize)) abort();

    if (auto rel = staticRelativePath(in)) {
        // Whatever is accepted stays below the root: no "..", no absolute path, no NUL.
        if (rel->empty() || rel->front() == '/' || rel->find('\0') != std::string::npos) abort();
        for (auto seg : splitPath(*rel))
            if (seg == ".." || seg == ".") abort();
    }

    static const RoutePattern patterns[] = {RoutePattern("/api/v1/lessons/{id}/start"),
                                            RoutePattern("/vod/{id}/{*rest}"),
                                            RoutePattern("/whip/{id}")};
    std::map<std::string, std::string> params;
    for (const auto& p : patterns) {
        if (p.match(in, params))
            for (auto& [k, v] : params)
                if (v.empty()) abort();
    }
    return 0;
}
