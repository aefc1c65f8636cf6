// HttpServer against real clients: libcurl for HTTP, raw sockets for what curl will not
// send (unnormalised paths, half requests).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/Error.hpp"
#include "signaling/HttpServer.hpp"
#include "tests/signaling/TestHttp.hpp"

using namespace signaling;
using testhttp::Options;
using testhttp::request;
namespace fs = std::filesystem;

namespace {

class HttpServerTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("cb-http-" + std::to_string(getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "static" / "js");
        write("static/index.html", "<!doctype html><title>home</title>");
        write("static/js/app.js", "console.log(1);");
        write("static/live.m3u8", "#EXTM3U\n");
        write("secret.txt", "top secret");
        std::string big(300000, '\0');
        for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
        write("static/big.mp4", big);
        bigBody_ = big;
    }
    void TearDown() override {
        if (server_) server_->stop();
        fs::remove_all(dir_);
    }
    void write(const std::string& rel, const std::string& content) {
        std::ofstream(dir_ / rel, std::ios::binary) << content;
    }
    HttpServer& make(HttpOptions o = {}) {
        o.port = 0;
        if (o.staticDir.empty()) o.staticDir = (dir_ / "static").string();
        server_ = std::make_unique<HttpServer>(o);
        return *server_;
    }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    }

    fs::path dir_;
    std::string bigBody_;
    std::unique_ptr<HttpServer> server_;
};

nlohmann::json parse(const std::string& s) {
    return nlohmann::json::parse(s);
}

TEST_F(HttpServerTest, RoutesParamsAndQuery) {
    auto& s = make();
    s.route("GET", "/api/v1/lessons/{id}", [](Request& r) {
        nlohmann::json j = {{"id", r.param("id")},
                            {"q", r.queryParam("q")},
                            {"x", r.queryParam("x")},
                            {"method", r.method}};
        return Response::json(200, j.dump());
    });
    s.route("POST", "/api/v1/lessons/{id}/start", [](Request& r) {
        return Response::json(201, nlohmann::json{{"id", r.param("id")},
                                                  {"body", r.body},
                                                  {"ct", r.header("content-type")}}
                                       .dump());
    });
    s.route("GET", "/vod/{id}/{*rest}", [](Request& r) {
        return Response::json(
            200, nlohmann::json{{"id", r.param("id")}, {"rest", r.param("rest")}}.dump());
    });
    s.start();
    ASSERT_GT(s.port(), 0);

    auto r = request(url("/api/v1/lessons/42?q=a%20b%26c&x=%E4%B8%AD"));
    ASSERT_EQ(r.code, CURLE_OK);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/json");
    auto j = parse(r.body);
    EXPECT_EQ(j["id"], "42");
    EXPECT_EQ(j["q"], "a b&c");
    EXPECT_EQ(j["x"], "\xE4\xB8\xAD");
    EXPECT_EQ(j["method"], "GET");

    Options post;
    post.method = "POST";
    post.body = R"({"a":1})";
    post.hasBody = true;
    post.headers = {"Content-Type: application/json"};
    r = request(url("/api/v1/lessons/7/start"), post);
    EXPECT_EQ(r.status, 201);
    j = parse(r.body);
    EXPECT_EQ(j["id"], "7");
    EXPECT_EQ(j["body"], R"({"a":1})");
    EXPECT_EQ(j["ct"], "application/json");

    r = request(url("/vod/abc/seg/00001.m4s"));
    EXPECT_EQ(r.status, 200);
    j = parse(r.body);
    EXPECT_EQ(j["id"], "abc");
    EXPECT_EQ(j["rest"], "seg/00001.m4s");
}

TEST_F(HttpServerTest, NotFoundAndMethodNotAllowedAreJson) {
    auto& s = make();
    s.route("GET", "/api/v1/things", [](Request&) { return Response::json(200, "[]"); });
    s.start();
    auto r = request(url("/api/v1/nothing"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(parse(r.body)["error"]["code"], "not_found");
    Options del;
    del.method = "DELETE";
    r = request(url("/api/v1/things"), del);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(parse(r.body)["error"]["code"], "method_not_allowed");
    EXPECT_NE(r.header("allow").find("GET"), std::string::npos) << r.headers;
}

TEST_F(HttpServerTest, HandlerErrorsBecomeJsonErrors) {
    auto& s = make();
    s.route("GET", "/conflict", [](Request&) -> Response {
        throw common::ApiError::conflict("double_booked", "classroom busy");
    });
    s.route("GET", "/forbidden",
            [](Request&) -> Response { throw common::ApiError::forbidden("not your lesson"); });
    s.route("GET", "/boom",
            [](Request&) -> Response { throw std::runtime_error("secret detail"); });
    s.start();
    auto r = request(url("/conflict"));
    EXPECT_EQ(r.status, 409);
    auto j = parse(r.body);
    EXPECT_EQ(j["error"]["code"], "double_booked");
    EXPECT_EQ(j["error"]["message"], "classroom busy");
    r = request(url("/forbidden"));
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(parse(r.body)["error"]["code"], "forbidden");
    r = request(url("/boom"));
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(parse(r.body)["error"]["code"], "internal_error");
    EXPECT_EQ(r.body.find("secret detail"), std::string::npos);  // internals are not leaked
}

TEST_F(HttpServerTest, BodyLimitAnswers413) {
    HttpOptions o;
    o.maxBodyBytes = 1000;
    auto& s = make(o);
    std::atomic<int> calls{0};
    s.route("POST", "/echo", [&](Request& r) {
        ++calls;
        return Response::json(200, r.body);
    });
    s.route("PUT", "/echo", [&](Request& r) { return Response::json(200, r.body); });
    s.route("PATCH", "/echo", [&](Request& r) { return Response::json(200, r.body); });
    s.start();
    Options o2;
    o2.method = "POST";
    o2.hasBody = true;
    o2.body = std::string(1000, 'x');
    auto r = request(url("/echo"), o2);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), 1000u);
    for (const char* m : {"PUT", "PATCH"}) {
        o2.method = m;
        o2.body = std::string("{\"m\":1}");
        r = request(url("/echo"), o2);
        EXPECT_EQ(r.status, 200) << m;
        EXPECT_EQ(r.body, o2.body) << m;
    }
    o2.method = "POST";
    o2.body = std::string(5000, 'y');
    int before = calls;
    r = request(url("/echo"), o2);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(parse(r.body)["error"]["code"], "payload_too_large");
    EXPECT_EQ(calls, before);  // the handler never saw it
    // A huge declared length is refused from the headers alone.
    auto raw = testhttp::rawRequest(
        s.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nabc");
    EXPECT_EQ(testhttp::rawStatus(raw), 413) << raw;
    raw = testhttp::rawRequest(s.port(),
                               "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nabc");
    EXPECT_NE(testhttp::rawStatus(raw), 200) << raw;
    EXPECT_EQ(calls, before);
    // Empty POST without Content-Length has an empty body (RFC 9112).
    Options empty;
    empty.method = "POST";
    r = request(url("/echo"), empty);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "");
}

TEST_F(HttpServerTest, StaticFilesWithMimeTypes) {
    auto& s = make();
    s.start();
    auto r = request(url("/"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<!doctype html><title>home</title>");
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
    EXPECT_FALSE(r.header("cache-control").empty());
    r = request(url("/js/app.js"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(r.body, "console.log(1);");
    r = request(url("/live.m3u8"));
    EXPECT_EQ(r.header("content-type"), "application/vnd.apple.mpegurl");
    r = request(url("/big.mp4"));
    EXPECT_EQ(r.header("content-type"), "video/mp4");
    EXPECT_EQ(r.body, bigBody_);  // several 64 KiB chunks, in order
    r = request(url("/missing.js"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(parse(r.body)["error"]["code"], "not_found");
    // Revalidation with the ETag.
    r = request(url("/js/app.js"));
    std::string etag = r.header("etag");
    ASSERT_FALSE(etag.empty());
    Options cond;
    cond.headers = {"If-None-Match: " + etag};
    r = request(url("/js/app.js"), cond);
    EXPECT_EQ(r.status, 304);
    EXPECT_TRUE(r.body.empty());
}

TEST_F(HttpServerTest, StaticPathTraversalIsRefused) {
    auto& s = make();
    s.start();
    fs::create_directories(dir_ / "static" / "sub");
    std::error_code ec;
    fs::create_symlink(dir_ / "secret.txt", dir_ / "static" / "link.txt", ec);
    write("static/.env", "top secret");
    const char* attacks[] = {
        "/../secret.txt",
        "/sub/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/sub/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/sub%2f..%2f..%2fsecret.txt",
        "/link.txt",
        "/.env",
        "/%00/../secret.txt",
        "/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
        "//secret.txt",
        "/./../secret.txt",
        "/sub/.%2e/.%2e/secret.txt",
    };
    for (const char* path : attacks) {
        std::string raw = testhttp::rawRequest(
            s.port(), std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        int status = testhttp::rawStatus(raw);
        EXPECT_EQ(raw.find("top secret"), std::string::npos) << path;
        EXPECT_NE(status, 200) << path;
        // Either a clean 4xx or the connection dropped by the parser.
        EXPECT_TRUE(status == 0 || (status >= 400 && status < 500)) << path << ": " << raw;
    }
    // The server is still healthy afterwards.
    EXPECT_EQ(request(url("/js/app.js")).status, 200);
}

TEST_F(HttpServerTest, FileResponsesSupportRange) {
    auto& s = make();
    std::string file = (dir_ / "static" / "big.mp4").string();
    s.route("GET", "/vod/{id}/lesson.mp4", [file](Request&) {
        Response r;
        r.filePath = file;
        r.contentType = "video/mp4";
        return r;
    });
    s.start();
    const std::string u = url("/vod/1/lesson.mp4");
    struct Case {
        const char* range;
        long status;
        size_t first, length;      // expected body: bigBody_.substr(first, length)
        const char* contentRange;  // "" = not checked
    };
    const Case cases[] = {
        {"bytes=100-199", 206, 100, 100, "bytes 100-199/300000"},
        {"bytes=299990-", 206, 299990, 10, "bytes 299990-299999/300000"},
        {"bytes=-70000", 206, 230000, 70000, "bytes 230000-299999/300000"},
        {"bytes=1000-999999", 206, 1000, 299000, ""},  // clamped to the end
        {"bytes=300000-", 416, 0, 0, "bytes */300000"},
        {"bytes=0-0,5-6", 200, 0, 300000, ""},  // several ranges: the whole file
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.range);
        Options o;
        o.headers = {std::string("Range: ") + c.range};
        auto r = request(u, o);
        EXPECT_EQ(r.status, c.status);
        if (*c.contentRange) EXPECT_EQ(r.header("content-range"), c.contentRange);
        if (c.status == 416) continue;  // an error object, not the file
        EXPECT_EQ(r.body, bigBody_.substr(c.first, c.length));
        EXPECT_EQ(r.header("accept-ranges"), "bytes");
    }
    Options head;
    head.method = "HEAD";
    auto r = request(u, head);
    EXPECT_EQ(r.code, CURLE_OK);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-length"), "300000");
    EXPECT_TRUE(r.body.empty());
    head.headers = {"Range: bytes=10-19"};
    r = request(u, head);
    EXPECT_EQ(r.status, 206);
    EXPECT_EQ(r.header("content-length"), "10");
}

TEST_F(HttpServerTest, SlowClientDoesNotBlockOthersAndIsDropped) {
    HttpOptions o;
    o.idleTimeoutSeconds = 2;
    auto& s = make(o);
    s.route("GET", "/ping", [](Request&) { return Response::json(200, "\"pong\""); });
    s.start();
    int slow = testhttp::connectTo(s.port());
    ASSERT_GE(slow, 0);
    std::string half = "GET /ping HTTP/1.1\r\nHo";
    ::send(slow, half.data(), half.size(), MSG_NOSIGNAL);
    int slowBody = testhttp::connectTo(s.port());
    std::string partial = "POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab";
    ::send(slowBody, partial.data(), partial.size(), MSG_NOSIGNAL);
    for (int i = 0; i < 5; ++i) {
        auto r = request(url("/ping"));
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "\"pong\"");
    }
    // Both stalled connections are eventually closed by the server (recv returns 0 or
    // an error rather than blocking until our own 30 s receive timeout).
    for (int fd : {slow, slowBody}) {
        auto t0 = std::chrono::steady_clock::now();
        char buf[512];
        ssize_t n;
        while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        }
        auto waited = std::chrono::steady_clock::now() - t0;
        EXPECT_LT(waited, std::chrono::seconds(25));
        close(fd);
    }
}

TEST_F(HttpServerTest, PostRunsOnTheLoopThreadAndObserverSeesRequests) {
    auto& s = make();
    std::thread::id handlerThread;
    s.route("GET", "/api/v1/x/{id}", [&](Request&) {
        handlerThread = std::this_thread::get_id();
        return Response::json(200, "{}");
    });
    std::mutex m;
    std::vector<std::string> seen;
    s.setRequestObserver([&](const std::string& method, const std::string& route, int status) {
        std::lock_guard l(m);
        seen.push_back(method + " " + route + " " + std::to_string(status));
    });
    s.start();
    EXPECT_EQ(request(url("/api/v1/x/5")).status, 200);
    EXPECT_EQ(request(url("/nope")).status, 404);
    EXPECT_EQ(request(url("/js/app.js")).status, 200);
    std::promise<std::thread::id> ran;
    std::thread other([&] { s.post([&] { ran.set_value(std::this_thread::get_id()); }); });
    auto fut = ran.get_future();
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(fut.get(), handlerThread);
    other.join();
    std::lock_guard l(m);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[0], "GET /api/v1/x/{id} 200");
    EXPECT_EQ(seen[1], "GET static 404");  // unmatched GETs go to the static tree
    EXPECT_EQ(seen[2], "GET static 200");
}

TEST_F(HttpServerTest, ManyConcurrentClients) {
    auto& s = make();
    s.route("GET", "/n/{i}", [](Request& r) { return Response::json(200, r.param("i")); });
    s.start();
    std::vector<std::future<bool>> results;
    for (int i = 0; i < 24; ++i)
        results.push_back(std::async(std::launch::async, [&, i] {
            auto r = request(url("/n/" + std::to_string(i)));
            return r.status == 200 && r.body == std::to_string(i);
        }));
    for (auto& f : results) EXPECT_TRUE(f.get());
}

TEST_F(HttpServerTest, HttpsWithSelfSignedCertificate) {
    std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
    writeSelfSignedCertificate(cert, key, "127.0.0.1");
    EXPECT_EQ(fs::status(key).permissions() & fs::perms::others_read, fs::perms::none);
    HttpOptions o;
    o.certFile = cert;
    o.keyFile = key;
    auto& s = make(o);
    s.route("GET", "/healthz", [](Request&) { return Response::json(200, "{\"ok\":true}"); });
    s.start();
    EXPECT_TRUE(s.tls());
    std::string u = "https://127.0.0.1:" + std::to_string(s.port()) + "/healthz";
    Options tls;
    tls.caFile = cert;  // verification on: the SAN must name 127.0.0.1
    auto r = request(u, tls);
    ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"ok\":true}");
    r = request("https://127.0.0.1:" + std::to_string(s.port()) + "/", tls);
    EXPECT_EQ(r.status, 200);
    // Without trusting the certificate the handshake fails verification.
    r = request(u);
    EXPECT_NE(r.code, CURLE_OK);
}

}  // namespace
