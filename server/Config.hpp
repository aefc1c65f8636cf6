#pragma once
// Settings from a TOML file, overridden by command-line flags. Modules read their own
// keys through get*() with dotted names ("recorder.segment_seconds").
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace server {

struct ConfigOverrides {  // flags; set ones win over the file
    std::optional<std::string> dataDir, http, publicIp, adminPassword, logLevel;
    std::optional<uint16_t> rtcPort, rtmpPort, srtPort;
    bool tlsSelfSigned = false;
};

class Config {
public:
    std::filesystem::path dataDir = "data";
    std::string httpHost = "127.0.0.1";
    uint16_t httpPort = 8080;
    uint16_t rtcPort = 40000;
    uint16_t rtmpPort = 1935;
    uint16_t srtPort = 9000;
    std::string publicIp;
    std::string adminPassword;  // first start only; empty: generated and printed
    std::string certFile, keyFile;
    bool tlsSelfSigned = false;
    std::string logLevel = "info";
    bool metricsPublic = false;       // /metrics without a token
    std::filesystem::path staticDir;  // empty: client-web/ next to the sources or binary
    size_t maxBodyBytes = 1 << 20;
    int64_t tokenTtlSeconds = 12 * 3600;

    // Throws std::runtime_error naming the file and the problem.
    static Config fromFile(const std::filesystem::path& file);
    static Config fromToml(std::string_view text, const std::string& sourceName = "config");
    void apply(const ConfigOverrides& flags);

    // Every scalar of the file by dotted key, for module settings.
    std::optional<std::string> get(const std::string& key) const;
    std::string getString(const std::string& key, const std::string& def) const;
    int64_t getInt(const std::string& key, int64_t def) const;
    bool getBool(const std::string& key, bool def) const;

    // "HOST:PORT", "[v6]:PORT" or ":PORT"; throws std::invalid_argument.
    static std::pair<std::string, uint16_t> parseHostPort(const std::string& text);

private:
    std::map<std::string, std::string> values_;
};

}  // namespace server
