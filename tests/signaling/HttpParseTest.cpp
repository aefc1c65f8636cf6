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
    auto r = parseRange("bytes=0-99", 1000);
    EXPECT_EQ(r.kind, K::Partial);
    EXPECT_EQ(r.first, 0u);
    EXPECT_EQ(r.last, 99u);
    r = parseRange("bytes=900-", 1000);
    EXPECT_EQ(r.kind, K::Partial);
    EXPECT_EQ(r.first, 900u);
    EXPECT_EQ(r.last, 999u);
    r = parseRange("bytes=-100", 1000);
    EXPECT_EQ(r.first, 900u);
    EXPECT_EQ(r.last, 999u);
    r = parseRange("bytes=-5000", 1000);  // suffix longer than the file: all of it
    EXPECT_EQ(r.kind, K::Partial);
    EXPECT_EQ(r.first, 0u);
    r = parseRange("bytes=990-5000", 1000);
    EXPECT_EQ(r.last, 999u);
    EXPECT_EQ(parseRange("bytes=1000-", 1000).kind, K::Unsatisfiable);
    EXPECT_EQ(parseRange("bytes=-0", 1000).kind, K::Unsatisfiable);
    EXPECT_EQ(parseRange("bytes=0-", 0).kind, K::Unsatisfiable);
    EXPECT_EQ(parseRange("", 1000).kind, K::Full);
    EXPECT_EQ(parseRange("bytes=5-1", 1000).kind, K::Full);
    EXPECT_EQ(parseRange("bytes=0-1,4-5", 1000).kind, K::Full);
    EXPECT_EQ(parseRange("items=0-1", 1000).kind, K::Full);
    EXPECT_EQ(parseRange("bytes=a-b", 1000).kind, K::Full);
    EXPECT_EQ(parseRange("bytes=99999999999999999999-", 1000).kind, K::Full);
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
    EXPECT_EQ(mimeTypeFor("a/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(mimeTypeFor("x.JS"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mimeTypeFor("x.mjs"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mimeTypeFor("x.css"), "text/css; charset=utf-8");
    EXPECT_EQ(mimeTypeFor("x.json"), "application/json");
    EXPECT_EQ(mimeTypeFor("x.png"), "image/png");
    EXPECT_EQ(mimeTypeFor("x.svg"), "image/svg+xml");
    EXPECT_EQ(mimeTypeFor("x.ico"), "image/x-icon");
    EXPECT_EQ(mimeTypeFor("index.m3u8"), "application/vnd.apple.mpegurl");
    EXPECT_EQ(mimeTypeFor("lesson.mp4"), "video/mp4");
    EXPECT_EQ(mimeTypeFor("seg1.m4s"), "video/iso.segment");
    EXPECT_EQ(mimeTypeFor("a.jpg"), "image/jpeg");
    EXPECT_EQ(mimeTypeFor("a.d/noext"), "application/octet-stream");
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
