#pragma once
// Pure HTTP parsing helpers (no I/O, no lws): query strings, Range, static paths, MIME
// types, route patterns. Kept apart from HttpServer so the fuzzer can link them alone.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signaling {

// "%41+b" -> "A b" when plusIsSpace. Malformed escapes are kept literally.
std::string percentDecode(std::string_view in, bool plusIsSpace);

// "a=1&b=%20x&c" -> {a:"1", b:" x", c:""}; the first occurrence of a name wins.
std::map<std::string, std::string> parseQuery(std::string_view query);

struct ByteRange {
    enum class Kind { Full, Partial, Unsatisfiable };
    Kind kind = Kind::Full;
    uint64_t first = 0;  // inclusive
    uint64_t last = 0;   // inclusive; only for Partial
};
// One "bytes=a-b" / "a-" / "-n" range against a body of `size` bytes. Anything we do not
// serve as a single range (absent, malformed, several ranges) gives Full, as RFC 9110
// allows a server to ignore Range.
ByteRange parseRange(std::string_view header, uint64_t size);

// A decoded request path turned into a relative path under a static root, or nullopt when
// it must be refused (.. segments, NUL, backslash, control characters). "/" -> "index.html".
std::optional<std::string> staticRelativePath(std::string_view decodedPath);

// MIME type by file extension; "application/octet-stream" when unknown.
std::string mimeTypeFor(std::string_view path);

// A route pattern: literal segments, "{name}" segments and an optional final "{*name}".
class RoutePattern {
public:
    explicit RoutePattern(const std::string& pattern);  // throws std::invalid_argument
    bool match(std::string_view path, std::map<std::string, std::string>& params) const;
    const std::string& text() const { return text_; }

private:
    struct Segment {
        std::string text;  // literal, or parameter name
        bool param = false;
        bool rest = false;
    };
    std::string text_;
    std::vector<Segment> segments_;
};

// Splits "/a/b/" into {"a","b"}; empty segments are dropped.
std::vector<std::string_view> splitPath(std::string_view path);

}  // namespace signaling
