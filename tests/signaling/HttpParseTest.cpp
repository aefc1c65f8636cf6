// The pure parsing helpers behind HttpServer: query strings, Range, static paths, MIME
// types and route patterns.
#include <gtest/gtest.h>

#include "signaling/HttpParse.hpp"

using namespace signaling;

TEST(HttpParse, PercentDecode) {
    EXPECT_EQ(percentDecode("a%20b+c", true), "a b c");
    EXPECT_EQ(percentDecode("a%20b+c", false), "a b+c");
    EXPECT_EQ(percentDecode("%E4%B8%AD", false), "\xE4\xB8\xAD");
    EXPECT_EQ(percentDecode("100%", false), "100%");  // malformed kept literally
    EXPECT_EQ(percentDecode("%zz%4", false), "%zz%4");
    EXPECT_EQ(percentDecode("%00", false), std::string(1, '\0'));
}

TEST(HttpParse, Query) {
    auto q = parseQuery("a=1&b=%26x%3D&c&&d=&a=2&e=x+y");
    EXPECT_EQ(q["a"], "1");  // first wins
    EXPECT_EQ(q["b"], "&x=");
    EXPECT_EQ(q.count("c"), 1u);
    EXPECT_EQ(q["c"], "");
    EXPECT_EQ(q["d"], "");
    EXPECT_EQ(q["e"], "x y");
    EXPECT_TRUE(parseQuery("").empty());
}

TEST(HttpParse, Range) {
    using K = ByteRange::Kind;
    struct Case {
        const char* header;
        uint64_t size;
        K kind;
        uint64_t first = 0, last = 0;  // checked for Partial
    };
    const Case cases[] = {
        {"bytes=0-99", 1000, K::Partial, 0, 99},
        {"bytes=900-", 1000, K::Partial, 900, 999},
        {"bytes=-100", 1000, K::Partial, 900, 999},
        {"bytes=-5000", 1000, K::Partial, 0, 999},  // suffix longer than the file: all of it
        {"bytes=990-5000", 1000, K::Partial, 990, 999},
        {"bytes=1000-", 1000, K::Unsatisfiable},
        {"bytes=-0", 1000, K::Unsatisfiable},
        {"bytes=0-", 0, K::Unsatisfiable},
        {"", 1000, K::Full},
        {"bytes=5-1", 1000, K::Full},
        {"bytes=0-1,4-5", 1000, K::Full},
        {"items=0-1", 1000, K::Full},
        {"bytes=a-b", 1000, K::Full},
        {"bytes=99999999999999999999-", 1000, K::Full},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.header);
        auto r = parseRange(c.header, c.size);
        EXPECT_EQ(r.kind, c.kind);
        if (c.kind != K::Partial) continue;
        EXPECT_EQ(r.first, c.first);
        EXPECT_EQ(r.last, c.last);
    }
}

TEST(HttpParse, StaticPath) {
    EXPECT_EQ(staticRelativePath("/"), "index.html");
    EXPECT_EQ(staticRelativePath("/js/app.js"), "js/app.js");
    EXPECT_EQ(staticRelativePath("//js//app.js"), "js/app.js");
    EXPECT_EQ(staticRelativePath("/docs/"), "docs/index.html");
    EXPECT_FALSE(staticRelativePath("/../etc/passwd"));
    EXPECT_FALSE(staticRelativePath("/a/../../b"));
    EXPECT_FALSE(staticRelativePath("/a/./b"));
    EXPECT_FALSE(staticRelativePath("/.git/config"));
    EXPECT_FALSE(staticRelativePath("/a\\..\\b"));
    EXPECT_FALSE(staticRelativePath(std::string_view("/a\0b", 4)));
    EXPECT_FALSE(staticRelativePath("relative"));
}

TEST(HttpParse, Mime) {
    const std::pair<const char*, const char*> cases[] = {
        {"a/index.html", "text/html; charset=utf-8"},
        {"x.JS", "text/javascript; charset=utf-8"},
        {"x.mjs", "text/javascript; charset=utf-8"},
        {"x.css", "text/css; charset=utf-8"},
        {"x.json", "application/json"},
        {"x.png", "image/png"},
        {"x.svg", "image/svg+xml"},
        {"x.ico", "image/x-icon"},
        {"index.m3u8", "application/vnd.apple.mpegurl"},
        {"lesson.mp4", "video/mp4"},
        {"seg1.m4s", "video/iso.segment"},
        {"a.jpg", "image/jpeg"},
        {"a.d/noext", "application/octet-stream"},
    };
    for (const auto& [path, mime] : cases) EXPECT_EQ(mimeTypeFor(path), mime) << path;
}

TEST(HttpParse, RoutePatterns) {
    std::map<std::string, std::string> p;
    RoutePattern lesson("/api/v1/lessons/{id}/start");
    EXPECT_TRUE(lesson.match("/api/v1/lessons/12/start", p));
    EXPECT_EQ(p["id"], "12");
    EXPECT_FALSE(lesson.match("/api/v1/lessons/12", p));
    EXPECT_FALSE(lesson.match("/api/v1/lessons/12/start/x", p));
    EXPECT_FALSE(lesson.match("/api/v1/lessons//start", p));
    RoutePattern vod("/vod/{id}/{*rest}");
    EXPECT_TRUE(vod.match("/vod/9/a/b/c.m4s", p));
    EXPECT_EQ(p["id"], "9");
    EXPECT_EQ(p["rest"], "a/b/c.m4s");
    EXPECT_FALSE(vod.match("/vod/9", p));
    EXPECT_FALSE(vod.match("/vod/9/", p));
    RoutePattern root("/healthz");
    EXPECT_TRUE(root.match("/healthz", p));
    EXPECT_TRUE(root.match("/healthz/", p));
    EXPECT_THROW(RoutePattern("no-slash"), std::invalid_argument);
    EXPECT_THROW(RoutePattern("/a/{*rest}/b"), std::invalid_argument);
    EXPECT_THROW(RoutePattern("/a/{}"), std::invalid_argument);
}
