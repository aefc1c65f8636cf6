#include "signaling/HttpParse.hpp"

#include <stdexcept>

namespace signaling {

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Parses a decimal number that must fit in uint64_t; no sign, no spaces.
std::optional<uint64_t> parseDecimal(std::string_view s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string percentDecode(std::string_view in, bool plusIsSpace) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%' && i + 2 < in.size()) {
            int hi = hexValue(in[i + 1]);
            int lo = hexValue(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plusIsSpace && c == '+' ? ' ' : c);
    }
    return out;
}

std::map<std::string, std::string> parseQuery(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        std::string name = percentDecode(pair.substr(0, eq), true);
        std::string value =
            eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1), true);
        out.emplace(std::move(name), std::move(value));
    }
    return out;
}

ByteRange parseRange(std::string_view header, uint64_t size) {
    ByteRange full;
    header = trim(header);
    constexpr std::string_view prefix = "bytes=";
    if (header.size() < prefix.size()) return full;
    for (size_t i = 0; i < prefix.size(); ++i)
        if ((header[i] | 0x20) != prefix[i] && header[i] != prefix[i]) return full;
    std::string_view spec = trim(header.substr(prefix.size()));
    if (spec.find(',') != std::string_view::npos) return full;  // multi-range: send it all
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return full;
    std::string_view a = trim(spec.substr(0, dash));
    std::string_view b = trim(spec.substr(dash + 1));
    ByteRange r;
    r.kind = ByteRange::Kind::Partial;
    if (a.empty()) {  // suffix: the last n bytes
        auto n = parseDecimal(b);
        if (!n) return full;
        if (*n == 0 || size == 0) return {ByteRange::Kind::Unsatisfiable, 0, 0};
        uint64_t count = *n < size ? *n : size;
        r.first = size - count;
        r.last = size - 1;
        return r;
    }
    auto first = parseDecimal(a);
    if (!first) return full;
    if (*first >= size) return {ByteRange::Kind::Unsatisfiable, 0, 0};
    r.first = *first;
    if (b.empty()) {
        r.last = size - 1;
        return r;
    }
    auto last = parseDecimal(b);
    if (!last || *last < *first) return full;  // invalid: ignore the header
    r.last = *last < size ? *last : size - 1;
    return r;
}

std::vector<std::string_view> splitPath(std::string_view path) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i <= path.size()) {
        size_t slash = path.find('/', i);
        if (slash == std::string_view::npos) slash = path.size();
        if (slash > i) out.push_back(path.substr(i, slash - i));
        i = slash + 1;
    }
    return out;
}

std::optional<std::string> staticRelativePath(std::string_view decodedPath) {
    if (decodedPath.empty() || decodedPath.front() != '/') return std::nullopt;
    if (decodedPath.size() > 1024) return std::nullopt;
    for (unsigned char c : decodedPath)
        if (c < 0x20 || c == 0x7f || c == '\\') return std::nullopt;
    std::string out;
    for (std::string_view seg : splitPath(decodedPath)) {
        if (seg == "." || seg == "..") return std::nullopt;
        if (seg.front() == '.') return std::nullopt;  // no dotfiles (.git, .env)
        if (!out.empty()) out.push_back('/');
        out.append(seg);
    }
    if (out.empty() || decodedPath.back() == '/') {
        if (!out.empty()) out.push_back('/');
        out += "index.html";
    }
    return out;
}

std::string mimeTypeFor(std::string_view path) {
    size_t dot = path.rfind('.');
    size_t slash = path.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return "application/octet-stream";
    std::string ext;
    for (char c : path.substr(dot + 1))
        ext.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    static const std::map<std::string, std::string, std::less<>> types = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"txt", "text/plain; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"svg", "image/svg+xml"},
        {"ico", "image/x-icon"},
        {"webp", "image/webp"},
        {"m3u8", "application/vnd.apple.mpegurl"},
        {"mp4", "video/mp4"},
        {"m4s", "video/iso.segment"},
        {"ts", "video/mp2t"},
        {"vtt", "text/vtt; charset=utf-8"},
        {"woff2", "font/woff2"},
        {"wasm", "application/wasm"},
    };
    auto it = types.find(ext);
    return it == types.end() ? "application/octet-stream" : it->second;
}

RoutePattern::RoutePattern(const std::string& pattern) : text_(pattern) {
    if (pattern.empty() || pattern.front() != '/')
        throw std::invalid_argument("route pattern must start with '/': " + pattern);
    auto segs = splitPath(pattern);
    for (size_t i = 0; i < segs.size(); ++i) {
        std::string_view s = segs[i];
        Segment seg;
        if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
            seg.param = true;
            seg.text = std::string(s.substr(1, s.size() - 2));
            if (!seg.text.empty() && seg.text.front() == '*') {
                if (i + 1 != segs.size())
                    throw std::invalid_argument("{*rest} must be the last segment: " + pattern);
                seg.rest = true;
                seg.text.erase(0, 1);
            }
            if (seg.text.empty()) throw std::invalid_argument("empty parameter name: " + pattern);
        } else {
            seg.text = std::string(s);
        }
        segments_.push_back(std::move(seg));
    }
}

bool RoutePattern::match(std::string_view path, std::map<std::string, std::string>& params) const {
    auto segs = splitPath(path);
    std::map<std::string, std::string> found;
    size_t i = 0;
    for (; i < segments_.size(); ++i) {
        const Segment& s = segments_[i];
        if (s.rest) {
            if (i >= segs.size()) return false;  // the rest must not be empty
            // Everything after the previous segment, exactly as in the path.
            size_t start = static_cast<size_t>(segs[i].data() - path.data());
            found[s.text] = std::string(path.substr(start));
            params = std::move(found);
            return true;
        }
        if (i >= segs.size()) return false;
        if (s.param)
            found[s.text] = std::string(segs[i]);
        else if (segs[i] != s.text)
            return false;
    }
    if (i != segs.size()) return false;
    params = std::move(found);
    return true;
}

}  // namespace signaling
