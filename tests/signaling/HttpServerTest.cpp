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

}  // namespace
