#include <gtest/gtest.h>

#include <fstream>

#include "TestDir.hpp"
#include "server/Config.hpp"

using server::Config;
using server::ConfigOverrides;

TEST(Config, DefaultsMatchTheContract) {
    Config c;
    EXPECT_EQ(c.dataDir, "data");
    EXPECT_EQ(c.httpHost, "127.0.0.1");
    EXPECT_EQ(c.httpPort, 8080);
    EXPECT_EQ(c.rtcPort, 40000);
    EXPECT_EQ(c.rtmpPort, 1935);
    EXPECT_EQ(c.srtPort, 9000);
    EXPECT_EQ(c.logLevel, "info");
    EXPECT_FALSE(c.metricsPublic);
}

TEST(Config, ReadsAFile) {
    TestDir dir;
    auto file = dir.path / "cb.toml";
    std::ofstream(file) << R"(
data_dir = "/var/lib/classbridge"
[http]
listen = "0.0.0.0:8443"
cert_file = "/etc/cb/cert.pem"
key_file = "/etc/cb/key.pem"
[rtc]
port = 41000
public_ip = "203.0.113.7"
[ingest]
rtmp_port = 1936
srt_port = 9001
[auth]
admin_password = "secret-pass"
token_ttl_seconds = 600
[log]
level = "debug"
[metrics]
public = true
[recorder]
segment_seconds = 4
)";
    Config c = Config::fromFile(file);
    EXPECT_EQ(c.dataDir, "/var/lib/classbridge");
    EXPECT_EQ(c.httpHost, "0.0.0.0");
    EXPECT_EQ(c.httpPort, 8443);
    EXPECT_EQ(c.certFile, "/etc/cb/cert.pem");
    EXPECT_EQ(c.keyFile, "/etc/cb/key.pem");
    EXPECT_EQ(c.rtcPort, 41000);
    EXPECT_EQ(c.publicIp, "203.0.113.7");
    EXPECT_EQ(c.rtmpPort, 1936);
    EXPECT_EQ(c.srtPort, 9001);
    EXPECT_EQ(c.adminPassword, "secret-pass");
    EXPECT_EQ(c.tokenTtlSeconds, 600);
    EXPECT_EQ(c.logLevel, "debug");
    EXPECT_TRUE(c.metricsPublic);
    EXPECT_EQ(c.getInt("recorder.segment_seconds", 2), 4);
    EXPECT_EQ(c.getInt("recorder.missing", 2), 2);
    EXPECT_EQ(c.getString("rtc.public_ip", ""), "203.0.113.7");
}

TEST(Config, FlagsOverrideTheFile) {
    Config c = Config::fromToml(
        "[http]\nlisten = \"0.0.0.0:9999\"\n[rtc]\nport = 41000\n[log]\nlevel = \"warn\"\n");
    ConfigOverrides o;
    o.http = "127.0.0.1:0";
    o.rtcPort = 42000;
    o.dataDir = "/tmp/x";
    o.logLevel = "error";
    c.apply(o);
    EXPECT_EQ(c.httpHost, "127.0.0.1");
    EXPECT_EQ(c.httpPort, 0);
    EXPECT_EQ(c.rtcPort, 42000);
    EXPECT_EQ(c.dataDir, "/tmp/x");
    EXPECT_EQ(c.logLevel, "error");
    EXPECT_EQ(c.rtmpPort, 1935);  // untouched by both
}

TEST(Config, BadFilesAreClearErrors) {
    struct Case {
        const char* text;
        const char* mentions;
    } cases[] = {
        {"[http\nlisten = 1", "config:"},
        {"[http]\nlisten = \"nocolon\"", "HOST:PORT"},
        {"[http]\nlisten = \"1.2.3.4:99999\"", "bad port"},
        {"[rtc]\nport = 70000", "out of range"},
        {"[rtc]\nport = \"abc\"", "integer"},
        {"[log]\nlevel = \"loud\"", "log.level"},
        {"[metrics]\npublic = \"yes\"", "true or false"},
        {"[auth]\ntoken_ttl_seconds = 0", "token_ttl_seconds"},
    };
    for (const auto& c : cases) {
        try {
            Config::fromToml(c.text);
            ADD_FAILURE() << "accepted: " << c.text;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(c.mentions), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(Config::fromFile("/nonexistent/cb.toml"), std::runtime_error);
}

TEST(Config, HostPort) {
    EXPECT_EQ(Config::parseHostPort("127.0.0.1:8080"),
              (std::pair<std::string, uint16_t>{"127.0.0.1", 8080}));
    EXPECT_EQ(Config::parseHostPort(":80"), (std::pair<std::string, uint16_t>{"0.0.0.0", 80}));
    EXPECT_EQ(Config::parseHostPort("[::1]:443"), (std::pair<std::string, uint16_t>{"::1", 443}));
    EXPECT_THROW(Config::parseHostPort("[::1]443"), std::invalid_argument);
    EXPECT_THROW(Config::parseHostPort("host:"), std::invalid_argument);
    EXPECT_THROW(Config::parseHostPort("host:-1"), std::invalid_argument);
}
